import YAML

/// Health checks in the manifest (interface section 8): `spec.health` (the application's
/// timing), a function's `health` (one request) and `spec.static.health` (files that must
/// answer 200). Pure: the daemon's `HealthChecker` runs them.
extension AppManifest {
    /// When the checks run after a deploy, and how long they get.
    public struct HealthPolicy: Sendable, Hashable, Codable {
        /// Seconds before the first round.
        public var initialDelay = 1
        /// Seconds between rounds while some check fails.
        public var interval = 2
        /// Rounds after the first before the checks are failed (also the deadline's).
        public var retries = 5
        /// Seconds after the deploy within which every check must pass.
        public var deadline = 60

        public init() {}
    }

    /// One function's check: a request to the function, relative to its path.
    public struct FunctionHealth: Sendable, Hashable, Codable {
        public enum Expect: Sendable, Hashable, Codable {
            /// One status code (`200`).
            case code(Int)
            /// A class (`2xx`: 2).
            case family(Int)

            public func accepts(_ status: Int) -> Bool {
                switch self {
                case .code(let c): status == c
                case .family(let f): status / 100 == f
                }
            }

            public var text: String {
                switch self {
                case .code(let c): "\(c)"
                case .family(let f): "\(f)xx"
                }
            }
        }

        public var method = "GET"
        /// Relative to the function's path (`/ping?probe=1`, `?probe=1`); empty: the path itself.
        public var path = ""
        public var expect = Expect.family(2)
        /// A substring the answer's body must contain.
        public var body: String?
        /// Seconds for one request.
        public var timeout = 5

        public init() {}
    }

    /// Checks one application may declare (functions' and static files' together).
    public static let maxHealthChecks = 32

    static let healthPolicyKeys = ["initialDelay", "interval", "retries", "deadline"]
    static let functionHealthKeys = ["method", "path", "expect", "body", "timeout"]
    static let healthMethods = ["GET", "POST", "HEAD"]

    static func decodeHealthPolicy(_ node: Node, _ path: String, at mark: Mark, _ r: FieldReader) -> HealthPolicy? {
        guard let f = r.fields(node, path, allowed: healthPolicyKeys, at: mark) else { return nil }
        var policy = HealthPolicy()
        if let n = f["initialDelay"], let v = seconds(n, f.path("initialDelay"), 0...3600, r) {
            policy.initialDelay = v
        }
        if let n = f["interval"], let v = seconds(n, f.path("interval"), 1...3600, r) { policy.interval = v }
        if let n = f["retries"], let v = r.integer(n, f.path("retries"), range: 0...100) { policy.retries = v }
        if let n = f["deadline"], let v = seconds(n, f.path("deadline"), 1...86400, r) { policy.deadline = v }
        return policy
    }

    static func decodeFunctionHealth(_ node: Node, _ path: String, at mark: Mark, _ r: FieldReader) -> FunctionHealth? {
        guard let f = r.fields(node, path, allowed: functionHealthKeys, at: mark) else { return nil }
        var health = FunctionHealth()
        if let n = f["method"], let text = r.string(n, f.path("method")) {
            if healthMethods.contains(text.uppercased()) {
                health.method = text.uppercased()
            } else {
                r.error(n.mark, f.path("method"), "\"\(text)\" is not a check method; expected GET, POST or HEAD")
            }
        }
        if let n = f["path"], let text = r.string(n, f.path("path")) {
            if let problem = checkPathProblem(text) {
                r.error(n.mark, f.path("path"), problem)
            } else {
                health.path = text
            }
        }
        if let n = f["expect"] { health.expect = expect(n, f.path("expect"), r) ?? health.expect }
        if let n = f["body"], let text = r.string(n, f.path("body")) {
            if text.utf8.count > 4096 {
                r.error(n.mark, f.path("body"), "is \(text.utf8.count) bytes; at most 4096")
            } else {
                health.body = text
            }
        }
        if let n = f["timeout"], let v = seconds(n, f.path("timeout"), 1...300, r) { health.timeout = v }
        if health.method == "HEAD", health.body != nil, let m = f.keyMark("body") {
            r.error(m, f.path("body"), "a HEAD request gets no body to look in; use GET")
        }
        return health
    }

