import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Manifest
import NIOCore
import NIOHTTP1
import State

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
        /// `--notify-allow-private`: tenants' endpoints may be on loopback or private networks.
        public var allowPrivate = false

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
    let now: @Sendable () -> Date
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    public init(outbox: Outbox, configuration: Configuration, client: HTTPClient = .shared, logger: Logger,
                metrics: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = { Date() }) {
        self.outbox = outbox
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.now = now
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A new entry is in the outbox.
    public nonisolated func poke() { wakeup.yield() }

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
            let wait = next.map { max(0.05, $0.timeIntervalSince(now())) } ?? 3600
            await withTaskGroup(of: Void.self) { group in
                let stream = wakeups
                group.addTask { for await _ in stream { return } }
                group.addTask { try? await Task.sleep(for: .milliseconds(Int(min(wait, 3600) * 1000))) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// One pass over the open entries: every due delivery whose endpoint is not held by an
    /// earlier undelivered event is tried once. Returns when the next one is due.
    @discardableResult
    public func pass() async -> Date? {
        let (entries, unreadable) = outbox.open()
        for name in unreadable { logger.error("unreadable outbox entry skipped", metadata: ["file": "\(outbox.dir)/\(name)"]) }
        var held = Set<String>()
        var nextDue: Date?
        var openDeliveries = 0
        for var entry in entries {
            let time = now()
            var changed = false
            var attempts: [(Int, OutgoingRequest?, String?)] = []
            for (i, d) in entry.deliveries.enumerated() where d.open {
                let key = d.endpoint.orderKey
                if held.contains(key) { continue }
                if time.timeIntervalSince(entry.created) > Outbox.keep {
                    entry.deliveries[i].dropped = true
                    changed = true
                    count(d.endpoint, "dropped")
                    logger.warning("notification dropped after 24 h", metadata: ["app": "\(entry.event.app)", "event": "\(entry.event.event)",
                                                                                  "endpoint": "\(Self.shown(d.endpoint, configuration))",
                                                                                  "error": "\(d.lastError ?? "")"])
                    continue
                }
                held.insert(key)
                if d.nextAttempt > time {
                    nextDue = min(nextDue ?? d.nextAttempt, d.nextAttempt)
                    continue
                }
                switch request(for: d, of: entry.event) {
                case .success(let r): attempts.append((i, r, nil))
                case .failure(let problem): attempts.append((i, nil, problem.message))
                }
            }
            let results = await withTaskGroup(of: (Int, String?).self) { group in
                for (i, request, problem) in attempts {
                    group.addTask { [self] in
                        if let problem { return (i, problem) }
                        guard let request else { return (i, nil) }  // nothing to send (a status without a commit)
                        return (i, await self.send(request))
                    }
                }
                var out: [(Int, String?)] = []
                for await r in group { out.append(r) }
                return out
            }
            for (i, problem) in results {
                changed = true
                entry.deliveries[i].attempts += 1
                let d = entry.deliveries[i]
                if let problem {
                    let delay = min(configuration.maxDelay, configuration.retryBase * pow(2, Double(d.attempts - 1)))
                    entry.deliveries[i].lastError = problem
                    entry.deliveries[i].nextAttempt = now().addingTimeInterval(delay)
                    nextDue = min(nextDue ?? entry.deliveries[i].nextAttempt, entry.deliveries[i].nextAttempt)
                    count(d.endpoint, "failed")
                    logger.warning("notification not delivered; retried later", metadata: [
                        "app": "\(entry.event.app)", "event": "\(entry.event.event)", "endpoint": "\(Self.shown(d.endpoint, configuration))",
                        "attempt": .stringConvertible(d.attempts), "retry_in_s": .stringConvertible(Int(delay)), "error": "\(problem)"])
                } else {
                    entry.deliveries[i].delivered = now()
                    entry.deliveries[i].lastError = nil
                    held.remove(d.endpoint.orderKey)
                    count(d.endpoint, "delivered")
                }
            }
            openDeliveries += entry.deliveries.filter(\.open).count
            if changed {
                do { try outbox.save(entry) } catch {
                    logger.error("cannot write the outbox entry", metadata: ["id": "\(entry.id)", "error": "\(error)"])
                }
            }
        }
        Gauge(label: "zerverless_gitops_notifications_pending", factory: metrics).record(openDeliveries)
        return nextDue
    }

    private func count(_ endpoint: NotificationEndpoint, _ result: String) {
        Counter(label: "zerverless_gitops_notifications_total", dimensions: [("endpoint", Self.kind(endpoint)), ("result", result)],
                factory: metrics).increment()
    }

    static func kind(_ endpoint: NotificationEndpoint) -> String {
        switch endpoint {
        case .webhook(let w, _): w.format.rawValue
        case .operatorURL: "operator"
        case .commitStatus(let c, _, _, _): c.forge.rawValue
        }
    }

    /// An endpoint as logs may show it: scheme and host only (Slack's URL path is a secret).
    static func shown(_ endpoint: NotificationEndpoint, _ configuration: Configuration) -> String {
        func host(_ url: String) -> String {
            guard let range = url.range(of: "://") else { return "?" }
            let rest = url[range.upperBound...]
            return String(url[..<range.upperBound]) + String(rest.prefix(while: { $0 != "/" && $0 != "?" }).split(separator: "@").last ?? "")
        }
        switch endpoint {
        case .webhook(let w, _): return "\(w.format.rawValue) \(host(w.url))"
        case .operatorURL: return "--notify-url \(configuration.operatorURL.map(host) ?? "(not set)")"
        case .commitStatus(let c, _, let project, _): return "\(c.forge.rawValue) \(host(c.apiURL)) \(project)"
        }
    }

    /// The request of a delivery, with its secret read now (under the secrets rule for a
    /// tenant's endpoint). A failure names the field, never the secret.
    func request(for delivery: OutboxEntry.Delivery, of event: NotificationEvent) -> Result<OutgoingRequest?, DeliveryProblem> {
        switch delivery.endpoint {
        case .webhook(let w, let namespace):
            if !configuration.allowPrivate, let problem = EndpointGuard.problem(w.url) { return .failure(DeliveryProblem(problem)) }
            var secret: [UInt8]?
            if let name = w.secretFile {
                do { secret = try configuration.secrets.read(name, namespace: namespace, field: "notify.secretFile") } catch {
                    return .failure(DeliveryProblem(error.description))
                }
            }
            return .success(w.format == .slack ? Rendering.slack(event, delivery: delivery.id, url: w.url, secret: secret)
                                               : Rendering.generic(event, delivery: delivery.id, url: w.url, secret: secret))
        case .operatorURL:
            guard let url = configuration.operatorURL else { return .success(nil) }
            var secret: [UInt8]?
            if let file = configuration.operatorSecretFile {
                guard let data = FileManager.default.contents(atPath: file) else { return .failure(DeliveryProblem("--notify-secret-file \(file) cannot be read")) }
                secret = Array(data)
            }
            return .success(Rendering.generic(event, delivery: delivery.id, url: url, secret: secret))
        case .commitStatus(let c, let namespace, let project, let state):
            if !configuration.allowPrivate, let problem = EndpointGuard.problem(c.apiURL) { return .failure(DeliveryProblem(problem)) }
            let token: String
            do {
                let bytes = try configuration.secrets.read(c.tokenFile, namespace: namespace, field: "notify.tokenFile")
                token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                return .failure(DeliveryProblem(error.description))
            }
            return .success(Rendering.commitStatus(c, project: project, state: state, event: event, token: token))
        }
    }

    /// nil when delivered (2xx), else why not (status and the start of the answer).
    func send(_ outgoing: OutgoingRequest) async -> String? {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .POST
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: outgoing.body))
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
            let body = try await response.body.collect(upTo: 4096)
            let text = String(buffer: body)
            if (200..<300).contains(Int(response.status.code)) { return nil }
            // GitLab refuses a status equal to the current one: it is there already.
            if response.status.code == 400, text.contains("Cannot transition status") { return nil }
            return "HTTP \(response.status.code): \(text.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines))"
        } catch {
            return "\(error)".replacingOccurrences(of: outgoing.url, with: "<url>")
        }
    }
}

/// Why a delivery could not even be tried (a secret that cannot be read).
struct DeliveryProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
