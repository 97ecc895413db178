import Foundation
import GitSource
import Manifest
import State
import Toolkit

/// A function as a target holds it, or as a sync would deploy it: what `diff` compares.
public struct FunctionContent: Sendable, Hashable {
    public var runtime: String
    /// The code (lua, python, js), or the image reference (docker).
    public var code: String
    /// docker only.
    public var port: Int?

    public init(runtime: String, code: String, port: Int?) {
        self.runtime = runtime
        self.code = code
        self.port = port
    }
}

/// A static file's content: its git blob id and size at hand, its bytes when asked.
public struct FileContent: Sendable {
    public var id: String
    public var size: Int
    public var bytes: @Sendable () throws -> [UInt8]

    public init(id: String, size: Int, bytes: @escaping @Sendable () throws -> [UInt8]) {
        self.id = id
        self.size = size
        self.bytes = bytes
    }

    /// Bytes already read (from a target).
    public init(bytes: [UInt8]) {
        self.init(id: GitHash.blobID(bytes), size: bytes.count, bytes: { bytes })
    }
}

/// One side of `diff`: a target's published content read back, or a commit's.
public protocol ContentSource: Sendable {
    /// The function at `path` of `namespace`, nil when there is none.
    func function(namespace: String, path: String) async throws(TargetError) -> FunctionContent?
    /// The static file at `path` (`RepoPath`'s escaped form), nil when there is none.
    func file(namespace: String, path: String) async throws(TargetError) -> FileContent?
}

extension LocalTarget: ContentSource {
    public func function(namespace: String, path: String) async throws(TargetError) -> FunctionContent? {
        let components = try Self.functionComponents(namespace: namespace, path: path)
        let bytes: [UInt8]?
        do { bytes = try folder.read(at: components) } catch { throw TargetError("\(error)", retryable: true) }
        guard let bytes else { return nil }
        guard let doc = try? JSONDecoder().decode(FunctionDocument.self, from: Data(bytes)) else {
            // Not a document the agent wrote: shown as it is.
            return FunctionContent(runtime: "?", code: String(decoding: bytes, as: UTF8.self), port: nil)
        }
        return FunctionContent(runtime: doc.runtime, code: doc.code ?? doc.image ?? "", port: doc.port)
    }

    public func file(namespace: String, path: String) async throws(TargetError) -> FileContent? {
        let components = try Self.staticComponents(namespace: namespace, path: path)
        do { return try folder.read(at: components).map(FileContent.init(bytes:)) } catch {
            throw TargetError("\(error)", retryable: true)
        }
    }
}

/// The orchestrator's content: its deployment list (`GET /api/deploy`, every namespace's
/// code at once, read when this is made) and one `GET /api/storage/NS/PATH` per file.
public struct HTTPContentSource: ContentSource {
    public let target: HTTPTarget
    let deployments: [String: HTTPTarget.Deployment]

    public init(target: HTTPTarget) async throws(TargetError) {
        self.target = target
        var map: [String: HTTPTarget.Deployment] = [:]
        for d in try await target.listDeployments() { map[d.user + d.path] = d }
        deployments = map
    }

    public func function(namespace: String, path: String) async throws(TargetError) -> FunctionContent? {
        deployments[namespace + path].map {
            FunctionContent(runtime: $0.runtime.isEmpty ? "lua" : $0.runtime, code: $0.code, port: $0.port)
        }
    }

    public func file(namespace: String, path: String) async throws(TargetError) -> FileContent? {
        try await target.readFile(namespace: namespace, path: path).map(FileContent.init(bytes:))
    }
}

/// Nothing deployed (no sync has succeeded yet).
public struct NoContent: ContentSource {
    public init() {}
    public func function(namespace: String, path: String) -> FunctionContent? { nil }
    public func file(namespace: String, path: String) -> FileContent? { nil }
}

/// What a commit deploys: its desired state, code and files read from the object database.
/// `@unchecked`: a `Snapshot` is one libgit2 handle, read here from one task at a time.
public struct CommitContent: ContentSource, @unchecked Sendable {
    public let desired: DesiredState
    let snapshot: Snapshot
    let functions: [String: FunctionSpec]

    public init(desired: DesiredState, snapshot: Snapshot) {
        self.desired = desired
        self.snapshot = snapshot
        functions = Dictionary(desired.functions.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func function(namespace: String, path: String) throws(TargetError) -> FunctionContent? {
        guard namespace == desired.namespace, let spec = functions[path] else { return nil }
        do {
            return FunctionContent(
                runtime: spec.runtime.rawValue, code: try spec.deployedCode { id in try snapshot.blob(id) },
                port: spec.runtime == .docker ? spec.port ?? 80 : nil)
        } catch {
            throw TargetError("\(error)", retryable: false)
        }
    }

    public func file(namespace: String, path: String) -> FileContent? {
        guard namespace == desired.namespace, let spec = desired.files[path] else { return nil }
        let snapshot = self.snapshot
        return FileContent(id: spec.id, size: spec.size, bytes: { try snapshot.blob(spec.id) })
    }
}

extension FunctionSpec {
    /// What the target receives as `code`: the inline code, the code file's text (it must
    /// be UTF-8), or the image reference.
    public func deployedCode(_ content: (String) throws -> [UInt8]) throws -> String {
        switch code {
        case .inline(let text): return text
        case .blob(let path, let id):
            let bytes: [UInt8]
            do { bytes = try content(id) } catch { throw CodeProblem("cannot read codeFile \(path): \(error)") }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CodeProblem("codeFile \(path) is not UTF-8 text")
            }
            return text
        case .docker: return image ?? ""
        }
    }
}

/// Why a function's code cannot be had.
public struct CodeProblem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
