import Foundation
import GitSource
import Manifest
import State
import Synchronization
import Toolkit

/// The full plan: the desired state built from the whole tree and diffed against the
/// inventory (the fast path's fallback).
extension SyncEngine {
    func fullPlan(_ input: Input, snapshot: Snapshot, inventory: Inventory, outcome start: Outcome) -> Outcome {
        var outcome = start
        let tree: [TreeEntry]
        do {
            tree = try snapshot.list(commit: input.commit, path: RepoPath.escape(text: input.folder))
        } catch {
            outcome.errors = [SyncError(.manifest, error.description)]
            return outcome
        }
        guard let manifestEntry = tree.first(where: { $0.path == AppManifest.fileName }) else {
            outcome.errors = [
                SyncError(
                    .manifest,
                    "\(input.folder == "." ? "" : input.folder + "/")\(AppManifest.fileName) not found at commit \(input.commit.prefix(12)); add it or fix spec.source.path",
                    file: AppManifest.fileName)
            ]
            return outcome
        }
        let manifestFile = input.folder == "." ? AppManifest.fileName : "\(input.folder)/\(AppManifest.fileName)"
        if manifestEntry.kind == .symlink || manifestEntry.size > (1 << 20) {
            outcome.errors = [
                SyncError(
                    .manifest,
                    manifestEntry.kind == .symlink
                        ? "zerverless.yaml is a symlink; it must be a file"
                        : "zerverless.yaml is \(manifestEntry.size) bytes, over the limit of 1 MiB", file: manifestFile)
            ]
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
                SyncError(
                    .manifest, ($0.field.map { "\($0): " } ?? "") + $0.message, file: $0.file, line: $0.line,
                    column: $0.column)
            }
            return outcome
        case .success(let manifest):
            outcome.manifest = manifest
        }
        switch DesiredBuilder.build(
            manifest: outcome.manifest!, namespace: input.namespace, commit: input.commit, tree: tree, limits: limits,
            pathPrefix: input.pathPrefix)
        {
        case .failure(let errors):
            outcome.errors = errors.errors
            return outcome
        case .success(var desired):
            // Images pushed to a registry carry its name: the fingerprint changes with it.
            if let registry = builder?.registry {
                for i in desired.functions.indices {
                    desired.functions[i].image = desired.functions[i].image.map(registry.qualified)
                }
            }
            outcome.desired = desired
        }
        outcome.referenced = DesiredBuilder.referencedPaths(manifest: outcome.manifest!, tree: tree)
        switch Planner.plan(outcome.desired!, inventory: inventory, policy: input.policy, others: input.others) {
        case .failure(let error): outcome.errors = [error]
        case .success(let plan): outcome.plan = plan
        }
        return outcome
    }
}
