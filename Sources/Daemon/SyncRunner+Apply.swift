import Foundation
import GitSource
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

/// A look's two network steps: the head lookup and the fetch, verify and apply.
extension SyncRunner {
    /// The branch head, shared through the head cache, on the lookup pool.
    func lookUpHead(_ registration: Registration, _ remote: Remote, fresh: Bool) async throws(GitError)
        -> GitSource.Head
    {
        let git = context.git
        let ref = registration.source.ref
        let workers = context.lookupWorkers
        let metrics = context.metrics
        return try await context.heads.head(HeadCache.key(registration), fresh: fresh) {
            () async throws(GitError) -> GitSource.Head in
            let started = ContinuousClock.now
            do throws(GitError) {
                let commit = try await workers.run(ifCancelled: .cancelled("head lookup")) {
                    () throws(GitError) -> GitSource.Head in
                    try git.head(remote, ref: ref)
                }
                metrics.gitRequest(kind: "head", ok: true, since: started)
                return commit
            } catch {
                metrics.gitRequest(kind: "head", ok: false, since: started)
                throw error
            }
        }
    }

    /// Fetch, then plan and apply through the sync engine (its blocking parts on the
    /// worker pool).
    func apply(
        _ registration: Registration, ref: Registration.Ref, verifier: SignatureVerifier?, remote: Remote,
        head: GitSource.Head, target: CountingTarget, verified: inout StatusDocument.Verified?,
        progress: ProgressWriter? = nil
    ) async throws(GitError) -> SyncEngine.Outcome {
        let git = context.git
        var watched = remote
        watched.progress = progress?.fetch
        let remote = watched
        let started = ContinuousClock.now
        let fetched: GitSource.FetchResult
        do throws(GitError) {
            fetched = try await context.workers.run(ifCancelled: .cancelled("fetch")) {
                () throws(GitError) -> GitSource.FetchResult in
                try git.fetch(remote, ref: ref, head: head)
            }
            context.metrics.gitRequest(kind: fetched.transferred ? "fetch" : "fetch_cached", ok: true, since: started)
            if let problem = fetched.consolidationError {
                // The fetch succeeded and the cache is valid; the next fetch tries again.
                context.logger.warning(
                    "the fetch cache's packs could not be consolidated",
                    metadata: ["app": "\(registration.name)", "cache": "\(fetched.cache)", "error": "\(problem)"])
            }
        } catch {
            context.metrics.gitRequest(kind: "fetch", ok: false, since: started)
            throw error
        }
        // Signatures before anything is planned: a commit (or tag) that does not verify is
        // not deployed, and what was deployed stays.
        if let verifier, let mode = registration.source.verify?.mode {
            let tag = head.tag
            switch await verify(
                mode, verifier, cache: fetched.cache, commit: fetched.commit, tag: tag, tagObject: head.tagObject)
            {
            case .success(let signer):
                verified = StatusDocument.Verified(
                    signer: signer.signer, keyFingerprint: signer.keyFingerprint,
                    tagObject: mode == .tag ? head.tagObject : nil)
            case .failure(let problem):
                verified = nil
                return .stopped([
                    SyncError(
                        .verify,
                        "\(mode.subject(commit: fetched.commit, tag: tag)) is not deployed: \(problem); what was deployed stays"
                    )
                ])
            }
        } else {
            verified = nil
        }
        let snapshot = try await context.workers.run(ifCancelled: .cancelled("open")) {
            () throws(GitError) -> Snapshot in
            try git.open(path: fetched.cache)
        }
        var engine = SyncEngine(
            target: target, limits: context.limits, checker: context.checker, builder: context.builder)
        engine.parallelism = 8
        engine.locks = context.namespaceLocks
        engine.pool = context.workers
        engine.index = context.inventories
        engine.progress = progress?.apply
        let name = registration.name
        let namespace = registration.namespace
        let inventories = context.inventories
        var input = SyncEngine.Input(
            app: name, namespace: namespace, policy: registration.syncPolicy, commit: fetched.commit,
            folder: registration.source.path, inventoryFile: layout.inventoryFile(name),
            ownership: { inventories.ownership(in: namespace, excluding: name) })
        input.pathPrefix = registration.pathPrefix
        return await engine.sync(input, snapshot: snapshot)
    }
}
