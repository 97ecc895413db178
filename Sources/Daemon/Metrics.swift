import Foundation
import Synchronization
import Sync

/// The process's counters for `/metrics` (Prometheus text format). What the files already
/// say (applications by status, last successful sync) is read from them at scrape time by
/// the facade; this holds only what happened in the process: syncs, lookups, fetches,
/// target calls, webhook deliveries.
public final class MetricsRegistry: Sendable {
    public static let durationBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    struct Histogram {
        var buckets = [Int](repeating: 0, count: MetricsRegistry.durationBuckets.count)
        var count = 0
        var sum = 0.0
    }

    struct State {
        var syncs: [[String]: Int] = [:]          // [app, result]
        var duration = Histogram()
        var headLookups: [[String]: Int] = [:]    // [result]
        var fetches: [[String]: Int] = [:]        // [result, transferred]
        var targetCalls: [[String]: Int] = [:]    // [kind, result]
        var webhooks: [[String]: Int] = [:]       // [provider, result]
    }

    private let state = Mutex(State())

    public init() {}

    public func sync(app: String, result: String, seconds: Double?) {
        state.withLock { s in
            s.syncs[[app, result], default: 0] += 1
            if let seconds {
                s.duration.count += 1
                s.duration.sum += seconds
                for (i, bound) in Self.durationBuckets.enumerated() where seconds <= bound { s.duration.buckets[i] += 1 }
            }
        }
    }

    public func headLookup(ok: Bool) { state.withLock { $0.headLookups[[ok ? "ok" : "error"], default: 0] += 1 } }
    public func fetch(ok: Bool, transferred: Bool) {
        state.withLock { $0.fetches[[ok ? "ok" : "error", transferred ? "true" : "false"], default: 0] += 1 }
    }
    public func targetCall(kind: String, ok: Bool) { state.withLock { $0.targetCalls[[kind, ok ? "ok" : "error"], default: 0] += 1 } }
    public func webhook(provider: String, result: String) { state.withLock { $0.webhooks[[provider, result], default: 0] += 1 } }

    /// The counters in Prometheus text format (0.0.4).
    public func render() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ labels: [String], _ values: [[String]: Int]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (key, value) in values.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let pairs = zip(labels, key).map { "\($0)=\"\(Self.escape($1))\"" }.joined(separator: ",")
                out += "\(name){\(pairs)} \(value)\n"
            }
        }
        family("zerverless_gitops_syncs_total", "counter", "Looks at applications by result (synced, unchanged, error, invalid, suspended).",
               ["app", "result"], s.syncs)
        out += "# HELP zerverless_gitops_sync_duration_seconds Duration of syncs that did something (not unchanged looks).\n"
        out += "# TYPE zerverless_gitops_sync_duration_seconds histogram\n"
        for (i, bound) in Self.durationBuckets.enumerated() {
            out += "zerverless_gitops_sync_duration_seconds_bucket{le=\"\(Self.number(bound))\"} \(s.duration.buckets[i])\n"
        }
        out += "zerverless_gitops_sync_duration_seconds_bucket{le=\"+Inf\"} \(s.duration.count)\n"
        out += "zerverless_gitops_sync_duration_seconds_sum \(s.duration.sum)\n"
        out += "zerverless_gitops_sync_duration_seconds_count \(s.duration.count)\n"
        family("zerverless_gitops_head_lookups_total", "counter", "Branch head lookups sent to repositories (shared ones count once).", ["result"], s.headLookups)
        family("zerverless_gitops_fetches_total", "counter", "Fetches into the caches, and whether objects were transferred.", ["result", "transferred"], s.fetches)
        family("zerverless_gitops_target_calls_total", "counter", "Calls to the deploy target by kind and result.", ["kind", "result"], s.targetCalls)
        family("zerverless_gitops_webhook_deliveries_total", "counter", "Webhook deliveries by provider and result.", ["provider", "result"], s.webhooks)
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(d)
    }
}

/// A deploy target that counts its calls by kind and result.
public struct MeteredTarget: DeployTarget {
    public let inner: any DeployTarget
    public let metrics: MetricsRegistry

    public init(_ inner: any DeployTarget, metrics: MetricsRegistry) {
        self.inner = inner
        self.metrics = metrics
    }

    func count<T>(_ kind: String, _ body: () async throws(TargetError) -> T) async throws(TargetError) -> T {
        do {
            let value = try await body()
            metrics.targetCall(kind: kind, ok: true)
            return value
        } catch {
            metrics.targetCall(kind: kind, ok: false)
            throw error
        }
    }

    public func deploy(_ request: DeployRequest) async throws(TargetError) {
        try await count("deploy") { () async throws(TargetError) in try await inner.deploy(request) }
    }

    public func undeploy(namespace: String, path: String) async throws(TargetError) {
        try await count("undeploy") { () async throws(TargetError) in try await inner.undeploy(namespace: namespace, path: path) }
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        try await count("upload") { () async throws(TargetError) in try await inner.upload(namespace: namespace, path: path, bytes: bytes) }
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        try await count("delete_file") { () async throws(TargetError) in try await inner.deleteFile(namespace: namespace, path: path) }
    }
}

/// `/readyz`: the first read of the apps dir is done (set by the supervisor).
public final class Readiness: Sendable {
    private let scanned = Atomic<Bool>(false)

    public init() {}

    public var firstScanDone: Bool { scanned.load(ordering: .acquiring) }

    func markScanned() { scanned.store(true, ordering: .releasing) }

    /// For tests of readers of the flag.
    public func markScannedForTests() { markScanned() }
}
