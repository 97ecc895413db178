import Crypto
import Foundation
import HTTPTypes
import Manifest

/// Push deliveries of GitHub, GitLab, Gitea and a generic HMAC form: who signed them, and
/// which repository and branch they are about.
public enum Webhook {
    public static let bodyLimit = 1 << 20

    public enum Provider: String, Sendable { case github, gitlab, gitea, generic }

    static let githubSignature = HTTPField.Name("X-Hub-Signature-256")!
    static let gitlabToken = HTTPField.Name("X-Gitlab-Token")!
    static let giteaSignature = HTTPField.Name("X-Gitea-Signature")!
    static let genericSignature = HTTPField.Name("X-Zerverless-Signature")!
    static let githubEvent = HTTPField.Name("X-GitHub-Event")!
    static let gitlabEvent = HTTPField.Name("X-Gitlab-Event")!
    static let giteaEvent = HTTPField.Name("X-Gitea-Event")!

    /// The provider whose signature (or token) is valid for `body`, or nil: every
    /// comparison is constant-time, and a delivery with no valid signature triggers nothing.
    public static func verify(_ headers: HTTPFields, body: [UInt8], secret: [UInt8]) -> Provider? {
        let key = SymmetricKey(data: secret)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
        func matches(_ header: String?, prefix: String) -> Bool {
            guard let header, header.hasPrefix(prefix), let given = hexBytes(String(header.dropFirst(prefix.count))) else { return false }
            return constantTimeEqual(given, mac)
        }
        if let value = headers[githubSignature] { return matches(value, prefix: "sha256=") ? .github : nil }
        if let value = headers[giteaSignature] { return matches(value, prefix: "") ? .gitea : nil }
        if let value = headers[genericSignature] { return matches(value, prefix: "sha256=") ? .generic : nil }
        if let value = headers[gitlabToken] { return constantTimeEqual(Array(value.utf8), secret) ? .gitlab : nil }
        return nil
    }

    /// Whether the delivery is a push (other events are acknowledged and ignored).
    public static func isPush(_ headers: HTTPFields, provider: Provider) -> Bool {
        switch provider {
        case .github: return (headers[githubEvent] ?? "push") == "push"
        case .gitlab: return (headers[gitlabEvent] ?? "Push Hook") == "Push Hook"
        case .gitea: return (headers[giteaEvent] ?? "push") == "push"
        case .generic: return true
        }
    }

    /// The repository (every URL form the payload names, as match keys) and the branch.
    public static func push(_ body: [UInt8]) -> (keys: Set<String>, branch: String)? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        var urls: [String] = []
        for container in ["repository", "project"] {
            guard let repo = object[container] as? [String: Any] else { continue }
            for field in ["clone_url", "ssh_url", "html_url", "git_url", "git_http_url", "git_ssh_url", "web_url", "url", "http_url"] {
                if let url = repo[field] as? String { urls.append(url) }
            }
        }
        if let url = object["repoURL"] as? String { urls.append(url) }
        var branch = object["branch"] as? String
        if let ref = object["ref"] as? String, ref.hasPrefix("refs/heads/") { branch = String(ref.dropFirst("refs/heads/".count)) }
        var keys = Set<String>()
        for url in urls {
            if case .success(let parsed) = RepositoryURL.parse(url) { keys.insert(parsed.matchKey) }
        }
        guard let branch, !keys.isEmpty else { return nil }
        return (keys, branch)
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = v(chars[i]), let lo = v(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
