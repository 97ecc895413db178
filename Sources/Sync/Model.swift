import Manifest

/// Limits that keep one application from exhausting the agent or the target. Over a limit:
/// a clear error before any change is made.
public struct SyncLimits: Sendable, Hashable, Codable {
    public var codeFileBytes = 1 << 20
    public var staticFileBytes = 50 << 20
    public var staticTotalBytes = 1 << 30
    public var staticFiles = 20_000
    /// Bytes of one Docker build context (written to disk for the builder).
    public var buildContextBytes = 1 << 30

    public init() {}
}

/// Where in the sync a failure happened (the status document's `error.stage`).
public enum SyncStage: String, Sendable, Codable {
    case fetch, manifest, deploy, `static`, prune
}

/// A sync failure: what, where (file, line, column when it comes from a file), and whether
/// to retry (target down) or wait for the input to change (the manifest is wrong).
public struct SyncError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Retry: String, Sendable, Codable { case retryable, stalled }

    public var stage: SyncStage
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var retry: Retry

    public init(_ stage: SyncStage, _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil, retry: Retry = .stalled) {
        self.stage = stage
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.retry = retry
    }

    public var description: String {
        var place = ""
        if let file { place = file + (line.map { ":\($0)" } ?? "") + (column.map { ":\($0)" } ?? "") + ": " }
        return "\(place)\(stage.rawValue): \(message)"
    }
}

/// One function as the manifest wants it, with its code resolved to an id.
public struct FunctionSpec: Sendable, Hashable, Codable {
    public enum Code: Sendable, Hashable, Codable {
        case inline(String)
        /// A file of the application's folder (path relative to it) and its blob id.
        case blob(path: String, id: String)
        /// A Docker image to build: Dockerfile (path and blob id) and context folder,
        /// relative to the app folder.
        case docker(dockerfile: String, dockerfileID: String, context: String)
    }

    public var path: String
    public var runtime: AppManifest.Runtime
    public var code: Code
    /// Git blob id of the code (lua/python/js), or a digest of the Docker build inputs.
    public var codeID: String
    /// For docker: the image reference, derived from the build inputs.
    public var image: String?
    public var port: Int?
    /// Where the function is declared in zerverless.yaml.
    public var line: Int

    /// What a deployment is compared by.
    public var fingerprint: String {
        "\(runtime.rawValue)|\(codeID)|\(image ?? "")|\(port.map(String.init) ?? "")"
    }
}

/// One static file as the repository has it: published at `/static/NS/<path>`.
public struct StaticFileSpec: Sendable, Hashable, Codable {
    /// The blob whose bytes are published (a symlink's target, for links).
    public var id: String
    public var size: Int
}

/// Everything the application should have deployed at one commit.
public struct DesiredState: Sendable, Hashable {
    public var namespace: String
    public var commit: String
    public var functions: [FunctionSpec]
    /// Path inside static.dir -> file.
    public var files: [String: StaticFileSpec]
    public var staticDir: String?
    /// Things skipped that the status should show (directory symlinks, submodules).
    public var warnings: [String]

    public var staticBytes: Int { files.values.reduce(0) { $0 + $1.size } }
}

/// What an application has deployed: the only things it may ever delete. A record whose
/// fingerprint (or id) is nil was written before a target call that has not been
/// confirmed: its state on the target is unknown, so the next sync redoes it.
public struct Inventory: Sendable, Hashable, Codable {
    public struct Function: Sendable, Hashable, Codable {
        public var runtime: String
        public var codeID: String?
        public var image: String?
        public var port: Int?
        /// nil: a deploy was attempted and not confirmed.
        public var fingerprint: String?
        public var commit: String?
    }

    public struct File: Sendable, Hashable, Codable {
        /// nil: an upload was attempted and not confirmed.
        public var id: String?
        public var size: Int
    }

    public var namespace: String
    public var functions: [String: Function] = [:]
    public var files: [String: File] = [:]
    /// Set after a clean, complete sync; see `Synced`.
    public var synced: Synced?

    public init(namespace: String) {
        self.namespace = namespace
    }

    public var isEmpty: Bool { functions.isEmpty && files.isEmpty }

    /// Every record confirmed by the target.
    public var isConfirmed: Bool {
        functions.values.allSatisfy { $0.fingerprint != nil } && files.values.allSatisfy { $0.id != nil }
    }

    public static func read(_ path: String) throws -> Inventory? { try InventoryCodec.read(path) }
    public func write(to path: String) throws { try InventoryCodec.write(self, to: path) }
}

/// Who owns what in a namespace, from the other applications' inventories.
public struct Ownership: Sendable {
    public var functions: [String: String] = [:]
    public var files: [String: String] = [:]

    public init() {}

    public init(inventories: [String: Inventory], namespace: String, excluding app: String) {
        for (name, inventory) in inventories where name != app && inventory.namespace == namespace {
            for path in inventory.functions.keys { functions[path] = name }
            for path in inventory.files.keys { files[path] = name }
        }
    }
}
