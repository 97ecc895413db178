import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of the facade: Hummingbird's, plus the connection (an event
/// stream ends, and frees its slot, when its connection closes).
public struct FacadeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Which `Host` values the API answers to (DNS rebinding: a page of a name its author
/// controls, resolved to this daemon's address, would otherwise be same-origin with it).
///
/// Accepted, port or not: `localhost`, `127.0.0.1`, `[::1]`, the listen address's host,
/// and the names given with `--api-hostname` (`NAME` with any port, `NAME:PORT` with
/// that port only). On a wildcard listen address (`0.0.0.0`, `::`), any IP literal too
/// (a kubelet probe sends `POD_IP:PORT`; an IP literal cannot be rebound). The port of the
/// others is not compared: a browser sends the port it connected to, so it cannot be
/// chosen by a page, and tunnels (`ssh -L`, `kubectl port-forward`) change it.
public struct HostPolicy: Sendable, Equatable {
    /// The host part of `--listen`, without brackets, lowercased.
    public var listenHost: String
    /// `--api-hostname` entries, lowercased: `name` or `name:port`.
    public var names: [String]

    public static let loopback: Set<String> = ["localhost", "127.0.0.1", "::1"]

    public init(listenHost: String = "127.0.0.1", names: [String] = []) {
        self.listenHost = Self.normalize(listenHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        self.names = names.map { $0.lowercased() }
    }

    /// Whether the listen address is a wildcard (every interface).
    public var wildcard: Bool { ["0.0.0.0", "::", "", "*"].contains(listenHost) }

    /// What is wrong with an `--api-hostname` value, or nil.
    public static func nameProblem(_ name: String) -> String? {
        guard let (host, _) = split(name), !host.isEmpty, !host.contains("*") else {
            return "\"\(name)\" is not a host name; give a name like gitops.example.com or gitops.example.com:443"
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.:")
        guard host.allSatisfy({ allowed.contains($0) }) else {
            return "\"\(name)\" is not a host name; give a name like gitops.example.com or gitops.example.com:443"
        }
        return nil
    }

    /// `host[:port]` or `[v6][:port]` -> (host lowercased, without brackets and a trailing
    /// dot; port), or nil when it is not an authority.
    static func split(_ authority: String) -> (host: String, port: Int?)? {
        let text = authority.lowercased()
        var host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
            guard isIPv6(String(host)) else { return nil }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            rest = text[colon...]
            // Byte searches (Foundation's `contains(_: StringProtocol)` costs a CFString
            // search per call: 13% of a hot read's time).
            if host.utf8.contains(UInt8(ascii: ":")) { return nil }
        } else {
            host = Substring(text)
            rest = ""
        }
        var port: Int?
        if !rest.isEmpty {
            guard rest.first == ":", rest.count > 1, rest.count <= 6, let n = Int(rest.dropFirst()),
                rest.dropFirst().allSatisfy(\.isNumber),
                (0...65535).contains(n)
            else { return nil }
            port = n
        }
        let name = normalize(String(host))
        guard !name.isEmpty,
            !name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: " ") }
            )
        else { return nil }
        return (name, port)
    }

    static func normalize(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasSuffix("."), h.count > 1 { h.removeLast() }
        return h
    }

    static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    static func isIPv6(_ host: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, host, &address) == 1
    }

    /// Why a request with this `Host` (its authority) is not answered, or nil.
    public func refusal(_ authority: String?) -> (status: HTTPResponse.Status, message: String)? {
        guard let authority, !authority.isEmpty else {
            return (.badRequest, "a Host header is required")
        }
        guard let (host, port) = Self.split(authority) else {
            return (
                .misdirectedRequest,
                "\"\(authority.prefix(200))\" is not a host this API answers to (the Host header is malformed)"
            )
        }
        if Self.loopback.contains(host) || (!wildcard && host == listenHost) { return nil }
        if wildcard && (Self.isIPv4(host) || Self.isIPv6(host)) { return nil }
        for name in names {
            guard let (allowed, allowedPort) = Self.split(name) else { continue }
            if allowed == host && (allowedPort == nil || allowedPort == port) { return nil }
        }
        return (
            .misdirectedRequest,
            "this API does not answer to the host \"\(authority.prefix(200))\" (the Host header): it answers to localhost, the --listen address"
                + "\(wildcard ? " (any IP address, since it listens on every interface)" : "") and the names given with --api-hostname."
                + " If you reach the daemon through that name, start it with --api-hostname \(host)"
        )
    }
}

