import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync

/// `zerverless-gitops plan NAME`: what the next sync would do, and why. It fetches into the
/// state dir's cache (as a sync would) but deploys nothing and changes no inventory.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what the next sync of an application would do: functions and static files to create, update and delete, and why.",
        discussion: "Exit status: 0 a plan was made (whether or not it changes anything), 1 the sync would fail (the errors are printed), 2 bad usage."
    )

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let seconds = try parseTimeout(repository.timeout)
        let registration = try loadRegistration(repository.target, appsDir: repository.appsDir)
        let layout = StateLayout(root: repository.stateDir)
        let git = GitSource(cacheRoot: layout.cacheDir)
        let source = registration.source
        let outcome: SyncEngine.Outcome
        let commit: String
        let remote = try repository.remote(for: registration, timeout: seconds)
        do {
            let fetched = try git.fetch(remote, branch: source.branch)
            commit = fetched.commit
            let snapshot = try git.open(path: fetched.cache)
            let engine = SyncEngine(target: LocalTarget(root: layout.publishedDir))
            outcome = engine.plan(SyncEngine.Input(
                app: registration.name, namespace: registration.namespace, policy: registration.syncPolicy, commit: commit,
                folder: source.path, inventoryFile: layout.inventoryFile(registration.name),
                others: InventoryIndex(layout: layout).ownership(in: registration.namespace, excluding: registration.name)),
                snapshot: snapshot)
        } catch {
            printErr("error (\(error.retry.rawValue)): \(error)")
            throw ExitCode(1)
        }
        print("\(registration.name) (\(registration.namespace)): \(source.repoURL.redacted) branch \(source.branch) at \(commit.prefix(12))")
        if !outcome.errors.isEmpty {
            for e in outcome.errors { printErr("  error: \(e)") }
            throw ExitCode(1)
        }
        guard let plan = outcome.plan else { return }
        if plan.isEmpty && plan.conflicts.isEmpty {
            print("  nothing to do: \(plan.unchangedFunctions) functions and \(plan.unchangedFiles) static files are up to date")
        }
        for f in plan.functions { print("  \(f.action.rawValue) function \(f.path): \(f.reason)") }
        for f in plan.files { print("  \(f.action.rawValue) file \(f.path): \(f.reason)") }
        for c in plan.conflicts { print("  conflict: \(c.kind) \(c.path) belongs to application \(c.owner); skipped") }
        if plan.keptByPrunePolicy > 0 { print("  kept: \(plan.keptByPrunePolicy) removed from the repository, not deleted (syncPolicy.prune is false)") }
        for w in outcome.desired?.warnings ?? [] { print("  warning: \(w)") }
        if !plan.isEmpty { print("  unchanged: \(plan.unchangedFunctions) functions, \(plan.unchangedFiles) static files") }
    }
}
