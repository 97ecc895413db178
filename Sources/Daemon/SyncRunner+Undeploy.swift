import Foundation
import Logging
import Manifest
import Notify
import State
import Sync
import Toolkit

extension SyncRunner {
    /// Undeploys everything the application's inventory holds (in the inventory's
    /// namespace, under its lock), then removes its state.
    public func undeploy(name: String, trigger: Scheduler.Trigger) async -> (done: Bool, message: String) {
        let started = ContinuousClock.now
        let inventory: Inventory
        do {
            inventory = try Inventory.read(layout.inventoryFile(name)) ?? Inventory(namespace: "")
        } catch {
            return (false, "cannot read the inventory: \(error)")
        }
        let counting = CountingTarget(context.target)
        var engine = SyncEngine(target: counting, limits: context.limits)
        engine.pool = context.workers
        let file = layout.inventoryFile(name)
        var report: ApplyReport?
        if !inventory.isEmpty {
            do {
                report = try await context.namespaceLocks.withLock(inventory.namespace) {
                    await engine.undeployAll(app: name, inventory: inventory, inventoryFile: file)
                }
            } catch {
                return (
                    false, "the undeploy was cancelled (the daemon is stopping) before it started; nothing was removed"
                )
            }
        }
        if let report, report.failed {
            let message = StatusDocument.failure(of: report).message
            logger.warning(
                "undeploy",
                metadata: [
                    "app": "\(name)", "result": "error", "error": "\(message)",
                    "target_calls": "\(counting.counts.total)",
                ])
            return (false, message)
        }
        let calls = counting.counts.total
        let last = status(name)
        let namespace = last?.namespace.isEmpty == false ? last!.namespace : inventory.namespace
        if !namespace.isEmpty {
            let event = NotificationEvent(
                event: "deleted", app: name, namespace: namespace, status: "deleted",
                previousStatus: last?.status.rawValue,
                commit: nil, previousCommit: last?.source.commit,
                message:
                    "registration removed; undeployed (\(counted(inventory.functions.count, "function")), \(counted(inventory.files.count, "static file")))",
                time: context.now(), repoURL: last?.source.repoURL)
            await context.notifications.emit(
                .deleted, event, notify: context.notifications.endpoints(of: name, namespace: namespace),
                identity: [last?.lastAttempt.map { "\($0.timeIntervalSince1970)" } ?? "", last?.source.commit ?? ""])
        }
        context.notifications.forget(name)
        context.inventories.forget(name)
        let layout = self.layout
        await BlockingPool.files.run { () -> Void in
            layout.removeApp(name)
            SyncRequests(layout: layout).remove(name)
        }
        logger.info(
            "undeploy",
            metadata: [
                "app": "\(name)", "result": "undeployed", "trigger": "\(trigger.rawValue)",
                "duration_ms": .stringConvertible((ContinuousClock.now - started).milliseconds),
                "target_calls": .stringConvertible(calls),
            ])
        return (true, "undeployed")
    }

    /// The status document of `name` as the files hold it.
    public func status(_ name: String) -> StatusDocument? { try? layout.readStatus(name) }

    /// Writes a status document the supervisor built (pending, invalid, deleting).
    public func publish(_ status: StatusDocument) async { await write(status) }
}
