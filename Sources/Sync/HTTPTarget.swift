import AsyncHTTPClient
import Foundation
import Manifest
import NIOCore
import NIOHTTP1
import State
import Toolkit

/// The Zerverless orchestrator's HTTP API (`shared/zerverless-api.md`): deploy = POST,
/// undeploy = DELETE (404 counts as already gone), static files = PUT / DELETE (404 counts
/// as gone). Connection errors and 5xx are retried with exponential backoff and jitter; 4xx
/// are not. A bearer token, when configured, is sent on every call and never shown.
public final class HTTPTarget: DeployTarget {
    public struct Options: Sendable {
        public var timeout: Duration = .seconds(30)
        public var retries = 4
        public var baseDelay: Duration = .milliseconds(200)
        public var maxDelay: Duration = .seconds(5)
        /// The wait between retries (the daemon's clock).
        public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
        public init() {}
    }

    public let base: String
    private let token: String?
    private let options: Options
    private let client: HTTPClient

    /// `base` is `http(s)://host:port` (a trailing slash is ignored).
    public init(base: String, token: String? = nil, options: Options = Options(), client: HTTPClient = .shared) {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        self.base = b
        self.token = token
        self.options = options
        self.client = client
    }

    struct DeployBody: Encodable {
        var runtime: String
        var code: String
        var port: Int?
    }

    public func deploy(_ request: DeployRequest) async throws(TargetError) {
        let body = DeployBody(
            runtime: request.runtime.rawValue, code: request.code,
            port: request.runtime == .docker ? (request.port ?? 80) : nil)
        let json: Data
        do { json = try JSONEncoder().encode(body) } catch {
            throw TargetError("cannot encode the deployment: \(error)", retryable: false)
        }
        try Self.checkFunction(request.namespace, request.path)
        let path = "/api/deploy/\(request.namespace)\(request.path)"  // function paths are URL-safe already
        let (status, text) = try await send(.POST, path, body: Array(json), contentType: "application/json")
        guard (200..<300).contains(status) else { throw failure("POST", path, status, text) }
    }

    public func undeploy(namespace: String, path: String) async throws(TargetError) {
        try Self.checkFunction(namespace, path)
        let p = "/api/deploy/\(namespace)\(path)"
        let (status, text) = try await send(.DELETE, p)
        guard (200..<300).contains(status) || status == 404 else { throw failure("DELETE", p, status, text) }
    }

    public func upload(namespace: String, path: String, bytes: [UInt8]) async throws(TargetError) {
        let p = "/api/storage/\(namespace)/\(try Self.storagePath(path))"
        let (status, text) = try await send(.PUT, p, body: bytes, contentType: "application/octet-stream")
        guard (200..<300).contains(status) else { throw failure("PUT", p, status, text) }
    }

    public func deleteFile(namespace: String, path: String) async throws(TargetError) {
        let p = "/api/storage/\(namespace)/\(try Self.storagePath(path))"
        let (status, text) = try await send(.DELETE, p)
        guard (200..<300).contains(status) || status == 404 else { throw failure("DELETE", p, status, text) }
    }

