import Foundation
import GitSource
import Manifest
import State
import Synchronization

/// One sync of one application at one commit, from a fetched cache: read the manifest from
/// the object database, resolve the desired state from the tree, plan against the
/// inventory, apply. No file of the checkout is read.
public struct SyncEngine: Sendable {
    public var target: any DeployTarget
    public var limits = SyncLimits()
    public var checker: CodeChecker?
    public var builder: (any ImageBuilder)?
    public var parallelism = 8

    public init(target: any DeployTarget, limits: SyncLimits = SyncLimits(), checker: CodeChecker? = nil, builder: (any ImageBuilder)? = nil) {
        self.target = target
        self.limits = limits
        self.checker = checker
        self.builder = builder
    }

    public struct Input: Sendable {
        public var app: String
        public var namespace: String
        public var policy: Registration.SyncPolicy
        public var commit: String
        /// The application's folder in the repository (registration `source.path`).
        public var folder: String
        public var inventoryFile: String
        public var others: Ownership

        public init(app: String, namespace: String, policy: Registration.SyncPolicy, commit: String, folder: String = ".",
                    inventoryFile: String, others: Ownership = Ownership()) {
            self.app = app
            self.namespace = namespace
            self.policy = policy
            self.commit = commit
            self.folder = folder
            self.inventoryFile = inventoryFile
            self.others = others
        }
    }

    public struct Outcome: Sendable {
        public var manifest: AppManifest?
        public var desired: DesiredState?
        public var plan: Plan?
        public var report: ApplyReport?
        /// Errors that stopped the sync before any change (manifest, limits, guards).
        public var errors: [SyncError] = []
        /// Diagnostics of an invalid zerverless.yaml.
        public var diagnostics: [Diagnostic] = []
    }

    /// Computes what the sync would do, without applying it (`plan`).
    public func plan(_ input: Input, snapshot: Snapshot) -> Outcome {
        var outcome = Outcome()
        let tree: [TreeEntry]
        do {
            tree = try snapshot.list(commit: input.commit, path: input.folder)
        } catch {
            outcome.errors = [SyncError(.manifest, error.description)]
            return outcome
        }
        guard let manifestEntry = tree.first(where: { $0.path == AppManifest.fileName }) else {
            outcome.errors = [SyncError(.manifest, "\(input.folder == "." ? "" : input.folder + "/")\(AppManifest.fileName) not found at commit \(input.commit.prefix(12)); add it or fix spec.source.path", file: AppManifest.fileName)]
            return outcome
        }
        let manifestFile = input.folder == "." ? AppManifest.fileName : "\(input.folder)/\(AppManifest.fileName)"
        if manifestEntry.kind == .symlink || manifestEntry.size > (1 << 20) {
            outcome.errors = [SyncError(.manifest, manifestEntry.kind == .symlink ? "zerverless.yaml is a symlink; it must be a file" : "zerverless.yaml is \(manifestEntry.size) bytes, over the limit of 1 MiB", file: manifestFile)]
            return outcome
        }
        let bytes: [UInt8]
        do {
            bytes = try snapshot.blob(manifestEntry.id)
        } catch {
            outcome.errors = [SyncError(.manifest, error.description, file: manifestFile)]
            return outcome
        }
        switch Validator.manifest(bytes, file: manifestFile) {
        case .failure(let failure):
            outcome.diagnostics = failure.diagnostics
            outcome.errors = failure.diagnostics.map {
                SyncError(.manifest, ($0.field.map { "\($0): " } ?? "") + $0.message, file: $0.file, line: $0.line, column: $0.column)
            }
            return outcome
        case .success(let manifest):
            outcome.manifest = manifest
        }
        switch DesiredBuilder.build(manifest: outcome.manifest!, namespace: input.namespace, commit: input.commit, tree: tree, limits: limits) {
        case .failure(let errors):
            outcome.errors = errors.errors
            return outcome
        case .success(let desired):
            outcome.desired = desired
        }
        let inventory: Inventory
        do {
            inventory = try AtomicFile.readJSON(Inventory.self, from: input.inventoryFile) ?? Inventory(namespace: input.namespace)
        } catch {
            outcome.errors = [SyncError(.deploy, "\(error)", retry: .retryable)]
            return outcome
        }
        switch Planner.plan(outcome.desired!, inventory: inventory, policy: input.policy, others: input.others) {
        case .failure(let error): outcome.errors = [error]
        case .success(let plan): outcome.plan = plan
        }
        return outcome
    }

    /// Plans and applies.
    public func sync(_ input: Input, snapshot: Snapshot) async -> Outcome {
        var outcome = plan(input, snapshot: snapshot)
        guard let plan = outcome.plan, let desired = outcome.desired else { return outcome }
        let inventory = (try? AtomicFile.readJSON(Inventory.self, from: input.inventoryFile)) ?? Inventory(namespace: input.namespace)
        let lock = Mutex(())
        let file = input.inventoryFile
        var applier = Applier(app: input.app, target: target,
                              save: { try AtomicFile.writeJSON($0, to: file) },
                              // libgit2 reads of one repository are serialized; uploads run in parallel.
                              content: { id in try lock.withLock { _ in try snapshot.blob(id) } },
                              checker: checker, builder: builder)
        applier.parallelism = parallelism
        outcome.report = await applier.apply(plan, desired: desired, inventory: inventory)
        return outcome
    }
}
