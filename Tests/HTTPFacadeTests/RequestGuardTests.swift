import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// What a browser page of another site, a rebound name, or a tenant holding only its own
/// webhook secret can reach through the facade (issue 22), through the router.
@Suite struct RequestGuardTests {
    let dir: TempDir
    let apps: String
    let layout: StateLayout
    let secrets: SecretsDir

    init() throws {
        dir = try TempDir("zg-facade-guard")
        apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        layout = StateLayout(root: dir.file("state"))
        secrets = SecretsDir(root: dir.file("secrets"))
    }

    func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
    }

    static let body =
        #"{"name": "my-app", "namespace": "myuser", "source": {"repoURL": "https://github.com/myuser/my-repo"}}"#

    // MARK: Host

    @Test func theHostHeaderMustNameThisAPI() {
        let loopback = HostPolicy(listenHost: "127.0.0.1", names: ["gitops.example.com", "hooks.example.com:8443"])
        for accepted in [
            "127.0.0.1:8090", "127.0.0.1", "localhost:8090", "LOCALHOST:9000", "localhost.:8090", "[::1]:8090", "[::1]",
            "gitops.example.com", "gitops.example.com:443", "Gitops.Example.Com.", "hooks.example.com:8443",
        ] {
            #expect(loopback.refusal(accepted) == nil, "\(accepted)")
        }
        for refused in [
            "evil.example:8090", "127.0.0.1.evil.example:8090", "10.0.0.5:8090", "hooks.example.com:443",
            "hooks.example.com",
            "localhost:notaport", "a:b:c", "[::1", "gitops.example.com@evil.example", "",
        ] {
            #expect(loopback.refusal(refused) != nil, "\(refused)")
        }
        #expect(loopback.refusal("evil.example:8090")?.status == .misdirectedRequest)
        #expect(loopback.refusal("evil.example:8090")?.message.contains("--api-hostname evil.example") == true)
        #expect(loopback.refusal(nil)?.status == .badRequest)

        // The listen address itself, and on a wildcard address any IP literal.
        let specific = HostPolicy(listenHost: "10.0.0.5")
        #expect(specific.refusal("10.0.0.5:8090") == nil)
        #expect(specific.refusal("10.0.0.6:8090") != nil)
        let wildcard = HostPolicy(listenHost: "0.0.0.0")
        for accepted in ["10.0.0.5:8090", "192.168.1.2", "[fd00::5]:8090", "localhost:8090"] {
            #expect(wildcard.refusal(accepted) == nil, "\(accepted)")
        }
        #expect(wildcard.refusal("rebound.evil.example:8090") != nil)
        #expect(HostPolicy(listenHost: "::").refusal("10.1.2.3:8090") == nil)

        #expect(HostPolicy.nameProblem("gitops.example.com") == nil)
        #expect(HostPolicy.nameProblem("gitops.example.com:443") == nil)
        #expect(HostPolicy.nameProblem("*.example.com") != nil)
        #expect(HostPolicy.nameProblem("http://gitops.example.com") != nil)
    }

    // MARK: Cross-site requests

    @Test func stateChangesFromAnotherOriginAreRefused() async throws {
        let app = Application(router: Facade(appsDir: apps, layout: layout).router())
        try await app.test(.router) { client in
            let base = "/api/gitops/applications"
            let json: HTTPFields = [.contentType: "application/json"]
            // Another origin (the router test's Host is localhost), a null origin, a
            // cross-site or same-site fetch: 403, nothing written.
            for headers: HTTPFields in [
                [.origin: "http://evil.example"], [.origin: "null"], [.origin: "http://localhost:3000"],
                [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"], [HTTPField.Name("Sec-Fetch-Site")!: "same-site"],
            ] {
                var all = json
                all.append(contentsOf: headers)
                try await client.execute(uri: base, method: .post, headers: all, body: ByteBuffer(string: Self.body)) {
                    response in
                    #expect(response.status == .forbidden, "\(headers)")
                    #expect((object(response.body)["error"] as? String)?.contains("refused") == true)
                }
                try await client.execute(uri: base + "/my-app/sync", method: .post, headers: headers) {
                    #expect($0.status == .forbidden)
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: apps).isEmpty)
            // A cross-site page may not read the event stream or the list either (a no-cors
            // fetch would hold a stream); a link to the status page still works.
            try await client.execute(
                uri: "/api/gitops/applications", method: .get,
                headers: [
                    HTTPField.Name("Sec-Fetch-Site")!: "cross-site", HTTPField.Name("Sec-Fetch-Mode")!: "no-cors",
                ]
            ) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/", method: .get,
                headers: [
                    HTTPField.Name("Sec-Fetch-Site")!: "cross-site", HTTPField.Name("Sec-Fetch-Mode")!: "navigate",
                    HTTPField.Name("Sec-Fetch-Dest")!: "document",
                ]
            ) {
                #expect($0.status == .ok)
            }
            // The page's own origin, and clients that send no Origin (curl): taken.
            var own = json
            own[.origin] = "http://localhost"
            own[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            try await client.execute(uri: base, method: .post, headers: own, body: ByteBuffer(string: Self.body)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: base + "/my-app/sync", method: .post) { #expect($0.status == .accepted) }
        }
    }

    @Test func bodiesAreTakenOnlyAsTheirMediaTypes() async throws {
        let app = Application(router: Facade(appsDir: apps, layout: layout, secrets: secrets).router())
        try await app.test(.router) { client in
            let base = "/api/gitops/applications"
            // What a cross-site form can send without a preflight, or nothing: 415.
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil]
                as [String?]
            {
                var headers: HTTPFields = [:]
                if let type { headers[.contentType] = type }
                try await client.execute(
                    uri: base, method: .post, headers: headers, body: ByteBuffer(string: Self.body)
                ) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type ?? "none")")
                    #expect((object(response.body)["error"] as? String)?.contains("application/json") == true)
                }
                try await client.execute(
                    uri: base + "/my-app", method: .put, headers: headers, body: ByteBuffer(string: Self.body)
                ) {
                    #expect($0.status == .unsupportedMediaType)
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: apps).isEmpty)
            // JSON and YAML, with parameters.
            try await client.execute(
                uri: base, method: .post, headers: [.contentType: "application/json; charset=utf-8"],
                body: ByteBuffer(string: Self.body)
            ) { #expect($0.status == .created) }
            let yaml = "name: other\nnamespace: myuser\nsource:\n  repoURL: https://github.com/myuser/other\n"
            try await client.execute(
                uri: base + "/other", method: .put, headers: [.contentType: "Application/YAML"],
                body: ByteBuffer(string: yaml)
            ) {
                #expect($0.status == .created)
            }
            // Rollback: JSON (or no body at all).
            try layout.writeStatus(
                StatusDocument(
                    name: "my-app", namespace: "myuser",
                    source: .init(repoURL: "https://h/o/r", branch: "main", path: "."), status: .synced))
            let commit = String(repeating: "ab", count: 20)
            try await client.execute(
                uri: base + "/my-app/rollback", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: #"{"commit": "\#(commit)"}"#)
            ) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(
                uri: base + "/my-app/rollback", method: .post, body: ByteBuffer(string: #"{"commit": "\#(commit)"}"#)
            ) {
                #expect($0.status == .unsupportedMediaType)
            }
            #expect(layout.readPin("my-app") == nil)
            try await client.execute(
                uri: base + "/my-app/rollback", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"commit": "\#(commit)"}"#)
            ) { #expect($0.status == .accepted) }
            // Secrets: raw bytes only.
            try await client.execute(
                uri: "/api/gitops/secrets/myuser/a.token", method: .put, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "x")
            ) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(
                uri: "/api/gitops/secrets/myuser/a.token", method: .put, body: ByteBuffer(string: "x")
            ) {
                #expect($0.status == .unsupportedMediaType)
            }
            #expect(secrets.list(namespace: "myuser").isEmpty)
            try await client.execute(
                uri: "/api/gitops/secrets/myuser/a.token", method: .put,
                headers: [.contentType: "application/octet-stream"],
                body: ByteBuffer(string: "x")
            ) { #expect($0.status == .created) }
            // The lock file the uploads take is neither listed nor counted.
            try await client.execute(uri: "/api/gitops/secrets/myuser", method: .get) { response in
                #expect(
                    (object(response.body)["secrets"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a.token"]
                )
            }
        }
    }

    // MARK: Streams

    @Test func streamsHaveABudgetPerTokenAndInTotal() throws {
        let budget = StreamBudget(total: 3, perKey: 2)
        let a1 = try budget.acquire(key: "a").get()
        let a2 = try budget.acquire(key: "a").get()
        #expect(throws: StreamBudget.Refusal.perKey(2)) { try budget.acquire(key: "a").get() }
        let b1 = try budget.acquire(key: "b").get()
        #expect(throws: StreamBudget.Refusal.total(3)) { try budget.acquire(key: "b").get() }
        #expect(budget.open == 3)
        a1.release()
        a1.release()  // twice: freed once
        #expect(budget.open == 2)
        let a3 = try budget.acquire(key: "a").get()
        #expect(throws: StreamBudget.Refusal.perKey(2)) { try budget.acquire(key: "a").get() }
        for slot in [a2, b1, a3] { slot.release() }
        #expect(budget.open == 0)
        // Without tokens (no key): the total alone.
        let all = try (0..<3).map { _ in try budget.acquire(key: nil).get() }
        #expect(throws: StreamBudget.Refusal.total(3)) { try budget.acquire(key: nil).get() }
        all.forEach { $0.release() }
        #expect(StreamBudget.key(token: "Bearer abc") != StreamBudget.key(token: "Bearer abd"))
        #expect(StreamBudget.key(token: "Bearer abc")?.contains("abc") == false)
    }

    @Test func anEventStreamOverTheBudgetIs429() async throws {
        var facade = Facade(appsDir: apps, layout: layout)
        facade.streams = StreamBudget(total: 1, perKey: 1)
        let held = try facade.streams.acquire(key: nil).get()
        let app = Application(router: facade.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/gitops/events", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "10")
                #expect((object(response.body)["error"] as? String)?.contains("--api-max-streams") == true)
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
        held.release()
    }

    // MARK: Webhook secrets per application

    func register(_ name: String, namespace: String, url: String, branch: String = "main", secretFile: String? = nil)
        throws
    {
        let secret = secretFile.map { ", \"webhookSecretFile\": \"\($0)\"" } ?? ""
        let text =
            "{\"name\": \"\(name)\", \"namespace\": \"\(namespace)\", \"source\": {\"repoURL\": \"\(url)\", \"branch\": \"\(branch)\"\(secret)}}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: apps + "/\(name).yaml"))
    }

    func secret(_ namespace: String, _ file: String, _ value: String) throws {
        try secrets.write(Array((value + "\n").utf8), name: file, namespace: namespace)
    }

    static func mac(_ body: String, _ key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(key.utf8))).map {
            String(format: "%02x", $0)
        }.joined()
    }

    static let push = #"{"ref": "refs/heads/main", "repository": {"clone_url": "https://github.com/shared/repo.git"}}"#

    @Test func anApplicationsOwnSecretTriggersOnlyTheApplicationsItVerifies() async throws {
        let url = "https://github.com/shared/repo"
        try secret("alice", "hook.secret", "alice-hook-secret-0123")
        try secret("bob", "hook.secret", "bob-hook-secret-0123456")
        try register("alice-site", namespace: "alice", url: url, secretFile: "hook.secret")
        try register("alice-docs", namespace: "alice", url: url, secretFile: "hook.secret")
        try register("alice-dev", namespace: "alice", url: url, branch: "dev", secretFile: "hook.secret")
        try register("bob-site", namespace: "bob", url: url, secretFile: "hook.secret")
        try register("carol-site", namespace: "carol", url: url)
        // Mallory names alice's secret: outside her folder, never read.
        try register(
            "mallory-site", namespace: "mallory", url: url, secretFile: dir.file("secrets") + "/alice/hook.secret")
        try register("mallory-climb", namespace: "mallory", url: url, secretFile: "../alice/hook.secret")
        // No --webhook-secret-file: the webhook works through the applications' own secrets.
        let app = Application(router: Facade(appsDir: apps, layout: layout, secrets: secrets).router())
        try await app.test(.router) { client in
            func deliver(_ key: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(
                    uri: "/api/gitops/webhook", method: .post,
                    headers: [
                        HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + Self.mac(Self.push, key),
                        HTTPField.Name("X-GitHub-Event")!: "push",
                    ],
                    body: ByteBuffer(string: Self.push)
                ) { ($0.status, object($0.body)) }
            }
            let (aliceStatus, alice) = try await deliver("alice-hook-secret-0123")
            #expect(aliceStatus == .accepted)
            #expect(alice["triggered"] as? [String] == ["alice-docs", "alice-site"])
            #expect(alice["count"] as? Int == 2)
            for name in ["bob-site", "carol-site", "mallory-site", "mallory-climb", "alice-dev"] {
                #expect(!FileManager.default.fileExists(atPath: layout.requestFile(name)), "\(name)")
            }
            let (_, bob) = try await deliver("bob-hook-secret-0123456")
            #expect(bob["triggered"] as? [String] == ["bob-site"])
            // Nobody's secret: 401, nothing.
            try FileManager.default.removeItem(atPath: layout.requestsDir)
            let (bad, _) = try await deliver("guess")
            #expect(bad == .unauthorized)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: layout.requestsDir)) ?? []).isEmpty)
        }
        // With the operator's secret too: it triggers every matching application, and says how many only.
        let operatorFile = try dir.write("operator.secret", "operator-secret-0123456\n")
        let both = Application(
            router: Facade(appsDir: apps, layout: layout, webhookSecretFile: operatorFile, secrets: secrets).router())
        try await both.test(.router) { client in
            try await client.execute(
                uri: "/api/gitops/webhook", method: .post,
                headers: [
                    HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + Self.mac(Self.push, "operator-secret-0123456")
                ],
                body: ByteBuffer(string: Self.push)
            ) { response in
                #expect(response.status == .accepted)
                #expect(object(response.body)["count"] as? Int == 5)  // mallory-climb is not a valid registration
                #expect(object(response.body)["triggered"] as? [String] == [])
                #expect(!String(buffer: response.body).contains("site"))
            }
            // An application's own secret still works beside it.
            try await client.execute(
                uri: "/api/gitops/webhook", method: .post,
                headers: [HTTPField.Name("X-Gitlab-Token")!: "bob-hook-secret-0123456"],
                body: ByteBuffer(string: Self.push)
            ) { response in
                #expect(object(response.body)["triggered"] as? [String] == ["bob-site"])
            }
        }
    }

    @Test func theWebhookIsOffWithoutAnySecret() async throws {
        try register("plain", namespace: "alice", url: "https://github.com/shared/repo")
        let app = Application(router: Facade(appsDir: apps, layout: layout, secrets: secrets).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/gitops/webhook", method: .post, body: ByteBuffer(string: Self.push)) {
                response in
                #expect(response.status == .notFound)
                #expect((object(response.body)["error"] as? String)?.contains("webhookSecretFile") == true)
            }
        }
    }
}
