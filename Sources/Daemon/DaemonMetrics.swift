import CoreMetrics
import Foundation
import State
import Sync
import Synchronization
import Toolkit

/// What happens in the daemon, through swift-metrics (the daemon bootstraps Prometheus as
/// its backend; the tests pass MetricsTestKit's factory). What the files already say
/// (applications by status, last sync) is read from them at scrape time by the facade.
public struct DaemonMetrics: Sendable {
    let factory: any MetricsFactory
    /// The per-application series (not in the registry: see `AppSeries`).
    public let apps: AppSeries
    /// The git request series, made once per kind and result (a look of an unchanged
    /// application asks once: making them each time went through the factory's lock and
    /// lookup, ~2% of an unshared poll round).
    private let gitSeries = GitSeries()

    public init(factory: any MetricsFactory = MetricsSystem.factory, apps: AppSeries = AppSeries()) {
        self.factory = factory
        self.apps = apps
    }

    /// A look that ended: counted by application and result; the duration of one that did
    /// something (not an unchanged poll).
    public func sync(app: String, namespace: String, ending: Scheduler.Ending, seconds: Double?) {
        let result: String
        switch ending {
        case .synced: result = "synced"
        case .unchanged: result = "unchanged"
        case .retryable: result = "error"
        case .stalled: result = "invalid"
        case .suspended: result = "suspended"
        }
        apps.record(app: app, namespace: namespace, result: result, seconds: seconds)
    }

    /// A request to a git server (head lookup, fetch), its duration and result.
    public func gitRequest(kind: String, ok: Bool, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let result = ok ? "ok" : "error"
        let series = gitSeries.made.withLock { series in
            if let made = series[kind + " " + result] { return made }
            let dimensions = [("kind", kind), ("result", result)]
            let made = (
                count: Counter(label: "zerverless_gitops_git_requests_total", dimensions: dimensions, factory: factory),
                duration: Timer(
                    label: "zerverless_gitops_git_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            series[kind + " " + result] = made
            return made
        }
        series.count.increment()
        series.duration.recordNanoseconds(elapsed.nanoseconds)
    }

    /// The state dir was removed or replaced under the daemon (it exits 1 once its running
    /// looks end).
    public func stateDirLost() {
        Gauge(label: "zerverless_gitops_state_dir_lost", factory: factory).record(1)
    }

    /// The help text of every series above (swift-metrics has no place for it).
    public static let help: [String: String] = [
        "zerverless_gitops_git_requests_total": "Requests to git servers (head lookups, fetches), by kind and result.",
        "zerverless_gitops_git_request_duration_seconds": "Duration of requests to git servers, by kind and result.",
        "zerverless_gitops_target_calls_total":
            "Calls to the deploy target, by kind (deploy, undeploy, upload, delete_file) and result.",
        "zerverless_gitops_webhook_deliveries_total": "Webhook deliveries, by provider and result.",
        "zerverless_gitops_notifications_total":
            "Notification delivery attempts from the outbox, by endpoint kind (generic, slack, operator, github, gitea, gitlab) and result (delivered, failed, dropped, superseded).",
        "zerverless_gitops_notifications_pending":
            "Notification deliveries waiting in the outbox (undelivered, at most 24 h old).",
        "zerverless_gitops_state_dir_lost":
            "1 when the state dir was removed or replaced under the daemon (it stops syncing and exits 1).",
    ]

    /// The Prometheus exposition with a `# HELP` line before each `# TYPE` line of a series
    /// this process knows and that has none.
    public static func annotate(_ exposition: String) -> String {
        var out = ""
        out.reserveCapacity(exposition.utf8.count + 1024)
        var previous = ""
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), !previous.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).split(separator: " ").first.map(String.init) ?? ""
                if let text = help[name] { out += "# HELP \(name) \(text)\n" }
            }
            out += line + "\n"
            previous = String(line)
        }
        return String(out.dropLast())
    }

    public func targetCall(kind: String, ok: Bool) {
        Counter(
            label: "zerverless_gitops_target_calls_total",
            dimensions: [("kind", kind), ("result", ok ? "ok" : "error")], factory: factory
        ).increment()
    }
}

/// Counts every call to a target by kind and result.
public struct MeteredTarget: DeployTarget {
    public let inner: any DeployTarget
    public let metrics: DaemonMetrics

    public init(_ inner: any DeployTarget, metrics: DaemonMetrics) {
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
        try await count("undeploy") { () async throws(TargetError) in
            try await inner.undeploy(namespace: namespace, path: path)
        }
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        try await count("upload") { () async throws(TargetError) in
            try await inner.upload(namespace: namespace, path: path, bytes: bytes)
        }
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        try await count("delete_file") { () async throws(TargetError) in
            try await inner.deleteFile(namespace: namespace, path: path)
        }
    }
}

/// The git request series made so far, by kind and result.
final class GitSeries: Sendable {
    let made = Mutex<[String: (count: Counter, duration: CoreMetrics.Timer)]>([:])
}
