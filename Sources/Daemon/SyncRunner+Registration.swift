import Foundation
import Logging
import Manifest
import State
import Toolkit

/// What the apps dir layer decides about an application (its registration file became
/// invalid, or two files claim its name) is a transition like any a look makes: it is in
/// the history and it is announced, to the endpoints the application had (its file cannot
/// be read for new ones) and the operator's.
extension SyncRunner {
    /// Writes the invalid status the supervisor built; the first one after something else
    /// records an attempt (trigger `registration`) and sends `invalid`. The fix is the next
    /// look's: it finds `invalid` as the previous result and sends `synced`.
    public func registrationFailed(_ status: StatusDocument) async {
        let name = status.name
        let layout = self.layout
        var history = await BlockingPool.files.run { layout.readHistory(name) }
        let previous = history.attempts.first
        let now = context.now()
        if previous?.result != StatusDocument.Phase.invalid.rawValue || previous?.message != status.message {
            history.record(
                .init(
                    at: now, trigger: .registration, commit: nil, result: StatusDocument.Phase.invalid.rawValue,
                    durationMs: 0, targetCalls: 0, message: status.message))
        }
        if previous?.result != StatusDocument.Phase.invalid.rawValue, !status.namespace.isEmpty {
            let notify = context.notifications.endpoints(of: name, namespace: status.namespace)
            let event = NotificationEvent(
                event: Registration.EventKind.invalid.rawValue, app: name, namespace: status.namespace,
                status: status.status.rawValue, previousStatus: previous?.result, commit: nil,
                previousCommit: status.source.commit, message: status.message, error: status.error, time: now,
                repoURL: status.source.repoURL.isEmpty ? nil : status.source.repoURL)
            await context.notifications.emit(
                .invalid, event, notify: notify,
                identity: [
                    "registration", status.message ?? "", previous.map { "\($0.at.timeIntervalSince1970)" } ?? "",
                ])
        }
        await write(history, name)
        await write(status)
    }
}
