import YAML

/// One application registration (`APPS_DIR/*.yaml`), in either form.
public struct Registration: Sendable, Hashable, Codable {
    public enum Form: String, Sendable, Codable {
        /// `apiVersion`/`kind`/`metadata`/`spec`
        case application
        /// `{name, namespace, source, pollInterval, syncPolicy}`: the original REST body.
        case flat
    }

    public struct Auth: Sendable, Hashable, Codable {
        public var username: String?
        public var tokenFile: String?
        public var sshKeyFile: String?
        public var knownHostsFile: String?
        /// A CA certificate (PEM) trusted for this repository's https server alone.
        public var caFile: String?

        public init(
            username: String? = nil, tokenFile: String? = nil, sshKeyFile: String? = nil, knownHostsFile: String? = nil,
            caFile: String? = nil
        ) {
            self.username = username
            self.tokenFile = tokenFile
            self.sshKeyFile = sshKeyFile
            self.knownHostsFile = knownHostsFile
            self.caFile = caFile
        }
    }

    public struct Source: Sendable, Hashable, Codable {
        public var repoURL: RepositoryURL
        public var ref: Ref
        public var verify: Verify?
        /// The branch followed, for branch refs.
        public var branch: String? { if case .branch(let name) = ref { name } else { nil } }
        /// The repository folder holding zerverless.yaml, normalized (`.` for the root).
        public var path: String
        public var auth: Auth?
        /// `webhookSecretFile`: this application's own webhook secret, a file of
        /// SECRETS_DIR/NAMESPACE/ (the secrets rule). A push delivery signed with it
        /// triggers this application (and the others it verifies) alone.
        public var webhookSecretFile: String?
    }

    public struct SyncPolicy: Sendable, Hashable, Codable {
        public var automated = true
        public var prune = true
        public var allowEmpty = false
        public var suspend = false
        /// What a drift pass does (off, warn, correct); default warn.
        public var selfHeal = SelfHeal.warn
        /// When the health checks after a deploy fail past their deadline, deploy the last
        /// healthy commit again (an automatic pin, lifted when the source moves).
        public var autoRollback = false

        public init() {}
    }

    public var form: Form
    public var name: String
    public var namespace: String
    public var source: Source
    /// Seconds; nil means the daemon's default (`--poll-interval`).
    public var pollInterval: Int?
    public var syncPolicy: SyncPolicy
    /// `notify`: webhook receivers and forge commit statuses for this app's events.
    public var notify: [Notify] = []
    /// `metadata.labels` (flat form: `labels`): for selecting applications (`status -l`,
    /// `?labelSelector=`, the page's filter); Kubernetes' label syntax.
    public var labels: [String: String] = [:]
    /// An application set's application: the set's name (`generatedBy` in its status);
    /// nil for a registration file.
    public var generatedBy: String?
    /// An application set's `pathPrefix` (`/preview/feat-x`): every function path and
    /// static file goes under it. Never read from a registration file.
    public var pathPrefix: String?

    public static let apiVersion = "zerverless.io/v1"
    public static let defaultBranch = "main"
    public static let minPollInterval = 1
    public static let maxPollInterval = 7 * 24 * 3600
}

extension Registration {
    /// Decodes a registration from a parsed YAML document; every problem is a diagnostic.
    static func decode(_ root: Node, reader r: FieldReader) -> Registration? {
        guard root.pairs != nil else {
            r.error(
                root.mark, nil,
                "expected a mapping (name, namespace, source... or apiVersion, kind, metadata, spec) at the top of the file, found \(r.describe(root))"
            )
            return nil
        }
        let isApplication =
            root["apiVersion"] != nil || root["kind"] != nil || root["metadata"] != nil || root["spec"] != nil
        if isApplication {
            return decodeApplication(root, r)
        }
        return decodeFlat(root, r)
    }

