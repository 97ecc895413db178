import Foundation
import Manifest

/// What the agent needs to reach one repository: where, with which credentials, and how
/// long any network operation may take.
public struct Remote: Sendable {
    public var url: RepositoryURL
    public var credentials: Credentials
    /// Every network operation (connect, ls-remote, fetch) ends within this.
    public var timeout: Duration
    /// Permit `file://` URLs and plain paths (`--allow-file-urls`).
    public var allowLocal: Bool
    /// The most a fetch may download, and its cache may hold on disk (bytes); nil: no limit.
    public var sizeLimit: Int?
    /// The most branches and tags one fetch may store in the cache (`--max-refs`); nil: no
    /// limit.
    public var maxRefs: Int?
    /// `--max-refs` unless the operator says otherwise.
    public static let defaultMaxRefs = 10_000
    /// Told the objects received of the total as a fetch downloads (libgit2's transfer
    /// callback, often: the receiver bounds what it does with it).
    public var progress: (@Sendable (_ received: Int, _ total: Int) -> Void)?

    public init(
        url: RepositoryURL, credentials: Credentials = Credentials(), timeout: Duration = .seconds(60),
        allowLocal: Bool = false,
        sizeLimit: Int? = nil, maxRefs: Int? = nil
    ) {
        self.maxRefs = maxRefs
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        self.allowLocal = allowLocal
        self.sizeLimit = sizeLimit
    }

    /// The URL handed to libgit2: no password or token inside (those go through the
    /// credential callback), so no libgit2 message can contain one.
    var libgit2URL: String {
        switch url.scheme {
        case .https, .http, .git:
            let port = url.port.map { ":\($0)" } ?? ""
            return "\(url.scheme.rawValue)://\(url.host ?? "")\(port)\(url.path)"
        case .ssh:
            let port = url.port.map { ":\($0)" } ?? ""
            let user = url.user.map { "\($0)@" } ?? ""
            return "ssh://\(user)\(url.host ?? "")\(port)\(url.path)"
        case .scp, .path:
            return url.raw
        case .file:
            return url.raw
        }
    }

    var shown: String { url.redacted }

    func refuseLocalUnlessAllowed() throws(GitError) {
        if url.isLocal && !allowLocal {
            throw GitError(
                .localURLRefused, call: "policy", message: "local repository URLs are refused", url: shown,
                hint: "start the daemon with --allow-file-urls to permit file:// URLs and local paths")
        }
    }
}

/// Credentials as loaded from the files a registration names (never inline).
public struct Credentials: Sendable {
    public var username: String?
    public var token: String?
    public var sshKeyFile: String?
    public var sshKeyIsRSA = false
    public var knownHosts: KnownHosts?
    /// Where the known hosts came from, for messages.
    public var knownHostsSource: String?
    /// A CA (PEM) trusted for this repository alone, when the system's CAs do not vouch
    /// for the server (`auth.caFile`).
    public var caPEM: String?

    public init(
        username: String? = nil, token: String? = nil, sshKeyFile: String? = nil,
        knownHosts: KnownHosts? = nil, knownHostsSource: String? = nil
    ) {
        self.username = username
        self.token = token
        self.sshKeyFile = sshKeyFile
        self.knownHosts = knownHosts
        self.knownHostsSource = knownHostsSource
    }

    /// The system and user known_hosts files, used when a registration names none.
    public static var defaultKnownHostsFiles: [String] {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        return ["\(home)/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts"]
    }

    /// The credentials for `url`, from what the caller read under its own rules (the
    /// registration's files come through the secrets folder; GitSource opens none of them):
    /// a token (`tokenFile`), an ssh key (its file, for libssh2, and its text), known hosts.
    /// A token or password inside the URL is used when no token is given, percent-decoded.
    public static func make(
        url: RepositoryURL, username: String? = nil, token: String? = nil,
        sshKey: (file: String, text: String)? = nil,
        knownHosts: (source: String, text: String)? = nil, caPEM: String? = nil
    ) throws(GitError) -> Credentials {
        var c = Credentials()
        c.caPEM = caPEM
        c.username = username ?? url.decodedUser
        if let password = url.decodedPassword, !password.isEmpty {
            c.token = password
        } else if url.scheme == .https || url.scheme == .http, url.password == nil, let user = url.decodedUser,
            token == nil
        {
            // https://TOKEN@host/...: the token written as the user name.
            c.token = user
            c.username = username ?? "git"
        }
        if let token {
            let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                throw GitError(
                    .credentialFile, call: "read tokenFile", message: "the token file is empty", url: url.redacted,
                    hint: "write the token into the file")
            }
            c.token = trimmed
        }
        if let sshKey {
            c.sshKeyFile = sshKey.file
            c.sshKeyIsRSA = isRSAKey(sshKey.text)
        }
        if let knownHosts {
            c.knownHosts = KnownHosts(text: knownHosts.text)
            c.knownHostsSource = knownHosts.source
        } else if url.scheme == .ssh || url.scheme == .scp {
            let texts = defaultKnownHostsFiles.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            c.knownHosts = KnownHosts(text: texts.joined(separator: "\n"))
            c.knownHostsSource = defaultKnownHostsFiles.joined(separator: " and ")
        }
        return c
    }

    /// An RSA private key, PEM or OpenSSH format (the key type is inside the base64 body).
    static func isRSAKey(_ text: String) -> Bool {
        if text.contains("BEGIN RSA PRIVATE KEY") { return true }
        guard text.contains("BEGIN OPENSSH PRIVATE KEY") else { return false }
        let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return false }
        return data.range(of: Data("ssh-rsa".utf8)) != nil
    }
}
