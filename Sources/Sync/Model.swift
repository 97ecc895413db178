import Manifest
import State
import Toolkit

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
public typealias SyncStage = StatusDocument.Stage

/// A sync failure: what, where (file, line, column when it comes from a file), and whether
/// to retry (target down) or wait for the input to change (the manifest is wrong).
public struct SyncError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public typealias Retry = Manifest.Retry

    public var stage: SyncStage
    public var message: String
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var retry: Retry

    public init(
        _ stage: SyncStage, _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil,
        retry: Retry = .stalled
    ) {
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
    /// Where its inline code is in zerverless.yaml.
    public var codePlace: AppManifest.CodePlace? = nil

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
}
