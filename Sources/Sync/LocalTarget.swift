import Foundation
import Manifest
import State

/// The embedded target: plain folders, every file written atomically.
///
///     ROOT/functions/NAMESPACE/<path>.json   {runtime, code | image, port, app, commit}
///     ROOT/static/NAMESPACE/<path>
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

    public func functionFile(namespace: String, path: String) throws(TargetError) -> String {
        try checked(namespace, path)
        return "\(root)/functions/\(namespace)\(path).json"
    }

    public func staticFile(namespace: String, path: String) throws(TargetError) -> String {
        try checked(namespace, "/" + path)
        return "\(root)/static/\(namespace)/\(path)"
    }

    /// Defense in depth: the models already refuse these, the target refuses them again.
    private func checked(_ namespace: String, _ path: String) throws(TargetError) {
        if Rules.dnsLabelProblem(namespace) != nil || path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) || path.contains("//") || path.utf8.contains(0) {
            throw TargetError("refused unsafe path \(namespace)\(path)", retryable: false)
        }
    }

    public func deploy(_ request: DeployRequest) async throws(TargetError) {
        let file = try functionFile(namespace: request.namespace, path: request.path)
        let docker = request.runtime == .docker
        let doc = FunctionDocument(runtime: request.runtime.rawValue, code: docker ? nil : request.code,
                                   image: docker ? request.code : nil, port: docker ? (request.port ?? 80) : nil,
                                   app: request.app, commit: request.commit)
        do {
            try AtomicFile.writeJSON(doc, to: file, temporaryDirectory: temporaryDirectory)
        } catch {
            throw TargetError("\(error)", retryable: true)
        }
    }

    public func undeploy(namespace: String, path: String) async throws(TargetError) {
        let file = try functionFile(namespace: namespace, path: path)
        try remove(file, stopAt: "\(root)/functions/\(namespace)")
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        let file = try staticFile(namespace: namespace, path: path)
        do {
            try AtomicFile.write(bytes, to: file, temporaryDirectory: temporaryDirectory)
        } catch {
            throw TargetError("\(error)", retryable: true)
        }
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        let file = try staticFile(namespace: namespace, path: path)
        try remove(file, stopAt: "\(root)/static/\(namespace)")
    }

    /// Removes a file (already gone is fine) and the folders it leaves empty.
    private func remove(_ file: String, stopAt top: String) throws(TargetError) {
        if unlink(file) != 0 && errno != ENOENT {
            throw TargetError("cannot remove \(file): \(String(cString: strerror(errno)))", retryable: true)
        }
        var dir = (file as NSString).deletingLastPathComponent
        while dir.count > top.count && dir.hasPrefix(top) && rmdir(dir) == 0 {
            dir = (dir as NSString).deletingLastPathComponent
        }
    }
}
