import Foundation
import Manifest
import Synchronization

/// One function deployment as a target receives it.
public struct DeployRequest: Sendable, Hashable {
    public var namespace: String
    public var path: String
    public var runtime: AppManifest.Runtime
    /// The code (lua, python, js) or the image reference (docker).
    public var code: String
    /// docker only.
    public var port: Int?
    public var app: String
    public var commit: String

    public init(
        namespace: String, path: String, runtime: AppManifest.Runtime, code: String, port: Int?, app: String,
        commit: String
    ) {
        self.namespace = namespace
        self.path = path
        self.runtime = runtime
        self.code = code
        self.port = port
        self.app = app
        self.commit = commit
    }
}

/// A failed target call. 404 on a delete is not an error (already gone).
public struct TargetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Connection errors and 5xx: retry later. 4xx: the request itself is wrong.
    public var retry: Retry

    public var retryable: Bool { retry == .retryable }

    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.retry = retryable ? .retryable : .stalled
    }

    public var description: String { message }
}

/// Where functions and static files go: the orchestrator's HTTP API, or local folders.
public protocol DeployTarget: Sendable {
    func deploy(_ request: DeployRequest) async throws(TargetError)
    func undeploy(namespace: String, path: String) async throws(TargetError)
    func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError)
    func deleteFile(namespace: String, path: String) async throws(TargetError)
}

/// Counts the calls made to a target, by kind: the benchmark's and the tests' witness that
/// an unchanged commit costs zero calls.
public final class CountingTarget: DeployTarget {
    public struct Counts: Sendable, Hashable {
        public var deploy = 0, undeploy = 0, upload = 0, deleteFile = 0
        public var total: Int { deploy + undeploy + upload + deleteFile }
    }

    public let inner: any DeployTarget
    private let state = Mutex(Counts())

    public init(_ inner: any DeployTarget) {
        self.inner = inner
    }

    public var counts: Counts { state.withLock { $0 } }

    public func reset() { state.withLock { $0 = Counts() } }

    public func deploy(_ request: DeployRequest) async throws(TargetError) {
        state.withLock { $0.deploy += 1 }
        try await inner.deploy(request)
    }

    public func undeploy(namespace: String, path: String) async throws(TargetError) {
        state.withLock { $0.undeploy += 1 }
        try await inner.undeploy(namespace: namespace, path: path)
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        state.withLock { $0.upload += 1 }
        try await inner.upload(namespace: namespace, path: path, bytes: bytes)
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        state.withLock { $0.deleteFile += 1 }
        try await inner.deleteFile(namespace: namespace, path: path)
    }
}
