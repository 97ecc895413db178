import Foundation
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

/// Health (interface section 8): after a deploy, the checks the manifest declares run in
/// rounds (`spec.health`: initial delay, interval, retries, deadline) until they pass
/// (`healthy`) or fail past their deadline (`degraded`, and with
/// `syncPolicy.autoRollback` an automatic pin to the last healthy commit); then every
/// `--health-interval` a re-check, which only marks and notifies. Each round is a look of
/// its own kind (Scheduler+Health): never beside another look of the application.
extension SyncRunner {
    /// After a sync that synced: the checks of its commit start (health `progressing`),
    /// or the app has none (no `health`), or cannot be checked (`unknown`).
    func planHealth(_ look: inout Look, manifest: AppManifest?, commit: String) async -> HealthNext {
        let name = look.name
        let layout = self.layout
        let changed = (look.changes.map { $0.functions + $0.files } ?? 1) > 0
        guard let manifest else {
            // The engine did not read the manifest (a fast path: it did not change), so
            // the checks are the plan's: the same again for a new commit or a redeploy.
            guard var plan = layout.readHealthPlan(name), plan.commit != commit || changed else { return .keep }
            plan = HealthPlan(commit: commit, deployedAt: context.now(), policy: plan.policy, checks: plan.checks)
            return await start(&look, plan)
        }
        guard manifest.hasHealthChecks else {
            look.status.health = nil
            await BlockingPool.files.run { layout.removeHealthPlan(name) }
            return .off
        }
        guard let base = context.invokeBase, context.healthProbe != nil else {
            look.status.health = .init(
                status: .unknown, commit: commit,
                message: "not checked: the local target has no invoke URL (give --invoke-url)")
            await BlockingPool.files.run { layout.removeHealthPlan(name) }
            return .off
        }
        if let previous = layout.readHealthPlan(name), previous.commit == commit, !changed,
            look.status.health?.commit == commit
        {
            return .keep  // a sync that deployed nothing: the checks of this commit stand
        }
        let plan = HealthPlan(
            commit: commit, deployedAt: context.now(), policy: manifest.health ?? AppManifest.HealthPolicy(),
            checks: HealthPlan.checks(
                of: manifest, namespace: look.registration.namespace, base: base,
                pathPrefix: look.registration.pathPrefix))
        return await start(&look, plan)
    }

    /// Writes the plan; the checks start after their initial delay (health `progressing`).
    private func start(_ look: inout Look, _ plan: HealthPlan) async -> HealthNext {
        let (name, layout) = (look.name, self.layout)
        do {
            try await BlockingPool.files.run { () throws -> Void in try layout.writeHealthPlan(plan, of: name) }
        } catch {
            logger.error("cannot write the health plan", metadata: ["app": "\(name)", "error": "\(error)"])
            return .off
        }
        look.status.health = .init(status: .progressing, commit: plan.commit, checks: [])
        return .at(plan.deployedAt.addingTimeInterval(Double(plan.policy.initialDelay)))
    }

    /// One round of an application's checks.
    public func health(_ registration: Registration, memo: SyncMemo?) async -> SyncResult {
        let name = registration.name
        let layout = self.layout
        let off = SyncResult(ending: .unchanged, message: memo?.status.message ?? "", memo: memo, health: .off)
        guard let probe = context.healthProbe, var plan = layout.readHealthPlan(name),
            var status = memo?.status ?? (try? layout.readStatus(name)),
            status.namespace == registration.namespace, status.source.commit == plan.commit,
            !registration.syncPolicy.suspend, layout.readSuspension(name) == nil, status.status != .suspended
        else { return off }  // another commit's plan, or suspended: no rounds (resume syncs)
        guard status.status == .synced else {
            // A failed poll or a sync in between: the checks of this commit go on later.
            var later = off
            later.health = .at(context.now().addingTimeInterval(Double(max(plan.policy.interval, 10))))
            return later
        }
        var history = memo?.history ?? layout.readHistory(name)
        // At most 8 requests of one round at a time.
        let results = await withTaskGroup(of: (Int, StatusDocument.Health.Check).self) { group in
            var out = [StatusDocument.Health.Check?](repeating: nil, count: plan.checks.count)
            var next = 0
            while next < min(8, plan.checks.count) {
                let (i, check) = (next, plan.checks[next])
                group.addTask { (i, await probe.run(check)) }
                next += 1
            }
            for await (i, result) in group {
                out[i] = result
                if next < plan.checks.count {
                    let (j, check) = (next, plan.checks[next])
                    group.addTask { (j, await probe.run(check)) }
                    next += 1
                }
            }
            return out.compactMap { $0 }
        }
        plan.rounds += 1
        let settling = !plan.settled
        let now = context.now()
        let passed = results.allSatisfy { $0.result == .pass }
        let before = status.health?.status
        var health = StatusDocument.Health(status: .healthy, checkedAt: now, commit: plan.commit, checks: results)
        // Re-checks of many apps spread over a tenth of the interval, not in lockstep.
        let spread = context.healthInterval * Double.random(in: 0..<0.1)
        let periodic =
            context.healthInterval > 0 ? HealthNext.at(now.addingTimeInterval(context.healthInterval + spread)) : .off
        var next = periodic
        var rollback: Pin?
        if passed {
            plan.settled = true
            history.lastHealthy = .init(commit: plan.commit, key: history.lastSuccess?.key ?? "", at: now)
        } else if !plan.settled
            && now < plan.deployedAt.addingTimeInterval(Double(plan.policy.deadline))
            && plan.rounds <= plan.policy.retries
        {
            health.status = .progressing
            next = .at(now.addingTimeInterval(Double(plan.policy.interval)))
        } else {
            health.status = .degraded
            let failed = results.first { $0.result == .fail }.map { "\($0.name): \($0.message ?? "failed")" } ?? ""
            if !plan.settled {
                plan.settled = true
                (rollback, health.message) = automaticRollback(registration, plan, history, failed: failed, now: now)
            }
        }
        // The attempt that deployed this commit records what its checks said when they
        // settled (a re-check hours later does not rewrite it).
        if settling, health.status != .progressing,
            let i = history.attempts.firstIndex(where: {
                $0.commit == plan.commit && $0.result == StatusDocument.Phase.synced.rawValue
            })
        {
            history.attempts[i].health = health.status.rawValue
        }
        status.health = health
        let (savedPlan, savedStatus, savedHistory, pin) = (plan, status, history, rollback)
        do {
            // The pin first (a crash after it still rolls back; one before it meets an
            // unsettled plan again), and never over a pin a person wrote meanwhile.
            rollback = try await BlockingPool.files.run { () throws -> Pin? in
                var written: Pin?
                if let pin, layout.readPin(name).map({ $0.isAutomatic }) ?? true {
                    try layout.writePin(pin, of: name)
                    written = pin
                }
                try layout.writeHistory(savedHistory, of: name)
                try layout.writeHealthPlan(savedPlan, of: name)
                return written
            }
        } catch {
            logger.error("cannot write the health round", metadata: ["app": "\(name)", "error": "\(error)"])
        }
        await write(savedStatus, durable: false)
        if before != health.status || rollback != nil {
            await announce(registration, status, health, rolledBack: rollback)
        }
        return SyncResult(
            ending: .unchanged, message: status.message ?? "", memo: SyncMemo(status: status, history: history),
            health: next)
    }

