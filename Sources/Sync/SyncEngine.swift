import Foundation
import GitSource
import Manifest
import State
import Synchronization
import Toolkit

/// One sync of one application at one commit, from a fetched cache: read the manifest from
/// the object database, resolve the desired state from the tree, plan against the
/// inventory, apply. No file of the checkout is read.
public struct SyncEngine: Sendable {
    public var target: any DeployTarget
    public var limits = SyncLimits()
    public var checker: CodeChecker?
    public var builder: (any ImageBuilder)?
    public var parallelism = 8
    /// The daemon's per-namespace locks: planning and claiming paths are atomic across the
    /// syncs of one namespace. nil (a one-off plan, a test): no other sync runs.
    public var locks: NamespaceLocks?
    /// Where the blocking parts (libgit2 reads, file writes, syntax checks) run; nil: on
    /// the caller's thread (a one-off plan, a test).
    public var pool: BlockingPool?
    /// The daemon's index of who owns what in which namespace: told when this sync's
    /// inventory changes namespace or claims its first paths (under the namespace's lock).
    public var index: InventoryIndex?
    /// Told how far the apply is (the status's `progress` while syncing).
    public var progress: ApplyProgress?

    public init(
        target: any DeployTarget, limits: SyncLimits = SyncLimits(), checker: CodeChecker? = nil,
        builder: (any ImageBuilder)? = nil
    ) {
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
        /// An application set's `pathPrefix` (`/preview/feat-x`): where every function
        /// path and static file goes; nil: where the manifest says.
        public var pathPrefix: String?
        public var others: Ownership
        /// Reads what the other applications of the namespace own, when the sync plans
        /// (under the namespace's lock); replaces `others`.
        public var ownership: (@Sendable () -> Ownership)?

        public init(
            app: String, namespace: String, policy: Registration.SyncPolicy, commit: String, folder: String = ".",
            inventoryFile: String, others: Ownership = Ownership(), ownership: (@Sendable () -> Ownership)? = nil,
            pathPrefix: String? = nil
        ) {
            self.pathPrefix = pathPrefix
            self.app = app
            self.namespace = namespace
            self.policy = policy
            self.commit = commit
            self.folder = folder
            self.inventoryFile = inventoryFile
            self.others = others
            self.ownership = ownership
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
        /// The inventory the plan was made against (after apply: as saved).
        public var inventory: Inventory?
        /// How the plan was made: `unchanged` (same folder tree as the last clean sync),
        /// `treeDiff` (only plain static files changed), or `full`.
        public var path: PlanPath = .full
        /// The application folder's tree id at this commit.
        public var folderTree: String?
        /// Paths functions and static symlinks read (for the next sync's fast path).
        var referenced: [String] = []
        /// The application was in another namespace: what it had deployed there, which the
        /// sync undeploys (in that namespace) before deploying anything in the new one.
        public var movedFrom: Inventory?
    }

    public enum PlanPath: String, Sendable { case unchanged, treeDiff, full }

    /// Policy, limits and an application set's path prefix, as compared by the fast paths
    /// (a prefix that changes moves everything: a full plan).
    func settings(_ policy: Registration.SyncPolicy, pathPrefix: String? = nil) -> String {
        "prune=\(policy.prune) allowEmpty=\(policy.allowEmpty) limits=\(limits.codeFileBytes),\(limits.staticFileBytes),\(limits.staticTotalBytes),\(limits.staticFiles)"
            + (pathPrefix.map { " prefix=\($0)" } ?? "")
    }

    /// Computes what the sync would do, without applying it (`plan`). Without the fast
    /// paths the desired state is always built (`diff` needs it whole).
    public func plan(_ input: Input, snapshot: Snapshot, fastPaths: Bool = true) -> Outcome {
        var outcome = Outcome()
        var inventory: Inventory
        do {
            inventory = try Inventory.read(input.inventoryFile) ?? Inventory(namespace: input.namespace)
        } catch {
            outcome.errors = [SyncError(.deploy, "\(error)", retry: .retryable)]
            return outcome
        }
        outcome.inventory = inventory
        if inventory.namespace != input.namespace {
            // What another namespace's application left (a move, or a name reused after
            // a removal) is never planned against nor recorded under this namespace.
            if !inventory.isEmpty { outcome.movedFrom = inventory }
            inventory = Inventory(namespace: input.namespace)
            outcome.inventory = inventory
        }
        let folder = RepoPath.escape(text: input.folder)
        outcome.folderTree = try? snapshot.treeID(commit: input.commit, path: folder)
        // Fast paths: the same folder tree as the last clean sync costs nothing; plain
        // static file changes are planned from a tree diff.
        if fastPaths, let synced = inventory.synced,
            synced.settings == settings(input.policy, pathPrefix: input.pathPrefix), inventory.isConfirmed,
            inventory.namespace == input.namespace, let tree = outcome.folderTree
        {
            if synced.tree == tree {
                var plan = Plan()
                plan.unchangedFunctions = inventory.functions.count
                plan.unchangedFiles = inventory.files.count
                outcome.plan = plan
                outcome.path = .unchanged
                outcome.referenced = synced.referenced
                return outcome
            }
            if let changes = try? snapshot.changes(from: synced.tree, to: tree),
                let plan = incrementalPlan(
                    changes, synced: synced, inventory: inventory, policy: input.policy, pathPrefix: input.pathPrefix)
            {
                outcome.plan = plan
                outcome.path = .treeDiff
                outcome.referenced = synced.referenced
                return outcome
            }
        }
        return fullPlan(input, snapshot: snapshot, inventory: inventory, outcome: outcome)
    }

    /// What `sync` would do, without doing it (`plan`): the same plan, and each function
    /// prepared as the apply prepares it (code read, syntax checked); what would fail is in
    /// `report.functionErrors`. No target call, no inventory write.
    public func preview(_ input: Input, snapshot: Snapshot, fastPaths: Bool = true) -> Outcome {
        var input = input
        if let ownership = input.ownership { input.others = ownership() }
        var outcome = plan(input, snapshot: snapshot, fastPaths: fastPaths)
        guard let plan = outcome.plan, let inventory = outcome.inventory else { return outcome }
        let applier = Applier(
            app: input.app, target: target, save: { _ in }, content: { id in try snapshot.blob(id) },
            checker: checker, builder: builder)
        var report = ApplyReport(inventory: inventory)
        for change in plan.functions where change.action != .delete {
            guard let spec = change.spec else { continue }
            if case .failure(let problem) = applier.prepare(
                spec, namespace: input.namespace, commit: input.commit,
                deployed: inventory.functions[spec.path]?.fingerprint != nil)
            {
                report.functionFailures[spec.path] = SyncError(.deploy, problem.message)
            }
        }
        outcome.report = report
        return outcome
    }

    /// Plans and applies. After a clean, complete apply the inventory records the folder
    /// tree (for the fast paths); before any change it drops that record.
    public func sync(_ input: Input, snapshot: Snapshot) async -> Outcome {
        // An application that was in another namespace is undeployed there first (under
        // that namespace's lock), so that nothing stays owned by nobody.
        if let old = try? Inventory.read(input.inventoryFile), old.namespace != input.namespace, !old.isEmpty {
            // Only for a sync that can go ahead: an invalid manifest in the new namespace
            // leaves what is deployed in the old one as it is.
            let probe = await offload { plan(input, snapshot: snapshot) }
            if !probe.errors.isEmpty || probe.plan == nil { return probe }
            guard
                let report = await withLock(
                    old.namespace,
                    {
                        await undeployAll(app: input.app, inventory: old, inventoryFile: input.inventoryFile)
                    })
            else { return Self.cancelledOutcome }
            if let report, report.failed {
                var outcome = Outcome()
                outcome.movedFrom = old
                let first =
                    (report.functionErrors.sorted { $0.key < $1.key } + report.fileErrors.sorted { $0.key < $1.key })
                    .first
                outcome.errors = [
                    SyncError(
                        .prune,
                        "the application moved from namespace \(old.namespace); undeploying it there failed: \(first.map { "\($0.key): \($0.value)" } ?? "")",
                        retry: report.retryable ? .retryable : .stalled)
                ]
                return outcome
            }
            do {
                let file = input.inventoryFile
                let namespace = input.namespace
                try await offload { () throws -> Void in try Inventory(namespace: namespace).write(to: file) }
                index?.note(input.app, namespace: namespace)
            } catch {
                var outcome = Outcome()
                outcome.errors = [SyncError(.deploy, "\(error)", retry: .retryable)]
                return outcome
            }
        }
        // Plan and claim under the namespace's lock: the paths this sync creates are
        // recorded (unconfirmed) before another sync of the namespace plans.
        let locked = await withLock(input.namespace) { () -> Outcome in
            var input = input
            if let ownership = input.ownership { input.others = ownership() }
            let planned = input
            var outcome = await offload { plan(planned, snapshot: snapshot) }
            if var inventory = outcome.inventory, let plan = outcome.plan, outcome.path != .unchanged {
                var claimed = false
                for change in plan.functions where change.action == .create {
                    inventory.functions[change.path] = Inventory.Function(
                        runtime: change.spec?.runtime.rawValue ?? "", codeID: nil, image: nil,
                        port: nil, fingerprint: nil, commit: input.commit)
                    claimed = true
                }
                for change in plan.files where change.action == .create {
                    inventory.files[change.path] = Inventory.File(id: nil, size: change.spec?.size ?? 0)
                    claimed = true
                }
                if claimed {
                    // On disk the fast-path marker goes (the apply is under way); the
                    // outcome keeps it for the apply's own bookkeeping.
                    var onDisk = inventory
                    onDisk.synced = nil
                    do {
                        let file = input.inventoryFile
                        let claimed = onDisk
                        try await offload { () throws -> Void in try claimed.write(to: file) }
                        index?.note(input.app, namespace: input.namespace)
                        outcome.inventory = inventory
                    } catch {
                        outcome.plan = nil
                        outcome.errors = [SyncError(.deploy, "\(error)", retry: .retryable)]
                    }
                }
            }
            return outcome
        }
        guard var outcome = locked else { return Self.cancelledOutcome }
        guard let plan = outcome.plan, let inventory = outcome.inventory else { return outcome }
        if outcome.path == .unchanged { return outcome }
        let file = input.inventoryFile
        let wasSynced = inventory.synced
        let lock = Mutex(())
        var applier = Applier(
            app: input.app, target: target,
            save: { try $0.write(to: file) },
            // libgit2 reads of one repository are serialized; uploads run in parallel.
            content: { id in try lock.withLock { _ in try snapshot.blob(id) } },
            checker: checker, builder: builder)
        applier.parallelism = parallelism
        applier.pool = pool
        applier.progress = progress
        let folder = RepoPath.escape(text: input.folder)
        let commit = input.commit
        applier.export = { path, dir in
            let full = folder == "." ? path : (path == "." ? folder : folder + "/" + path)
            try lock.withLock { _ in _ = try snapshot.export(commit: commit, path: full, to: dir) }
        }
        let desired =
            outcome.desired
            ?? DesiredState(
                namespace: input.namespace, commit: input.commit, functions: [], files: [:],
                staticDir: wasSynced?.staticDir, warnings: [])
        var marker: Inventory.Synced?
        if let tree = outcome.folderTree {
            marker = Inventory.Synced(
                commit: input.commit, tree: tree, settings: settings(input.policy, pathPrefix: input.pathPrefix),
                staticDir: outcome.manifest?.staticFiles.map { RepoPath.escape(text: $0.dir) } ?? wasSynced?.staticDir
                    ?? "",
                referenced: outcome.referenced)
        }
        let report = await applier.apply(plan, desired: desired, inventory: inventory, marker: marker)
        outcome.inventory = report.inventory
        outcome.report = report
        return outcome
    }

}

extension SyncEngine.Outcome {
    /// An outcome that stopped before the plan (a signature that does not verify, say).
    public static func stopped(_ errors: [SyncError]) -> SyncEngine.Outcome {
        var outcome = SyncEngine.Outcome()
        outcome.errors = errors
        return outcome
    }
}
