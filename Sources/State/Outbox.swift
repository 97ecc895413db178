import Crypto
import Foundation
import Manifest
import Synchronization
import Toolkit

/// One thing that happened to an application, as notifications carry it (`generic`
/// format: this document plus `delivery`).
public struct NotificationEvent: Sendable, Hashable, Codable {
    /// synced, error, invalid, drift, deleted, `test` (`zerverless-gitops notifications
    /// test`); `syncing` only reaches forge commit statuses.
    public var event: String
    public var app: String
    public var namespace: String
    public var status: String
    public var previousStatus: String?
    public var commit: String?
    public var previousCommit: String?
    public var message: String?
    public var error: StatusDocument.Failure?
    public var drift: StatusDocument.Drift?
    public var time: Date
    /// The repository (redacted) and the folder of the app, for people reading the event.
    public var repoURL: String?

    public init(
        event: String, app: String, namespace: String, status: String, previousStatus: String? = nil,
        commit: String? = nil,
        previousCommit: String? = nil, message: String? = nil, error: StatusDocument.Failure? = nil,
        drift: StatusDocument.Drift? = nil, time: Date, repoURL: String? = nil
    ) {
        self.event = event
        self.app = app
        self.namespace = namespace
        self.status = status
        self.previousStatus = previousStatus
        self.commit = commit
        self.previousCommit = previousCommit
        self.message = message
        self.error = error
        self.drift = drift
        self.time = time
        self.repoURL = repoURL
    }

    /// The kind of a test event: it changes nothing, and receivers can tell it.
    public static let test = "test"
}

/// Where one event goes. Secrets are named, never stored: they are read when delivering,
/// under the secrets rule (a tenant's) or from the daemon's options (the operator's).
public enum NotificationEndpoint: Sendable, Hashable {
    /// A receiver of the app's `notify` list.
    case webhook(Registration.Notify.Webhook, namespace: String)
    /// `--notify-url` (and `--notify-secret-file`), as configured when delivering.
    case operatorURL
    /// A commit status in a forge: `state` is pending, success or failure.
    case commitStatus(Registration.Notify.CommitStatus, namespace: String, project: String, state: String)

    /// Deliveries to one key keep their order: an event waits while an earlier one to the
    /// same key is not delivered.
    public var orderKey: String {
        switch self {
        case .webhook(let w, let ns): "webhook \(ns) \(w.url)"
        case .operatorURL: "operator"
        case .commitStatus(let c, let ns, let project, _): "status \(ns) \(c.apiURL) \(project)"
        }
    }
}

/// One event and its deliveries: `STATE/outbox/ID.json` until every endpoint has it (or
/// 24 h passed), then `STATE/outbox/done/ID.json` for a day (so the same transition,
/// met again after a crash, is not sent twice).
public struct OutboxEntry: Sendable, Hashable, Codable {
    public struct Delivery: Sendable, Hashable, Codable {
        public var endpoint: NotificationEndpoint
        /// Stable across retries: receivers deduplicate on it.
        public var id: String
        public var attempts = 0
        public var nextAttempt: Date
        public var delivered: Date?
        public var dropped = false
        public var lastError: String?
        /// When the last attempt was made, the HTTP status it was answered with (nil: no
        /// answer, a connection error or a deadline), and where it went as it may be shown
        /// (`NotificationEndpoint.shown(url:hidePath:)`: no credentials, no query values):
        /// what `zerverless-gitops notifications` reports. Absent from files written
        /// before they were recorded (those are still read).
        public var lastAttempt: Date?
        public var lastStatus: Int?
        public var target: String?

        public init(endpoint: NotificationEndpoint, id: String, nextAttempt: Date) {
            self.endpoint = endpoint
            self.id = id
            self.nextAttempt = nextAttempt
        }

        public var open: Bool { delivered == nil && !dropped }
    }

    public var id: String
    public var created: Date
    /// Nanoseconds since the epoch when it was made, increasing within a process: the
    /// order of entries (`created` is stored to the second).
    public var sequence: UInt64
    public var event: NotificationEvent
    public var deliveries: [Delivery]

    public var open: Bool { deliveries.contains(where: \.open) }

    /// A test event (`zerverless-gitops notifications test`): each delivery is tried once,
    /// at once, neither waiting behind the endpoint's other events nor holding them.
    public var isTest: Bool { event.event == NotificationEvent.test }

    public init(id: String, created: Date, event: NotificationEvent, endpoints: [NotificationEndpoint]) {
        self.id = id
        self.created = created
        self.sequence = Self.nextSequence()
        self.event = event
        self.deliveries = endpoints.enumerated().map { Delivery(endpoint: $1, id: "\(id)-\($0)", nextAttempt: created) }
    }

    private static let lastSequence = Mutex<UInt64>(0)

