import Crypto
import Foundation
import State
import TestSupport
import Testing
import Toolkit

/// Issue 22, on the built binary: what a web page the operator visits (cross-site
/// requests, DNS rebinding), a tenant's idle event streams, a revoked token, concurrent
/// secret uploads and a tenant's webhook secret can reach. Requests go over plain sockets
/// so that the test chooses every header, `Host` included.
@Suite(.serialized) struct APIOriginAndStreamsTests {
    static let aliceToken = "alice-token-0123456789"
    static let bobToken = "bob-token-0123456789ab"
    static let adminToken = "admin-token-0123456789"

    // MARK: A plain HTTP/1.1 client

    /// One connection to the daemon; reads with a deadline, never a sleep.
    final class Connection: @unchecked Sendable {
        let fd: Int32
        var received: [UInt8] = []
        var closedByPeer = false

        init(port: Int) throws {
            guard let fd = loopbackSocket(port: port, timeout: timeval(tv_sec: 0, tv_usec: 100_000)) else {
                throw CommandFailed(description: "connect to port \(port): \(String(cString: strerror(errno)))")
            }
            self.fd = fd
        }

        deinit { close(fd) }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes {
                    Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { return }
                sent += n
            }
        }

        var text: String { String(decoding: received, as: UTF8.self) }

        /// Reads until `done` holds for what arrived, the peer closes, or the deadline.
        @discardableResult
        func read(timeout: Duration = .seconds(10), until done: (String) -> Bool) -> Bool {
            let deadline = ContinuousClock.now + timeout
            while !done(text) {
                if closedByPeer || ContinuousClock.now >= deadline { return done(text) }
                var buffer = [UInt8](repeating: 0, count: 16 << 10)
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 {
                    received += buffer[0..<n]
                } else if n == 0 {
                    closedByPeer = true
                } else if errno != EAGAIN && errno != EINTR {
                    closedByPeer = true
                }
            }
            return true
        }

