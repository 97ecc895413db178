import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Manifest
import NIOCore
import NIOHTTP1
import State
import Toolkit

/// One delivery's request: the endpoint's URL checked, the body rendered and signed, sent
/// through a client that follows no redirect; the counters and how endpoints are shown.
extension Notifier {
    func count(_ endpoint: NotificationEndpoint, _ result: String) {
        Counter(
            label: "zerverless_gitops_notifications_total",
            dimensions: [("endpoint", Self.kind(endpoint)), ("result", result)],
            factory: metrics
        ).increment()
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
            return String(url[..<range.upperBound])
                + String(rest.prefix(while: { $0 != "/" && $0 != "?" }).split(separator: "@").last ?? "")
        }
        switch endpoint {
        case .webhook(let w, _): return "\(w.format.rawValue) \(host(w.url))"
        case .operatorURL: return "--notify-url \(configuration.operatorURL.map(host) ?? "(not set)")"
        case .commitStatus(let c, _, let project, _): return "\(c.forge.rawValue) \(host(c.apiURL)) \(project)"
        }
    }

    /// Where a delivery goes, as the outbox records it for people (`notifications`): the
    /// endpoint's URL without credentials or query values (a Slack URL without its path);
    /// the operator's as configured now.
    static func target(_ endpoint: NotificationEndpoint, _ configuration: Configuration) -> String? {
        switch endpoint {
        case .operatorURL: configuration.operatorURL.map { NotificationEndpoint.shown(url: $0) }
        default: endpoint.shownURL
        }
    }

    /// A request and, for a tenant's endpoint, the checked address it must connect to.
    struct Prepared: Sendable {
        var request: OutgoingRequest
        /// nil: the operator's `--notify-url`, sent through the shared client unchecked.
        var pin: EndpointGuard.Pin?
    }

    /// The request of a delivery, with its secret read now (under the secrets rule for a
    /// tenant's endpoint). A failure names the field, never the secret. A tenant's request
    /// is checked by the endpoint guard on the URL it is sent to, and pinned to the
    /// address that was checked.
    nonisolated func request(for delivery: OutboxEntry.Delivery, of event: NotificationEvent) async -> Result<
        Prepared?, DeliveryProblem
    > {
        switch delivery.endpoint {
        case .webhook(let w, let namespace):
            let pin: EndpointGuard.Pin
            switch await Self.check(w.url, configuration) {
            case .failure(let refused): return .failure(DeliveryProblem(refused.message))
            case .success(let p): pin = p
            }
            var secret: [UInt8]?
            if let name = w.secretFile {
                do {
                    secret = try configuration.secrets.read(name, namespace: namespace, field: "notify.secretFile")
                } catch {
                    return .failure(DeliveryProblem(error.description))
                }
            }
            let request =
                w.format == .slack
                ? Rendering.slack(event, delivery: delivery.id, url: w.url, secret: secret)
                : Rendering.generic(event, delivery: delivery.id, url: w.url, secret: secret)
            return .success(Prepared(request: request, pin: pin))
        case .operatorURL:
            guard let url = configuration.operatorURL else { return .success(nil) }
            var secret: [UInt8]?
            if let file = configuration.operatorSecretFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    return .failure(DeliveryProblem("--notify-secret-file \(file) cannot be read"))
                }
                secret = Array(data)
            }
            return .success(
                Prepared(request: Rendering.generic(event, delivery: delivery.id, url: url, secret: secret), pin: nil))
        case .commitStatus(let c, let namespace, let project, let state):
            // The API URL first (a refusal before the token is read), then the very URL sent.
            if case .failure(let refused) = await Self.check(c.apiURL, configuration) {
                return .failure(DeliveryProblem(refused.message))
            }
            let token: String
            do {
                let bytes = try configuration.secrets.read(c.tokenFile, namespace: namespace, field: "notify.tokenFile")
                token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                return .failure(DeliveryProblem(error.description))
            }
            guard let request = Rendering.commitStatus(c, project: project, state: state, event: event, token: token)
            else { return .success(nil) }
            switch await Self.check(request.url, configuration) {
            case .failure(let refused): return .failure(DeliveryProblem(refused.message))
            case .success(let pin): return .success(Prepared(request: request, pin: pin))
            }
        }
    }

    /// The guard (resolution and, unless `--notify-allow-private`, the judgement) of a
    /// tenant's URL. Its name lookup blocks: on the lookups pool, not a cooperative thread.
    static func check(_ url: String, _ configuration: Configuration) async -> Result<
        EndpointGuard.Pin, EndpointGuard.Refused
    > {
        let allowPrivate = configuration.allowPrivate
        let lookup = configuration.lookup
        return await BlockingPool.lookups.run { EndpointGuard.check(url, allowPrivate: allowPrivate, lookup: lookup) }
    }

    /// The configuration of a pinned delivery's own client: the URL's host name maps to
    /// the checked address (AsyncHTTPClient's `dnsOverride`: it connects there and does
    /// no lookup of its own, while the Host header, TLS SNI and certificate verification
    /// still use the host name); no redirects, like the shared client.
    public static func pinnedConfiguration(_ pin: EndpointGuard.Pin) -> HTTPClient.Configuration {
        var configuration = clientConfiguration
        if let address = pin.address { configuration.dnsOverride = [pin.host: address.description] }
        return configuration
    }

    /// A client of its own that follows no redirect: a redirect would take a tenant's
    /// request past the endpoint guard (3xx counts as a failure).
    public static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)

    /// No redirects; and a refused connection fails the attempt at once instead of being
    /// retried until the deadline (the outbox retries deliveries with its own backoff: a
    /// receiver that is down cost the whole timeout per attempt, and a slot with it).
    static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// Sends through the shared client, or, for a name pinned to its checked address, a
    /// client of its own for this delivery (on the shared event loops; shut down after,
    /// also when the deadline cancels the delivery). An IP literal needs no pin.
    nonisolated func send(_ outgoing: OutgoingRequest, pin: EndpointGuard.Pin?) async -> Outcome {
        guard let pin, pin.address != nil else { return await send(outgoing, through: client) }
        let pinned = HTTPClient(eventLoopGroup: client.eventLoopGroup, configuration: Self.pinnedConfiguration(pin))
        let result = await send(outgoing, through: pinned)
        try? await pinned.shutdown()
        return result
    }

    /// Delivered (2xx), else why not (status and the start of the answer); with the
    /// answer's status.
    nonisolated func send(_ outgoing: OutgoingRequest, through client: HTTPClient) async -> Outcome {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .POST
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: outgoing.body))
        do {
            let response = try await client.execute(
                request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
            let code = Int(response.status.code)
            if (200..<300).contains(code) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                return Outcome(status: code)
            }
            if (300..<400).contains(code) {
                return Outcome(problem: "HTTP \(code): redirects are not followed", status: code)
            }
            let body = try await response.body.collect(upTo: 4096)
            let text = String(buffer: body)
            // GitLab refuses a status equal to the current one: it is there already.
            if code == 400, text.contains("Cannot transition status") { return Outcome(status: code) }
            return Outcome(
                problem: "HTTP \(code): \(text.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines))",
                status: code)
        } catch {
            return Outcome(problem: "\(error)".replacingOccurrences(of: outgoing.url, with: "<url>"))
        }
    }
}
