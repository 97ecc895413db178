import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Manifest
import NIOCore
import NIOHTTP1
import State
import Toolkit

/// Delivers what `STATE/outbox` holds, in the background: never in a sync's way. Each
/// endpoint gets its events in order (a later one waits while an earlier one to the same
/// endpoint is undelivered); failures are retried with backoff (doubling from
/// `retryBase`, at most an hour apart) until delivered or 24 h old (then dropped, and
/// counted). Survives restarts: everything it knows is in the outbox files.
public actor Notifier {
    public struct Configuration: Sendable {
        /// `--notify-url`, `--notify-secret-file` (the operator's: any path).
        public var operatorURL: String?
        public var operatorSecretFile: String?
        public var secrets: SecretsDir
        public var timeout: Duration = .seconds(10)
        /// The first retry's delay in seconds; doubled each failure, at most an hour.
        public var retryBase: Double = 5
        public var maxDelay: Double = 3600
        /// Undelivered events kept per namespace, at most (the oldest beyond are dropped).
        public var maxOpenPerNamespace = 1000
        /// `--notify-allow-private`: tenants' endpoints may be on loopback or private networks.
        public var allowPrivate = false
        /// How tenants' endpoint names are resolved and which addresses are this host's
        /// (the system's; tests give their own).
        public var lookup: EndpointGuard.Lookup = .system

        public init(operatorURL: String? = nil, operatorSecretFile: String? = nil, secrets: SecretsDir) {
            self.operatorURL = operatorURL
            self.operatorSecretFile = operatorSecretFile
            self.secrets = secrets
        }
    }

    public let outbox: Outbox
    let configuration: Configuration
    let client: HTTPClient
    let logger: Logger
    let metrics: any MetricsFactory
    /// What the waits between passes and the retries' dates take their time from (tests
    /// move a manual clock).
    let clock: DaemonClock
    func now() -> Date { clock.now() }
    private let wakeup = Signal()
    /// Passes over the outbox since the start: proportional to the work (entries written,
    /// retries due), never to the time spent idle.
    public private(set) var passes = 0
    /// Between passes: waiting for a new entry or the next due retry.
    public private(set) var waiting = false
    /// Waiting with nothing to do: no entry written since the pass began.
    public var idle: Bool { waiting && wakeup.asleep }
    /// The outbox as last read: a pass reads only the entries that changed.
    var index = Outbox.Index()
    /// When each endpoint (by its order key) last took a delivery: an endpoint that did
    /// within `aliveWindow` is up, so a first failure there is tried again at once.
    var lastDelivered: [String: Date] = [:]
    /// Deliveries the last pass attempted.
    var attemptedInLastPass = 0
    static let aliveWindow: TimeInterval = 60
    /// Outbox files decoded since the start (proportional to the entries written).
    public var outboxReads: Int { index.reads }

    public init(
        outbox: Outbox, configuration: Configuration, client: HTTPClient = Notifier.client, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory, clock: DaemonClock = .system
    ) {
        self.outbox = outbox
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
    }

    /// A new entry is in the outbox.
    public nonisolated func poke() { wakeup.signal() }

    /// Delivers until cancelled.
    public func run() async {
        outbox.prune(now: now())
        var lastPrune = now()
        while !Task.isCancelled {
            let next = await pass()
            if now().timeIntervalSince(lastPrune) > 3600 {
                outbox.prune(now: now())
                lastPrune = now()
            }
            // A delivery freed the next event of its endpoint (or a retry is due): the next
            // pass at once, when this one attempted something (each such pass moves an
            // entry on; a pass that could not, say an outbox that cannot be written, waits).
            if let next, next <= now(), attemptedInLastPass > 0 {
                await Task.yield()
                continue
            }
            let wait = next.map { max(0.05, $0.timeIntervalSince(now())) } ?? 3600
            // Until a new entry or the next due retry (an hour at most); a wait the timer
            // ends leaves the signal as it was (see `Signal`).
            waiting = true
            await wakeup.wait(timeout: .milliseconds(Int(min(wait, 3600) * 1000)), sleep: clock.sleep)
            waiting = false
        }
    }

    /// One pass over the open entries: every due delivery whose endpoint is not held by an
    /// earlier undelivered event is tried once, up to `parallel` at once, each within the
    /// timeout (connection, answer and body together). Returns when the next one is due.
    @discardableResult
    public func pass() async -> Date? {
        passes += 1
        let (read, unreadable) = outbox.open(reusing: &index)
        var entries = read
        for name in unreadable {
            logger.error("unreadable outbox entry skipped", metadata: ["file": "\(outbox.dir)/\(name)"])
        }
        var held = Set<String>()
        var nextDue: Date?
        var changed = Set<Int>()
        var due: [(entry: Int, delivery: Int)] = []
        let time = now()
        changed.formUnion(supersede(&entries))
        changed.formUnion(cap(&entries))
        for e in entries.indices {
            // A test event is tried once, at once: it neither waits behind the endpoint's
            // other events nor holds them (`zerverless-gitops notifications test`).
            let test = entries[e].isTest
            for (i, d) in entries[e].deliveries.enumerated() where d.open {
                let key = d.endpoint.orderKey
                if held.contains(key) && !test { continue }
                if time.timeIntervalSince(entries[e].created) > Outbox.keep {
                    entries[e].deliveries[i].dropped = true
                    changed.insert(e)
                    count(d.endpoint, "dropped")
                    logger.warning(
                        "notification dropped after 24 h",
                        metadata: [
                            "app": "\(entries[e].event.app)", "event": "\(entries[e].event.event)",
                            "endpoint": "\(Self.shown(d.endpoint, configuration))",
                            "error": "\(d.lastError ?? "")",
                        ])
                    continue
                }
                if !test { held.insert(key) }
                if d.nextAttempt > time {
                    nextDue = min(nextDue ?? d.nextAttempt, d.nextAttempt)
                } else {
                    due.append((e, i))
                }
            }
        }
        // The deliveries, concurrently (a slow receiver holds one slot, not the pass).
        let jobs = due.map { (entries[$0.entry].deliveries[$0.delivery], entries[$0.entry].event) }
        var results = await deliver(jobs)
        attemptedInLastPass = jobs.count
        // A flapping receiver (up, but failing some requests): a first attempt that fails
        // at an endpoint that took a delivery within the last minute is tried once more at
        // once, instead of holding the endpoint's line for the whole backoff (one
        // endpoint's events go in order, so each such failure used to stall the rest: a
        // receiver failing half the time drained about 12 events a minute). At most one
        // extra request per event; a receiver that is down gets the normal backoff. A test
        // event reports what one request met: not tried again.
        let again = results.indices.filter { r in
            let (k, outcome) = results[r]
            let d = entries[due[k].entry].deliveries[due[k].delivery]
            return outcome.problem != nil && d.attempts == 0 && !entries[due[k].entry].isTest
                && lastDelivered[d.endpoint.orderKey].map { time.timeIntervalSince($0) < Self.aliveWindow } == true
        }
        if !again.isEmpty {
            let retried = await deliver(again.map { jobs[results[$0].0] })
            for (j, outcome) in retried {
                let r = again[j]
                let (e, i) = due[results[r].0]
                entries[e].deliveries[i].attempts += 1
                results[r].1 = outcome
            }
        }
        var delivered = false
        for (k, outcome) in results {
            let (e, i) = due[k]
            changed.insert(e)
            entries[e].deliveries[i].attempts += 1
            entries[e].deliveries[i].lastAttempt = now()
            entries[e].deliveries[i].lastStatus = outcome.status
            entries[e].deliveries[i].target = outcome.target
            let d = entries[e].deliveries[i]
            if let problem = outcome.problem, entries[e].isTest {
                // A test is not retried: its asker reads the outcome now.
                entries[e].deliveries[i].lastError = problem
                entries[e].deliveries[i].dropped = true
                count(d.endpoint, "failed")
                logger.warning(
                    "test notification not delivered",
                    metadata: [
                        "app": "\(entries[e].event.app)", "endpoint": "\(Self.shown(d.endpoint, configuration))",
                        "error": "\(problem)",
                    ])
            } else if let problem = outcome.problem {
                let delay = min(configuration.maxDelay, configuration.retryBase * pow(2, Double(d.attempts - 1)))
                entries[e].deliveries[i].lastError = problem
                entries[e].deliveries[i].nextAttempt = now().addingTimeInterval(delay)
                nextDue = min(nextDue ?? entries[e].deliveries[i].nextAttempt, entries[e].deliveries[i].nextAttempt)
                count(d.endpoint, "failed")
                logger.warning(
                    "notification not delivered; retried later",
                    metadata: [
                        "app": "\(entries[e].event.app)", "event": "\(entries[e].event.event)",
                        "endpoint": "\(Self.shown(d.endpoint, configuration))",
                        "attempt": .stringConvertible(d.attempts), "retry_in_s": .stringConvertible(Int(delay)),
                        "error": "\(problem)",
                    ])
            } else {
                entries[e].deliveries[i].delivered = now()
                entries[e].deliveries[i].lastError = nil
                lastDelivered[d.endpoint.orderKey] = now()
                delivered = true
                count(d.endpoint, "delivered")
            }
        }
        for e in changed.sorted() {
            do { try outbox.save(entries[e]) } catch {
                logger.error(
                    "cannot write the outbox entry", metadata: ["id": "\(entries[e].id)", "error": "\(error)"])
            }
        }
        Gauge(label: "zerverless_gitops_notifications_pending", factory: metrics).record(
            entries.reduce(0) { $0 + $1.deliveries.filter(\.open).count })
        // A delivery may have freed the next event of its endpoint: look again at once.
        return delivered ? now() : nextDue
    }

    /// A commit status waiting for its forge is superseded by a newer one of the same
    /// application, commit and endpoint: only the newest state is worth sending (a forge
    /// that never answers no longer collects two statuses per sync request). Returns the
    /// entries changed.
    func supersede(_ entries: inout [OutboxEntry]) -> Set<Int> {
        var newest: [String: Int] = [:]
        var changed = Set<Int>()
        for e in entries.indices.reversed() {
            for (i, d) in entries[e].deliveries.enumerated() where d.open {
                guard case .commitStatus = d.endpoint, let commit = entries[e].event.commit else { continue }
                let key = "\(d.endpoint.orderKey) \(entries[e].event.app) \(commit)"
                if newest[key] == nil {
                    newest[key] = e
                    continue
                }
                entries[e].deliveries[i].dropped = true
                entries[e].deliveries[i].lastError = "superseded by a newer status of the same commit"
                changed.insert(e)
                count(d.endpoint, "superseded")
            }
        }
        return changed
    }

    /// At most `configuration.maxOpenPerNamespace` open entries per namespace: the oldest
    /// beyond are dropped, counted and logged (one tenant's dead receiver and busy
    /// applications cannot fill the state disk). Returns the entries changed.
    func cap(_ entries: inout [OutboxEntry]) -> Set<Int> {
        var open: [String: Int] = [:]
        var changed = Set<Int>()
        var dropped: [String: Int] = [:]
        for e in entries.indices.reversed() where entries[e].open {
            let namespace = entries[e].event.namespace
            open[namespace, default: 0] += 1
            guard open[namespace]! > configuration.maxOpenPerNamespace else { continue }
            for i in entries[e].deliveries.indices where entries[e].deliveries[i].open {
                entries[e].deliveries[i].dropped = true
                entries[e].deliveries[i].lastError =
                    "dropped: over \(configuration.maxOpenPerNamespace) undelivered events in namespace \(namespace)"
                count(entries[e].deliveries[i].endpoint, "dropped")
            }
            dropped[namespace, default: 0] += 1
            changed.insert(e)
        }
        for (namespace, n) in dropped.sorted(by: { $0.key < $1.key }) {
            logger.warning(
                "notifications dropped: too many undelivered events in the namespace (oldest first)",
                metadata: [
                    "namespace": "\(namespace)", "dropped": "\(n)", "limit": "\(configuration.maxOpenPerNamespace)",
                ])
        }
        return changed
    }

    /// What one attempt came to: `problem` nil when delivered; the HTTP status of the
    /// answer, if one came; where it went, as it may be shown.
    struct Outcome: Sendable {
        var problem: String?
        var status: Int?
        var target: String?
    }

    /// Deliveries at most 16 at once; each result by its index.
    nonisolated func deliver(_ jobs: [(OutboxEntry.Delivery, NotificationEvent)]) async -> [(Int, Outcome)] {
        let results = await jobs.boundedMap(limit: 16) { job in await self.attempt(job.0, job.1) }
        return results.enumerated().compactMap { k, result in result.map { (k, $0) } }
    }

    /// One delivery attempt within the timeout.
    nonisolated func attempt(_ delivery: OutboxEntry.Delivery, _ event: NotificationEvent) async -> Outcome {
        let timeout = configuration.timeout
        let target = Self.target(delivery.endpoint, configuration)
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                switch await self.request(for: delivery, of: event) {
                case .failure(let problem): return Outcome(problem: problem.message)
                case .success(nil): return Outcome()  // nothing to send (a status without a commit)
                case .success(let r?): return await self.send(r.request, pin: r.pin)
                }
            }
            group.addTask { [clock] in
                // On the daemon's clock, like every wait (a test moves it).
                try? await clock.sleep(timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
                ?? Outcome(problem: "no answer within \(timeout.components.seconds) s (connection, answer and body)")
        }
        return Outcome(problem: outcome.problem, status: outcome.status, target: target)
    }

}

/// Why a delivery could not even be tried (a secret that cannot be read).
struct DeliveryProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