    static let applicationKeys = ["apiVersion", "kind", "metadata", "spec"]
    static let metadataKeys = ["name", "namespace", "labels", "annotations"]
    static let specKeys = ["source", "pollInterval", "syncPolicy", "notify"]
    static let flatKeys = ["name", "namespace", "labels", "source", "pollInterval", "syncPolicy", "notify"]
    static let sourceKeys = [
        "repoURL", "branch", "tag", "semver", "commit", "path", "auth", "verify", "webhookSecretFile",
    ]
    static let verifyKeys = ["mode", "publicKeysFile"]
    static let authKeys = ["username", "tokenFile", "sshKeyFile", "knownHostsFile", "caFile"]
    static let policyKeys = ["automated", "prune", "allowEmpty", "suspend", "selfHeal", "autoRollback"]

    static let sourceSecrets = [
        "token": "inline secrets are not allowed; put the token in a file and set auth.tokenFile",
        "password": "inline secrets are not allowed; put the token in a file and set auth.tokenFile",
        "webhookSecret": "inline secrets are not allowed; put the webhook secret in a file and set webhookSecretFile",
    ]
    static let authSecrets = [
        "token": "inline secrets are not allowed; put the token in a file and set tokenFile",
        "password": "inline secrets are not allowed; put the password or token in a file and set tokenFile",
        "sshKey": "inline secrets are not allowed; put the key in a file and set sshKeyFile",
        "privateKey": "inline secrets are not allowed; put the key in a file and set sshKeyFile",
        "key": "inline secrets are not allowed; put the key in a file and set sshKeyFile",
    ]

    private static func decodeApplication(_ root: Node, _ r: FieldReader) -> Registration? {
        guard
            let top = r.fields(
                root, "", allowed: applicationKeys, required: ["apiVersion", "kind", "metadata", "spec"], at: root.mark)
        else { return nil }
        checkHeader(top, r)
        var name: String?
        var namespace: String?
        var labels: [String: String] = [:]
        if let meta = top["metadata"],
            let m = r.fields(
                meta, "metadata", allowed: metadataKeys, required: ["name", "namespace"], at: top.keyMark("metadata")!)
        {
            name = m["name"].flatMap { dnsLabel($0, m.path("name"), r) }
            namespace = m["namespace"].flatMap { dnsLabel($0, m.path("namespace"), r) }
            labels = decodeLabels(m, r)
            checkStringMap(m, "annotations", r)
        }
        guard let specNode = top["spec"],
            let spec = r.fields(specNode, "spec", allowed: specKeys, required: ["source"], at: top.keyMark("spec")!)
        else { return nil }
        var registration = finish(name: name, namespace: namespace, fields: spec, r)
        registration?.labels = labels
        return registration
    }

    private static func decodeFlat(_ root: Node, _ r: FieldReader) -> Registration? {
        guard let top = r.fields(root, "", allowed: flatKeys, required: ["name", "namespace", "source"], at: root.mark)
        else { return nil }
        let name = top["name"].flatMap { dnsLabel($0, "name", r) }
        let namespace = top["namespace"].flatMap { dnsLabel($0, "namespace", r) }
        let labels = decodeLabels(top, r)
        var registration = finish(name: name, namespace: namespace, fields: top, r)
        registration?.labels = labels
        return registration
    }

    /// `apiVersion` and `kind` of the Application form (shared with the manifest).
    static func checkHeader(_ top: Fields, _ r: FieldReader) {
        if let v = top["apiVersion"], let text = r.string(v, "apiVersion"), text != apiVersion {
            r.error(v.mark, "apiVersion", "unsupported apiVersion \"\(text)\"; expected \"\(apiVersion)\"")
        }
        if let k = top["kind"], let text = r.string(k, "kind"), text != "Application" {
            r.error(k.mark, "kind", "unsupported kind \"\(text)\"; expected \"Application\"")
        }
    }

    static func checkStringMap(_ fields: Fields, _ key: String, _ r: FieldReader) {
        guard let node = fields[key], !node.isNull else { return }
        guard let pairs = node.pairs else {
            r.error(node.mark, fields.path(key), "expected a mapping of strings, found \(r.describe(node))")
            return
        }
        for pair in pairs where pair.value.scalar == nil {
            r.error(
                pair.value.mark, fields.path(key) + "." + (pair.key.scalar ?? ""),
                "expected a string, found \(r.describe(pair.value))")
        }
    }

