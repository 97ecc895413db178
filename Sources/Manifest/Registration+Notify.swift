import YAML

extension Registration {
    /// `syncPolicy.selfHeal`: what a drift pass does when the target no longer holds what
    /// the application deployed.
    public enum SelfHeal: String, Sendable, Hashable, Codable, CaseIterable {
        /// Drift is not looked for.
        case off
        /// Drift is reported (status `drift`, a `drift` notification), nothing is changed.
        case warn
        /// What drifted is deployed again from the inventory's commit.
        case correct
    }

    /// The events a notification endpoint can ask for (`notify[].on`).
    public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case synced, error, invalid, drift, deleted, healthy, degraded, rolledBack

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// The forges whose commit-status API the daemon speaks.
    public enum Forge: String, Sendable, Hashable, Codable, CaseIterable {
        case github, gitea, gitlab
    }

    /// One entry of `spec.notify`: a webhook receiver, or a forge's commit statuses.
    public enum Notify: Sendable, Hashable, Codable {
        case webhook(Webhook)
        case commitStatus(CommitStatus)

        public struct Webhook: Sendable, Hashable, Codable {
            public enum Format: String, Sendable, Hashable, Codable, CaseIterable { case generic, slack }
            public var url: String
            /// HMAC-SHA256 key for `X-Zerverless-Signature` (secrets rule).
            public var secretFile: String?
            public var format: Format
            /// nil: every event.
            public var on: Set<EventKind>?

            public init(url: String, secretFile: String? = nil, format: Format = .generic, on: Set<EventKind>? = nil) {
                self.url = url
                self.secretFile = secretFile
                self.format = format
                self.on = on
            }

            public func wants(_ kind: EventKind) -> Bool { on?.contains(kind) ?? true }
        }

        public struct CommitStatus: Sendable, Hashable, Codable {
            public var forge: Forge
            public var apiURL: String
            /// The forge token (secrets rule).
            public var tokenFile: String
            /// Where the status links to (`target_url`): set by the daemon for a pull
            /// request's preview (its static index); never read from a registration file.
            /// Absent from outbox entries written before it existed (they read as nil).
            public var targetURL: String?
            /// The forge's project (`OWNER/REPO`) when it is not the one the repository URL
            /// names: a pull-request preview's, from its generator. Never read from a file.
            public var project: String?

            public init(forge: Forge, apiURL: String, tokenFile: String, targetURL: String? = nil) {
                self.forge = forge
                self.apiURL = apiURL
                self.tokenFile = tokenFile
                self.targetURL = targetURL
            }
        }
    }

    static let notifyKeys = ["url", "secretFile", "format", "on", "commitStatus", "apiURL", "tokenFile"]
    static let notifySecrets = [
        "secret": "inline secrets are not allowed; put the key in a file and set secretFile",
        "token": "inline secrets are not allowed; put the token in a file and set tokenFile",
    ]

    static func decodeNotify(_ node: Node, _ path: String, url repoURL: RepositoryURL?, _ r: FieldReader) -> [Notify] {
        guard !node.isNull else { return [] }
        guard let items = r.list(node, path) else { return [] }
        if items.count > 10 { r.error(node.mark, path, "at most 10 endpoints (this list has \(items.count))") }
        var out: [Notify] = []
        for (i, item) in items.prefix(10).enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let f = r.fields(item, itemPath, allowed: notifyKeys, inlineSecrets: notifySecrets, at: item.mark)
            else { continue }
            let isForge = f["commitStatus"] != nil
            if isForge == (f["url"] != nil) {
                r.error(
                    item.mark, itemPath,
                    "give exactly one of url (a webhook receiver) and commitStatus (github, gitea or gitlab)")
                continue
            }
            func secretName(_ key: String) -> String? {
                guard let n = f[key], let text = r.string(n, f.path(key)) else { return nil }
                return secretFileName(text, at: n.mark, f.path(key), r)
            }
            func httpURL(_ key: String) -> String? {
                guard let n = f[key], let text = r.string(n, f.path(key)) else { return nil }
                if let problem = Self.endpointURLProblem(text) {
                    r.error(n.mark, f.path(key), "\"\(Self.endpointShown(text))\" \(problem)")
                    return nil
                }
                return text
            }
            if isForge {
                for key in ["secretFile", "format", "on"] {
                    if let m = f.keyMark(key) {
                        r.error(
                            m, f.path(key),
                            "is for webhook receivers (url); a commitStatus entry takes apiURL and tokenFile")
                    }
                }
                var forge: Forge?
                if let n = f["commitStatus"], let text = r.string(n, f.path("commitStatus")) {
                    forge = Forge(rawValue: text)
                    if forge == nil {
                        r.error(
                            n.mark, f.path("commitStatus"),
                            "\"\(text)\" is not a forge; expected github, gitea or gitlab")
                    }
                }
                if f["apiURL"] == nil {
                    r.error(item.mark, itemPath, "missing required field \"apiURL\" (e.g. https://api.github.com)")
                }
                if f["tokenFile"] == nil {
                    r.error(
                        item.mark, itemPath,
                        "missing required field \"tokenFile\" (a token allowed to set commit statuses)")
                }
                let api = httpURL("apiURL")
                let token = secretName("tokenFile")
                if let forge, let repoURL, repoURL.forgeProject == nil, let m = f.keyMark("commitStatus") {
                    r.error(
                        m, f.path("commitStatus"),
                        "the repository URL has no OWNER/REPO path for \(forge.rawValue)'s status API")
                }
                if let forge, let api, let token {
                    out.append(.commitStatus(.init(forge: forge, apiURL: api, tokenFile: token)))
                }
            } else {
                for key in ["apiURL", "tokenFile"] {
                    if let m = f.keyMark(key) {
                        r.error(
                            m, f.path(key),
                            "is for commitStatus entries; a webhook receiver takes url, secretFile, format and on")
                    }
                }
                var format = Notify.Webhook.Format.generic
                if let n = f["format"], let text = r.string(n, f.path("format")) {
                    if let value = Notify.Webhook.Format(rawValue: text) {
                        format = value
                    } else {
                        r.error(n.mark, f.path("format"), "\"\(text)\" is not a format; expected generic or slack")
                    }
                }
                var on: Set<EventKind>?
                if let n = f["on"], let list = r.list(n, f.path("on")) {
                    var kinds = Set<EventKind>()
                    for (j, k) in list.enumerated() {
                        guard let text = r.string(k, "\(f.path("on"))[\(j)]") else { continue }
                        if let kind = EventKind(rawValue: text) {
                            kinds.insert(kind)
                        } else {
                            r.error(
                                k.mark, "\(f.path("on"))[\(j)]",
                                "\"\(text)\" is not an event; expected \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))"
                            )
                        }
                    }
                    on = kinds
                }
                let secret = secretName("secretFile")
                if let url = httpURL("url") {
                    out.append(.webhook(.init(url: url, secretFile: secret, format: format, on: on)))
                }
            }
        }
        return out
    }

    /// Why a notification or forge URL cannot be used: http(s) only, a host, no
    /// credentials inside (they would be shown; use secretFile/tokenFile).
    public static func endpointURLProblem(_ text: String) -> String? {
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            return "is not an http:// or https:// URL"
        }
        let rest = text.drop(while: { $0 != "/" }).dropFirst(2)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        if authority.contains("@") {
            return "has credentials inside; put them in a secret file (secretFile or tokenFile)"
        }
        if authority.isEmpty { return "has no host" }
        if text.contains(where: { $0 == " " || $0.asciiValue.map { $0 < 0x20 } ?? false }) {
            return "contains spaces or control characters"
        }
        return nil
    }

    /// A notification URL as diagnostics show it: scheme and host (a webhook URL's path is
    /// often its secret), credentials hidden.
    public static func endpointShown(_ text: String) -> String {
        let redacted = redactEndpoint(text)
        let parts = redacted.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].hasSuffix(":"), parts[1].isEmpty else {
            return parts.count > 3 ? String(parts[0]) + "…" : redacted
        }
        return parts[0] + "//" + parts[2] + "/…"
    }

    /// A URL as it may be shown: what stands before an '@' in the authority is hidden.
    public static func redactEndpoint(_ text: String) -> String {
        let parts = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty, let at = parts[2].lastIndex(of: "@") else {
            return text
        }
        var out = parts[0] + "//***" + parts[2][at...]
        if parts.count == 4 { out += "/" + parts[3] }
        return String(out)
    }
}

