import Foundation
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

extension SyncRunner {
    /// A drift check of a synced application (`syncPolicy.selfHeal` warn or correct): the
    /// target's copy of what the inventory says it deployed. `warn` writes `drift` into the
    /// status and sends a `drift` event when the set of drifted items changes; `correct`
    /// marks the drifted records unconfirmed and syncs the deployed commit again, which
    /// deploys exactly those once more. Nothing no inventory owns is ever touched (it is
    /// counted as unmanaged). The poll schedule does not move.
    public func drift(
        _ registration: Registration, file: String, launch: Scheduler.Launch, key: String?, memo: SyncMemo?,
        pass: Int
    ) async -> SyncResult {
        let name = registration.name
        let ns = registration.namespace
        let unchanged = SyncResult(ending: .unchanged, message: memo?.status.message ?? "", memo: memo)
        let mode = registration.syncPolicy.selfHeal
        guard mode != .off, let probe = context.driftProbe,
            var status = memo?.status ?? (try? layout.readStatus(name)), status.status == .synced,
            status.namespace == ns,
            status.pinned == nil || layout.readPin(name) != nil
        else { return unchanged }
        let history = memo?.history ?? layout.readHistory(name)
        let layout = self.layout
        guard let success = history.lastSuccess,
            let inventory = try? await BlockingPool.files.run({ () throws -> Inventory? in
                try Inventory.read(layout.inventoryFile(name))
            }),
            inventory.namespace == ns, inventory.isConfirmed
        else { return unchanged }
        let observation: DriftObservation
        do {
            let index = context.inventories
            observation = try await probe.observe(
                app: name, inventory: inventory, peers: { index.ownership(in: ns, excluding: name) }, pass: pass)
        } catch {
            logger.warning("drift check failed", metadata: ["app": "\(name)", "error": "\(error)"])
            return unchanged
        }
        let previous = status.drift
        var drift = StatusDocument.Drift(
            checkedAt: context.now(), items: observation.items, corrected: 0, unmanaged: observation.unmanaged)
        if observation.items.isEmpty || mode == .warn {
            status.drift = drift
            await write(status, durable: false)
            if !observation.items.isEmpty, previous?.items != observation.items {
                logger.warning(
                    "drift", metadata: ["app": "\(name)", "items": "\(observation.items.count)", "self_heal": "warn"])
                await emitDrift(registration, status, drift, previous: previous)
            }
            return SyncResult(
                ending: .unchanged, message: status.message ?? "", memo: SyncMemo(status: status, history: history))
        }

        // correct: the drifted records become unconfirmed (their state on the target is
        // not what the inventory says), and a sync of the deployed commit redoes them.
        var distrusted = inventory
        distrusted.synced = nil
        for item in observation.items {
            switch item.kind {
            case .function: distrusted.functions[item.path]?.fingerprint = nil
            case .static:
                for path in distrusted.files.keys where RepoPath.display(path) == item.path {
                    distrusted.files[path]?.id = nil
                }
            }
        }
        do {
            let written = distrusted
            try await BlockingPool.files.run { () throws -> Void in try written.write(to: layout.inventoryFile(name)) }
        } catch {
            logger.error(
                "cannot write the inventory for a drift correction", metadata: ["app": "\(name)", "error": "\(error)"])
            return unchanged
        }
        drift.corrected = observation.items.count
        status.drift = drift
        let correction = Scheduler.Launch(
            name: name, kind: .look, trigger: .drift, force: true, failures: 0, next: launch.next)
        var result = await look(
            registration, file: file, launch: correction, key: key ?? context.key(registration),
            memo: SyncMemo(status: status, history: history), override: success.commit)
        if result.ending == .synced {
            logger.info("drift corrected", metadata: ["app": "\(name)", "items": "\(drift.corrected)"])
            if let after = result.memo?.status { await emitDrift(registration, after, drift, previous: previous) }
        } else if var after = result.memo?.status ?? (try? layout.readStatus(name)) {
            after.drift?.corrected = 0
            await write(after)
            result.memo?.status = after
        }
        // A correction is not a new sync for the scheduler.
        result.ending = .unchanged
        return result
    }

    private func emitDrift(
        _ registration: Registration, _ status: StatusDocument, _ drift: StatusDocument.Drift,
        previous: StatusDocument.Drift?
    ) async {
        let shown = drift.items.prefix(5).map { "\($0.kind.rawValue) \($0.path) \($0.change.rawValue)" }.joined(
            separator: ", ")
        let more = drift.items.count > 5 ? " and \(drift.items.count - 5) more" : ""
        let verb = drift.corrected > 0 ? "corrected" : "found (selfHeal warn: not changed)"
        var carried = drift
        carried.items = Array(drift.items.prefix(20))  // the message says how many there are
        let event = NotificationEvent(
            event: "drift", app: registration.name, namespace: registration.namespace, status: status.status.rawValue,
            previousStatus: status.status.rawValue, commit: status.source.commit, previousCommit: status.source.commit,
            message: "drift \(verb): \(drift.items.count) item\(drift.items.count == 1 ? "" : "s"): \(shown)\(more)",
            drift: carried, time: drift.checkedAt, repoURL: status.source.repoURL)
        await context.notifications.emit(
            .drift, event, notify: registration.notify,
            identity: [
                drift.items.map { "\($0.kind) \($0.path) \($0.change)" }.joined(separator: "|"),
                "\(drift.corrected)", "\(drift.checkedAt.timeIntervalSince1970)",
            ])
    }
}