/// The rules every request passes before its handler: the `Host` check (every route), and
/// for a browser's cross-site request the Fetch Metadata resource-isolation policy: a
/// request another site's page made is refused unless it is a plain navigation (a link to
/// the status page), and a state-changing request (POST, PUT, DELETE, PATCH) whose
/// `Origin` is not this API's own is refused. The webhook is exempt from the origin
/// rules (forges send no `Origin`, and deliveries are signed); the Host check holds for it
/// too (list the name forges use with `--api-hostname`).
struct RequestGuard: RouterMiddleware {
    typealias Context = FacadeContext
    let hosts: HostPolicy
    let reject: @Sendable (HTTPResponse.Status, String) -> Response

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let secFetchMode = HTTPField.Name("Sec-Fetch-Mode")!
    static let secFetchDest = HTTPField.Name("Sec-Fetch-Dest")!
    static let webhookPath = "/api/gitops/webhook"

    func handle(_ request: Request, context: FacadeContext, next: (Request, FacadeContext) async throws -> Response)
        async throws -> Response
    {
        if let (status, message) = hosts.refusal(request.head.authority) { return reject(status, message) }
        if request.uri.path != Self.webhookPath, let message = Self.crossOrigin(request) {
            return reject(.forbidden, message)
        }
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .put || method == .delete || method == .patch
    }

    /// Why a browser's request from another origin is refused, or nil.
    static func crossOrigin(_ request: Request) -> String? {
        let headers = request.headers
        let method = request.method
        if let site = headers[secFetchSite]?.lowercased(), site != "same-origin" && site != "none" {
            // Another site's (or another origin of this site's) page made the request: only
            // a plain navigation (a link followed) gets through, never a state change.
            let mode = headers[secFetchMode]?.lowercased()
            let dest = headers[secFetchDest]?.lowercased()
            let navigation =
                mode == "navigate" && (method == .get || method == .head) && dest != "object" && dest != "embed"
            if !navigation {
                return
                    "a request made by another site's page (Sec-Fetch-Site: \(site)) is refused: the API answers pages of its own origin only"
            }
        }
        if changesState(method), let origin = headers[.origin] {
            guard sameOrigin(origin, authority: request.head.authority) else {
                return
                    "a \(method.rawValue) from the origin \"\(origin.prefix(200))\" is refused: state-changing calls are taken from this API's own origin only (or from clients that send no Origin, like curl)"
            }
        }
        return nil
    }

    /// `Origin: http(s)://host[:port]` names the host and port of `Host` (a missing port is
    /// the scheme's default: an https reverse proxy that keeps `Host` is this origin).
    static func sameOrigin(_ origin: String, authority: String?) -> Bool {
        guard let authority, let (host, port) = HostPolicy.split(authority) else { return false }
        let text = origin.lowercased()
        let scheme: String
        if text.hasPrefix("http://") {
            scheme = "http"
        } else if text.hasPrefix("https://") {
            scheme = "https"
        } else {
            return false
        }
        let rest = text.dropFirst(scheme.count + 3)
        guard !rest.contains("/"), let (originHost, originPort) = HostPolicy.split(String(rest)) else { return false }
        let defaultPort = scheme == "http" ? 80 : 443
        return originHost == host && (port ?? defaultPort) == (originPort ?? defaultPort)
    }
}

/// Request bodies by media type: a cross-site form can send only
/// `application/x-www-form-urlencoded`, `multipart/form-data` and `text/plain` without a
/// CORS preflight (which this API never grants).
enum MediaType {
    /// The media type of `Content-Type`, lowercased, parameters dropped; nil when absent.
    static func of(_ request: Request) -> String? {
        guard let value = request.headers[.contentType] else { return nil }
        let type =
            value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            ?? ""
        return type
    }

    /// Registration bodies: JSON or YAML.
    static let registration = ["application/json", "application/yaml", "application/x-yaml", "text/yaml"]
    /// Rollback bodies: JSON.
    static let json = ["application/json"]
    /// Secret uploads: raw bytes.
    static let octetStream = ["application/octet-stream"]
}

extension Facade {
    /// 415 unless the request's `Content-Type` is one of `accepted`; `emptyBodyOK`: a
    /// request without `Content-Type` and without a body is taken (a rollback to the
    /// previous commit).
    func unsupportedMediaType(_ request: Request, _ accepted: [String], what: String, emptyBodyOK: Bool = false)
        -> Response?
    {
        let type = MediaType.of(request)
        if let type, accepted.contains(type) { return nil }
        if type == nil, emptyBodyOK,
            request.headers[.contentLength].map({ $0 == "0" }) ?? (request.headers[.transferEncoding] == nil)
        {
            return nil
        }
        let names =
            accepted.count == 1 ? accepted[0] : accepted.dropLast().joined(separator: ", ") + " or " + accepted.last!
        let sent = type.map { "Content-Type \($0)" } ?? "no Content-Type"
        var response = error(
            .unsupportedMediaType,
            "\(what) must be sent as \(names) (this request has \(sent)); with curl: -H 'Content-Type: \(accepted[0])'")
        response.headers[.accept] = accepted.joined(separator: ", ")
        return response
    }
}
