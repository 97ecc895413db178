import Foundation
import GitSource
import Logging
import Manifest
import Notify
import State
import Sync

/// One look at one application, as the scheduler launched it: credentials, head lookup;
/// if anything changed, fetch, plan, apply, and write the inventory, status and history.
/// Runs beside the supervisor (many at once). When to look next comes with the launch:
/// this writes it into the status, the scheduler acts on it.
public struct SyncRunner: Sendable {
    public let context: SyncContext

    public init(context: SyncContext) {
        self.context = context
    }

    var layout: StateLayout { context.layout }
    var logger: Logger { context.logger }

    /// What one look needs besides the registration.
    struct Look {
        var registration: Registration
        var file: String
        var launch: Scheduler.Launch
        var key: String
        var status: StatusDocument
        var history: SyncHistory
        let started = ContinuousClock.now
        var startedAt: Date
        /// What a real sync changed: functions (deployed, undeployed), static files.
        var changes: (functions: Int, files: Int)?
        /// Before this look: the last recorded attempt's result and time, the last
        /// successful commit (what a transition is measured against).
        var previousResult: String?
        var previousAttempt: Date?
        var previousCommit: String?
        /// A real sync of a commit began (a forge status is due at the end).
        var began = false
        /// A forced sync of the commit already synced: the forge already says success, and
        /// a `sync` request or webhook per second must not queue two statuses each.
        var resync = false
        var name: String { registration.name }
    }

    public func sync(_ registration: Registration, file: String, launch: Scheduler.Launch, key: String? = nil, memo: SyncMemo? = nil) async -> SyncResult {
        let started = ContinuousClock.now
        var result = await look(registration, file: file, launch: launch, key: key ?? context.key(registration), memo: memo)
        let elapsed = ContinuousClock.now - started
        let counted = result.ending != .unchanged && result.ending != .suspended
        context.metrics.sync(app: registration.name, namespace: registration.namespace, ending: result.ending,
                             seconds: counted ? elapsed.seconds : nil)
        if result.memo == nil, let status = try? layout.readStatus(registration.name) {
            result.memo = SyncMemo(status: status, history: layout.readHistory(registration.name))
        }
        return result
    }

