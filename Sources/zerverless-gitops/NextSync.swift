import ArgumentParser
import Foundation
import GitSource
import Manifest
import State
import Sync
import Toolkit

/// The next sync of one application as the daemon would make it, deploying nothing and
/// writing no inventory: the head it follows (or its pin) fetched with the application's
/// own credentials, the signature checked as the daemon checks it, the sync engine's
/// preview against the inventory and the namespace's other applications. What `plan` and
/// `diff` share.
struct NextSync {
    let registration: Registration
    let layout: StateLayout
    let pin: Pin?
    let cache: FetchCache
    let git: GitSource
    let remote: Remote
    let commit: String
    let snapshot: Snapshot
    let outcome: SyncEngine.Outcome

    /// `note`: what a reader of the plan should know (the pin, the tag a range resolves
    /// to, the commit, the signer); `problem`: a signature that does not verify. It prints
    /// the daemon's words and exits 1 when the sync would not get as far as a plan.
    /// `fastPaths: false`: the desired state is always built whole.
    init(
        registration: Registration, layout: StateLayout, access: RepositoryAccessOptions, fastPaths: Bool = true,
        note: (String) -> Void, problem: (String) -> Void
    ) async throws {
        self.registration = registration
        self.layout = layout
        let seconds = try parseTimeout(access.timeout)
        let source = registration.source
        pin = layout.readPin(registration.name)
        if let pin {
            note(
                "  pinned to \(pin.commit.prefix(12)) by a rollback\(pin.reason.map { " (\($0))" } ?? "") since \(SyncHistory.timestamp(pin.since)): \(source.ref) is not followed until `zerverless-gitops unpin \(registration.name)`"
            )
        }
        cache = FetchCache(layout)
        git = GitSource(cacheRoot: cache.root)
        remote = try access.remote(for: registration, timeout: seconds)
        let verifier = try access.verifier(for: registration)
        var signed: Result<SignedObject, VerifyProblem>?
        let tag: String?
        do {
            let ref: Registration.Ref = pin.map { .commit($0.commit) } ?? source.ref
            let head = try git.head(remote, ref: ref)
            if case .semver = source.ref, pin == nil, let tag = head.tag {
                note("  \(source.ref) resolves to tag \(tag)")
            }
            let fetched = try git.fetch(remote, ref: ref, head: head)
            commit = fetched.commit
            tag = head.tag
            if verifier != nil, let mode = source.verify?.mode {
                signed = try git.signed(mode, cache: fetched.cache, commit: commit, tag: tag, tagObject: head.tagObject)
            }
            snapshot = try git.open(path: fetched.cache)
            // The daemon's engine and checks, without a target call or an inventory write.
            let engine = SyncEngine(target: LocalTarget(root: layout.publishedDir), checker: CodeChecker.detect())
            outcome = engine.preview(
                SyncEngine.Input(
                    app: registration.name, namespace: registration.namespace, policy: registration.syncPolicy,
                    commit: commit,
                    folder: source.path, inventoryFile: layout.inventoryFile(registration.name),
                    others: InventoryIndex(layout: layout).ownership(
                        in: registration.namespace, excluding: registration.name),
                    pathPrefix: registration.pathPrefix),
                snapshot: snapshot, fastPaths: fastPaths)
        } catch {
            printErr("error (\(error.retry.rawValue)): \(error)")
            throw ExitCode(1)
        }
        note("  at \(commit.prefix(12))")
        // The daemon's signature check: what does not verify is not deployed.
        if let verifier, let signed, let mode = source.verify?.mode {
            let result: Result<Signer, VerifyProblem>
            switch signed {
            case .success(let object): result = await verifier.verify(object)
            case .failure(let problem): result = .failure(problem)
            }
            switch result {
            case .success(let signer):
                note(
                    "  verified: \(mode.subject(commit: commit, tag: tag)) signed by \(signer.signer) (key \(signer.keyFingerprint))"
                )
            case .failure(let reason):
                problem(
                    "  error: \(mode.subject(commit: commit, tag: tag)) is not deployed: \(reason); what was deployed stays (the status would be invalid, stage verify)"
                )
                throw ExitCode(1)
            }
        }
    }

    /// The daemon's rules first: a name two files claim is not synced at all (exit 1).
    static func refuseDuplicate(_ registration: Registration, appsDir: String) throws {
        if case .duplicate(let files)? = AppsDir.resolve(AppsDir(directory: appsDir).scan().files).entries[
            registration.name]
        {
            printErr(
                "error: \(StatusDocument.duplicate(name: registration.name, files: files, previous: nil).message ?? "")"
            )
            throw ExitCode(1)
        }
    }

    /// A commit's snapshot with the application's credentials: the one at hand when the
    /// cache has it (the last sync's commit usually is there), else fetched (it must be
    /// reachable from what the repository advertises, as a pin's must).
    func snapshot(at other: String) throws(GitError) -> Snapshot {
        if (try? snapshot.subject(of: other)) != nil { return snapshot }
        let head = try git.head(remote, ref: .commit(other))
        return try git.open(path: git.fetch(remote, ref: .commit(other), head: head).cache)
    }
}

/// Where a read-only command fetches: the state dir's cache when this process may write
/// there, else a temporary one, removed with this value (nothing is created in the state
/// dir).
final class FetchCache: Sendable {
    let root: String
    private let scratch: String?

    init(_ layout: StateLayout) {
        if access(layout.cacheDir, W_OK) != 0, let made = try? ScratchFolder.make("zg-plan") {
            scratch = made
            root = made
        } else {
            scratch = nil
            root = layout.cacheDir
        }
    }

    deinit { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
}
