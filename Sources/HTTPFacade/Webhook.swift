import Crypto
import Foundation
import HTTPTypes
import Manifest

/// Push deliveries of GitHub, GitLab, Gitea and a generic HMAC form: who signed them, and
/// which repository and branch they are about.
public enum Webhook {
    public static let bodyLimit = 1 << 20

    public enum Provider: String, Sendable { case github, gitlab, gitea, bitbucket, generic }

    static let githubSignature = HTTPField.Name("X-Hub-Signature-256")!
    static let gitlabToken = HTTPField.Name("X-Gitlab-Token")!
    static let giteaSignature = HTTPField.Name("X-Gitea-Signature")!
    static let genericSignature = HTTPField.Name("X-Zerverless-Signature")!
    static let githubEvent = HTTPField.Name("X-GitHub-Event")!
    static let gitlabEvent = HTTPField.Name("X-Gitlab-Event")!
    static let giteaEvent = HTTPField.Name("X-Gitea-Event")!
    static let bitbucketSignature = HTTPField.Name("X-Hub-Signature")!
    static let bitbucketEvent = HTTPField.Name("X-Event-Key")!

    /// The provider whose signature (or token) is valid for `body`, or nil: every
    /// comparison is constant-time, and a delivery with no valid signature triggers nothing.
    public static func verify(_ headers: HTTPFields, body: [UInt8], secret: [UInt8]) -> Provider? {
        let key = SymmetricKey(data: secret)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
        func matches(_ header: String?, prefix: String) -> Bool {
            guard let header, header.hasPrefix(prefix), let given = hexBytes(String(header.dropFirst(prefix.count)))
            else { return false }
            return constantTimeEqual(given, mac)
        }
        // Gitea (and Forgejo) also send GitHub's header: their own comes first.
        if let value = headers[giteaSignature] { return matches(value, prefix: "") ? .gitea : nil }
        if let value = headers[githubSignature] { return matches(value, prefix: "sha256=") ? .github : nil }
        if let value = headers[bitbucketSignature], headers[bitbucketEvent] != nil {
            return matches(value, prefix: "sha256=") ? .bitbucket : nil
        }
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
        case .bitbucket: return headers[bitbucketEvent] == "repo:push"
        case .generic: return true
        }
    }

    /// A pull-request (GitLab: merge-request) event.
    public static func isPullRequest(_ headers: HTTPFields, provider: Provider) -> Bool {
        switch provider {
        case .github: return headers[githubEvent] == "pull_request"
        case .gitlab: return headers[gitlabEvent] == "Merge Request Hook"
        case .gitea: return headers[giteaEvent] == "pull_request"
        case .bitbucket, .generic: return false
        }
    }

    /// The project a pull-request event is about: `repository.full_name` (GitHub, Gitea),
    /// `project.path_with_namespace` (GitLab).
    public static func pullRequestProject(_ body: [UInt8]) -> String? {
        guard let object = json(body) else { return nil }
        if let repo = object["repository"] as? [String: Any], let name = repo["full_name"] as? String { return name }
        if let project = object["project"] as? [String: Any], let path = project["path_with_namespace"] as? String {
            return path
        }
        return nil
    }

    /// What a push delivery is about.
    public struct Push: Sendable, Equatable {
        /// Every URL form the payload names, as match keys.
        public var keys: Set<String>
        /// The branch pushed, or nil for a tag push (or a push of no branch).
        public var branch: String?
        /// The tag pushed, if any.
        public var tag: String?
    }

    /// The JSON of a delivery: the body, or (GitHub's default content type,
    /// `application/x-www-form-urlencoded`) its `payload` field.
    static func json(_ body: [UInt8]) -> [String: Any]? {
        if let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] { return object }
        let text = String(decoding: body, as: UTF8.self)
        for field in text.split(separator: "&") where field.hasPrefix("payload=") {
            let value = String(field.dropFirst("payload=".count)).replacingOccurrences(of: "+", with: " ")
            guard let decoded = value.removingPercentEncoding else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(decoded.utf8))) as? [String: Any]
        }
        return nil
    }

    /// The repository and the branch or tag of a push (GitHub, GitLab, Gitea, Bitbucket
    /// Cloud, generic), or nil when the payload names no repository.
    public static func delivery(_ body: [UInt8]) -> Push? {
        guard let object = json(body) else { return nil }
        var urls: [String] = []
        for container in ["repository", "project"] {
            guard let repo = object[container] as? [String: Any] else { continue }
            for field in [
                "clone_url", "ssh_url", "html_url", "git_url", "git_http_url", "git_ssh_url", "web_url", "url",
                "http_url",
            ] {
                if let url = repo[field] as? String { urls.append(url) }
            }
            // Bitbucket Cloud: repository.links.html.href.
            if let links = repo["links"] as? [String: Any], let html = links["html"] as? [String: Any],
                let href = html["href"] as? String
            {
                urls.append(href)
            }
        }
        if let url = object["repoURL"] as? String { urls.append(url) }
        var branch = object["branch"] as? String
        var tag: String?
        if let ref = object["ref"] as? String {
            if ref.hasPrefix("refs/heads/") { branch = String(ref.dropFirst("refs/heads/".count)) }
            if ref.hasPrefix("refs/tags/") { tag = String(ref.dropFirst("refs/tags/".count)) }
        }
        // Bitbucket Cloud: push.changes[].new {type: branch|tag, name}.
        if let push = object["push"] as? [String: Any], let changes = push["changes"] as? [[String: Any]] {
            for change in changes {
                guard let new = change["new"] as? [String: Any], let name = new["name"] as? String else { continue }
                if new["type"] as? String == "branch" {
                    branch = branch ?? name
                } else if new["type"] as? String == "tag" {
                    tag = tag ?? name
                }
            }
        }
        var keys = Set<String>()
        for url in urls {
            if case .success(let parsed) = RepositoryURL.parse(url) { keys.insert(parsed.matchKey) }
        }
        guard !keys.isEmpty else { return nil }
        return Push(keys: keys, branch: branch, tag: tag)
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
