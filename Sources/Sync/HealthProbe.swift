import AsyncHTTPClient
import Foundation
import Manifest
import NIOCore
import NIOHTTP1
import State

/// One health check: a request from the daemon to the operator's invoke URL (never a host
/// a tenant chose: the URL is the invoke base plus the namespace and the function's path).
public protocol HealthProbing: Sendable {
    func run(_ check: HealthPlan.Check) async -> StatusDocument.Health.Check
}

/// Health checks over HTTP, on a client of their own (not the deploys' pool: a tenant's
/// slow function must not hold the connections deploys need): no redirect is followed (a
/// 3xx is the answer: a function could otherwise send the daemon anywhere), at most
/// 64 KiB of an answer is read, and the check's `timeout` covers the whole exchange, the
/// answer's body included (`sleep`: the daemon's clock).
public struct HTTPHealthProbe: HealthProbing {
    /// The probes' client: redirects refused, its own connection pool; a refused
    /// connection is the check's answer at once ("cannot connect"), not retried until the
    /// timeout (which would report a function that is down as a slow one).
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    static let bodyLimit = 64 << 10

    let client: HTTPClient
    let sleep: @Sendable (Duration) async throws -> Void
    let clock = ContinuousClock()

    public init(
        client: HTTPClient = HTTPHealthProbe.client,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.client = client
        self.sleep = sleep
    }

    struct TimedOut: Error {}

    public func run(_ check: HealthPlan.Check) async -> StatusDocument.Health.Check {
        let started = clock.now
        func ms() -> Int {
            let d = clock.now - started
            return Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        }
        let outcome: Result<(Int, String), any Error>
        do {
            // The exchange against the check's deadline: whichever ends first.
            let (client, sleep, limit) = (self.client, self.sleep, Self.bodyLimit)
            let value = try await withThrowingTaskGroup(of: (Int, String)?.self) { group in
                group.addTask { try await Self.exchange(check, client: client, limit: limit) }
                group.addTask {
                    try await sleep(.seconds(check.timeout))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else { throw TimedOut() }
                return answer
            }
            outcome = .success(value)
        } catch {
            outcome = .failure(error)
        }
        let latency = ms()
        switch outcome {
        case .success(let (code, text)):
            if !check.expect.accepts(code) {
                return .init(
                    name: check.name, url: check.url, result: .fail, code: code, latencyMs: latency,
                    message: "HTTP \(code), expected \(check.expect.text)")
            }
            if let wanted = check.body, !text.contains(wanted) {
                return .init(
                    name: check.name, url: check.url, result: .fail, code: code, latencyMs: latency,
                    message: "the answer does not contain \"\(wanted.prefix(80))\"")
            }
            return .init(name: check.name, url: check.url, result: .pass, code: code, latencyMs: latency)
        case .failure(let error):
            let text = "\(error)"
            let message =
                error is TimedOut || text.contains("deadline") || text.contains("imeout")
                ? "no answer within \(check.timeout)s"
                : text.contains("onnect") ? "cannot connect (\(String(text.prefix(200))))" : String(text.prefix(200))
            return .init(name: check.name, url: check.url, result: .fail, latencyMs: latency, message: message)
        }
    }

    /// The request, and at most `limit` bytes of the answer (the rest is not read: the
    /// connection is dropped with the task).
    static func exchange(_ check: HealthPlan.Check, client: HTTPClient, limit: Int) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: check.url)
        request.method = HTTPMethod(rawValue: check.method)
        request.headers.add(name: "User-Agent", value: "zerverless-gitops health check")
        let response = try await client.execute(request, timeout: .seconds(Int64(check.timeout)))
        var bytes: [UInt8] = []
        if check.method != "HEAD" {
            for try await buffer in response.body {
                bytes += buffer.readableBytesView.prefix(limit - bytes.count)
                if bytes.count >= limit { break }
            }
        }
        return (Int(response.status.code), String(decoding: bytes, as: UTF8.self))
    }
}