    /// `override`: sync this commit (a drift correction), whatever the ref says.
    func look(_ registration: Registration, file: String, launch: Scheduler.Launch, key: String, memo: SyncMemo?,
              override: String? = nil) async -> SyncResult {
        let name = registration.name
        var history = memo?.history ?? layout.readHistory(name)
        var previous = memo.map { $0.status } ?? (try? layout.readStatus(name))
        if let before = previous, !before.namespace.isEmpty, before.namespace != registration.namespace {
            // The name was another namespace's application (moved, or reused after a
            // removal): none of its status or history is this one's.
            previous = nil
            history = SyncHistory()
        }
        var look = Look(registration: registration, file: file, launch: launch, key: key,
                        status: .base(for: registration, file: file, previous: previous), history: history, startedAt: context.now())
        look.previousResult = history.attempts.first?.result
        look.previousAttempt = history.attempts.first?.at
        look.previousCommit = look.status.source.commit
        context.notifications.remember(registration)

        if registration.syncPolicy.suspend {
            look.status.suspend()
            await write(look.status)
            return SyncResult(ending: .suspended, message: look.status.message ?? "")
        }

        // 1. Credentials, under the secrets rule: a file outside the namespace's secrets
        // folder is never opened, and the registration is invalid until that changes (it
        // is looked at again each poll: the secret may be uploaded meanwhile).
        let remote: Remote
        let verifier: SignatureVerifier?
        do throws(SourceAccess.Failure) {
            remote = try context.access.remote(for: registration)
            verifier = try context.access.verifier(for: registration)
        } catch {
            switch error {
            case .git(let gitError):
                return await gitFailure(gitError, &look)
            case .secret(let problem):
                let failure = StatusDocument.Failure(stage: .registration, message: "spec.source.\(problem.description)", file: file)
                return await finish(&look, failure: failure, invalid: true, ending: .stalled, commit: nil, calls: 0, plan: nil)
            }
        }

        // 2. Head lookup, with the application's own credentials: a request or a changed
        // registration asks the server; polls share a moment's answer with the applications
        // of the same repository and credentials. A rollback pin (or a drift correction)
        // names the commit itself, whatever the ref does, and asks too: the listing proves
        // access, and the commit must be reachable from what it advertised.
        let pin = layout.readPin(name)
        look.status.pinned = pin.map { StatusDocument.Pinned(commit: $0.commit, reason: $0.reason, since: $0.since) }
        let fixed = pin?.commit ?? override
        let ref: Registration.Ref = fixed.map { .commit($0) } ?? registration.source.ref
        let resolved: GitSource.Head
        do throws(GitError) {
            var looked = registration
            looked.source.ref = ref
            resolved = try await lookUpHead(looked, remote, fresh: launch.force || launch.trigger == .registration)
        } catch {
            return await gitFailure(error, &look)
        }
        let head = resolved.commit
        if case .semver = registration.source.ref, let tag = resolved.tag { look.status.source.ref?.resolved = tag }

        // 3. Unchanged since the last successful sync: only nextSync moves. The same input
        // that stalled last time stalls again: it waits for a change.
        let previousPhase = previous?.status
        if !launch.force, let success = look.history.lastSuccess, success.commit == head, success.key == key, previousPhase == .synced {
            return await unchanged(&look, head: head, ending: .unchanged)
        }
        if !launch.force, let stalled = look.history.stalled, stalled.commit == head, stalled.key == key, previousPhase == .invalid {
            return await unchanged(&look, head: head, ending: .stalled)
        }

        // 4. A real sync, in one of the sync slots (fair between namespaces).
        await context.syncSlots.acquire(registration.namespace)
        defer { context.syncSlots.release(registration.namespace) }
        look.status.beginSync(head, at: look.startedAt)
        await write(look.status)
        look.began = true
        look.resync = head == look.previousCommit && previousPhase == .synced
        if !look.resync {
            await context.notifications.commitStatus(registration, state: "pending", event: event(look, kind: "syncing", commit: head))
        }
        let counting = CountingTarget(context.target)
        let outcome: SyncEngine.Outcome
        do throws(GitError) {
            outcome = try await apply(registration, ref: ref, verifier: verifier, remote: remote, head: resolved, target: counting,
                                      verified: &look.status.verified)
        } catch {
            return await gitFailure(error, &look, commit: head)
        }

        // 5. Outcome -> status, history, log.
        look.status.record(outcome)
        look.changes = outcome.report.map { ($0.deployed.count + $0.undeployed.count, $0.uploaded + $0.deletedFiles) }
            ?? (outcome.path == .unchanged ? (0, 0) : nil)
        let calls = counting.counts.total
        if let (failure, invalid) = StatusDocument.failure(of: outcome) {
            if invalid { look.history.stalled = .init(commit: head, key: key, at: look.startedAt) }
            return await finish(&look, failure: failure, invalid: invalid, ending: invalid ? .stalled : .retryable, commit: head,
                                calls: calls, plan: outcome.path)
        }
        look.status.succeed(head, at: look.startedAt, nextSync: launch.next.poll)
        look.history.lastSuccess = .init(commit: head, key: key, at: look.startedAt)
        look.history.stalled = nil
        return await finish(&look, failure: nil, invalid: false, ending: .synced, commit: head, calls: calls, plan: outcome.path)
    }