    static func nextSequence() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let ns = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        return lastSequence.withLock { last in
            last = max(last + 1, ns)
            return last
        }
    }

    /// A digest of what makes a transition the one it is: the same transition met again
    /// (a crash before the history was written) gets the same id.
    public static func id(_ parts: [String]) -> String {
        SHA256.hash(data: Array(parts.joined(separator: "\u{1f}").utf8)).prefix(12).hexString
    }
}

/// `STATE/outbox`: events not yet delivered to every endpoint. The daemon is the only
/// writer (a test event is asked for through `NotificationTestRequest`); every write is
/// atomic and durable (a crash loses no event).
public struct Outbox: Sendable {
    public let dir: String
    public var doneDir: String { dir + "/done" }
    /// How long an event is kept (undelivered: then dropped; delivered: remembered).
    public static let keep: TimeInterval = 24 * 3600

    public init(layout: StateLayout) {
        self.dir = layout.root + "/outbox"
    }

    func file(_ id: String) -> String { dir + "/" + id + ".json" }

    /// Adds an entry unless one with its id exists (open or done): false when it did.
    @discardableResult
    public func add(_ entry: OutboxEntry) throws -> Bool {
        if FileManager.default.fileExists(atPath: file(entry.id))
            || FileManager.default.fileExists(atPath: doneDir + "/" + entry.id + ".json")
        {
            return false
        }
        try AtomicFile.makeFolder(dir, mode: 0o700)
        try AtomicFile.writeJSON(entry, to: file(entry.id), durable: true)
        return true
    }

    public func save(_ entry: OutboxEntry) throws {
        if entry.open {
            try AtomicFile.writeJSON(entry, to: file(entry.id), durable: true)
        } else {
            try AtomicFile.makeFolder(doneDir, mode: 0o700)
            try AtomicFile.writeJSON(entry, to: doneDir + "/" + entry.id + ".json", durable: true)
            unlink(file(entry.id))
        }
    }

    /// The open entries, oldest first (unreadable files are skipped and named).
    public func open() -> (entries: [OutboxEntry], unreadable: [String]) {
        var none = Index()
        return open(reusing: &none)
    }

    /// What a reader keeps of the entries it read: a file whose identity (inode, size,
    /// modification time) did not change is not read again. Every write is a new file
    /// (temporary, rename), so a pass over an unchanged outbox costs a listing and a
    /// `stat` per entry, not a decode.
    public struct Index: Sendable {
        struct Stamp: Equatable {
            var inode: UInt64
            var size: Int64
            var seconds: Int
            var nanoseconds: Int
        }
        var known: [String: (stamp: Stamp, entry: OutboxEntry)] = [:]
        /// Files decoded since the index was made.
        public internal(set) var reads = 0

        public init() {}
    }

    /// The open entries, oldest first, reading only the files `index` does not know as
    /// they are now.
    public func open(reusing index: inout Index) -> (entries: [OutboxEntry], unreadable: [String]) {
        var entries: [OutboxEntry] = []
        var unreadable: [String] = []
        var seen: [String: (stamp: Index.Stamp, entry: OutboxEntry)] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        where name.hasSuffix(".json") && !AtomicFile.isTemporary(name) {
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let stamp = Index.Stamp(
                inode: UInt64(st.st_ino), size: Int64(st.st_size), seconds: st.st_mtim.tv_sec,
                nanoseconds: st.st_mtim.tv_nsec)
            if let known = index.known[name], known.stamp == stamp {
                seen[name] = known
                entries.append(known.entry)
                continue
            }
            do {
                index.reads += 1
                if let entry = try AtomicFile.readJSON(OutboxEntry.self, from: path) {
                    entries.append(entry)
                    seen[name] = (stamp, entry)
                }
            } catch {
                unreadable.append(name)
            }
        }
        index.known = seen
        return (entries.sorted { ($0.sequence, $0.id) < ($1.sequence, $1.id) }, unreadable)
    }

    /// The entries delivered (or given up) within the last day, by their files in `done/`
    /// (unreadable ones skipped): what `zerverless-gitops notifications` counts.
    public func done() -> [OutboxEntry] {
        ((try? FileManager.default.contentsOfDirectory(atPath: doneDir)) ?? []).filter {
            $0.hasSuffix(".json") && !AtomicFile.isTemporary($0)
        }.compactMap { try? AtomicFile.readJSON(OutboxEntry.self, from: doneDir + "/" + $0) }
    }

    /// The entry `id`, open or done (`done` true), or nil when there is none (yet).
    public func entry(_ id: String) -> (entry: OutboxEntry, done: Bool)? {
        if let open = try? AtomicFile.readJSON(OutboxEntry.self, from: file(id)) { return (open, false) }
        // `save` writes done/ before it removes the open file: once that is gone, done/ has it.
        if let done = try? AtomicFile.readJSON(OutboxEntry.self, from: doneDir + "/" + id + ".json") {
            return (done, true)
        }
        return nil
    }

    /// Forgets what was delivered more than a day ago.
    public func prune(now: Date) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: doneDir)) ?? [] {
            let path = doneDir + "/" + name
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) > Self.keep
            {
                unlink(path)
            }
        }
    }
}
