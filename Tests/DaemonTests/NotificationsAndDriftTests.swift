import Foundation
import TestSupport
import Testing

/// Telling people, on the built binary with real receivers on loopback: one signed
/// delivery per transition (delivered once the receiver comes back), forge commit statuses
/// against each forge's contract server, drift reported and corrected on the local target
/// and on the orchestrator's contract server, unmanaged things never deleted.
@Suite(.serialized) struct NotificationsAndDriftTests {
    static func hmac(_ body: [UInt8], key: String, in dir: String) throws -> String {
        let file = dir + "/body-\(UUID().uuidString)"
        try Data(body).write(to: URL(fileURLWithPath: file))
        let out = try run(
            "/usr/bin/python3",
            [
                "-c",
                "import hmac,hashlib,sys;print(hmac.new(sys.argv[1].encode(),open(sys.argv[2],'rb').read(),hashlib.sha256).hexdigest())",
                key, file,
            ])
        return "sha256=" + out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func app(_ url: String, notify: String, poll: String = "1h", policy: String = "") -> String {
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: site, namespace: web}
        spec:
          source: {repoURL: "\(url)"}
          pollInterval: \(poll)
        \(policy.isEmpty ? "" : "  syncPolicy: \(policy)\n")  notify:
        \(notify)
        """
    }

    @Test func oneSignedDeliveryPerTransitionInOrderAfterTheReceiverComesBackAndForgeStatuses() async throws {
        let w = try World("notify")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try Data("s3cret-key\n".utf8).write(to: URL(fileURLWithPath: secrets + "/web/hook.secret"))
        try Data("forge-token-123\n".utf8).write(to: URL(fileURLWithPath: secrets + "/web/forge.token"))
        try Data("operator-key".utf8).write(to: URL(fileURLWithPath: w.dir.file("operator.secret")))

        let repo = try GitRepo(root: w.reposDir, name: "acme/site", files: siteFiles(namespace: "web"))
        let first = try repo.head()
        let url = "git://127.0.0.1:\(try w.serve())/acme/site.git"
        let hookPort = freePort()  // nothing listens yet: the receiver is down
        let slack = try await RecordingServer.start()
        let operatorHook = try await RecordingServer.start()
        let github = try await RecordingServer.start(
            respond: ForgeContract.respond(forge: "github", token: "forge-token-123", project: "acme/site"))
        let gitea = try await RecordingServer.start(
            respond: ForgeContract.respond(forge: "gitea", token: "forge-token-123", project: "acme/site"))
        let gitlab = try await RecordingServer.start(
            respond: ForgeContract.respond(forge: "gitlab", token: "forge-token-123", project: "acme/site"))
        let notify = """
                - url: http://127.0.0.1:\(hookPort)/hook
                  secretFile: hook.secret
                - url: \(slack.base)/services/T0/B0/XYZ
                  format: slack
                  on: [invalid, error]
                - {commitStatus: github, apiURL: "\(github.base)", tokenFile: forge.token}
                - {commitStatus: gitea, apiURL: "\(gitea.base)/api/v1", tokenFile: forge.token}
                - {commitStatus: gitlab, apiURL: "\(gitlab.base)/api/v4/", tokenFile: forge.token}
            """
        try w.write("site.yaml", Self.app(url, notify: notify, poll: "1s"))
        let d = try w.daemon([
            "--secrets-dir", secrets, "--notify-retry", "1s", "--removal-grace", "0s", "--notify-allow-private",
            "--notify-url", operatorHook.base + "/all", "--notify-secret-file", w.dir.file("operator.secret"),
        ])
        try d.waitFor("site", "synced", commit: first, timeout: .seconds(60))

        // The forges: pending, then success, for the commit, context zerverless/site (a
        // pending still waiting when the success is queued is superseded by it).
        for (name, forge) in [("github", github), ("gitea", gitea), ("gitlab", gitlab)] {
            try waitUntil(timeout: .seconds(30), "\(name)'s statuses") {
                forge.requests.last?.json?["state"] as? String == "success"
            }
            let states = forge.requests.map { $0.json?["state"] as? String ?? "?" }
            #expect(
                states == ["pending", "success"] || states == ["success"],
                "\(name): \(states) \(forge.requests.map(\.path))")
            #expect(
                forge.requests.allSatisfy { $0.path.hasSuffix("/statuses/\(first)") }, "\(forge.requests.map(\.path))")
            let context = forge.requests.last?.json?[name == "gitlab" ? "name" : "context"] as? String
            #expect(context == "zerverless/site")
        }
        // The operator's endpoint: the first sync, signed with the operator's key.
        try waitUntil(timeout: .seconds(30), "the operator's delivery") { operatorHook.requests.count >= 1 }
        let op = try #require(operatorHook.requests.first)
        #expect(op.headers["x-zerverless-event"] == "synced")
        #expect(op.headers["x-zerverless-signature"] == (try Self.hmac(op.body, key: "operator-key", in: w.dir.path)))

        // The tenant's receiver is down: the event waits in the outbox with the reason.
        try waitUntil(timeout: .seconds(30), "a failed attempt in the outbox") {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []
            return files.contains { f in
                f.hasSuffix(".json")
                    && ((try? String(contentsOfFile: w.stateDir + "/outbox/" + f, encoding: .utf8)) ?? "").contains(
                        "lastError")
            }
        }
        #expect(!d.log.contains("XYZ"), "a Slack URL's secret path is never logged")
        #expect(!d.log.contains("s3cret") && !d.log.contains("forge-token-123"))

        // A broken manifest (invalid), then fixed (synced again), while the receiver is still down.
        let broken = try repo.commit(
            [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  functions: [{path: nope}]\n"
            ], message: "broken")
        try d.waitFor("site", "invalid", timeout: .seconds(30))
        try waitUntil(timeout: .seconds(30), "the slack message") { slack.requests.count >= 1 }
        let text = slack.requests.first?.json?["text"] as? String ?? ""
        #expect(
            text.contains("site (web) invalid \(broken.prefix(12))") && text.contains("zerverless.yaml:5"), "\(text)")
        let fixed = try repo.commit(siteFiles(namespace: "web", index: "fixed\n"), message: "fixed")
        try d.waitFor("site", "synced", commit: fixed, timeout: .seconds(30))

        // The receiver comes back: the three transitions arrive once each, in order, signed.
        let hook = try await RecordingServer.start(port: hookPort)
        try waitUntil(timeout: .seconds(60), "three deliveries") { hook.requests.count >= 3 }
        // Unchanged polls (every second) send nothing more.
        for _ in 0..<2 {
            let next = d.status("site")?["nextSync"] as? String
            try waitUntil(timeout: .seconds(10), "another poll") { (d.status("site")?["nextSync"] as? String) != next }
        }
        let got = hook.requests
        #expect(got.map { $0.headers["x-zerverless-event"] ?? "?" } == ["synced", "invalid", "synced"])
        #expect(Set(got.map { $0.headers["x-zerverless-delivery"] ?? "" }).count == 3)
        for r in got {
            #expect(r.headers["x-zerverless-signature"] == (try Self.hmac(r.body, key: "s3cret-key", in: w.dir.path)))
            #expect(r.json?["app"] as? String == "site" && r.json?["namespace"] as? String == "web")
        }
        #expect(got[0].json?["commit"] as? String == first)
        #expect(got[1].json?["commit"] as? String == broken)
        #expect(got[1].json?["previousStatus"] as? String == "synced")
        #expect((got[1].json?["error"] as? [String: Any])?["file"] as? String == "zerverless.yaml")
        #expect(got[2].json?["previousStatus"] as? String == "invalid")
        #expect(got[2].json?["previousCommit"] as? String == first)
        #expect(slack.requests.count == 1, "on: [invalid, error] filters the rest")
        // Per commit: its pending (unless a newer state superseded it while waiting), then
        // its outcome.
        func states(_ commit: String) -> [String] {
            github.requests.filter { $0.path.hasSuffix("/statuses/\(commit)") }.map {
                $0.json?["state"] as? String ?? "?"
            }
        }
        try waitUntil(timeout: .seconds(30), "the fixed commit's status") { states(fixed).last == "success" }
        for (commit, outcome) in [(first, "success"), (broken, "failure"), (fixed, "success")] {
            #expect(
                states(commit) == ["pending", outcome] || states(commit) == [outcome],
                "\(commit.prefix(12)): \(states(commit))")
        }
        let before = github.requests.count

        // Forced syncs of the commit already synced (a `sync` request each): the forge
        // already says success; nothing more is queued for it.
        for _ in 0..<3 {
            let attempts = d.attempts("site").count
            #expect(try w.cli(["sync", "site"]).status == 0)
            try waitUntil(timeout: .seconds(30), "the forced sync") { d.attempts("site").count > attempts }
        }
        #expect(github.requests.count == before, "\(github.requests.map { $0.json?["state"] as? String ?? "?" })")
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).filter {
                $0.hasSuffix(".json")
            }.isEmpty)

        // Deleted: one more delivery, then the outbox is empty.
        try FileManager.default.removeItem(atPath: w.app("site.yaml"))
        try waitUntil(timeout: .seconds(30), "the deleted event") { hook.requests.count >= 4 }
        #expect(hook.requests.last?.headers["x-zerverless-event"] == "deleted")
        try waitUntil(timeout: .seconds(30), "an empty outbox") {
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).filter {
                $0.hasSuffix(".json")
            }.isEmpty
        }
        #expect(
            operatorHook.requests.map { $0.headers["x-zerverless-event"] ?? "?" } == [
                "synced", "invalid", "synced", "deleted",
            ])
    }

    @Test func anEventWaitingWhenTheDaemonStopsIsDeliveredAfterItsRestartOnce() async throws {
        let w = try World("notify-restart")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let hookPort = freePort()
        try w.write(
            "site.yaml",
            Self.app(w.url("site", port: try w.serve()), notify: "    - url: http://127.0.0.1:\(hookPort)/hook"))
        var d = try w.daemon(["--notify-retry", "1s", "--notify-allow-private"], log: "first.log")
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        try waitUntil(timeout: .seconds(30), "a failed attempt") {
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).contains { f in
                ((try? String(contentsOfFile: w.stateDir + "/outbox/" + f, encoding: .utf8)) ?? "").contains(
                    "lastError")
            }
        }
        #expect(try d.stop() == 0)
        let hook = try await RecordingServer.start(port: hookPort)
        d = try w.daemon(["--notify-retry", "1s", "--notify-allow-private"], log: "second.log")
        try waitUntil(timeout: .seconds(30), "the delivery after the restart") { hook.requests.count >= 1 }
        // The restart's look at the same commit is not a transition: nothing more is sent.
        try waitUntil(timeout: .seconds(30), "an empty outbox") {
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).filter {
                $0.hasSuffix(".json")
            }.isEmpty
        }
        #expect(hook.requests.count == 1)
        #expect(hook.requests.first?.headers["x-zerverless-event"] == "synced")
        _ = d
    }

    @Test func aTenantsEndpointOnTheDaemonsOwnNetworkIsRefusedUnlessTheOperatorAllowsIt() async throws {
        let w = try World("notify-ssrf")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let inside = try await RecordingServer.start()
        let operatorHook = try await RecordingServer.start()
        try w.write(
            "site.yaml",
            Self.app(
                w.url("site", port: try w.serve()),
                notify: "    - url: \(inside.base)/internal\n    - url: http://169.254.169.254/latest"))
        let d = try w.daemon(["--notify-retry", "1s", "--notify-url", operatorHook.base + "/ops"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        try waitUntil(timeout: .seconds(30), "both refusals in the outbox") {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).filter {
                $0.hasSuffix(".json")
            }
            let text = files.compactMap { try? String(contentsOfFile: w.stateDir + "/outbox/" + $0, encoding: .utf8) }
                .joined()
            return text.contains("the loopback address 127.0.0.1")
                && text.contains("the link-local address 169.254.169.254")
        }
        // The operator's own endpoint is the operator's business: delivered.
        try waitUntil(timeout: .seconds(30), "the operator's delivery") { operatorHook.requests.count == 1 }
        #expect(inside.requests.isEmpty)
        #expect(d.log.contains("--notify-allow-private"))
    }

    @Test func driftOnTheLocalTargetIsReportedThenCorrectedAndUnmanagedFilesStay() async throws {
        let w = try World("drift-local")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        let receiver = try await RecordingServer.start()
        let notify = "    - url: \(receiver.base)/hook\n      on: [drift]"
        try w.write("site.yaml", Self.app(url, notify: notify, policy: "{selfHeal: warn}"))
        let d = try w.daemon(["--drift-interval", "1s", "--notify-allow-private"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let published = w.stateDir + "/published"
        try waitUntil(timeout: .seconds(30), "a clean drift pass") {
            (d.status("site")?["drift"] as? [String: Any])?["items"] as? [Any] != nil
        }

        // Somebody edits a file by hand, removes the function, and adds a file of their own.
        try Data("hacked\n".utf8).write(to: URL(fileURLWithPath: published + "/static/web/index.html"))
        try FileManager.default.removeItem(atPath: published + "/functions/web/api/hello.json")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: published + "/static/web/extra.txt"))
        try waitUntil(timeout: .seconds(30), "drift reported") {
            ((d.status("site")?["drift"] as? [String: Any])?["items"] as? [[String: Any]])?.count == 2
        }
        let drift = try #require(d.status("site")?["drift"] as? [String: Any])
        let items = (drift["items"] as? [[String: Any]] ?? []).map { "\($0["kind"]!) \($0["path"]!) \($0["change"]!)" }
            .sorted()
        #expect(items == ["function /api/hello missing", "static index.html modified"])
        #expect(drift["unmanaged"] as? Int == 1)
        #expect(drift["corrected"] as? Int == 0)
        #expect(d.phase("site") == "synced")
        try waitUntil(timeout: .seconds(30), "the drift event") { receiver.requests.count >= 1 }
        // warn changes nothing, and the same drift is not notified twice.
        let checked = drift["checkedAt"] as? String
        try waitUntil(timeout: .seconds(30), "another pass") {
            ((d.status("site")?["drift"] as? [String: Any])?["checkedAt"] as? String) != checked
        }
        #expect(w.published("static/web/index.html") == "hacked\n")
        #expect(receiver.requests.count == 1)
        #expect(receiver.requests.first?.json?["event"] as? String == "drift")

        // correct: what drifted is deployed again; the unmanaged file stays.
        try writeByRename(Self.app(url, notify: notify, policy: "{selfHeal: correct}"), to: w.app("site.yaml"))
        try waitUntil(timeout: .seconds(30), "the correction") { w.published("static/web/index.html") == "main\n" }
        try waitUntil(timeout: .seconds(30), "the function back") {
            w.published("functions/web/api/hello.json")?.contains("hello") == true
        }
        try waitUntil(timeout: .seconds(30), "corrected in the status") {
            ((d.status("site")?["drift"] as? [String: Any])?["corrected"] as? Int) == 2
        }
        #expect(w.published("static/web/extra.txt") == "mine\n")
        // The status counts the correction from its start; the history has it when it ends.
        try waitUntil(timeout: .seconds(30), "the correction in the history") {
            d.attempts("site").first?["trigger"] as? String == "drift"
        }
        try waitUntil(timeout: .seconds(30), "the corrected event") { receiver.requests.count >= 2 }
        let corrected = receiver.requests.last?.json?["message"] as? String ?? ""
        #expect(corrected.contains("corrected"))
        // Then clean passes: nothing more is deployed.
        try waitUntil(timeout: .seconds(30), "a clean pass") {
            ((d.status("site")?["drift"] as? [String: Any])?["items"] as? [Any])?.isEmpty == true
        }
        #expect((d.status("site")?["drift"] as? [String: Any])?["unmanaged"] as? Int == 1)
    }

    @Test func driftOnTheOrchestratorIsCorrectedWithOneListingPerPass() async throws {
        let w = try World("drift-http")
        let target = try await ContractServer.start()
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write(
            "site.yaml",
            registration(
                "site", namespace: "web", url: w.url("site", port: try w.serve()), policy: "{selfHeal: correct}"))
        let d = try w.daemon(["--target", target.base, "--drift-interval", "1s"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let original = try #require(target.state.withLock { $0.deployments["web/api/hello"]?.code })

        // By hand: the code is replaced, a file deleted, and an unmanaged function added.
        target.state.withLock { s in
            s.deployments["web/api/hello"]?.code = "function handle(req) return {status=500} end"
            s.storage["web"]?["css/site.css"] = nil
            s.deployments["web/api/theirs"] = .init(
                user: "web", path: "/api/theirs", runtime: "lua", code: "x", port: nil, created_at: "")
            s.log = []
        }
        try waitUntil(timeout: .seconds(30), "the correction") {
            target.state.withLock {
                $0.deployments["web/api/hello"]?.code == original && $0.storage["web"]?["css/site.css"] != nil
            }
        }
        try waitUntil(timeout: .seconds(30), "corrected in the status") {
            ((d.status("site")?["drift"] as? [String: Any])?["corrected"] as? Int) == 2
        }
        #expect(target.state.withLock { $0.deployments["web/api/theirs"] } != nil, "unmanaged: never deleted")
        let log = target.state.withLock { $0.log }
        #expect(!log.contains { $0.hasPrefix("DELETE") }, "\(log)")
        #expect(log.filter { $0 == "POST /api/deploy/web/api/hello" }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("PUT /api/storage/web/") } == ["PUT /api/storage/web/css/site.css"], "\(log)")
        try waitUntil(timeout: .seconds(30), "a clean pass") {
            ((d.status("site")?["drift"] as? [String: Any])?["items"] as? [Any])?.isEmpty == true
        }
        #expect((d.status("site")?["drift"] as? [String: Any])?["unmanaged"] as? Int == 1)
        // One GET /api/deploy and one listing of the namespace per pass (one app here).
        let reads = target.state.withLock { $0.log }.filter { $0.hasPrefix("GET") }
        #expect(
            reads.filter { $0 == "GET /api/deploy" }.count
                == reads.filter { $0.hasPrefix("GET /api/storage/web/") }.count, "\(reads)")
    }
}
