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

/// Health checks over HTTP (AsyncHTTPClient): no redirect followed, at most 64 KiB of the
/// answer read, the check's own timeout; `token` goes as `Authorization: Bearer` (the
/// orchestrator is expected behind a proxy that may ask for one).
public struct HTTPHealthProbe: HealthProbing {
    let client: HTTPClient
    let token: String?
    let clock = ContinuousClock()

    public init(client: HTTPClient = .shared, token: String? = nil) {
        self.client = client
        self.token = token
    }

    public func run(_ check: HealthPlan.Check) async -> StatusDocument.Health.Check {
        var request = HTTPClientRequest(url: check.url)
        request.method = HTTPMethod(rawValue: check.method)
        request.headers.add(name: "User-Agent", value: "zerverless-gitops health check")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let started = clock.now
        func ms() -> Int {
            let d = clock.now - started
            return Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(check.timeout)))
            let code = Int(response.status.code)
            var text = ""
            if check.body != nil, check.method != "HEAD" {
                let collected = try await response.body.collect(upTo: 64 << 10)
                text = String(buffer: collected)
            } else {
                for try await _ in response.body {}
            }
            let latency = ms()
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
        } catch {
            let text = "\(error)"
            let message =
                text.contains("deadline") || text.contains("imeout")
                ? "no answer within \(check.timeout)s"
                : text.contains("onnect") ? "cannot connect (\(text))" : text
            return .init(name: check.name, url: check.url, result: .fail, latencyMs: ms(), message: message)
        }
    }
}
