import Foundation
import Logging
import Manifest
import State
import Toolkit

/// Scale-out: which applications this shard owns, and the leases that make it their only
/// writer. With one shard there are no leases and every application is owned.
extension Supervisor {
    /// Whether this shard owns the namespace (or, for a registration without a usable
    /// namespace, the application's name).
    func owns(_ key: String) -> Bool {
        configuration.shards <= 1
            || Sharding.owner(namespace: key, shards: configuration.shards) == configuration.shardIndex
    }

    /// The key an entry is owned by: its namespace when it has one.
    func ownershipKey(_ name: String, _ entry: AppEntry?) -> String {
        if case .valid(let registration, _, _)? = entry { return registration.namespace }
        if let ns = runner.status(name)?.namespace, !ns.isEmpty { return ns }
        if let ns = Inventory.namespace(ofFile: layout.inventoryFile(name)) { return ns }
        return name
    }

    /// Takes (or renews) the application's lease; true when this shard may write its files.
    func holdLease(_ name: String) -> Bool {
        guard let leases else { return true }
        if leases.acquire(name, now: now(), monotonic: runner.context.clock.uptime()) { return true }
        guard let blocker = leases.blocker(name, now: now(), monotonic: runner.context.clock.uptime()) else {
            return false
        }
        if blockedBy[name]?.lease != blocker.lease {
            // Said once per lease seen (a renewal is another lease): an owner kept from its
            // application is something an operator must hear of.
            blockedBy[name] = (blocker.lease, false)
            logger.warning(
                "application blocked by another shard's lease; taken over when it is released or not renewed",
                metadata: [
                    "app": "\(name)", "holder": "\(blocker.lease.holder)", "shard": "\(blocker.lease.shard)",
                    "expires_written": "\(blocker.lease.expires)",
                    "takeover_in_s": "\(Int(blocker.remaining.rounded(.up)))",
                ])
        }
        // A holder that missed a renewal looks dead: its status (say `synced`) is no longer
        // the truth, so the status says who blocks the app and until when. Written once per
        // lease; the owner's first look after the takeover writes the whole status again.
        if blockedBy[name]?.shown == false, blocker.unchangedFor > leases.duration / 3,
            var status = runner.status(name)
        {
            blockedBy[name]?.shown = true
            status.message =
                "blocked by the lease of \(blocker.lease.holder), not renewed for \(Int(blocker.unchangedFor)) s; "
                + "shard \(configuration.shardIndex) takes the application over in \(Int(blocker.remaining.rounded(.up))) s"
            try? layout.writeStatus(status, durable: false)
        }
        return false
    }

    /// This shard stops owning an application (a resize, a namespace that moved): nothing
    /// is undeployed; the schedule is forgotten and the lease released (once a running
    /// look ends).
    func disown(_ name: String) {
        guard apps[name] != nil || scheduler.knows(name) || disowning.contains(name) else { return }
        if scheduler.isRunning(name) {
            disowning.insert(name)
            return
        }
        disowning.remove(name)
        scheduler.forget(name)
        apps[name] = nil
        runner.forget(name)
        leases?.release(name)
        logger.info(
            "application no longer owned by this shard; left to its owner (nothing undeployed)",
            metadata: ["app": "\(name)", "shard": "\(configuration.shardIndex)"])
    }

    /// Renews every lease this shard holds; an app whose lease another shard took is let go.
    func renewLeases() {
        guard let leases else { return }
        for name in scheduler.names where !disowning.contains(name) {
            if !leases.acquire(name, now: now(), monotonic: runner.context.clock.uptime()) {
                logger.warning("lease lost to another shard; letting the application go", metadata: ["app": "\(name)"])
                disown(name)
            }
        }
    }
}
