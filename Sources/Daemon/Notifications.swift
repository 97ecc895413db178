import Foundation
import Logging
import Manifest
import Notify
import State
import Synchronization
import Toolkit

/// Turns what a look did into outbox entries: one per transition (first sync, a new
/// commit synced, into error or invalid, back to synced, drift, deleted) for the
/// webhook receivers that want it, and a commit status per real sync for the forges.
/// Writing the entry is the only thing a sync waits for (one small durable file, and
/// only when something is to be sent, plus a line appended to the event feed); delivery
/// is the notifier's.
public final class Notifications: Sendable {
    public let outbox: Outbox
    public let notifier: Notifier?
    /// `--notify-url` is set: every app's events go there too.
    public let operatorEndpoint: Bool
    let layout: StateLayout
    let eventLog: EventLog
    let logger: Logger
    /// The endpoints each app had at its last look (for `deleted`, when the registration
    /// is gone); also in `apps/NAME/notify.json` for after a restart.
    private let known = Mutex<[String: Remembered]>([:])

    /// The endpoints of an app and the namespace they belong to (the secrets they name are
    /// that namespace's).
    struct Remembered: Codable, Equatable {
        var namespace: String
        var notify: [Registration.Notify]
    }

    public init(layout: StateLayout, notifier: Notifier?, operatorEndpoint: Bool, logger: Logger) {
        self.layout = layout
        self.eventLog = EventLog(layout: layout)
        self.outbox = Outbox(layout: layout)
        self.notifier = notifier
        self.operatorEndpoint = operatorEndpoint
        self.logger = logger
    }

    /// Nothing configured anywhere: no entry is ever written.
    public static func disabled(layout: StateLayout, logger: Logger) -> Notifications {
        Notifications(layout: layout, notifier: nil, operatorEndpoint: false, logger: logger)
    }

    func notifyFile(_ name: String) -> String { layout.appDir(name) + "/notify.json" }

    /// Remembers the app's endpoints (file written only when they change).
    func remember(_ registration: Registration) {
        let name = registration.name
        let remembered = Remembered(namespace: registration.namespace, notify: registration.notify)
        let changed = known.withLock { map -> Bool in
            if map[name] == remembered { return false }
            map[name] = remembered
            return true
        }
        guard changed else { return }
        if remembered.notify.isEmpty {
            unlink(notifyFile(name))
        } else {
            try? AtomicFile.writeJSON(remembered, to: notifyFile(name), durable: false)
        }
    }

    /// The endpoints `name` had at its last look, if they were of `namespace` (a name
    /// reused by another namespace never gets the old one's endpoints, nor their secrets).
    func endpoints(of name: String, namespace: String) -> [Registration.Notify] {
        let remembered =
            known.withLock({ $0[name] }) ?? (try? AtomicFile.readJSON(Remembered.self, from: notifyFile(name)))
        guard let remembered, remembered.namespace == namespace else { return [] }
        return remembered.notify
    }

    /// The app's state is gone.
    func forget(_ name: String) {
        _ = known.withLock { $0.removeValue(forKey: name) }
    }

    /// The event of a look's outcome, if it is a transition: `previousResult` is the result
    /// of the previous recorded attempt, `previousCommit` the last successful commit.
    /// `changed`: the sync deployed, undeployed, uploaded or deleted something. A new
    /// commit that changed nothing of this application (a push to another folder of its
    /// monorepo) is no event: a push to a repository of 1,000 applications would send
    /// 1,000 of them.
    public static func transition(
        status: StatusDocument.Phase, commit: String?, previousResult: String?,
        previousCommit: String?, changed: Bool = true
    ) -> Registration.EventKind? {
        switch status {
        case .synced: return previousResult != "synced" || (commit != previousCommit && changed) ? .synced : nil
        case .error: return previousResult != "error" ? .error : nil
        case .invalid: return previousResult != "invalid" ? .invalid : nil
        default: return nil
        }
    }

    /// Writes the entry of an event for every endpoint that wants it (none: nothing is
    /// written). `identity` makes the id: the same transition met twice is sent once.
    /// The transition goes into the state dir's event feed in any case (`events`).
    func emit(
        _ kind: Registration.EventKind, _ event: NotificationEvent, notify: [Registration.Notify], identity: [String]
    ) async {
        await record(event)
        var endpoints: [NotificationEndpoint] = []
        for entry in notify {
            if case .webhook(let w) = entry, w.wants(kind) { endpoints.append(.webhook(w, namespace: event.namespace)) }
        }
        if operatorEndpoint { endpoints.append(.operatorURL) }
        guard !endpoints.isEmpty else { return }
        let id = OutboxEntry.id([event.app, event.namespace, kind.rawValue] + identity)
        await add(OutboxEntry(id: id, created: event.time, event: event, endpoints: endpoints))
    }

    /// A forge status for a commit: pending when its sync starts, success or failure when
    /// it ends.
    func commitStatus(_ registration: Registration, state: String, event: NotificationEvent) async {
        var endpoints: [NotificationEndpoint] = []
        for entry in registration.notify {
            if case .commitStatus(let c) = entry, let project = c.project ?? registration.source.repoURL.forgeProject {
                endpoints.append(.commitStatus(c, namespace: registration.namespace, project: project, state: state))
            }
        }
        guard !endpoints.isEmpty, event.commit != nil else { return }
        let id = OutboxEntry.id([
            registration.name, "status", state, event.commit ?? "", "\(event.time.timeIntervalSince1970)",
        ])
        await add(OutboxEntry(id: id, created: event.time, event: event, endpoints: endpoints))
    }

    /// Appends the event to the feed (`STATE/events/`); a failure is logged, the sync goes on.
    func record(_ event: NotificationEvent) async {
        let log = eventLog
        do {
            try await BlockingPool.files.run { () throws -> Void in try log.append(event) }
        } catch {
            logger.warning(
                "cannot append to the event feed", metadata: ["app": "\(event.app)", "error": "\(error)"])
        }
    }

    func add(_ entry: OutboxEntry) async {
        let outbox = self.outbox
        do {
            let added = try await BlockingPool.files.run { () throws -> Bool in try outbox.add(entry) }
            if added { notifier?.poke() }
        } catch {
            logger.error(
                "cannot write the outbox entry; this event is not sent",
                metadata: [
                    "app": "\(entry.event.app)",
                    "event": "\(entry.event.event)", "error": "\(error)",
                ])
        }
    }
}