    /// The branch head, shared through the head cache, on the lookup pool.
    private func lookUpHead(_ registration: Registration, _ remote: Remote, fresh: Bool) async throws(GitError) -> GitSource.Head {
        let git = context.git
        let ref = registration.source.ref
        let workers = context.lookupWorkers
        let metrics = context.metrics
        return try await context.heads.head(HeadCache.key(registration), fresh: fresh) { () async throws(GitError) -> GitSource.Head in
            let started = ContinuousClock.now
            do throws(GitError) {
                let commit = try await workers.run { () throws(GitError) -> GitSource.Head in try git.head(remote, ref: ref) }
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
    private func apply(_ registration: Registration, ref: Registration.Ref, verifier: SignatureVerifier?, remote: Remote,
                       head: GitSource.Head, target: CountingTarget, verified: inout StatusDocument.Verified?) async throws(GitError) -> SyncEngine.Outcome {
        let git = context.git
        let started = ContinuousClock.now
        let fetched: GitSource.FetchResult
        do throws(GitError) {
            fetched = try await context.workers.run { () throws(GitError) -> GitSource.FetchResult in try git.fetch(remote, ref: ref, head: head) }
            context.metrics.gitRequest(kind: fetched.transferred ? "fetch" : "fetch_cached", ok: true, since: started)
            if let problem = fetched.consolidationError {
                // The fetch succeeded and the cache is valid; the next fetch tries again.
                context.logger.warning("the fetch cache's packs could not be consolidated",
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
            switch await verify(mode, verifier, cache: fetched.cache, commit: fetched.commit, tag: tag, tagObject: head.tagObject) {
            case .success(let signer):
                verified = StatusDocument.Verified(signer: signer.signer, keyFingerprint: signer.keyFingerprint,
                                                   tagObject: mode == .tag ? head.tagObject : nil)
            case .failure(let problem):
                verified = nil
                return .stopped([SyncError(.verify, "\(mode.subject(commit: fetched.commit, tag: tag)) is not deployed: \(problem); what was deployed stays")])
            }
        } else {
            verified = nil
        }
        let snapshot = try await context.workers.run { () throws(GitError) -> Snapshot in try git.open(path: fetched.cache) }
        var engine = SyncEngine(target: target, limits: context.limits, checker: context.checker, builder: context.builder)
        engine.parallelism = 8
        engine.locks = context.namespaceLocks
        engine.pool = context.workers
        engine.index = context.inventories
        let name = registration.name, namespace = registration.namespace
        let inventories = context.inventories
        let input = SyncEngine.Input(app: name, namespace: namespace, policy: registration.syncPolicy, commit: fetched.commit,
                                     folder: registration.source.path, inventoryFile: layout.inventoryFile(name),
                                     ownership: { inventories.ownership(in: namespace, excluding: name) })
        return await engine.sync(input, snapshot: snapshot)
    }

    private func unchanged(_ look: inout Look, head: String, ending: Scheduler.Ending) async -> SyncResult {
        look.status.nextSync = look.launch.next.poll
        await write(look.status, durable: false)
        if ending == .unchanged { logger.debug("unchanged", metadata: ["app": "\(look.name)", "commit": "\(head.prefix(12))"]) }
        return SyncResult(ending: ending, message: look.status.message ?? "", memo: SyncMemo(status: look.status, history: look.history))
    }

    /// A git failure: `error`, retried with backoff when a retry may fix it, else looked
    /// at again at the poll interval (what fixes it, a rotated token or a pushed branch,
    /// may not touch any file here).
    private func gitFailure(_ error: GitError, _ look: inout Look, commit: String? = nil) async -> SyncResult {
        let retryable = error.retry == .retryable
        return await finish(&look, failure: .init(stage: .fetch, message: error.description), invalid: false,
                            ending: retryable ? .retryable : .stalled, commit: commit, calls: 0, plan: nil)
    }

    /// Writes the outcome of a look: status (a failure, or the success already recorded),
    /// history, one log line.
    private func finish(_ look: inout Look, failure: StatusDocument.Failure?, invalid: Bool, ending: Scheduler.Ending,
                        commit: String?, calls: Int, plan: SyncEngine.PlanPath?) async -> SyncResult {
        if let failure {
            look.status.fail(failure, invalid: invalid, at: look.startedAt,
                             nextSync: ending == .retryable ? look.launch.next.retry : look.launch.next.poll)
        }
        let elapsed = (ContinuousClock.now - look.started).milliseconds
        look.history.record(.init(at: look.startedAt, trigger: look.launch.trigger, commit: commit, result: look.status.status.rawValue,
                                  durationMs: elapsed, targetCalls: calls, message: look.status.message,
                                  functionsChanged: look.changes?.functions, filesChanged: look.changes?.files))
        await notify(look, commit: commit)
        await write(look.history, look.name)
        await write(look.status)
        var meta: Logger.Metadata = ["app": "\(look.name)", "result": "\(look.status.status.rawValue)", "duration_ms": .stringConvertible(elapsed),
                                     "target_calls": .stringConvertible(calls), "trigger": "\(look.launch.trigger.rawValue)"]
        if let commit { meta["commit"] = "\(commit.prefix(12))" }
        if let plan { meta["plan"] = "\(plan.rawValue)" }
        if let failure { meta["error"] = "\(failure.stage.rawValue): \(failure.message)" }
        if ending == .synced { logger.info("sync", metadata: meta) } else { logger.warning("sync", metadata: meta) }
        return SyncResult(ending: ending, message: look.status.message ?? "", memo: SyncMemo(status: look.status, history: look.history))
    }

    // MARK: Notifications

    func event(_ look: Look, kind: String, commit: String?) -> NotificationEvent {
        let s = look.status
        return NotificationEvent(event: kind, app: look.name, namespace: look.registration.namespace, status: s.status.rawValue,
                                 previousStatus: look.previousResult, commit: commit, previousCommit: look.previousCommit,
                                 message: s.message, error: s.error, time: look.startedAt, repoURL: s.source.repoURL)
    }

    /// The transition's event (before the history records this attempt: a crash in
    /// between meets the same transition, with the same id, again) and the forge status.
    private func notify(_ look: Look, commit: String?) async {
        let status = look.status.status
        let changed = look.changes.map { $0.functions + $0.files > 0 } ?? true
        if let kind = Notifications.transition(status: status, commit: status == .synced ? commit : nil,
                                               previousResult: look.previousResult, previousCommit: look.previousCommit, changed: changed) {
            await context.notifications.emit(kind, event(look, kind: kind.rawValue, commit: commit), notify: look.registration.notify,
                                             identity: [status.rawValue, commit ?? "", look.previousResult ?? "",
                                                        look.previousAttempt.map { "\($0.timeIntervalSince1970)" } ?? ""])
        }
        if look.began, let commit, !(look.resync && status == .synced) {
            await context.notifications.commitStatus(look.registration, state: status == .synced ? "success" : "failure",
                                                     event: event(look, kind: status.rawValue, commit: commit))
        }
    }

    // MARK: Files (written off the cooperative pool)

    func write(_ document: StatusDocument, durable: Bool = true) async {
        var stamped = document
        stamped.shard = context.shard
        // Earlier statuses of this app that could not be written (a full disk): this one
        // says so, since what a reader saw meanwhile (`syncing`) was not the truth.
        let unwritten = context.unwritten.take(document.name, consume: document.status != .syncing && document.status != .pending)
        if let unwritten {
            let note = "earlier status updates could not be written since \(SyncHistory.timestamp(unwritten.since)): \(unwritten.error)"
            stamped.message = stamped.message.map { "\($0) (\(note))" } ?? note
        }
        let status = stamped
        let layout = self.layout
        do {
            if durable {
                try await BlockingPool.files.run { () throws -> Void in try layout.writeStatus(status, durable: true) }
            } else {
                // No fsync: a small write and a rename, cheaper here than a hop to the pool
                // (an unchanged poll of 10,000 applications does nothing else).
                try layout.writeStatus(status, durable: false)
            }
            context.readiness?.stateWrite(failed: nil)
        } catch {
            logger.error("cannot write the status", metadata: ["app": "\(status.name)", "error": "\(error)"])
            context.unwritten.restore(status.name, unwritten ?? (context.now(), "\(error)"))
            context.readiness?.stateWrite(failed: "the state dir \(layout.root) cannot be written: \(error)")
        }
    }

    func write(_ history: SyncHistory, _ name: String) async {
        let layout = self.layout
        do {
            try await BlockingPool.files.run { () throws -> Void in try layout.writeHistory(history, of: name) }
        } catch {
            logger.error("cannot write the history", metadata: ["app": "\(name)", "error": "\(error)"])
        }
    }
}

extension SyncRunner {
    /// The signature of the commit (mode commit) or of the tag (mode tag) in the cache.
    func verify(_ mode: Registration.Verify.Mode, _ verifier: SignatureVerifier, cache: String, commit: String,
                tag: String?, tagObject: String?) async -> Result<Signer, VerifyProblem> {
        let git = context.git
        let found: Result<SignedObject, VerifyProblem>
        do {
            found = try await context.workers.run { () throws(GitError) -> Result<SignedObject, VerifyProblem> in
                try git.signed(mode, cache: cache, commit: commit, tag: tag, tagObject: tagObject)
            }
        } catch {
            return .failure(VerifyProblem("cannot read the signature: \(error)"))
        }
        switch found {
        case .success(let signed): return await verifier.verify(signed)
        case .failure(let problem): return .failure(problem)
        }
    }
}
