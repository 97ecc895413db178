import Foundation
import Synchronization
import Toolkit

/// `apps/NAME/lease`: which shard writes this application's files, until when
/// (`{"shard": I, "holder": "...", "expires": "RFC 3339"}`). A shard writes an app's files
/// only while it holds the lease; it renews it while it owns the app and releases it when
/// it stops owning it; another shard takes it only once it is released or expired. The
/// holder names the shard and its host: a restarted shard (same index, same host: the
/// same StatefulSet pod) takes its own lease back at once.
public struct Lease: Sendable, Hashable, Codable {
    public var shard: Int
    public var holder: String
    public var expires: Date

    public init(shard: Int, holder: String, expires: Date) {
        self.shard = shard
        self.holder = holder
        self.expires = expires
    }
}

public struct Leases: Sendable {
    public let layout: StateLayout
    public let shard: Int
    public let holder: String
    /// How long a lease lasts unless renewed.
    public let duration: TimeInterval
    /// What this shard last saw of each foreign lease, and when on its own monotonic
    /// clock: a foreign lease expires by that clock, never by the date written in it.
    private let seen = Observations()

    public init(
        layout: StateLayout, shard: Int, holder: String = Leases.defaultHolder(shard: 0), duration: TimeInterval = 60
    ) {
        self.layout = layout
        self.shard = shard
        self.holder = holder
        self.duration = duration
    }

    /// A foreign lease as this shard judges it.
    public struct Foreign: Sendable, Equatable {
        public var lease: Lease
        /// Seconds until this shard takes it over unless it changes (is renewed) first.
        public var remaining: TimeInterval
        /// Seconds since this shard first saw the lease as it is (a live holder renews it
        /// every third of its duration).
        public var unchangedFor: TimeInterval = 0
    }

    /// `shard I on HOST`.
    public static func defaultHolder(shard: Int) -> String {
        "shard \(shard) on \(hostName())"
    }

    public func file(_ name: String) -> String { layout.appDir(name) + "/lease" }

    public func read(_ name: String) -> Lease? { try? AtomicFile.readJSON(Lease.self, from: file(name)) }

    func ours(_ lease: Lease) -> Bool { lease.shard == shard && lease.holder == holder }

    /// Takes or renews the lease when it is free, expired or already ours; true when this
    /// shard holds it afterwards (read back: of two shards writing at once, one wins).
    ///
    /// A foreign lease expires the way Kubernetes' leader election judges it: by this
    /// shard's own monotonic clock (`monotonic`: the daemon clock's uptime), measured from when it last saw the lease
    /// change: `duration` after a change it saw (a renewal), and at the first sight the time
    /// the lease's date leaves, bounded by `duration`. A holder whose clock runs a day ahead
    /// blocks an app for at most `duration` after it stopped renewing; one whose clock runs
    /// behind still holds while it renews.
    public func acquire(_ name: String, now: Date, monotonic: Duration) -> Bool {
        if blocker(name, now: now, monotonic: monotonic) != nil { return false }
        do {
            try AtomicFile.makeFolder(layout.appDir(name))
            try AtomicFile.writeJSON(
                Lease(shard: shard, holder: holder, expires: now.addingTimeInterval(duration)), to: file(name),
                durable: false)
        } catch {
            return false
        }
        return read(name).map(ours) ?? false
    }

    /// Gives the lease up (only our own).
    public func release(_ name: String) {
        if let current = read(name), ours(current) { unlink(file(name)) }
        seen.forget(name)
    }

    /// The foreign lease that keeps this shard from writing `name` now, if any.
    public func blocker(_ name: String, now: Date, monotonic: Duration) -> Foreign? {
        guard let current = read(name), !ours(current) else {
            seen.forget(name)
            return nil
        }
        let left = max(0, min(current.expires.timeIntervalSince(now), duration))
        let since = seen.observe(name, current, left: left, full: duration, at: monotonic)
        let elapsed = monotonic - since.at
        let remaining = since.left - elapsed.seconds
        return remaining > 0 ? Foreign(lease: current, remaining: remaining, unchangedFor: elapsed.seconds) : nil
    }
}

/// When each foreign lease was last seen to change, with the time it had left then.
private final class Observations: Sendable {
    struct Seen {
        var lease: Lease
        var at: Duration
        var left: TimeInterval
    }

    private let state = Mutex<[String: Seen]>([:])

    /// The observation that counts: the first sight of this exact lease. At the first sight
    /// of any lease of the app it has the time its date leaves (a lease long expired when
    /// this shard starts is free at once); a lease seen to change was renewed, so its
    /// holder is alive: a whole `full` from now, whatever date its clock wrote.
    func observe(_ name: String, _ lease: Lease, left: TimeInterval, full: TimeInterval, at now: Duration) -> Seen {
        state.withLock { seen in
            if let known = seen[name], known.lease == lease { return known }
            let fresh = Seen(lease: lease, at: now, left: seen[name] == nil ? left : full)
            seen[name] = fresh
            return fresh
        }
    }

    func forget(_ name: String) { _ = state.withLock { $0.removeValue(forKey: name) } }
}

/// This host's name (gethostname(2)).
func hostName() -> String {
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count)
    return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
