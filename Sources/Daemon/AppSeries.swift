import Foundation
import Synchronization

/// The per-application series (`zerverless_gitops_syncs_total` by application, namespace
/// and result; `zerverless_gitops_sync_duration_seconds` by application and namespace),
/// kept here rather than in the Prometheus registry: the registry copies a metric's whole
/// table of label sets each time it adds one (a new application, or an application's first
/// look with a new result), which at 100,000 applications made a start quadratic (40% of
/// its CPU) and kept every application ever seen, previews long gone included. Here an
/// application costs one small entry, made in constant time, and `forget` drops it when
/// the application is gone. Rendered in Prometheus's text format after the registry's.
public final class AppSeries: Sendable {
    public static let results = ["synced", "unchanged", "error", "invalid", "suspended"]
    /// Upper bounds (seconds) of the duration buckets, as the daemon's other histograms.
    public static let bounds: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    struct Entry {
        var namespace: String
        var results = [Int](repeating: 0, count: AppSeries.results.count)
        var buckets = [Int](repeating: 0, count: AppSeries.bounds.count)
        var sum = 0.0
        var count = 0
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Counts a look of `app` that ended with `result` (one of `results`), and its duration
    /// when it did something.
    public func record(app: String, namespace: String, result: String, seconds: Double?) {
        guard let index = Self.results.firstIndex(of: result) else { return }
        entries.withLock { entries in
            // An application moved to another namespace starts its series again there.
            if entries[app]?.namespace != namespace { entries[app] = Entry(namespace: namespace) }
            entries[app]!.results[index] += 1
            if let seconds {
                if let bucket = Self.bounds.firstIndex(where: { seconds <= $0 }) { entries[app]!.buckets[bucket] += 1 }
                entries[app]!.sum += seconds
                entries[app]!.count += 1
            }
        }
    }

    /// The application is gone: its series go with it.
    public func forget(_ app: String) {
        _ = entries.withLock { $0.removeValue(forKey: app) }
    }

    /// Looks of `app` that ended with `result`.
    public func count(app: String, result: String) -> Int {
        guard let index = Self.results.firstIndex(of: result) else { return 0 }
        return entries.withLock { $0[app]?.results[index] ?? 0 }
    }

    /// The recorded durations of `app`: how many, and their sum.
    public func durations(app: String) -> (count: Int, sum: Double) {
        entries.withLock { ($0[app]?.count ?? 0, $0[app]?.sum ?? 0) }
    }

    public var applications: Int { entries.withLock { $0.count } }

    /// The series in Prometheus's text format (applications in name order; a result never
    /// seen is not written, as the registry did not).
    public func text() -> String {
        let snapshot = entries.withLock { $0 }
        guard !snapshot.isEmpty else { return "" }
        let names = snapshot.keys.sorted()
        var counts =
            "# HELP zerverless_gitops_syncs_total Looks at applications, by application, namespace and result (synced, unchanged, error, invalid, suspended).\n# TYPE zerverless_gitops_syncs_total counter\n"
        var durations =
            "# HELP zerverless_gitops_sync_duration_seconds Duration of the looks that did something (not unchanged polls), by application and namespace.\n# TYPE zerverless_gitops_sync_duration_seconds histogram\n"
        let bounds = Self.bounds.map { Self.number($0) }
        for name in names {
            let entry = snapshot[name]!
            let labels = "app=\"\(Self.escaped(name))\",namespace=\"\(Self.escaped(entry.namespace))\""
            for (i, value) in entry.results.enumerated() where value > 0 {
                counts += "zerverless_gitops_syncs_total{\(labels),result=\"\(Self.results[i])\"} \(value)\n"
            }
            guard entry.count > 0 else { continue }
            var cumulative = 0
            for (i, value) in entry.buckets.enumerated() {
                cumulative += value
                durations +=
                    "zerverless_gitops_sync_duration_seconds_bucket{\(labels),le=\"\(bounds[i])\"} \(cumulative)\n"
            }
            durations += "zerverless_gitops_sync_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
            durations += "zerverless_gitops_sync_duration_seconds_sum{\(labels)} \(Self.number(entry.sum))\n"
            durations += "zerverless_gitops_sync_duration_seconds_count{\(labels)} \(entry.count)\n"
        }
        return counts + durations
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) + ".0" : String(value)
    }

    /// A label value as the text format wants it (names and namespaces are DNS labels; this
    /// is for safety only).
    static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
