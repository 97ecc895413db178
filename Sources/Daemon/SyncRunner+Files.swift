import Foundation
import GitSource
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

/// What a look leaves behind: its notifications, its status and history files (written
/// off the cooperative pool), and the verification of what it deploys.
extension SyncRunner {
    // MARK: Notifications

    func event(_ look: Look, kind: String, commit: String?) -> NotificationEvent {
        let s = look.status
        return NotificationEvent(
            event: kind, app: look.name, namespace: look.registration.namespace, status: s.status.rawValue,
            previousStatus: look.previousResult, commit: commit, previousCommit: look.previousCommit,
            message: s.message, error: s.error, time: look.startedAt, repoURL: s.source.repoURL)
    }

    /// The transition's event (before the history records this attempt: a crash in
    /// between meets the same transition, with the same id, again) and the forge status.
    func notify(_ look: Look, commit: String?) async {
        let status = look.status.status
        let changed = look.changes.map { $0.functions + $0.files > 0 } ?? true
        if let kind = Notifications.transition(
            status: status, commit: status == .synced ? commit : nil,
            previousResult: look.previousResult, previousCommit: look.previousCommit, changed: changed)
        {
            await context.notifications.emit(
                kind, event(look, kind: kind.rawValue, commit: commit), notify: look.registration.notify,
                identity: [
                    status.rawValue, commit ?? "", look.previousResult ?? "",
                    look.previousAttempt.map { "\($0.timeIntervalSince1970)" } ?? "",
                ])
        }
        if look.began, let commit, !(look.resync && status == .synced) {
            await context.notifications.commitStatus(
                look.registration, state: status == .synced ? "success" : "failure",
                event: event(look, kind: status.rawValue, commit: commit))
        }
    }

    /// An application the daemon no longer runs: what it remembers per application goes.
    func forget(_ name: String) {
        context.metrics.apps.forget(name)
        context.written[name] = nil
    }

    // MARK: Files (written off the cooperative pool)

    @discardableResult
    func write(_ document: StatusDocument, durable: Bool = true) async -> Bool {
        var stamped = document
        stamped.shard = context.shard
        stamped.fillPreview(base: context.publicURL ?? "")
        // Earlier statuses of this app that could not be written (a full disk): every
        // status written says so until a look ends (`finish` then keeps the note in the
        // look's status and history, so the polls after it keep saying it), since what a
        // reader saw meanwhile (`syncing`) was not the truth.
        let unwritten = context.unwritten.take(document.name, consume: false)
        if let unwritten { stamped.message = Self.noting(unwritten, in: stamped.message) }
        let status = stamped
        let layout = self.layout
        let hash = WrittenStatuses.hash(status)
        if !durable, unwritten == nil, let next = status.nextSync, let last = context.written[status.name],
            last.hash == hash, let file = layout.patchNextSync(status.name, to: next, expecting: last.file)
        {
            context.written[status.name] = (hash, file)
            context.readiness?.stateWrite(failed: nil)
            return true
        }
        do {
            if durable {
                try await BlockingPool.files.run { () throws -> Void in try layout.writeStatus(status, durable: true) }
            } else {
                // No fsync: a small write and a rename, cheaper here than a hop to the pool
                // (an unchanged poll of 10,000 applications does nothing else).
                try layout.writeStatus(status, durable: false)
            }
            context.written[status.name] = layout.statusVersion(status.name).map { (hash, $0) }
            context.readiness?.stateWrite(failed: nil)
            return true
        } catch {
            context.written[status.name] = nil
            logger.error("cannot write the status", metadata: ["app": "\(status.name)", "error": "\(error)"])
            context.unwritten.restore(status.name, unwritten ?? (context.now(), "\(error)"))
            context.readiness?.stateWrite(failed: "the state dir \(layout.root) cannot be written: \(error)")
            return false
        }
    }

    /// `message` with the note about status updates that could not be written (once).
    static func noting(_ unwritten: (since: Date, error: String), in message: String?) -> String {
        let note =
            "earlier status updates could not be written since \(SyncHistory.timestamp(unwritten.since)): \(unwritten.error)"
        guard let message else { return note }
        return message.contains(note) ? message : "\(message) (\(note))"
    }

    func write(_ history: SyncHistory, _ name: String) async {
        let layout = self.layout
        do {
            try await BlockingPool.files.run { () throws -> Void in try layout.writeHistory(history, of: name) }
        } catch {
            logger.error("cannot write the history", metadata: ["app": "\(name)", "error": "\(error)"])
        }
    }
}
