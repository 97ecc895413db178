import Foundation
import GitSource
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

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

    public func sync(
        _ registration: Registration, file: String, launch: Scheduler.Launch, key: String? = nil, memo: SyncMemo? = nil
    ) async -> SyncResult {
        let started = ContinuousClock.now
        var result = await look(
            registration, file: file, launch: launch, key: key ?? context.key(registration), memo: memo)
        let elapsed = ContinuousClock.now - started
        let counted = result.ending != .unchanged && result.ending != .suspended
        context.metrics.sync(
            app: registration.name, namespace: registration.namespace, ending: result.ending,
            seconds: counted ? elapsed.seconds : nil)
        if result.memo == nil, let status = try? layout.readStatus(registration.name) {
            result.memo = SyncMemo(status: status, history: layout.readHistory(registration.name))
        }
        return result
    }

    /// `override`: sync this commit (a drift correction), whatever the ref says.
    func look(
        _ registration: Registration, file: String, launch: Scheduler.Launch, key: String, memo: SyncMemo?,
        override: String? = nil
    ) async -> SyncResult {
        let name = registration.name
        var history = memo?.history ?? layout.readHistory(name)
        var previous = memo.map { $0.status } ?? (try? layout.readStatus(name))
        if let before = previous, !before.namespace.isEmpty, before.namespace != registration.namespace {
            // The name was another namespace's application (moved, or reused after a
            // removal): none of its status or history is this one's.
            previous = nil
            history = SyncHistory()
        }
        var look = Look(
            registration: registration, file: file, launch: launch, key: key,
            status: .base(for: registration, file: file, previous: previous), history: history, startedAt: context.now()
        )
        look.previousResult = history.attempts.first?.result
        look.previousAttempt = history.attempts.first?.at
        look.previousCommit = look.status.source.commit
        context.notifications.remember(registration)

        if registration.syncPolicy.suspend {
            look.status.suspend()
            await write(look.status)
            return SyncResult(ending: .suspended, message: look.status.message ?? "")
        }
        // A state-side suspension (`zerverless-gitops suspend`): what is deployed stays,
        // nothing is looked at until `resume` (its request brings the app back here).
        if let suspension = layout.readSuspension(name) {
            look.status.suspend(suspension.reason, since: suspension.since)
            await write(look.status)
            return SyncResult(ending: .suspended, message: look.status.message ?? "")
        }
        look.status.suspended = nil

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
                let failure = StatusDocument.Failure(
                    stage: .registration, message: "spec.source.\(problem.description)", file: file)
                return await finish(
                    &look, failure: failure, invalid: true, ending: .stalled, commit: nil, calls: 0, plan: nil)
            }
        }

        // 2. Head lookup, with the application's own credentials: a request or a changed
        // registration asks the server; polls share a moment's answer with the applications
        // of the same repository and credentials. A rollback pin (or a drift correction)
        // names the commit itself, whatever the ref does, and asks too: the listing proves
        // access, and the commit must be reachable from what it advertised.
        var pin = layout.readPin(name)
        // An automatic rollback's pin lifts itself once the source moved past the commit
        // whose checks failed (a person's pin never does).
        if let automatic = pin, automatic.isAutomatic {
            do throws(GitError) {
                let current = try await lookUpHead(registration, remote, fresh: true)
                // Read again: a person may have pinned it during the lookup (theirs stays).
                if current.commit != automatic.rolledBackFrom, layout.readPin(name) == automatic {
                    _ = try? layout.removePin(name, by: "zerverless-gitops (the source moved)", request: false)
                    logger.info(
                        "automatic pin lifted: the source moved",
                        metadata: ["app": "\(name)", "commit": "\(current.commit.prefix(12))"])
                    pin = nil
                }
            } catch {
                return await gitFailure(error, &look)
            }
        }
        look.status.pinned = pin.map {
            StatusDocument.Pinned(commit: $0.commit, reason: $0.reason, since: $0.since, automatic: $0.automatic)
        }
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
        if !launch.force, let success = look.history.lastSuccess, success.commit == head, success.key == key,
            previousPhase == .synced
        {
            return await unchanged(&look, head: head, ending: .unchanged)
        }
        if !launch.force, let stalled = look.history.stalled, stalled.commit == head, stalled.key == key,
            previousPhase == .invalid
        {
            return await unchanged(&look, head: head, ending: .stalled)
        }

        // 4. A real sync, in one of the sync slots (fair between namespaces).
        do {
            try await context.syncSlots.acquire(registration.namespace)
        } catch {
            // Cancelled while waiting (the daemon is stopping): nothing was started, and
            // the status stays as it was.
            return SyncResult(ending: .retryable, message: "cancelled: the daemon is stopping", memo: nil)
        }
        defer { context.syncSlots.release(registration.namespace) }
        look.status.beginSync(head, at: look.startedAt)
        await write(look.status)
        look.began = true
        look.resync = head == look.previousCommit && previousPhase == .synced
        if !look.resync {
            await context.notifications.commitStatus(
                registration, state: "pending", event: event(look, kind: "syncing", commit: head))
        }
        let counting = CountingTarget(context.target)
        let outcome: SyncEngine.Outcome
        let layout = self.layout
        var shown = look.status
        shown.shard = context.shard
        let progress = ProgressWriter(
            base: shown, now: { [context] in context.now() }, write: { try? layout.writeStatus($0, durable: false) })
        do throws(GitError) {
            defer { progress.close() }
            outcome = try await apply(
                registration, ref: ref, verifier: verifier, remote: remote, head: resolved, target: counting,
                verified: &look.status.verified, progress: progress)
        } catch {
            return await gitFailure(error, &look, commit: head)
        }

        // 5. Outcome -> status, history, log.
        look.status.record(outcome)
        look.changes =
            outcome.report.map { ($0.deployed.count + $0.undeployed.count, $0.uploaded + $0.deletedFiles) }
            ?? (outcome.path == .unchanged ? (0, 0) : nil)
        let calls = counting.counts.total
        if let (failure, invalid) = StatusDocument.failure(of: outcome) {
            if invalid { look.history.stalled = .init(commit: head, key: key, at: look.startedAt) }
            return await finish(
                &look, failure: failure, invalid: invalid, ending: invalid ? .stalled : .retryable, commit: head,
                calls: calls, plan: outcome.path)
        }
        look.status.succeed(head, at: look.startedAt, nextSync: launch.next.poll)
        look.history.lastSuccess = .init(commit: head, key: key, at: look.startedAt)
        look.history.stalled = nil
        let health = await planHealth(&look, manifest: outcome.manifest, commit: head)
        var result = await finish(
            &look, failure: nil, invalid: false, ending: .synced, commit: head, calls: calls, plan: outcome.path)
        result.health = health
        return result
    }

    private func unchanged(_ look: inout Look, head: String, ending: Scheduler.Ending) async -> SyncResult {
        look.status.nextSync = look.launch.next.poll
        await write(look.status, durable: false)
        if ending == .unchanged {
            logger.debug("unchanged", metadata: ["app": "\(look.name)", "commit": "\(head.prefix(12))"])
        }
        // After a restart the health rounds (in memory) start again from the plan's file.
        let health: HealthNext =
            look.launch.trigger == .startup && look.status.health != nil
                && FileManager.default.fileExists(atPath: layout.healthFile(look.name))
            ? .at(context.now()) : .keep
        return SyncResult(
            ending: ending, message: look.status.message ?? "",
            memo: SyncMemo(status: look.status, history: look.history), health: health)
    }

    /// A git failure: `error`, retried with backoff when a retry may fix it, else looked
    /// at again at the poll interval (what fixes it, a rotated token or a pushed branch,
    /// may not touch any file here).
    private func gitFailure(_ error: GitError, _ look: inout Look, commit: String? = nil) async -> SyncResult {
        let retryable = error.retry == .retryable
        return await finish(
            &look, failure: .init(stage: .fetch, message: error.description), invalid: false,
            ending: retryable ? .retryable : .stalled, commit: commit, calls: 0, plan: nil)
    }

    /// Writes the outcome of a look: status (a failure, or the success already recorded),
    /// history, one log line.
    private func finish(
        _ look: inout Look, failure: StatusDocument.Failure?, invalid: Bool, ending: Scheduler.Ending,
        commit: String?, calls: Int, plan: SyncEngine.PlanPath?
    ) async -> SyncResult {
        if let commit { look.status.source.lastAttemptedCommit = commit }
        if let failure {
            look.status.fail(
                failure, invalid: invalid, at: look.startedAt,
                nextSync: ending == .retryable ? look.launch.next.retry : look.launch.next.poll)
        }
        // The note about statuses a full disk kept from being written ends with the next
        // synced look: its status, its history entry and the polls after it carry it
        // (restored below if this status cannot be written either). A failure before
        // that carries it without ending it.
        let unwritten = context.unwritten.take(look.name, consume: ending == .synced)
        if let unwritten { look.status.message = Self.noting(unwritten, in: look.status.message) }
        let elapsed = (ContinuousClock.now - look.started).milliseconds
        look.history.record(
            .init(
                at: look.startedAt, trigger: look.launch.trigger, commit: commit, result: look.status.status.rawValue,
                durationMs: elapsed, targetCalls: calls, message: look.status.message,
                functionsChanged: look.changes?.functions, filesChanged: look.changes?.files))
        await notify(look, commit: commit)
        await write(look.history, look.name)
        if await !write(look.status), let unwritten { context.unwritten.restore(look.name, unwritten) }
        var meta: Logger.Metadata = [
            "app": "\(look.name)", "result": "\(look.status.status.rawValue)",
            "duration_ms": .stringConvertible(elapsed),
            "target_calls": .stringConvertible(calls), "trigger": "\(look.launch.trigger.rawValue)",
        ]
        if let commit { meta["commit"] = "\(commit.prefix(12))" }
        if let plan { meta["plan"] = "\(plan.rawValue)" }
        if let failure { meta["error"] = "\(failure.stage.rawValue): \(failure.message)" }
        if ending == .synced { logger.info("sync", metadata: meta) } else { logger.warning("sync", metadata: meta) }
        return SyncResult(
            ending: ending, message: look.status.message ?? "",
            memo: SyncMemo(status: look.status, history: look.history))
    }

}

extension SyncRunner {
    /// The signature of the commit (mode commit) or of the tag (mode tag) in the cache.
    func verify(
        _ mode: Registration.Verify.Mode, _ verifier: SignatureVerifier, cache: String, commit: String,
        tag: String?, tagObject: String?
    ) async -> Result<Signer, VerifyProblem> {
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
