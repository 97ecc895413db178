import Foundation
import Manifest
import State
import Toolkit

/// The embedded target: plain folders, every file written atomically.
///
///     ROOT/functions/NAMESPACE/<path>.json   {runtime, code | image, port, app, commit}
///     ROOT/static/NAMESPACE/<path>
///
/// Every file is reached through `RootedFolder` (openat, no symlink followed, nothing
/// above ROOT), and every name is checked again here (defense in depth: the sync already
/// refused what git refuses).
public struct LocalTarget: DeployTarget {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    struct FunctionDocument: Codable {
        var runtime: String
        var code: String?
        var image: String?
        var port: Int?
        var app: String
        var commit: String
    }

    /// Where files are written before they are renamed into place: `ROOT/.tmp`, so that a
    /// crash never leaves a partial file among the published ones.
    public var temporaryDirectory: String { root + "/.tmp" }

    /// Removes what a crash left in the temporary folder (the daemon calls it at startup).
    @discardableResult
    public func removeStaleTemporaries() -> Int {
        AtomicFile.removeTemporaries(in: temporaryDirectory)
    }

    /// Where a function's document goes, relative to the root, as components:
    /// `functions/NS/<segments>.json`. The layout is injective (two function paths never
    /// share a file, and a file never stands where another path needs a folder): `%` is
    /// written `%25` in every segment, the last segment gets `.json`, and a folder segment
    /// that would end in `.json` has that dot written `%2E` (`/v1` -> `v1.json`,
    /// `/v1.json/users` -> `v1%2Ejson/users.json`).
    public static func functionComponents(namespace: String, path: String) throws(TargetError) -> [[UInt8]] {
        if let problem = Rules.dnsLabelProblem(namespace) {
            throw TargetError("refused namespace: \(problem)", retryable: false)
        }
        if let problem = Rules.functionPathProblem(path) {
            throw TargetError("refused unsafe function path: \(problem)", retryable: false)
        }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).replacingOccurrences(of: "%", with: "%25")
        }
        var out: [[UInt8]] = [Array("functions".utf8), Array(namespace.utf8)]
        for (i, segment) in segments.enumerated() {
            if i == segments.count - 1 {
                out.append(Array((segment + ".json").utf8))
            } else if segment.hasSuffix(".json") {
                out.append(Array((segment.dropLast(5) + "%2Ejson").utf8))
            } else {
                out.append(Array(segment.utf8))
            }
        }
        return out
    }

    /// `static/NS/<path>`, the path's bytes (it arrives in `RepoPath`'s escaped form), each
    /// component checked as git checks a working tree's names.
    public static func staticComponents(namespace: String, path: String) throws(TargetError) -> [[UInt8]] {
        if let problem = Rules.dnsLabelProblem(namespace) {
            throw TargetError("refused namespace: \(problem)", retryable: false)
        }
        if let problem = RepoPath.pathProblem(path) {
            throw TargetError("refused unsafe static path \"\(path)\": \(problem)", retryable: false)
        }
        return [Array("static".utf8), Array(namespace.utf8)]
            + RepoPath.unescape(path).split(separator: UInt8(ascii: "/")).map(Array.init)
    }

    var folder: RootedFolder { RootedFolder(root: root) }
    static let temporary: [[UInt8]] = [Array(".tmp".utf8)]

    public func deploy(_ request: DeployRequest) async throws(TargetError) {
        let components = try Self.functionComponents(namespace: request.namespace, path: request.path)
        let docker = request.runtime == .docker
        let doc = FunctionDocument(
            runtime: request.runtime.rawValue, code: docker ? nil : request.code,
            image: docker ? request.code : nil, port: docker ? (request.port ?? 80) : nil,
            app: request.app, commit: request.commit)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try folder.write(Array(try encoder.encode(doc)), at: components, temporary: Self.temporary)
        } catch {
            throw TargetError("\(error)", retryable: true)
        }
    }

    public func undeploy(namespace: String, path: String) async throws(TargetError) {
        let components = try Self.functionComponents(namespace: namespace, path: path)
        do { try folder.remove(at: components, keep: 2) } catch { throw TargetError("\(error)", retryable: true) }
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        let components = try Self.staticComponents(namespace: namespace, path: path)
        do {
            try folder.write(bytes, at: components, temporary: Self.temporary)
        } catch {
            throw TargetError("\(error)", retryable: !error.refused)
        }
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        let components = try Self.staticComponents(namespace: namespace, path: path)
        do { try folder.remove(at: components, keep: 2) } catch { throw TargetError("\(error)", retryable: true) }
    }
}
