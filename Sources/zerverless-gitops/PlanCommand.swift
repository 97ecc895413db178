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
        let seconds = try parseTimeout(repository.timeout)
        let registration = try loadRegistration(repository.target, appsDir: repository.appsDir)
        // The daemon's rules first: a name two files claim is not synced at all.
        if case .duplicate(let files)? = AppsDir.resolve(AppsDir(directory: repository.appsDir).scan().files).entries[
            registration.name]
        {
            printErr(
                "error: \(StatusDocument.duplicate(name: registration.name, files: files, previous: nil).message ?? "")"
            )
            throw ExitCode(1)
        }
        let source = registration.source
        print("\(registration.name) (\(registration.namespace)): \(source.repoURL.redacted) \(source.ref)")
        if registration.syncPolicy.suspend {
            print("  suspended (syncPolicy.suspend is true): the daemon does not sync it; nothing would be done")
            return
        }
        if !registration.syncPolicy.automated {
            print("  manual (syncPolicy.automated is false): this is what a sync request would do")
        }
        let layout = StateLayout(root: repository.stateDir)
        let pin = layout.readPin(registration.name)
        if let pin {
            print(
                "  pinned to \(pin.commit.prefix(12)) by a rollback\(pin.reason.map { " (\($0))" } ?? "") since \(SyncHistory.timestamp(pin.since)): \(source.ref) is not followed until `zerverless-gitops unpin \(registration.name)`"
            )
        }
        // A read-only command: the state dir's cache is used when it is there, else a
        // temporary one (nothing is created in the state dir).
        var scratch: String?
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        var cacheRoot = layout.cacheDir
        if access(layout.cacheDir, W_OK) != 0 {
            scratch = try? ScratchFolder.make("zg-plan")
            cacheRoot = scratch ?? cacheRoot
        }
        let git = GitSource(cacheRoot: cacheRoot)
        let outcome: SyncEngine.Outcome
        let commit: String
        let remote = try repository.remote(for: registration, timeout: seconds)
        let verifier = try repository.verifier(for: registration)
        var signed: Result<SignedObject, VerifyProblem>?
        var tag: String?
        do {
            let ref: Registration.Ref = pin.map { .commit($0.commit) } ?? source.ref
            let head = try git.head(remote, ref: ref)
            if case .semver = source.ref, pin == nil, let tag = head.tag {
                print("  \(source.ref) resolves to tag \(tag)")
            }
            let fetched = try git.fetch(remote, ref: ref, head: head)
            commit = fetched.commit
            tag = head.tag
            if verifier != nil, let mode = source.verify?.mode {
                signed = try git.signed(mode, cache: fetched.cache, commit: commit, tag: tag, tagObject: head.tagObject)
            }
            let snapshot = try git.open(path: fetched.cache)
            // The daemon's engine and checks, without a target call or an inventory write.
            let engine = SyncEngine(target: LocalTarget(root: layout.publishedDir), checker: CodeChecker.detect())
            outcome = engine.preview(
                SyncEngine.Input(
                    app: registration.name, namespace: registration.namespace, policy: registration.syncPolicy,
                    commit: commit,
                    folder: source.path, inventoryFile: layout.inventoryFile(registration.name),
                    others: InventoryIndex(layout: layout).ownership(
                        in: registration.namespace, excluding: registration.name)),
                snapshot: snapshot)
        } catch {
            printErr("error (\(error.retry.rawValue)): \(error)")
            throw ExitCode(1)
        }
        print("  at \(commit.prefix(12))")
        // The daemon's signature check: what does not verify is not deployed.
        if let verifier, let signed, let mode = source.verify?.mode {
            let result: Result<Signer, VerifyProblem>
            switch signed {
            case .success(let object): result = await verifier.verify(object)
            case .failure(let problem): result = .failure(problem)
            }
            switch result {
            case .success(let signer):
                print(
                    "  verified: \(mode.subject(commit: commit, tag: tag)) signed by \(signer.signer) (key \(signer.keyFingerprint))"
                )
            case .failure(let problem):
                print(
                    "  error: \(mode.subject(commit: commit, tag: tag)) is not deployed: \(problem); what was deployed stays (the status would be invalid, stage verify)"
                )
                throw ExitCode(1)
            }
        }
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