extension RepositoryURL {
    /// `OWNER/REPO` (GitLab: the whole project path) as the forges' APIs name the
    /// repository: the URL's path without a leading `/`, a trailing `/` or `.git`.
    public var forgeProject: String? {
        guard scheme != .file, scheme != .path else { return nil }
        var p = path.split(separator: "?")[0...].first.map(String.init) ?? path
        while p.hasPrefix("/") { p.removeFirst() }
        while p.hasSuffix("/") { p.removeLast() }
        if p.hasSuffix(".git") { p.removeLast(4) }
        if p.hasPrefix("~") { return nil }
        // Only what names a repository: no query, fragment, escapes or dot segments that
        // would take a status call to another API path.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/")
        let segments = p.split(separator: "/", omittingEmptySubsequences: false)
        guard p.allSatisfy({ allowed.contains($0) }), segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { return nil }
        return segments.count >= 2 ? p : nil
    }
}

extension Registration {
    /// Every secret or key file the registration names, with its field: all of them must
    /// lead into `SECRETS_DIR/NAMESPACE/`.
    public var secretFiles: [(field: String, name: String)] {
        let auth = source.auth
        var out: [(String, String?)] = [
            ("spec.source.auth.tokenFile", auth?.tokenFile), ("spec.source.auth.sshKeyFile", auth?.sshKeyFile),
            ("spec.source.auth.knownHostsFile", auth?.knownHostsFile), ("spec.source.auth.caFile", auth?.caFile),
            ("spec.source.verify.publicKeysFile", source.verify?.publicKeysFile),
            ("spec.source.webhookSecretFile", source.webhookSecretFile),
        ]
        for (i, entry) in notify.enumerated() {
            switch entry {
            case .webhook(let w): out.append(("spec.notify[\(i)].secretFile", w.secretFile))
            case .commitStatus(let c): out.append(("spec.notify[\(i)].tokenFile", c.tokenFile))
            }
        }
        return out.compactMap { field, name in name.map { (field, $0) } }
    }
}

extension Registration {
    /// A secret or key file's name as written (`auth`, `verify`, `notify`): relative names
    /// are taken from SECRETS_DIR/NAMESPACE/ and may not climb out with `..`; where an
    /// absolute one leads is checked when the file is used (it must lead there too).
    static func secretFileName(_ text: String, at mark: Mark, _ path: String, _ r: FieldReader, kind: String = "secret")
        -> String?
    {
        if text.isEmpty || text.utf8.contains(0) {
            r.error(mark, path, "expected a file name of the namespace's secrets folder (SECRETS_DIR/NAMESPACE/)")
            return nil
        }
        if !text.hasPrefix("/"), text.split(separator: "/").contains("..") {
            r.error(
                mark, path,
                "\"\(text)\" climbs out of the namespace's secrets folder with '..'; \(kind) files come from SECRETS_DIR/NAMESPACE/ only"
            )
            return nil
        }
        return text
    }
}
