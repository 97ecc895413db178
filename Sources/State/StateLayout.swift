import Foundation

/// The file layout under the state dir (default `/var/lib/zerverless-gitops`).
///
///     apps/NAME/status.json        the status document (interface section 4)
///     apps/NAME/inventory          what the application has deployed (Sync's format)
///     apps/NAME/history.json       the last successful sync's key and the last attempts
///     requests/NAME.sync           a sync request (anyone may create it)
///     cache/<repo>-<hash>.git      shared bare fetch caches
///     published/                   the local target's output
public struct StateLayout: Sendable, Hashable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public static let defaultRoot = "/var/lib/zerverless-gitops"

    public var appsDir: String { root + "/apps" }
    public var requestsDir: String { root + "/requests" }
    public var cacheDir: String { root + "/cache" }
    public var publishedDir: String { root + "/published" }
    /// Held while the apps dir is checked and written (the REST API's registrations).
    public var appsDirLock: String { root + "/locks/apps-dir.lock" }

    public func appDir(_ name: String) -> String { appsDir + "/" + name }
    public func statusFile(_ name: String) -> String { appDir(name) + "/status.json" }
    public func inventoryFile(_ name: String) -> String { appDir(name) + "/inventory" }
    public func historyFile(_ name: String) -> String { appDir(name) + "/history.json" }
    public func requestFile(_ name: String) -> String { requestsDir + "/" + name + ".sync" }

    /// Removes an application's state folder (after its undeploy).
    public func removeApp(_ name: String) {
        defer { StatusGeneration.bump() }
        try? FileManager.default.removeItem(atPath: appDir(name))
    }

    public func readHistory(_ name: String) -> SyncHistory {
        (try? AtomicFile.readJSON(SyncHistory.self, from: historyFile(name))) ?? SyncHistory()
    }

    public func writeHistory(_ history: SyncHistory, of name: String) throws {
        try AtomicFile.writeJSON(history, to: historyFile(name))
    }

    /// Every application that has a status document, by name.
    public func applications() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: appsDir)) ?? []
        return names.filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: statusFile($0)) }.sorted()
    }

    public func readStatus(_ name: String) throws -> StatusDocument? {
        try AtomicFile.readJSON(StatusDocument.self, from: statusFile(name))
    }

    public func writeStatus(_ status: StatusDocument, durable: Bool = true) throws {
        defer { StatusGeneration.bump() }
        try AtomicFile.write(status.jsonBytes(), to: statusFile(status.name), durable: durable)
    }
}

/// The status document of one application (`apps/NAME/status.json`), as interface section 4
/// defines it. `lastSync` and `source.commit` always describe the last successful sync.
public struct StatusDocument: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable, CaseIterable {
        case pending, syncing, synced, error, invalid, suspended, deleting
    }

    public struct Source: Sendable, Hashable, Codable {
        public var repoURL: String
        public var branch: String
        public var path: String
        public var commit: String?

        public init(repoURL: String, branch: String, path: String, commit: String? = nil) {
            self.repoURL = repoURL
            self.branch = branch
            self.path = path
            self.commit = commit
        }
    }

    public struct Failure: Sendable, Hashable, Codable {
        public var stage: String
        public var message: String
        public var file: String?
        public var line: Int?
        public var column: Int?

        public init(stage: String, message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
            self.stage = stage
            self.message = message
            self.file = file
            self.line = line
            self.column = column
        }
    }

    public struct Function: Sendable, Hashable, Codable {
        public var path: String
        public var runtime: String
        public var url: String
        public var state: String
        public var message: String?

        public init(path: String, runtime: String, url: String, state: String, message: String? = nil) {
            self.path = path
            self.runtime = runtime
            self.url = url
            self.state = state
            self.message = message
        }
    }

    public struct Static: Sendable, Hashable, Codable {
        public var dir: String
        public var files: Int
        public var bytes: Int

        public init(dir: String, files: Int, bytes: Int) {
            self.dir = dir
            self.files = files
            self.bytes = bytes
        }
    }

    public var name: String
    public var namespace: String
    public var source: Source
    public var lastSync: Date?
    public var status: Phase
    public var message: String?
    public var lastAttempt: Date?
    public var nextSync: Date?
    public var error: Failure?
    public var functions: [Function]
    public var `static`: Static?
    public var registrationFile: String?

    public init(name: String, namespace: String, source: Source, status: Phase, message: String? = nil,
                lastSync: Date? = nil, lastAttempt: Date? = nil, nextSync: Date? = nil, error: Failure? = nil,
                functions: [Function] = [], static: Static? = nil, registrationFile: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.source = source
        self.status = status
        self.message = message
        self.lastSync = lastSync
        self.lastAttempt = lastAttempt
        self.nextSync = nextSync
        self.error = error
        self.functions = functions
        self.static = `static`
        self.registrationFile = registrationFile
    }
}

/// `apps/NAME/history.json`: what the daemon needs to resume after a restart without
/// redeploying (the last successful sync: commit and the digest of everything it
/// depended on), and the last attempts, newest first, for operators.
public struct SyncHistory: Sendable, Hashable, Codable {
    public struct Success: Sendable, Hashable, Codable {
        public var commit: String
        /// Digest of the registration, limits and target the sync was made with.
        public var key: String
        public var at: Date

        public init(commit: String, key: String, at: Date) {
            self.commit = commit
            self.key = key
            self.at = at
        }
    }

    public struct Attempt: Sendable, Hashable, Codable {
        public var at: Date
        public var trigger: String
        public var commit: String?
        /// synced, unchanged, error, invalid, undeployed.
        public var result: String
        public var durationMs: Int
        public var targetCalls: Int
        public var message: String?

        public init(at: Date, trigger: String, commit: String?, result: String, durationMs: Int, targetCalls: Int, message: String?) {
            self.at = at
            self.trigger = trigger
            self.commit = commit
            self.result = result
            self.durationMs = durationMs
            self.targetCalls = targetCalls
            self.message = message
        }
    }

    public static let limit = 20

    public var lastSuccess: Success?
    /// The key and commit of the last attempt that failed for a reason only a change of
    /// input can fix (invalid manifest, syntax error): not retried until one changes.
    public var stalled: Success?
    public var attempts: [Attempt] = []

    public init() {}

    public mutating func record(_ attempt: Attempt) {
        attempts.insert(attempt, at: 0)
        if attempts.count > Self.limit { attempts.removeLast(attempts.count - Self.limit) }
    }
}
