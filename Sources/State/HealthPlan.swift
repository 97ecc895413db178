import Foundation
import Manifest
import Toolkit

/// What the health checks of an application's deployed commit are, and how far they got:
/// `apps/NAME/health.json`, written when a deploy starts them and after every round (the
/// health feature's own file; the status document shows its outcome).
public struct HealthPlan: Sendable, Hashable, Codable {
    /// One request the daemon makes: to the function, or for a static file.
    public struct Check: Sendable, Hashable, Codable {
        /// The function's path (`/api/hello`), or `static/FILE`.
        public var name: String
        public var url: String
        public var method: String
        public var expect: AppManifest.FunctionHealth.Expect
        public var body: String?
        /// Seconds.
        public var timeout: Int

        public init(
            name: String, url: String, method: String = "GET", expect: AppManifest.FunctionHealth.Expect = .code(200),
            body: String? = nil, timeout: Int = 5
        ) {
            self.name = name
            self.url = url
            self.method = method
            self.expect = expect
            self.body = body
            self.timeout = timeout
        }
    }

    /// The commit the checks are about, and when its deploy ended.
    public var commit: String
    public var deployedAt: Date
    public var policy: AppManifest.HealthPolicy
    public var checks: [Check]
    /// Rounds run since the deploy.
    public var rounds: Int = 0
    /// The checks after the deploy are over (passed, or failed past the deadline): later
    /// rounds are periodic re-checks, which never roll back.
    public var settled = false

    public init(commit: String, deployedAt: Date, policy: AppManifest.HealthPolicy, checks: [Check]) {
        self.commit = commit
        self.deployedAt = deployedAt
        self.policy = policy
        self.checks = checks
    }

    /// The checks a manifest declares, at `base` (the invoke URL, no trailing slash):
    /// functions at `{base}/{namespace}{path}{health path}`, static files at
    /// `{base}/static/{namespace}/{file}`; an application set's `pathPrefix` goes before
    /// the function path and the file.
    public static func checks(of manifest: AppManifest, namespace: String, base: String, pathPrefix: String? = nil)
        -> [Check]
    {
        let prefix = pathPrefix ?? ""
        var out: [Check] = []
        for f in manifest.functions {
            guard let h = f.health else { continue }
            var url = base + "/" + namespace + prefix + f.path
            if h.path.hasPrefix("?") {
                url += h.path
            } else if !h.path.isEmpty {
                url = (url.hasSuffix("/") ? String(url.dropLast()) : url) + h.path
            }
            out.append(
                Check(
                    name: prefix + f.path, url: url, method: h.method, expect: h.expect, body: h.body,
                    timeout: h.timeout))
        }
        for file in manifest.staticFiles?.health ?? [] {
            let escaped = file.split(separator: "/").map {
                String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0)
            }.joined(separator: "/")
            out.append(
                Check(name: "static" + prefix + "/" + file, url: base + "/static/" + namespace + prefix + "/" + escaped)
            )
        }
        return out
    }
}

extension StateLayout {
    public func healthFile(_ name: String) -> String { appDir(name) + "/health.json" }

    public func readHealthPlan(_ name: String) -> HealthPlan? {
        try? AtomicFile.readJSON(HealthPlan.self, from: healthFile(name))
    }

    public func writeHealthPlan(_ plan: HealthPlan, of name: String) throws {
        try AtomicFile.writeJSON(plan, to: healthFile(name), durable: false)
    }

    public func removeHealthPlan(_ name: String) { unlink(healthFile(name)) }
}
