import Foundation
import Manifest
import State
import Synchronization
import Toolkit

/// What one apply did.
public struct ApplyReport: Sendable {
    public var deployed: [String] = []
    public var undeployed: [String] = []
    public var uploaded = 0
    public var deletedFiles = 0
    /// Function path -> why it is not at its new version (syntax error, target failure,
    /// no Docker builder), as a failure with its stage (`deploy`, or `prune` for an
    /// undeploy) and whether a retry may fix it. The previous version stays deployed.
    public var functionFailures: [String: SyncError] = [:]
    /// Static file path -> why it is not uploaded or deleted (stage `static`).
    public var fileFailures: [String: SyncError] = [:]
    public var inventory: Inventory

    public var failed: Bool { !functionFailures.isEmpty || !fileFailures.isEmpty }
    /// Whether some failure was the target's (retry later) rather than the input's.
    public var retryable: Bool {
        functionFailures.values.contains { $0.retry == .retryable }
            || fileFailures.values.contains { $0.retry == .retryable }
    }
    /// The messages alone, by function path.
    public var functionErrors: [String: String] { functionFailures.mapValues(\.message) }
    /// The messages alone, by file path.
    public var fileErrors: [String: String] { fileFailures.mapValues(\.message) }
}

/// Builds Docker images for functions (docker, podman or buildah).
public protocol ImageBuilder: Sendable {
    /// Whether the image is already there (then it is not built again).
    func exists(_ image: String) async -> Bool
    /// Builds `image` from a Dockerfile and a context folder on disk, for a function of
    /// `namespace` (what the build may do depends on it).
    func build(image: String, dockerfile: String, context: String, namespace: String) async throws(TargetError)
    /// Where images are pushed (nil: they stay on this host, for a local engine).
    var registry: ImageRegistry? { get }
    /// Pushes `image` (already named for the registry) and returns its digest (`sha256:...`).
    func push(_ image: String) async throws(TargetError) -> String
}

extension ImageBuilder {
    public var registry: ImageRegistry? { nil }
    public func push(_ image: String) async throws(TargetError) -> String {
        throw TargetError("this builder cannot push images", retryable: false)
    }
}
