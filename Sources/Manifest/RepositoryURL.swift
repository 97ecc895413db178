/// A repository location as written in a registration, classified and with its secrets
/// kept out of every form that is shown.
public struct RepositoryURL: Sendable, Hashable, Codable, CustomStringConvertible {
    // Memberwise init kept private: build one with parse(_:).
    public enum Scheme: String, Sendable, Codable {
        case https, http, ssh, scp, git, file, path
    }

    /// Exactly as written (may hold credentials: never show it).
    public let raw: String
    public let scheme: Scheme
    /// Lowercased host, without user info; nil for file and path forms.
    public let host: String?
    public let port: Int?
    /// The path on the host (or the local path), as written.
    public let path: String
    /// The user name for ssh and scp forms (`git` in `git@host:o/r`); for http(s) the user
    /// name part of the URL's user info.
    public let user: String?
    /// A password or token inside the URL (`https://user:token@host/...`).
    public let password: String?

    /// Whether reaching it means reading this machine's file system.
    public var isLocal: Bool { scheme == .file || scheme == .path }

    /// Parses a repository URL; the problem as text on failure.
    public static func parse(_ raw: String) -> Result<RepositoryURL, URLProblem> {
        if raw.isEmpty { return .failure(URLProblem("must not be empty")) }
        if raw.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return .failure(URLProblem("contains a space or control character"))
        }
        if let range = raw.firstRange(of: "://") {
            let schemeText = raw[..<range.lowerBound].lowercased()
            let rest = String(raw[range.upperBound...])
            let scheme: Scheme
            switch schemeText {
            case "https": scheme = .https
            case "http": scheme = .http
            case "ssh", "git+ssh", "ssh+git": scheme = .ssh
            case "git": scheme = .git
            case "file":
                return .success(
                    RepositoryURL(raw: raw, scheme: .file, host: nil, port: nil, path: rest, user: nil, password: nil))
            default:
                return .failure(
                    URLProblem(
                        "unsupported scheme \"\(schemeText)\"; use https, http, ssh, git, scp-like user@host:path, or (where allowed) file"
                    ))
            }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = String(rest[..<slash])
            let path = String(rest[slash...])
            var user: String?
            var password: String?
            if let at = authority.lastIndex(of: "@") {
                let info = authority[..<at]
                authority = String(authority[authority.index(after: at)...])
                if let colon = info.firstIndex(of: ":") {
                    user = String(info[..<colon])
                    password = String(info[info.index(after: colon)...])
                } else {
                    user = String(info)
                }
            }
            var host = authority
            var port: Int?
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                host = String(authority[..<colon])
                let portText = authority[authority.index(after: colon)...]
                guard let p = Int(portText), (1...65535).contains(p) else {
                    return .failure(URLProblem("has an invalid port \"\(portText)\""))
                }
                port = p
            }
            if host.isEmpty { return .failure(URLProblem("has no host")) }
            if path.count <= 1 { return .failure(URLProblem("names no repository path after the host")) }
            return .success(
                RepositoryURL(
                    raw: raw, scheme: scheme, host: host.lowercased(), port: port,
                    path: path, user: user, password: password))
        }
        if raw.hasPrefix("/") || raw.hasPrefix("./") || raw.hasPrefix("../") || raw == "." || raw == ".." {
            return .success(
                RepositoryURL(raw: raw, scheme: .path, host: nil, port: nil, path: raw, user: nil, password: nil))
        }
        // scp-like: [user@]host:path, with the colon before any slash.
        if let colon = raw.firstIndex(of: ":"), !raw[..<colon].contains("/") {
            let before = raw[..<colon]
            let path = String(raw[raw.index(after: colon)...])
            var user: String?
            var host = String(before)
            if let at = before.lastIndex(of: "@") {
                user = String(before[..<at])
                host = String(before[before.index(after: at)...])
            }
            if host.isEmpty { return .failure(URLProblem("has no host before ':'")) }
            if path.isEmpty { return .failure(URLProblem("names no repository path after ':'")) }
            return .success(
                RepositoryURL(
                    raw: raw, scheme: .scp, host: host.lowercased(), port: nil,
                    path: path, user: user, password: nil))
        }
        return .failure(
            URLProblem(
                "is not a repository URL; use https://host/owner/repo, ssh://git@host/owner/repo, git@host:owner/repo, git://host/owner/repo, or (where allowed) a file:// URL or an absolute path"
            ))
    }

    /// The URL with any password or token replaced by `***` (and for http(s), any user
    /// info at all, since a token is often written as the user name), and every query value
    /// too (`?private_token=`, presigned URLs).
    public var redacted: String {
        // The usual URL has neither user info nor a query: nothing to hide (this runs for
        // every application on every poll).
        if user == nil, password == nil, !raw.utf8.contains(UInt8(ascii: "?")) { return raw }
        return Redact.queryValues(redactedUserInfo)
    }

    private var redactedUserInfo: String {
        switch scheme {
        case .https, .http, .git, .ssh:
            guard let schemeEnd = raw.firstRange(of: "://") else { return raw }
            let rest = raw[schemeEnd.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<slash]
            guard let at = authority.lastIndex(of: "@") else { return raw }
            let hidden: String
            if scheme == .ssh, password == nil, let user {
                hidden = user  // ssh://git@host: the user name is not a secret
            } else if scheme == .ssh, let user {
                hidden = user + ":***"
            } else {
                hidden = "***"
            }
            return String(raw[..<schemeEnd.upperBound]) + hidden + String(rest[at...])
        case .scp, .file, .path:
            return raw
        }
    }

    public var description: String { redacted }

    /// The user name as the server must receive it: percent-decoded (`p%40ss` is `p@ss`).
    public var decodedUser: String? { user.map(Self.percentDecoded) }

    /// The password or token inside the URL, percent-decoded.
    public var decodedPassword: String? { password.map(Self.percentDecoded) }

    static func percentDecoded(_ text: String) -> String {
        String(decoding: RepoPath.unescape(text), as: UTF8.self)
    }

    /// Owner/repo identity used to match a webhook's repository to registrations: host and
    /// path, lowercased, without `.git`, slashes or user info, whatever the transport.
    public var matchKey: String {
        let base = (host ?? "") + "/" + trimmedPath
        return base.lowercased()
    }

    /// Cache identity: transport, host, port and path, so `https://h/o/r`, `https://h/o/r.git`
    /// and `https://h/o/r/` share one cache, but credentials do not enter it.
    public var cacheKey: String {
        switch scheme {
        case .file, .path:
            return "file:" + trimmedPath
        case .ssh, .scp:
            // The user and `~` matter on a multi-user ssh host: `alice@h:repo` is not `bob@h:repo`.
            let portPart = port.map { ":\($0)" } ?? ""
            var p = Substring(path)
            while p.hasSuffix("/") { p = p.dropLast() }
            if p.hasSuffix(".git") { p = p.dropLast(4) }
            while p.hasPrefix("/") { p = p.dropFirst() }
            return "ssh://\(user.map { $0 + "@" } ?? "")\(host ?? "")\(portPart)/\(p)"
        default:
            let portPart = port.map { ":\($0)" } ?? ""
            return "\(scheme.rawValue)://\(host ?? "")\(portPart)/\(trimmedPath)"
        }
    }

    private var trimmedPath: String {
        var p = Substring(path)
        while p.hasSuffix("/") { p = p.dropLast() }
        if p.hasSuffix(".git") { p = p.dropLast(4) }
        while p.hasPrefix("/") { p = p.dropFirst() }
        if scheme == .scp || scheme == .ssh, p.hasPrefix("~") { p = p.dropFirst() }
        return String(p)
    }
}

extension RepositoryURL {
    /// Encoded as its redacted text only, so a credential can never reach a status file or
    /// an API answer by way of a model being serialized.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(redacted)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        switch RepositoryURL.parse(text) {
        case .success(let url): self = url
        case .failure(let problem):
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "repository URL \(problem.message)")
        }
    }
}

public struct URLProblem: Error, Sendable, Equatable {
    public let message: String
    init(_ message: String) { self.message = message }
}