    /// The files of `spec.static.health`: relative paths inside the static tree.
    static func decodeStaticHealth(_ node: Node, _ path: String, _ r: FieldReader) -> [String]? {
        guard let items = r.list(node, path) else { return nil }
        var files: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = r.string(item, "\(path)[\(i)]") else { continue }
            if text.utf8.count > 1024 {
                r.error(item.mark, "\(path)[\(i)]", "is longer than 1024 characters")
            } else if let problem = Rules.repoRelativePathProblem(text) {
                r.error(item.mark, "\(path)[\(i)]", problem)
            } else if let normalized = Rules.normalizeRelative(text), normalized != "." {
                if files.contains(normalized) {
                    r.error(item.mark, "\(path)[\(i)]", "\"\(text)\" is listed twice")
                } else {
                    files.append(normalized)
                }
            } else {
                r.error(item.mark, "\(path)[\(i)]", "names the static folder itself; name a file in it")
            }
        }
        return files
    }

    /// A check's path: `/...` or `?...`, no fragment, no `..` segment, printable ASCII.
    static func checkPathProblem(_ text: String) -> String? {
        guard text.hasPrefix("/") || text.hasPrefix("?") else {
            return "\"\(text)\" must start with / (a path under the function's) or ? (a query)"
        }
        guard text.utf8.count <= 1024 else { return "is longer than 1024 characters" }
        // What a URL's path and query may hold as they are (RFC 3986), and % escapes.
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%".utf8)
        guard text.utf8.allSatisfy({ allowed.contains($0) }) else {
            return
                "\"\(text)\" has a character a URL does not take as it is (a space, quotes, <>, {}, |, ^, `, a backslash or non-ASCII); percent-encode it"
        }
        if text.contains("#") { return "\"\(text)\" has a fragment (#); a check sends none" }
        let pathPart = text.prefix { $0 != "?" }
        if pathPart.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            return "\"\(text)\" has a . or .. segment; the check stays under the function's path"
        }
        // Encoded dots, slashes and backslashes could climb out once a server decodes them.
        let lowered = pathPart.lowercased()
        if pathPart.split(separator: "/").contains(where: { $0.hasPrefix("..;") || $0.hasPrefix(".;") })
            || ["%2e", "%2f", "%5c", "%25", "%00"].contains(where: { lowered.contains($0) })
        {
            return
                "\"\(text)\" has an encoded dot or slash or a backslash in its path; the check stays under the function's path"
        }
        return nil
    }

    private static func expect(_ node: Node, _ path: String, _ r: FieldReader) -> FunctionHealth.Expect? {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            r.error(node.mark, path, "expected a status code (200) or a class (2xx), found \(r.describe(node))")
            return nil
        }
        let lower = text.lowercased()
        if lower.count == 3, lower.hasSuffix("xx"), let first = lower.first?.wholeNumberValue, (1...5).contains(first) {
            return .family(first)
        }
        if lower.count == 3, let code = Int(lower), (100...599).contains(code) { return .code(code) }
        r.error(node.mark, path, "\"\(text)\" is not a status code (100 to 599) or a class (1xx to 5xx)")
        return nil
    }

    private static func seconds(_ node: Node, _ path: String, _ range: ClosedRange<Int>, _ r: FieldReader) -> Int? {
        guard let text = r.string(node, path) else { return nil }
        guard let value = Rules.parseDuration(text) else {
            r.error(node.mark, path, "\"\(text)\" is not a duration; write it like 2s, 90s, 5m or 1h")
            return nil
        }
        guard range.contains(value) else {
            r.error(node.mark, path, "\(text) is out of range; expected \(range.lowerBound)s to \(range.upperBound)s")
            return nil
        }
        return value
    }
}