    /// `labels`: a mapping of strings, each key and value in Kubernetes' label syntax.
    static func decodeLabels(_ fields: Fields, _ r: FieldReader) -> [String: String] {
        checkStringMap(fields, "labels", r)
        guard let pairs = fields["labels"]?.pairs else { return [:] }
        var labels: [String: String] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar, let value = pair.value.scalar else { continue }
            let path = fields.path("labels") + "." + key
            if let problem = Rules.labelKeyProblem(key) {
                r.error(pair.key.mark, path, problem)
            } else if let problem = Rules.labelValueProblem(value) {
                r.error(pair.value.mark, path, problem)
            } else {
                labels[key] = value
            }
        }
        return labels
    }

    static func dnsLabel(_ node: Node, _ path: String, _ r: FieldReader) -> String? {
        guard let text = r.string(node, path) else { return nil }
        if let problem = Rules.dnsLabelProblem(text) {
            r.error(node.mark, path, problem)
            return nil
        }
        return text
    }

    /// The parts both forms share: source, pollInterval, syncPolicy.
    private static func finish(name: String?, namespace: String?, fields f: Fields, _ r: FieldReader) -> Registration? {
        let form: Form = f.path.isEmpty ? .flat : .application
        var source: Source?
        if let node = f["source"] {
            source = decodeSource(node, f.path("source"), at: f.keyMark("source")!, r)
        }
        let poll = decodePollInterval(f, r)
        let policy = decodeSyncPolicy(f, r)
        let notify = f["notify"].map { decodeNotify($0, f.path("notify"), url: source?.repoURL, r) } ?? []
        guard let name, let namespace, let source else { return nil }
        return Registration(
            form: form, name: name, namespace: namespace, source: source, pollInterval: poll, syncPolicy: policy,
            notify: notify)
    }

}

extension Registration {
    /// `pollInterval`: a duration from 1s to 168h (registrations and application set templates).
    static func decodePollInterval(_ f: Fields, _ r: FieldReader) -> Int? {
        guard let node = f["pollInterval"], let text = r.string(node, f.path("pollInterval")) else { return nil }
        guard let seconds = Rules.parseDuration(text) else {
            r.error(
                node.mark, f.path("pollInterval"), "\"\(text)\" is not a duration; write it like 90s, 5m, 1h or 1h30m")
            return nil
        }
        if seconds < minPollInterval || seconds > maxPollInterval {
            r.error(node.mark, f.path("pollInterval"), "\(text) is out of range; expected 1s to 168h")
            return nil
        }
        return seconds
    }

    /// `syncPolicy` (registrations and application set templates); absent or empty: the defaults.
    static func decodeSyncPolicy(_ f: Fields, _ r: FieldReader) -> SyncPolicy {
        var policy = SyncPolicy()
        guard let node = f["syncPolicy"], !node.isNull,
            let p = r.fields(node, f.path("syncPolicy"), allowed: policyKeys, at: f.keyMark("syncPolicy")!)
        else { return policy }
        if let n = p["automated"], let v = r.bool(n, p.path("automated")) { policy.automated = v }
        if let n = p["prune"], let v = r.bool(n, p.path("prune")) { policy.prune = v }
        if let n = p["allowEmpty"], let v = r.bool(n, p.path("allowEmpty")) { policy.allowEmpty = v }
        if let n = p["suspend"], let v = r.bool(n, p.path("suspend")) { policy.suspend = v }
        if let n = p["autoRollback"], let v = r.bool(n, p.path("autoRollback")) { policy.autoRollback = v }
        if let n = p["selfHeal"], let text = r.string(n, p.path("selfHeal")) {
            if let v = SelfHeal(rawValue: text) {
                policy.selfHeal = v
            } else {
                r.error(
                    n.mark, p.path("selfHeal"), "\"\(text)\" is not a self-heal mode; expected off, warn or correct")
            }
        }
        return policy
    }
}

extension RepositoryURL {
    /// For a URL that did not parse: whatever stands before an '@' may be a credential, so
    /// it is not shown at all.
    static func redactForMessage(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        return "***" + text[at...]
    }
}