    /// The namespace's stored files. A namespace that never stored a file answers 500 (the
    /// orchestrator's quirk: its folder does not exist yet): that is an empty list.
    public func listFiles(namespace: String, prefix: String = "") async throws(TargetError) -> [String] {
        let p = "/api/storage/\(namespace)/?prefix=\(Self.escape(prefix))"
        let (status, text) = try await send(.GET, p, retry5xx: false)
        if status == 500 { return [] }
        guard status == 200 else { throw failure("GET", p, status, text) }
        struct Listing: Decodable { var files: [String]? }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: Data(text.utf8)) else {
            throw TargetError("GET \(p): unreadable listing", retryable: true)
        }
        return listing.files ?? []
    }

    /// `GET /api/storage/NS/PATH`: a stored file's bytes (up to the limit of one static
    /// file), nil when there is none (404).
    public func readFile(namespace: String, path: String, limit: Int = SyncLimits().staticFileBytes)
        async throws(TargetError) -> [UInt8]?
    {
        let p = "/api/storage/\(namespace)/\(try Self.storagePath(path))"
        let (status, bytes) = try await exchange(.GET, p, limit: limit)
        if status == 404 { return nil }
        guard status == 200 else { throw failure("GET", p, status, String(decoding: bytes, as: UTF8.self)) }
        return bytes
    }

    /// `GET /api/deploy`: every namespace's deployments, code included.
    public func listDeployments() async throws(TargetError) -> [Deployment] {
        // Every namespace's code at once: up to 256 MiB (the orchestrator has no smaller listing).
        let (status, text) = try await send(.GET, "/api/deploy", limit: 1 << 28)
        guard status == 200 else { throw failure("GET", "/api/deploy", status, text) }
        struct Listing: Decodable { var deployments: [Deployment]? }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: Data(text.utf8)) else {
            throw TargetError("GET /api/deploy: unreadable deployment list", retryable: true)
        }
        return listing.deployments ?? []
    }

    private func failure(_ method: String, _ path: String, _ status: Int, _ text: String) -> TargetError {
        struct Body: Decodable { var error: String? }
        let detail = (try? JSONDecoder().decode(Body.self, from: Data(text.utf8)))?.error ?? String(text.prefix(200))
        return TargetError(
            "\(method) \(base)\(path): \(status)\(detail.isEmpty ? "" : " \(detail)")",
            retryable: status >= 500 || status == 429)
    }

    /// `exchange`, the answer's body as text.
    private func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        retry5xx: Bool = true, limit: Int = 1 << 20
    ) async throws(TargetError) -> (Int, String) {
        let (status, bytes) = try await exchange(
            method, path, body: body, contentType: contentType, retry5xx: retry5xx, limit: limit)
        return (status, String(decoding: bytes, as: UTF8.self))
    }

    /// One call with retries: connection errors and 5xx back off exponentially with full
    /// jitter (base 200 ms, at most 5 s), up to `retries` times.
    private func exchange(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil,
        retry5xx: Bool = true, limit: Int = 1 << 20
    ) async throws(TargetError) -> (Int, [UInt8]) {
        var attempt = 0
        while true {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            var lastError: String
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(options.timeout.nanoseconds))
                let collected = try await response.body.collect(upTo: limit)
                let status = Int(response.status.code)
                if status >= 500 && retry5xx && attempt < options.retries {
                    lastError = "\(status)"
                } else {
                    return (status, Array(buffer: collected))
                }
            } catch {
                lastError = "\(error)"
                if attempt >= options.retries {
                    throw TargetError(
                        "\(method.rawValue) \(base)\(path): \(Self.describe(error)) (after \(attempt + 1) attempts)",
                        retryable: true)
                }
            }
            attempt += 1
            let cap = min(options.maxDelay, options.baseDelay * (1 << min(attempt, 16)))
            do { try await options.sleep(.nanoseconds(Int64.random(in: 0...max(1, cap.nanoseconds)))) } catch {
                throw TargetError(
                    "\(method.rawValue) \(base)\(path): cancelled while waiting to retry (\(lastError))",
                    retryable: true)
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connect") || text.contains("Connection") { return "cannot connect (\(text))" }
        if text.contains("deadline") || text.contains("Timeout") || text.contains("timeout") { return "timed out" }
        return text
    }

    /// The URL path of a static file (which arrives in `RepoPath`'s escaped form): refused
    /// before anything is sent when a component is one git refuses, or when it contains
    /// `..` anywhere (the orchestrator answers 500 to those, for ever), else its bytes
    /// percent-escaped.
    static func storagePath(_ path: String) throws(TargetError) -> String {
        if let problem = RepoPath.pathProblem(path) {
            throw TargetError("refused unsafe static path \"\(RepoPath.display(path))\": \(problem)", retryable: false)
        }
        let bytes = RepoPath.unescape(path)
        if bytes.indices.dropLast().contains(where: { bytes[$0] == 46 && bytes[$0 + 1] == 46 }) {
            throw TargetError(
                "\"\(RepoPath.display(path))\" contains '..', which the orchestrator refuses in storage paths; rename the file (it is not uploaded)",
                retryable: false)
        }
        return escape(bytes)
    }

    static func checkFunction(_ namespace: String, _ path: String) throws(TargetError) {
        if Rules.dnsLabelProblem(namespace) != nil || Rules.functionPathProblem(path) != nil {
            throw TargetError("refused unsafe function path \(namespace)\(path)", retryable: false)
        }
    }

    /// Percent-escapes every byte but RFC 3986's unreserved characters and '/'.
    static func escape(_ path: String) -> String { escape(Array(path.utf8)) }

    static func escape(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
