import Foundation
import TestSupport
import Testing

/// Issue 26 on the built binary against the contract server, which runs the functions
/// (lua through lua5.4): checks after every deploy, the health axis, an automatic rollback
/// to the last healthy commit and its pin lifting itself when the source moves.
@Suite(.serialized) struct HealthTests {
    static func manifest(status: Int, body: String = "ok") -> String {
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: shop, namespace: web}
        spec:
          health: {initialDelay: 0s, interval: 1s, retries: 2, deadline: 20s}
          functions:
            - path: /api/hello
              runtime: lua
              code: |
                function handle(req) return {status=\(status), body="\(body) " .. (req.query.probe or "")} end
              health: {path: "?probe=1", expect: 2xx, body: "\(body) 1", timeout: 5s}
          static: {dir: static, health: [index.html]}

        """
    }

    static func files(status: Int, index: String = "main\n") -> [String: String] {
        ["zerverless.yaml": manifest(status: status), "static/index.html": index]
    }

    @Test(.enabled(if: ContractServer.detectInterpreters()["lua"] != nil, "lua5.4 is missing"))
    func aFailingDeployIsRolledBackToTheLastHealthyCommitUntilTheSourceMoves() async throws {
        let w = try World("health")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: Self.files(status: 200))
        let target = try await ContractServer.start()
        let url = w.url("shop", port: try w.serve())
        try w.write(
            "shop.yaml", registration("shop", namespace: "web", url: url, policy: "{autoRollback: true}"))
        let d = try w.daemon(["--target", target.base, "--health-interval", "0", "--listen", "127.0.0.1:0"])
        let good = try repo.head()
        func health() -> [String: Any]? { d.status("shop")?["health"] as? [String: Any] }
        try waitUntil(timeout: .seconds(60), "healthy at the first commit") {
            health()?["status"] as? String == "healthy" && health()?["commit"] as? String == good
        }
        let checks = try #require(health()?["checks"] as? [[String: Any]])
        #expect(checks.map { $0["name"] as? String } == ["/api/hello", "static/index.html"], "\(checks)")
        #expect(checks.first?["url"] as? String == target.base + "/web/api/hello?probe=1", "\(checks)")
        #expect(checks.allSatisfy { $0["result"] as? String == "pass" && $0["code"] as? Int == 200 }, "\(checks)")
        let dirs = ["--state-dir", w.stateDir]
        // The metric, as promtool reads it.
        let metrics = try run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(try listeningPort(d))/metrics"]).stdout
        #expect(metrics.contains("zerverless_gitops_app_health{name=\"shop\",namespace=\"web\",health=\"healthy\"} 1"))
        #expect(metrics.contains("zerverless_gitops_app_health{name=\"shop\",namespace=\"web\",health=\"degraded\"} 0"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let lint = try run("/usr/bin/promtool", ["check", "metrics"], input: Data(metrics.utf8))
            #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "\(lint.stdout)\(lint.stderr)")
        }

        // A commit whose function answers 500: checks fail for their retries, the app is
        // degraded, pinned automatically at the healthy commit, which is deployed again.
        let bad = try repo.commit(Self.files(status: 500, index: "bad\n"), message: "breaks /api/hello")
        #expect(try run(Build.binary, ["sync", "shop"] + dirs).status == 0)
        try waitUntil(timeout: .seconds(60), "rolled back to the healthy commit") {
            let pinned = d.status("shop")?["pinned"] as? [String: Any]
            return pinned?["automatic"] as? Bool == true && d.commit("shop") == good && d.phase("shop") == "synced"
        }
        let pinned = try #require(d.status("shop")?["pinned"] as? [String: Any])
        #expect(pinned["commit"] as? String == good)
        #expect((pinned["reason"] as? String ?? "").contains("/api/hello: HTTP 500, expected 2xx"), "\(pinned)")
        try waitUntil(timeout: .seconds(60), "healthy again at the healthy commit") {
            health()?["status"] as? String == "healthy" && health()?["commit"] as? String == good
        }
        #expect(w.published("static/web/index.html") == nil)  // the HTTP target, not the local one
        let history = try run(Build.binary, ["history", "shop", "--json"] + dirs)
        let attempts = try #require(
            (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["history"]
                as? [[String: Any]])
        let badAttempt = try #require(
            attempts.first { $0["commit"] as? String == bad && $0["result"] as? String == "synced" })
        #expect(badAttempt["health"] as? String == "degraded", "\(attempts)")
        #expect(attempts.last?["health"] as? String == "healthy", "\(attempts)")
        let events = try run(Build.binary, ["events", "shop", "--json"] + dirs).stdout
        #expect(events.contains("\"event\":\"rolledBack\""), "\(events)")
        #expect(events.contains("\"event\":\"healthy\""), "\(events)")
        // The bad commit stays where it was; the source still points at it: still pinned.
        #expect(try run(Build.binary, ["sync", "shop", "--wait", "--timeout", "30s"] + dirs).status == 0)
        #expect(d.commit("shop") == good)

        // The source moves (a fix): the automatic pin lifts itself and the fix is deployed.
        let fix = try repo.commit(Self.files(status: 200, index: "fixed\n"), message: "fixes /api/hello")
        #expect(try run(Build.binary, ["sync", "shop"] + dirs).status == 0)
        try waitUntil(timeout: .seconds(60), "the fix deployed and healthy, unpinned") {
            d.commit("shop") == fix && d.status("shop")?["pinned"] == nil && health()?["status"] as? String == "healthy"
                && health()?["commit"] as? String == fix
        }
        #expect(target.state.withLock { $0.invocations["web/api/hello"] ?? 0 } >= 4)
        _ = target
    }

    @Test(.enabled(if: ContractServer.detectInterpreters()["lua"] != nil, "lua5.4 is missing"))
    func aLaterReCheckThatFailsMarksDegradedAndNeverRollsBack() async throws {
        let w = try World("health-recheck")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: Self.files(status: 200))
        let target = try await ContractServer.start()
        try w.write(
            "shop.yaml",
            registration(
                "shop", namespace: "web", url: w.url("shop", port: try w.serve()), policy: "{autoRollback: true}"))
        let d = try w.daemon(["--target", target.base, "--health-interval", "1s"])
        let first = try repo.head()
        func health() -> String? { (d.status("shop")?["health"] as? [String: Any])?["status"] as? String }
        try waitUntil(timeout: .seconds(60), "healthy") { health() == "healthy" }
        // A second healthy commit, so that a rollback would have somewhere to go.
        let second = try repo.commit(Self.files(status: 200, index: "second\n"), message: "second")
        #expect(try run(Build.binary, ["sync", "shop", "--state-dir", w.stateDir]).status == 0)
        try waitUntil(timeout: .seconds(60), "healthy at the second commit") {
            health() == "healthy" && d.commit("shop") == second
        }
        // The function breaks later (the orchestrator, not a deploy): a re-check marks it.
        target.state.withLock {
            $0.invokeOverride["web/api/hello"] = { _ in FunctionResponse(status: 503, body: "down") }
        }
        try waitUntil(timeout: .seconds(60), "degraded by a re-check") { health() == "degraded" }
        #expect(d.status("shop")?["pinned"] == nil, "a re-check never rolls back")
        #expect(d.commit("shop") == second)
        target.state.withLock { $0.invokeOverride["web/api/hello"] = nil }
        try waitUntil(timeout: .seconds(60), "healthy again") { health() == "healthy" }
        let events = try run(Build.binary, ["events", "shop", "--json", "--state-dir", w.stateDir]).stdout
        let kinds = events.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
        #expect(kinds.filter { $0 != "synced" } == ["healthy", "healthy", "degraded", "healthy"], "\(kinds)")
        #expect(!kinds.contains("rolledBack"))
        _ = first
    }

    /// No healthy commit yet: degraded, not rolled back. A person's pin is never replaced
    /// nor lifted. A rolled-back commit's forge status says failure with the check.
    @Test(.enabled(if: ContractServer.detectInterpreters()["lua"] != nil, "lua5.4 is missing"))
    func withoutAHealthyCommitOrUnderAPersonsPinNothingIsRolledBackAndTheForgeHearsOfAFailure() async throws {
        let w = try World("health-pins")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try Data("forge-token-123\n".utf8).write(to: URL(fileURLWithPath: secrets + "/web/forge.token"))
        let gitea = try await RecordingServer.start(
            respond: ForgeContract.respond(forge: "gitea", token: "forge-token-123", project: "acme/shop"))
        let repo = try GitRepo(root: w.reposDir, name: "acme/shop", files: Self.files(status: 500))
        let url = "git://127.0.0.1:\(try w.serve())/acme/shop.git"
        let target = try await ContractServer.start()
        try w.write(
            "shop.yaml",
            registration("shop", namespace: "web", url: url, policy: "{autoRollback: true}")
                + "  notify:\n    - {commitStatus: gitea, apiURL: \"\(gitea.base)/api/v1\", tokenFile: forge.token}\n")
        let d = try w.daemon([
            "--target", target.base, "--health-interval", "0", "--secrets-dir", secrets, "--notify-allow-private",
            "--notify-retry", "1s",
        ])
        func health() -> [String: Any]? { d.status("shop")?["health"] as? [String: Any] }
        let broken = try repo.head()
        try waitUntil(timeout: .seconds(60), "degraded at the first commit") {
            health()?["status"] as? String == "degraded"
        }
        #expect(d.status("shop")?["pinned"] == nil)
        #expect(
            (health()?["message"] as? String ?? "").contains("no healthy commit to roll back to"), "\(health() ?? [:])")
        #expect(d.commit("shop") == broken)

        // Fixed: healthy. Then a person pins it there, and a bad commit is pushed: the
        // person's pin holds (nothing deployed, nothing replaced, nothing lifted).
        let good = try repo.commit(Self.files(status: 200, index: "good\n"), message: "good")
        let dirs = ["--state-dir", w.stateDir, "--apps-dir", w.appsDir]
        #expect(try run(Build.binary, ["sync", "shop", "--state-dir", w.stateDir]).status == 0)
        try waitUntil(timeout: .seconds(60), "healthy at the fix") {
            health()?["status"] as? String == "healthy" && health()?["commit"] as? String == good
        }
        let pin = try run(
            Build.binary, ["rollback", "shop", "--to", good, "--reason", "freeze", "--allow-file-urls"] + dirs)
        #expect(pin.status == 0, "\(pin.stderr)")
        let bad = try repo.commit(Self.files(status: 500, index: "bad\n"), message: "bad again")
        #expect(
            try run(Build.binary, ["sync", "shop", "--wait", "--timeout", "30s", "--state-dir", w.stateDir]).status == 0
        )
        let pinned = try #require(d.status("shop")?["pinned"] as? [String: Any])
        #expect(
            pinned["commit"] as? String == good && pinned["automatic"] == nil && pinned["reason"] as? String == "freeze"
        )
        #expect(d.commit("shop") == good)

        // Unpinned: the bad commit is deployed, fails, and is rolled back automatically;
        // the forge's status of the bad commit is a failure naming the check.
        #expect(try run(Build.binary, ["unpin", "shop"] + dirs).status == 0)
        try waitUntil(timeout: .seconds(60), "rolled back automatically") {
            (d.status("shop")?["pinned"] as? [String: Any])?["automatic"] as? Bool == true && d.commit("shop") == good
        }
        try waitUntil(timeout: .seconds(30), "the forge's failure for the bad commit") {
            gitea.requests.contains {
                $0.path.hasSuffix("/statuses/\(bad)") && $0.json?["state"] as? String == "failure"
                    && ($0.json?["description"] as? String ?? "").contains("/api/hello: HTTP 500")
            }
        }
    }

    @Test func onTheLocalTargetWithoutAnInvokeURLHealthIsUnknown() async throws {
        let w = try World("health-local")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: Self.files(status: 200))
        try w.write("shop.yaml", registration("shop", namespace: "web", url: w.url("shop", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("shop", "synced", commit: try repo.head(), timeout: .seconds(60))
        let health = try #require(d.status("shop")?["health"] as? [String: Any])
        #expect(health["status"] as? String == "unknown")
        #expect((health["message"] as? String ?? "").contains("--invoke-url"), "\(health)")
    }
}
