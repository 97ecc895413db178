import Foundation
import Logging
import Manifest
import State
import Toolkit

/// `zerverless-gitops notifications test NAME`: a test event through the outbox, so that
/// the notifier signs it, checks the endpoint and reads the secret under the namespace's
/// rule, as for every event.
extension Notifications {
    /// The message a test event carries (receivers also have `"event": "test"`).
    public static let testMessage =
        "a test of this endpoint (zerverless-gitops notifications test); nothing was synced or changed"

    /// Writes the test event of `request` as outbox entry `request.id`: to every webhook of
    /// `notify` (whatever its `on`) and the operator's endpoint. Forge commit statuses are
    /// not sent: a test would overwrite the commit's real status. With no endpoint the
    /// entry is written done, without deliveries (the asker says there is nothing to send
    /// to). Nothing else is written: status, history and the event feed stay as they are.
    /// Returns the number of endpoints.
    @discardableResult
    public func test(
        _ request: NotificationTestRequest, notify: [Registration.Notify], namespace: String,
        status: StatusDocument?, now: Date
    ) async -> Int {
        var endpoints: [NotificationEndpoint] = []
        if !namespace.isEmpty {
            for entry in notify {
                if case .webhook(let w) = entry { endpoints.append(.webhook(w, namespace: namespace)) }
            }
        }
        if operatorEndpoint { endpoints.append(.operatorURL) }
        let repoURL = status?.source.repoURL
        let event = NotificationEvent(
            event: NotificationEvent.test, app: request.app, namespace: namespace,
            status: status?.status.rawValue ?? StatusDocument.Phase.pending.rawValue, commit: status?.source.commit,
            message: Self.testMessage, time: now, repoURL: repoURL?.isEmpty == false ? repoURL : nil)
        let entry = OutboxEntry(id: request.id, created: now, event: event, endpoints: endpoints)
        logger.info(
            "test notification",
            metadata: ["app": "\(request.app)", "endpoints": "\(endpoints.count)", "by": "\(request.by)"])
        if endpoints.isEmpty {
            let outbox = self.outbox
            do {
                try await BlockingPool.files.run { () throws -> Void in try outbox.save(entry) }
            } catch {
                logger.error("cannot write the outbox entry", metadata: ["id": "\(entry.id)", "error": "\(error)"])
            }
        } else {
            await add(entry)
        }
        return endpoints.count
    }
}