    /// The automatic pin of a failed deploy (`syncPolicy.autoRollback`), and what the health
    /// says about it: to the last healthy commit, unless there is none, it is this one, or
    /// a person pinned the app.
    func automaticRollback(
        _ registration: Registration, _ plan: HealthPlan, _ history: SyncHistory, failed: String, now: Date
    ) -> (Pin?, String?) {
        guard registration.syncPolicy.autoRollback else { return (nil, nil) }
        guard let good = history.lastHealthy?.commit, good != plan.commit else {
            return (nil, "no healthy commit to roll back to; \(plan.commit.prefix(12)) stays deployed")
        }
        if let pin = layout.readPin(registration.name), !pin.isAutomatic {
            return (nil, "pinned by a person; not rolled back")
        }
        let pin = Pin(
            commit: good, reason: "automatic rollback: \(plan.commit.prefix(12)) failed its checks (\(failed))",
            since: now, by: "zerverless-gitops (health checks)", automatic: true, rolledBackFrom: plan.commit)
        return (pin, "rolled back to \(good.prefix(12)), the last healthy commit")
    }

    /// `healthy`, `degraded` and `rolledBack` events; a forge's commit status of a commit
    /// rolled back says failure, with the failed check.
    func announce(
        _ registration: Registration, _ status: StatusDocument, _ health: StatusDocument.Health, rolledBack: Pin?
    ) async {
        guard health.status == .healthy || health.status == .degraded else { return }
        let kind: Registration.EventKind =
            rolledBack != nil ? .rolledBack : health.status == .healthy ? .healthy : .degraded
        let failing = health.checks.filter { $0.result == .fail }.map { "\($0.name): \($0.message ?? "failed")" }
        let more = failing.count > 5 ? " and \(failing.count - 5) more" : ""
        let message =
            health.status == .healthy
            ? "healthy: \(counted(health.checks.count, "check")) passed at \(health.commit?.prefix(12) ?? "")"
            : "degraded: " + failing.prefix(5).joined(separator: ", ") + more + (health.message.map { "; \($0)" } ?? "")
        let event = NotificationEvent(
            event: kind.rawValue, app: registration.name, namespace: registration.namespace,
            status: status.status.rawValue, previousStatus: status.status.rawValue, commit: health.commit,
            previousCommit: rolledBack?.commit, message: message, time: health.checkedAt ?? context.now(),
            repoURL: status.source.repoURL)
        logger.log(
            level: health.status == .healthy ? .info : .warning, "\(kind.rawValue)",
            metadata: ["app": "\(registration.name)", "commit": "\(health.commit?.prefix(12) ?? "")"])
        await context.notifications.emit(
            kind, event, notify: registration.notify,
            identity: [health.commit ?? "", health.status.rawValue, "\(event.time.timeIntervalSince1970)"])
        if rolledBack != nil, let commit = health.commit {
            var failure = event
            failure.commit = commit
            await context.notifications.commitStatus(registration, state: "failure", event: failure)
        } else if health.commit != nil, registration.isPreview {
            // A pull-request preview: its commit status says whether the preview works.
            await context.notifications.commitStatus(
                registration, state: health.status == .healthy ? "success" : "failure", event: event)
        }
    }
}
