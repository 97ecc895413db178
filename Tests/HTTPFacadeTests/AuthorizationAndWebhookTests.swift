import Crypto
import Foundation
import HTTPFacade
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import NIOCore
import State
import TestSupport
import Testing
import Toolkit

@Suite struct AuthorizationAndWebhookTests {
    let dir: TempDir
    let apps: String
    let layout: StateLayout
    let secret = "webhook-secret-0123456789"

    init() throws {
        dir = try TempDir("zg-facade-auth")
        apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        layout = StateLayout(root: dir.file("state"))
    }

    /// The facade's counters (swift-metrics), recorded by MetricsTestKit.
    let metrics = TestMetrics()

    func app(tokens: String? = nil) throws -> Application<RouterResponder<FacadeContext>> {
        var apiTokens: APITokens?
        if let tokens { apiTokens = try APITokens(file: try dir.write("tokens", tokens)) }
        let secretFile = try dir.write("webhook.secret", secret + "\n")
        return Application(
            router: Facade(
                appsDir: apps, layout: layout, tokens: apiTokens, webhookSecretFile: secretFile,
                metricsFactory: metrics
            ).router())
    }

    func register(_ name: String, namespace: String, url: String, branch: String = "main", ref: String? = nil) throws {
        let text =
            "{\"name\": \"\(name)\", \"namespace\": \"\(namespace)\", \"source\": {\"repoURL\": \"\(url)\", \(ref ?? "\"branch\": \"\(branch)\"")}}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: apps + "/\(name).yaml"))
        try layout.writeStatus(
            StatusDocument(
                name: name, namespace: namespace, source: .init(repoURL: url, branch: branch, path: "."),
                status: .synced))
    }

    func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
    }

    let webToken = "web-token-abcdefghijklmnop"
    let adminToken = "admin-token-abcdefghijklmnop"
    var tokensFile: String { "# tokens\n\(webToken) web,docs\n\(adminToken) *\n" }

    @Test func tokensLimitWhatIsSeenAndChanged() async throws {
        try register("site", namespace: "web", url: "https://git.example.com/web/site")
        try register("other", namespace: "secret", url: "https://git.example.com/secret/other")
        let app = try app(tokens: tokensFile)
        try await app.test(.router) { client in
            let base = "/api/gitops/applications"
            // No token, a wrong one: 401, and nothing of the list.
            try await client.execute(uri: base, method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(
                uri: base, method: .get, headers: [.authorization: "Bearer wrong-token-abcdefghijkl"]
            ) {
                #expect($0.status == .unauthorized)
            }
            // The web token sees web only.
            try await client.execute(uri: base, method: .get, headers: [.authorization: "Bearer \(webToken)"]) {
                response in
                let doc = object(response.body)
                #expect((doc["applications"] as? [[String: Any]])?.map { $0["name"] as? String } == ["site"])
                #expect(doc["total"] as? Int == 1)
            }
            try await client.execute(
                uri: base + "/other", method: .get, headers: [.authorization: "Bearer \(webToken)"]
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: base + "/other/sync", method: .post, headers: [.authorization: "Bearer \(webToken)"]
            ) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: base + "/other", method: .delete, headers: [.authorization: "Bearer \(webToken)"]
            ) {
                #expect($0.status == .notFound)
            }
            #expect(FileManager.default.fileExists(atPath: apps + "/other.yaml"))
            // Registering outside its namespaces: 403; inside: 201.
            let outside = #"{"name": "x", "namespace": "secret", "source": {"repoURL": "https://h/o/x"}}"#
            try await client.execute(
                uri: base, method: .post,
                headers: [.authorization: "Bearer \(webToken)", .contentType: "application/json"],
                body: ByteBuffer(string: outside)
            ) {
                #expect($0.status == .forbidden)
            }
            let inside = #"{"name": "x", "namespace": "docs", "source": {"repoURL": "https://h/o/x"}}"#
            try await client.execute(
                uri: base, method: .post,
                headers: [.authorization: "Bearer \(webToken)", .contentType: "application/json"],
                body: ByteBuffer(string: inside)
            ) {
                #expect($0.status == .created)
            }
            // Taking over another namespace's application by PUT: 403.
            let takeover = #"{"name": "other", "namespace": "web", "source": {"repoURL": "https://h/o/x"}}"#
            try await client.execute(
                uri: base + "/other", method: .put,
                headers: [.authorization: "Bearer \(webToken)", .contentType: "application/json"],
                body: ByteBuffer(string: takeover)
            ) {
                #expect($0.status == .forbidden)
            }
            // The admin token sees everything.
            try await client.execute(uri: base, method: .get, headers: [.authorization: "Bearer \(adminToken)"]) {
                response in
                // site, other, and x (registered, no status yet: listed as pending).
                #expect(object(response.body)["total"] as? Int == 3)
            }
            // Health needs no token.
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
    }

    func hmac(_ body: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8))).map {
            String(format: "%02x", $0)
        }.joined()
    }

    static let githubPush = """
        {"ref": "refs/heads/main", "repository": {"clone_url": "https://github.com/myuser/my-repo.git", "ssh_url": "git@github.com:myuser/my-repo.git", "html_url": "https://github.com/myuser/my-repo"}}
        """

    @Test func signedPushesTriggerTheMatchingApplications() async throws {
        // ssh form registered, https in the payload: one repository.
        try register("a", namespace: "web", url: "git@github.com:myuser/my-repo.git")
        try register("b", namespace: "web", url: "https://github.com/myuser/my-repo")
        try register("c", namespace: "web", url: "https://github.com/myuser/my-repo", branch: "dev")
        try register("d", namespace: "web", url: "https://github.com/myuser/other")
        let app = try app()
        try await app.test(.router) { client in
            let hook = "/api/gitops/webhook"
            // GitHub.
            try await client.execute(
                uri: hook, method: .post,
                headers: [
                    HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmac(Self.githubPush),
                    HTTPField.Name("X-GitHub-Event")!: "push",
                ],
                body: ByteBuffer(string: Self.githubPush)
            ) { response in
                #expect(response.status == .accepted)
                // The operator's secret: a count, no names (it is handed to every forge).
                #expect(object(response.body)["count"] as? Int == 2)
                #expect(object(response.body)["triggered"] as? [String] == [])
                #expect(!String(buffer: response.body).contains("\"a\""))
            }
            #expect(FileManager.default.fileExists(atPath: layout.requestFile("a")))
            #expect(FileManager.default.fileExists(atPath: layout.requestFile("b")))
            let delivered = try metrics.expectCounter(
                "zerverless_gitops_webhook_deliveries_total", [("provider", "github"), ("result", "triggered")])
            #expect(delivered.totalValue == 1)
            #expect(!FileManager.default.fileExists(atPath: layout.requestFile("c")))
            #expect(!FileManager.default.fileExists(atPath: layout.requestFile("d")))
            try FileManager.default.removeItem(atPath: layout.requestsDir)

            // Bad signature, no signature, signature of another body: 401, nothing triggered.
            for headers: HTTPFields in [
                [HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + String(repeating: "0", count: 64)], [:],
                [HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmac(Self.githubPush + " ")],
                [HTTPField.Name("X-Gitlab-Token")!: "wrong"],
            ] {
                try await client.execute(
                    uri: hook, method: .post, headers: headers, body: ByteBuffer(string: Self.githubPush)
                ) {
                    #expect($0.status == .unauthorized)
                }
            }
            #expect(!FileManager.default.fileExists(atPath: layout.requestFile("a")))

            // GitLab (token), Gitea (bare hex), generic (sha256=, repoURL + branch).
            let gitlab =
                #"{"ref": "refs/heads/dev", "project": {"git_http_url": "https://github.com/myuser/my-repo.git"}}"#
            try await client.execute(
                uri: hook, method: .post,
                headers: [HTTPField.Name("X-Gitlab-Token")!: secret, HTTPField.Name("X-Gitlab-Event")!: "Push Hook"],
                body: ByteBuffer(string: gitlab)
            ) { response in
                #expect(object(response.body)["count"] as? Int == 1)
            }
            #expect(FileManager.default.fileExists(atPath: layout.requestFile("c")))
            try await client.execute(
                uri: hook, method: .post,
                headers: [
                    HTTPField.Name("X-Gitea-Signature")!: hmac(Self.githubPush),
                    HTTPField.Name("X-Gitea-Event")!: "push",
                ],
                body: ByteBuffer(string: Self.githubPush)
            ) { response in
                #expect(object(response.body)["provider"] as? String == "gitea")
                #expect(object(response.body)["count"] as? Int == 2)
            }
            let generic = #"{"repoURL": "https://github.com/myuser/other", "branch": "main"}"#
            try await client.execute(
                uri: hook, method: .post,
                headers: [HTTPField.Name("X-Zerverless-Signature")!: "sha256=" + hmac(generic)],
                body: ByteBuffer(string: generic)
            ) { response in
                #expect(object(response.body)["count"] as? Int == 1)
            }
            #expect(FileManager.default.fileExists(atPath: layout.requestFile("d")))
            // A ping: acknowledged, nothing triggered.
            let ping = #"{"zen": "hi", "repository": {"clone_url": "https://github.com/myuser/my-repo.git"}}"#
            try await client.execute(
                uri: hook, method: .post,
                headers: [
                    HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmac(ping),
                    HTTPField.Name("X-GitHub-Event")!: "ping",
                ],
                body: ByteBuffer(string: ping)
            ) { response in
                #expect(response.status == .ok)
                #expect(object(response.body)["triggered"] as? [String] == [])
            }
            // Over 1 MiB: 413.
            let big = String(repeating: " ", count: (1 << 20) + 10)
            try await client.execute(
                uri: hook, method: .post, headers: [HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmac(big)],
                body: ByteBuffer(string: big)
            ) { #expect($0.status == .contentTooLarge) }
        }
    }

    @Test func tagPushesTriggerTheApplicationsThatFollowTags() async throws {
        try register("branchy", namespace: "web", url: "https://github.com/myuser/my-repo")
        try register(
            "pinned-tag", namespace: "web", url: "https://github.com/myuser/my-repo", ref: "\"tag\": \"v1.0.0\"")
        try register(
            "other-tag", namespace: "web", url: "https://github.com/myuser/my-repo", ref: "\"tag\": \"v0.9.0\"")
        try register("ranged", namespace: "web", url: "https://github.com/myuser/my-repo", ref: "\"semver\": \"^1\"")
        try register("elsewhere", namespace: "web", url: "https://github.com/myuser/other", ref: "\"semver\": \"^1\"")
        let app = try app()
        try await app.test(.router) { client in
            let push =
                #"{"ref": "refs/tags/v1.0.0", "repository": {"clone_url": "https://github.com/myuser/my-repo.git"}}"#
            try await client.execute(
                uri: "/api/gitops/webhook", method: .post,
                headers: [
                    HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmac(push),
                    HTTPField.Name("X-GitHub-Event")!: "push",
                ],
                body: ByteBuffer(string: push)
            ) { response in
                #expect(response.status == .accepted)
                #expect(object(response.body)["tag"] as? String == "v1.0.0")
                #expect(object(response.body)["count"] as? Int == 2)
            }
            #expect(SyncRequests(layout: layout).kind("ranged") == .webhook)
            #expect(SyncRequests(layout: layout).kind("pinned-tag") == .webhook)
            #expect(!FileManager.default.fileExists(atPath: layout.requestFile("branchy")))
        }
    }

    @Test func withoutASecretTheWebhookIsOff() async throws {
        let app = Application(router: Facade(appsDir: apps, layout: layout).router())
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/gitops/webhook", method: .post, body: ByteBuffer(string: Self.githubPush)
            ) {
                #expect($0.status == .notFound)
            }
        }
    }
}
