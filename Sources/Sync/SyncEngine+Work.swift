import Foundation
import GitSource
import Manifest
import State
import Synchronization
import Toolkit

/// The engine's tools: blocking work off the cooperative pool, the namespace lock, and
/// undeploying everything an application owns.
extension SyncEngine {
    /// Runs blocking work on the pool (or here, without one).
    func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        guard let pool else { return body() }
        return await pool.run(body)
    }

    func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard let pool else { return try body() }
        return try await pool.run(body)
    }

    /// `body` under the namespace's lock; nil when the task was cancelled while it waited
    /// for the lock (the daemon is stopping: nothing was done).
    func withLock<T: Sendable>(_ namespace: String, _ body: () async -> T) async -> T? {
        guard let locks else { return await body() }
        return try? await locks.withLock(namespace, body)
    }

    /// What a sync cancelled before it could take its namespace's lock reports.
    static var cancelledOutcome: Outcome {
        var outcome = Outcome()
        outcome.errors = [
            SyncError(
                .deploy, "the sync was cancelled (the daemon is stopping) before it could start; nothing was changed",
                retry: .retryable)
        ]
        return outcome
    }

    /// Undeploys everything an inventory holds (the application's registration is gone),
    /// recording progress in the inventory file as any apply does; nil when it cannot plan.
    public func undeployAll(app: String, inventory: Inventory, inventoryFile: String) async -> ApplyReport? {
        var policy = Registration.SyncPolicy()
        policy.prune = true
        policy.allowEmpty = true
        let desired = DesiredState(
            namespace: inventory.namespace, commit: inventory.synced?.commit ?? "", functions: [],
            files: [:], staticDir: nil, warnings: [])
        guard case .success(let plan) = Planner.plan(desired, inventory: inventory, policy: policy) else { return nil }
        var applier = Applier(app: app, target: target, save: { try $0.write(to: inventoryFile) }, content: { _ in [] })
        applier.parallelism = parallelism
        applier.pool = pool
        return await applier.apply(plan, desired: desired, inventory: inventory)
    }
}
