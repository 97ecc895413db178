import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync
import Toolkit

/// `zerverless-gitops plan NAME`: what the next sync would do, and why. It fetches into the
/// state dir's cache (as a sync would) but deploys nothing and changes no inventory.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what the next sync of an application would change, and why",
        discussion:
            "Functions and static files to create, update and delete, found the way the daemon would, without deploying anything. Exit status: 0 a plan was made (whether or not it changes anything), 1 the sync would fail (the errors are printed), 2 bad usage."
    )

    @OptionGroup var repository: RepositoryOptions

    func run() async throws {
        let registration = try loadRegistration(
            repository.target, appsDir: repository.appsDir, stateDir: repository.stateDir)
        try NextSync.refuseDuplicate(registration, appsDir: repository.appsDir)
        let source = registration.source
        print("\(registration.name) (\(registration.namespace)): \(source.repoURL.redacted) \(source.ref)")
        if registration.syncPolicy.suspend {
            print("  suspended (syncPolicy.suspend is true): the daemon does not sync it; nothing would be done")
            return
        }
        if !registration.syncPolicy.automated {
            print("  manual (syncPolicy.automated is false): this is what a sync request would do")
        }
        // A read-only command: the state dir's cache is used when it is there, else a
        // temporary one (nothing is created in the state dir).
        let next = try await NextSync(
            registration: registration, layout: StateLayout(root: repository.stateDir), access: repository.access,
            note: { print($0) }, problem: { print($0) })
        let outcome = next.outcome
        if let moved = outcome.movedFrom {
            print(
                "  moved from namespace \(moved.namespace): its \(counted(moved.functions.count, "function")) and \(counted(moved.files.count, "static file")) there are undeployed first"
            )
        }
        if let plan = outcome.plan {
            if plan.isEmpty && plan.conflicts.isEmpty {
                print(
                    "  nothing to do: \(counted(plan.unchangedFunctions, "function")) and \(counted(plan.unchangedFiles, "static file")) are up to date"
                )
            }
            let failing = outcome.report?.functionErrors ?? [:]
            for f in plan.functions {
                if let problem = failing[f.path] {
                    print("  error function \(f.path): \(problem)")
                } else {
                    print("  \(f.action.rawValue) function \(f.path): \(f.reason)")
                }
            }
            for f in plan.files { print("  \(f.action.rawValue) file \(RepoPath.display(f.path)): \(f.reason)") }
            for c in plan.conflicts {
                print(
                    "  conflict: \(c.kind) \(c.kind == "file" ? RepoPath.display(c.path) : c.path) belongs to application \(c.owner); not deployed"
                )
            }
            if plan.keptByPrunePolicy > 0 {
                print(
                    "  kept: \(plan.keptByPrunePolicy) removed from the repository, not deleted (syncPolicy.prune is false)"
                )
            }
            for w in outcome.desired?.warnings ?? [] { print("  warning: \(w)") }
            if !plan.isEmpty {
                print(
                    "  unchanged: \(counted(plan.unchangedFunctions, "function")), \(counted(plan.unchangedFiles, "static file"))"
                )
            }
        }
        // What the daemon's status would say: the same decision.
        if let (failure, invalid) = StatusDocument.failure(of: outcome) {
            let place =
                failure.file.map {
                    $0 + (failure.line.map { ":\($0)" } ?? "") + (failure.column.map { ":\($0)" } ?? "") + ": "
                } ?? ""
            printErr(
                "  the sync would end \(invalid ? "invalid" : "in error"): \(place)\(failure.stage.rawValue): \(failure.message)"
            )
            throw ExitCode(1)
        }
    }
}
