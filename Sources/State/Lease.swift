import Foundation

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

    public init(layout: StateLayout, shard: Int, holder: String = Leases.defaultHolder(shard: 0), duration: TimeInterval = 60) {
        self.layout = layout
        self.shard = shard
        self.holder = holder
        self.duration = duration
    }

    /// `shard I on HOST`.
    public static func defaultHolder(shard: Int) -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        return "shard \(shard) on \(String(cString: host))"
    }

    public func file(_ name: String) -> String { layout.appDir(name) + "/lease" }

    public func read(_ name: String) -> Lease? { try? AtomicFile.readJSON(Lease.self, from: file(name)) }

    func ours(_ lease: Lease) -> Bool { lease.shard == shard && lease.holder == holder }

    /// Takes or renews the lease when it is free, expired or already ours; true when this
    /// shard holds it afterwards (read back: of two shards writing at once, one wins).
    public func acquire(_ name: String, now: Date) -> Bool {
        if let current = read(name), current.expires > now, !ours(current) { return false }
        do {
            try AtomicFile.makeFolder(layout.appDir(name))
            try AtomicFile.writeJSON(Lease(shard: shard, holder: holder, expires: now.addingTimeInterval(duration)), to: file(name), durable: false)
        } catch {
            return false
        }
        return read(name).map(ours) ?? false
    }

    /// Gives the lease up (only our own).
    public func release(_ name: String) {
        if let current = read(name), ours(current) { unlink(file(name)) }
    }
}