        /// The status code of the answer's head, once it arrived.
        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 "), text.contains("\r\n\r\n") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
    }

    /// One request (`Connection: close`) with exactly these headers: status, headers, body.
    static func request(
        _ port: Int, _ method: String, _ path: String, host: String?, headers: [(String, String)] = [],
        body: String? = nil
    ) throws -> (status: Int, head: String, body: String) {
        let c = try Connection(port: port)
        var text = "\(method) \(path) HTTP/1.1\r\n"
        if let host { text += "Host: \(host)\r\n" }
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n" + (body ?? "")
        c.send(text)
        c.read(timeout: .seconds(20)) { _ in c.closedByPeer }
        guard let status = c.status, let split = c.text.range(of: "\r\n\r\n") else {
            throw CommandFailed(description: "no answer to \(method) \(path): \(c.text.prefix(300))")
        }
        return (status, String(c.text[..<split.lowerBound]), String(c.text[split.upperBound...]))
    }

    static func object(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    /// Opens `GET /api/gitops/events` and waits for the answer's head.
    static func stream(_ port: Int, token: String?, close: Bool = false) throws -> Connection {
        let c = try Connection(port: port)
        c.send(
            "GET /api/gitops/events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
                + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "")
                + (close ? "Connection: close\r\n" : "") + "\r\n")
        c.read { $0.contains("\r\n\r\n") }
        return c
    }

    // MARK: 1. Cross-site requests and DNS rebinding

    @Test func aForeignHostOrAnotherSitesPageReachesNothing() throws {
        let w = try World("origin")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        try w.write(
            "shop.yaml",
            registration(
                "shop", namespace: "bob", url: "https://example.invalid/bob/shop.git", policy: "{automated: false}"))
        let hookSecret = "operator-hook-secret-0123"
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--api-hostname", "gitops.example.test", "--secrets-dir", secrets,
            "--webhook-secret-file", try w.dir.write("hook.secret", hookSecret + "\n"),
        ])
        let port = try listeningPort(d)
        try d.waitFor("shop", "pending")
        let own = "127.0.0.1:\(port)"

        // DNS rebinding: a page of evil.example, its name now resolving to 127.0.0.1, reads
        // with its own Host. Every route answers 421 and nothing else.
        for path in [
            "/api/gitops/applications", "/api/gitops/applications/shop", "/", "/metrics", "/api/gitops/events",
            "/readyz", "/healthz",
            "/api/gitops/secrets/bob", "/api/gitops/openapi.json", "/no-such-route",
        ] {
            let (status, _, body) = try Self.request(port, "GET", path, host: "evil.example:\(port)")
            #expect(status == 421, "\(path): \(status)")
            #expect(!body.contains("example.invalid") && !body.contains("\"shop\""), "\(path): \(body.prefix(200))")
            #expect(
                (Self.object(body)["error"] as? String)?.contains("--api-hostname evil.example") == true,
                "\(path): \(body.prefix(300))")
        }
        #expect(try Self.request(port, "GET", "/api/gitops/applications", host: nil).status == 400)
        // The names it answers to: the listen address, localhost, --api-hostname.
        for host in [own, "localhost:\(port)", "gitops.example.test", "GITOPS.example.test:443"] {
            let (status, _, body) = try Self.request(port, "GET", "/api/gitops/applications", host: host)
            #expect(status == 200, "\(host)")
            #expect(body.contains("\"shop\""))
        }

        // A cross-site form (text/plain, no preflight) or fetch from another origin.
        let body = #"{"name": "evil", "namespace": "bob", "source": {"repoURL": "https://example.invalid/evil/x.git"}}"#
        let refusals: [([(String, String)], Int)] = [
            ([("Content-Type", "text/plain"), ("Origin", "http://evil.example")], 403),
            ([("Content-Type", "application/json"), ("Origin", "http://evil.example")], 403),
            ([("Content-Type", "application/json"), ("Origin", "http://localhost:3000")], 403),
            ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")], 403),
            ([("Content-Type", "text/plain")], 415),  // a browser that sends no Origin still sends text/plain
            ([("Content-Type", "application/x-www-form-urlencoded")], 415),
            ([], 415),
        ]
        for (headers, expected) in refusals {
            let (status, _, answer) = try Self.request(
                port, "POST", "/api/gitops/applications", host: own, headers: headers, body: body)
            #expect(status == expected, "\(headers): \(answer)")
            #expect(Self.object(answer)["error"] is String)
        }
        #expect(!FileManager.default.fileExists(atPath: w.app("evil.yaml")))
        // The rollback pinned by a page, and a sync it requests: refused.
        let pin = StateLayout(root: w.stateDir).pinFile("shop")
        for headers in [
            [("Origin", "http://evil.example")], [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "no-cors")],
            [("Content-Type", "text/plain"), ("Origin", "null")],
        ] {
            let commit = #"{"commit": "\#(String(repeating: "ab", count: 20))"}"#
            #expect(
                try Self.request(
                    port, "POST", "/api/gitops/applications/shop/rollback", host: own, headers: headers, body: commit
                ).status == 403)
            #expect(
                try Self.request(port, "POST", "/api/gitops/applications/shop/sync", host: own, headers: headers).status
                    == 403)
            #expect(
                try Self.request(port, "DELETE", "/api/gitops/applications/shop", host: own, headers: headers).status
                    == 403)
        }
        #expect(
            try Self.request(
                port, "POST", "/api/gitops/applications/shop/rollback", host: own,
                headers: [("Content-Type", "text/plain")],
                body: #"{"commit": "\#(String(repeating: "ab", count: 20))"}"#
            ).status == 415)
        #expect(!FileManager.default.fileExists(atPath: pin))
        #expect(FileManager.default.fileExists(atPath: w.app("shop.yaml")))
        // Secrets: raw bytes only.
        #expect(
            try Self.request(
                port, "PUT", "/api/gitops/secrets/bob/x.token", host: own, headers: [("Content-Type", "text/plain")],
                body: "x"
            ).status == 415)
        #expect(try Self.request(port, "PUT", "/api/gitops/secrets/bob/x.token", host: own, body: "x").status == 415)
        #expect(!FileManager.default.fileExists(atPath: secrets + "/bob/x.token"))
        #expect(
            try Self.request(
                port, "PUT", "/api/gitops/secrets/bob/x.token", host: own,
                headers: [("Content-Type", "application/octet-stream")],
                body: "x"
            ).status == 201)

        // The status page's own origin (its script, a same-origin fetch) and curl (no Origin) get through.
        let page = try Self.request(port, "GET", "/", host: own, headers: [("Sec-Fetch-Site", "same-origin")])
        #expect(page.status == 200 && page.body.contains("shop"))
        let link = try Self.request(
            port, "GET", "/", host: own,
            headers: [("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Dest", "document")])
        #expect(link.status == 200)
        let fine = body.replacingOccurrences(of: "evil", with: "fine")
        #expect(
            try Self.request(
                port, "POST", "/api/gitops/applications", host: own,
                headers: [
                    ("Content-Type", "application/json; charset=utf-8"), ("Origin", "http://\(own)"),
                    ("Sec-Fetch-Site", "same-origin"),
                ],
                body: fine
            ).status == 201)
        #expect(try Self.request(port, "POST", "/api/gitops/applications/shop/sync", host: own).status == 202)
        // The webhook keeps whatever forges send (it is signed); the Host check holds for it.
        let push = #"{"repoURL": "https://example.invalid/bob/shop.git", "branch": "main"}"#
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(push.utf8), using: SymmetricKey(data: Array(hookSecret.utf8))
        ).map { String(format: "%02x", $0) }.joined()
        let signed = [
            ("X-Zerverless-Signature", "sha256=" + mac), ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://forge.example"),
        ]
        #expect(
            try Self.request(
                port, "POST", "/api/gitops/webhook", host: "gitops.example.test", headers: signed, body: push
            ).status == 202)
        #expect(
            try Self.request(
                port, "POST", "/api/gitops/webhook", host: "forge-facing.example", headers: signed, body: push
            ).status == 421)
    }

    @Test func onAWildcardAddressIPLiteralsAreAnsweredAndNamesAreNot() throws {
        let w = try World("wildcard-host")
        let tokens = try w.dir.write("tokens", "\(Self.adminToken) *\n")
        let port = freePort()
        let d = try w.daemon(
            ["--listen", "0.0.0.0:\(port)", "--api-tokens-file", tokens],
            environment: ["ZG_API_HOSTNAME": "one.example.test, two.example.test"])
        try waitUntil(timeout: .seconds(30), "the daemon to be ready") {
            portAcceptsConnections(port)
                && (try? Self.request(port, "GET", "/readyz", host: "127.0.0.1:\(port)").status) == 200
        }
        // A kubelet probe (Host: POD_IP:PORT), the names given in ZG_API_HOSTNAME.
        for host in [
            "127.0.0.1:\(port)", "10.1.2.3:\(port)", "[fd00::1]:\(port)", "one.example.test",
            "two.example.test:\(port)",
        ] {
            #expect(try Self.request(port, "GET", "/readyz", host: host).status == 200, "\(host)")
        }
        #expect(try Self.request(port, "GET", "/readyz", host: "rebound.example:\(port)").status == 421)
        _ = d
    }

    @Test func badHostAndStreamOptionsExit2BeforeAnythingStarts() throws {
        for (args, expected) in [
            (["--api-hostname", "*.example.test"], "--api-hostname: \"*.example.test\" is not a host name"),
            (["--api-hostname", "http://gitops.example.test"], "--api-hostname"),
            (["--api-max-streams", "0"], "--api-max-streams: \"0\""),
            (["--api-max-streams", "512"], "must be below --api-max-connections 512"),
            (["--api-max-streams", "20", "--api-max-connections", "20"], "must be below --api-max-connections 20"),
            (["--api-max-streams-per-token", "none"], "--api-max-streams-per-token"),
        ] {
            let dir = try TempDir("zg-run-api-options")
            let out = try run(
                Build.binary, ["run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")] + args)
            #expect(out.status == 2, "\(args)")
            #expect(out.stderr.contains(expected), "\(args): \(out.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("state")))
        }
        // ZG_API_HOSTNAME is read too (comma-separated), and a flag replaces it.
        let dir = try TempDir("zg-run-api-env")
        var env = ProcessInfo.processInfo.environment
        env["ZG_API_HOSTNAME"] = "ok.example.test, *.bad.example"
        let fromEnv = try run(
            Build.binary, ["run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state")], environment: env)
        #expect(fromEnv.status == 2)
        #expect(fromEnv.stderr.contains("\"*.bad.example\""), "\(fromEnv.stderr)")
        let flagWins = try run(
            Build.binary,
            [
                "run", "--apps-dir", dir.file("apps"), "--state-dir", dir.file("state"),
                "--api-hostname", "fine.example.test", "--api-max-streams", "0",
            ], environment: env)
        #expect(flagWins.stderr.contains("--api-max-streams: \"0\""), "\(flagWins.stderr)")
    }

    // MARK: 2. Event streams have their own budget

    @Test func idleStreamsOfOneTokenCannotKeepOthersOut() throws {
        let w = try World("stream-budget")
        let tokens = try w.dir.write("tokens", "\(Self.aliceToken) alice\n\(Self.bobToken) bob\n\(Self.adminToken) *\n")
        let hookSecret = "operator-hook-secret-0123"
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--api-tokens-file", tokens, "--api-max-connections", "12",
            "--api-max-streams", "6", "--api-max-streams-per-token", "4",
            "--webhook-secret-file", try w.dir.write("hook.secret", hookSecret + "\n"),
        ])
        let port = try listeningPort(d)
        // Alice fills her own budget with idle streams; the next one is 429, with Retry-After.
        var alice: [Connection] = []
        for _ in 0..<4 {
            let c = try Self.stream(port, token: Self.aliceToken)
            #expect(c.status == 200, "\(c.text.prefix(200))")
            alice.append(c)
        }
        let refused = try Self.stream(port, token: Self.aliceToken)
        #expect(refused.status == 429)
        #expect(refused.text.contains("Retry-After: 10") || refused.text.lowercased().contains("retry-after: 10"))
        #expect(refused.text.contains("--api-max-streams-per-token"))
        // Bob still gets his, up to the total; then 429 for him too.
        var bob: [Connection] = []
        for _ in 0..<2 {
            let c = try Self.stream(port, token: Self.bobToken)
            #expect(c.status == 200, "\(c.text.prefix(200))")
            bob.append(c)
        }
        let full = try Self.stream(port, token: Self.bobToken)
        #expect(full.status == 429)
        #expect(full.text.contains("--api-max-streams"))
        // Probes and a webhook always get through (and the API itself).
        let own = "127.0.0.1:\(port)"
        for _ in 0..<3 {
            #expect(try Self.request(port, "GET", "/healthz", host: own).status == 200)
            #expect(try Self.request(port, "GET", "/readyz", host: own).status == 200)
        }
        let push = #"{"repoURL": "https://example.invalid/o/r.git", "branch": "main"}"#
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(push.utf8), using: SymmetricKey(data: Array(hookSecret.utf8))
        ).map { String(format: "%02x", $0) }.joined()
        #expect(
            try Self.request(
                port, "POST", "/api/gitops/webhook", host: own, headers: [("X-Zerverless-Signature", "sha256=" + mac)],
                body: push
            ).status == 202)
        #expect(
            try Self.request(
                port, "GET", "/api/gitops/applications", host: own,
                headers: [("Authorization", "Bearer \(Self.bobToken)")]
            ).status == 200)
        // A stream whose connection closes frees its slot at once.
        alice.removeLast()  // closed
        var again: Connection?
        try waitUntil(timeout: .seconds(10), "a freed slot") {
            let c = try Self.stream(port, token: Self.bobToken)
            if c.status == 200 { again = c }
            return c.status == 200
        }
        #expect(again != nil)
        #expect(d.exited() == nil)
        withExtendedLifetime((alice, bob, refused, full)) {}
    }

    // MARK: 3. A revoked token's stream ends

    @Test func aRevokedTokensOpenStreamEndsAtOnce() throws {
        let w = try World("stream-revoked")
        let tokens = try w.dir.write("tokens", "\(Self.aliceToken) alice\n\(Self.bobToken) bob\n\(Self.adminToken) *\n")
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--api-tokens-file", tokens])
        let port = try listeningPort(d)
        let alice = try Self.stream(port, token: Self.aliceToken, close: true)
        let bob = try Self.stream(port, token: Self.bobToken, close: true)
        let admin = try Self.stream(port, token: Self.adminToken, close: true)
        for c in [alice, bob, admin] {
            #expect(c.status == 200)
            #expect(c.read { $0.contains("retry: 2000") })
        }
        // Alice revoked, bob's namespaces changed; the admin's token stays as it was.
        try writeByRename("\(Self.bobToken) bob,carol\n\(Self.adminToken) *\n", to: tokens)
        #expect(
            alice.read(timeout: .seconds(10)) { _ in alice.closedByPeer },
            "alice's stream is still open: \(alice.text.suffix(300))")
        #expect(bob.read(timeout: .seconds(10)) { _ in bob.closedByPeer }, "bob's stream is still open")
        #expect(alice.text.contains("revoked"))
        // The admin's stream goes on: a status written now arrives on it.
        let layout = StateLayout(root: w.stateDir)
        try FileManager.default.createDirectory(atPath: layout.appDir("after"), withIntermediateDirectories: true)
        try layout.writeStatus(
            StatusDocument(
                name: "after", namespace: "ops", source: .init(repoURL: "https://h/o/r", branch: "main", path: "."),
                status: .pending))
        #expect(admin.read(timeout: .seconds(10)) { $0.contains("\"name\" : \"after\"") }, "\(admin.text.suffix(300))")
        #expect(!admin.closedByPeer)
        // A new stream with the revoked token: 401.
        #expect(try Self.stream(port, token: Self.aliceToken, close: true).status == 401)
    }

    // MARK: 4. The secrets limit holds under concurrent uploads

    @Test func concurrentUploadsNearTheLimitStopExactlyAtIt() throws {
        let w = try World("secrets-race")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/alice", withIntermediateDirectories: true)
        for i in 0..<95 { try Data("s\(i)".utf8).write(to: URL(fileURLWithPath: "\(secrets)/alice/old\(i)")) }
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--secrets-dir", secrets])
        let port = try listeningPort(d)
        // Thirty connections; thirty request heads with the first byte of their bodies (each
        // handler is then between its first look at the count and its write), then the rest
        // of every body, then the answers.
        let connections = try (0..<30).map { _ in try Connection(port: port) }
        let bodies = (0..<30).map { "secret number \($0)" }
        for (i, c) in connections.enumerated() {
            c.send(
                "PUT /api/gitops/secrets/alice/new\(i) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: \(bodies[i].utf8.count)\r\nConnection: close\r\n\r\n" + bodies[i].prefix(1))
        }
        for (i, c) in connections.enumerated() { c.send(String(bodies[i].dropFirst())) }
        let codes = connections.map { c -> Int in
            c.read(timeout: .seconds(60)) { _ in c.closedByPeer }
            return c.status ?? 0
        }
        #expect(codes.filter { $0 == 201 }.count == 5, "\(codes.sorted())")
        #expect(codes.filter { $0 == 403 }.count == 25, "\(codes.sorted())")
        let held = try FileManager.default.contentsOfDirectory(atPath: secrets + "/alice").filter { !$0.hasPrefix(".") }
        #expect(held.count == 100)
    }

    // MARK: 5. Webhook secrets per application

    @Test func anApplicationsOwnWebhookSecretTriggersItAlone() async throws {
        let w = try World("webhook-own")
        let secrets = w.dir.file("secrets")
        let repo = try GitRepo(
            root: w.reposDir, name: "mono",
            files: [
                "alice/zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: a, namespace: alice}\nspec:\n  static: {dir: static}\n",
                "alice/static/index.html": "alice one\n",
                "bob/zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: b, namespace: bob}\nspec:\n  static: {dir: static}\n",
                "bob/static/index.html": "bob one\n",
            ])
        let url = w.url("mono", port: try w.serve())
        for (ns, value) in [("alice", "alice-hook-secret-0123"), ("bob", "bob-hook-secret-0123456")] {
            try FileManager.default.createDirectory(atPath: "\(secrets)/\(ns)", withIntermediateDirectories: true)
            try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: "\(secrets)/\(ns)/hook.secret"))
        }
        func own(_ name: String, _ ns: String, _ secretFile: String) -> String {
            registration(name, namespace: ns, url: url, path: ns).replacingOccurrences(
                of: "    path: \(ns)\n", with: "    path: \(ns)\n    webhookSecretFile: \(secretFile)\n")
        }
        try w.write("alice-site.yaml", own("alice-site", "alice", "hook.secret"))
        try w.write("bob-site.yaml", own("bob-site", "bob", "hook.secret"))
        // Mallory names alice's secret by its absolute path: invalid, never read.
        try w.write("mallory-site.yaml", own("mallory-site", "mallory", "\(secrets)/alice/hook.secret"))
        let operatorSecret = "operator-hook-secret-0123"
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--secrets-dir", secrets,
            "--webhook-secret-file", try w.dir.write("operator.secret", operatorSecret + "\n"),
        ])
        let port = try listeningPort(d)
        let one = try repo.head()
        try d.waitFor("alice-site", "synced", commit: one)
        try d.waitFor("bob-site", "synced", commit: one)
        try d.waitFor("mallory-site", "invalid")
        let message = d.status("mallory-site")?["message"] as? String ?? ""
        #expect(
            message.contains("webhookSecretFile") && message.contains("is outside \(secrets)/mallory/"), "\(message)")
        // Through the API as well: 400 at once.
        let posted =
            #"{"name": "m2", "namespace": "mallory", "source": {"repoURL": "\#(url)", "webhookSecretFile": "\#(secrets)/bob/hook.secret"}}"#
        let (refused, answer) = try await call(.POST, "http://127.0.0.1:\(port)/api/gitops/applications", posted)
        #expect(refused == 400, "\(answer)")
        #expect((answer["error"] as? String)?.contains("webhookSecretFile") == true)

        func deliver(_ key: String) throws -> (Int, [String: Any], String) {
            let push = #"{"ref": "refs/heads/main", "repository": {"clone_url": "\#(url)"}}"#
            let mac = HMAC<SHA256>.authenticationCode(for: Array(push.utf8), using: SymmetricKey(data: Array(key.utf8)))
                .map { String(format: "%02x", $0) }.joined()
            let (status, _, body) = try Self.request(
                port, "POST", "/api/gitops/webhook", host: "127.0.0.1:\(port)",
                headers: [
                    ("X-Hub-Signature-256", "sha256=" + mac), ("X-GitHub-Event", "push"),
                    ("Content-Type", "application/json"),
                ],
                body: push)
            return (status, Self.object(body), body)
        }
        // Alice's secret: alice's application alone, named.
        let bobAttempts = d.attempts("bob-site").count
        let two = try repo.commit(
            ["alice/static/index.html": "alice two\n", "bob/static/index.html": "bob two\n"], message: "two")
        let (code, byAlice, _) = try deliver("alice-hook-secret-0123")
        #expect(code == 202)
        #expect(byAlice["triggered"] as? [String] == ["alice-site"])
        #expect(byAlice["count"] as? Int == 1)
        try d.waitFor("alice-site", "synced", commit: two)
        #expect(d.attempts("alice-site").first?["trigger"] as? String == "webhook")
        // Bob's application of the same repository was not triggered (its poll is an hour away).
        #expect(!FileManager.default.fileExists(atPath: StateLayout(root: w.stateDir).requestFile("bob-site")))
        #expect(d.attempts("bob-site").count == bobAttempts)
        #expect(d.commit("bob-site") == one)
        // The operator's secret: every matching application, a count and no names.
        let (operatorCode, byOperator, text) = try deliver(operatorSecret)
        #expect(operatorCode == 202)
        #expect(byOperator["count"] as? Int == 3)  // mallory-site's registration is well-formed; its sync is what fails
        #expect(!text.contains("alice-site") && !text.contains("bob-site") && !text.contains("mallory-site"), "\(text)")
        try d.waitFor("bob-site", "synced", commit: two)
        // A guess: nothing.
        #expect(try deliver("guess").0 == 401)
    }
}
