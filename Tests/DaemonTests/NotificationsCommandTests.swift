import Foundation
import TestSupport
import Testing
import Toolkit

/// `zerverless-gitops notifications [NAME]` and `notifications test NAME`, the built binary
/// against a real daemon and real receivers on loopback: what waits and fails per endpoint
/// (and the exit status), one application's share, the JSON document, a signed test event
/// that changes nothing, and never a secret in the output.
@Suite(.serialized) struct NotificationsCommandTests {
    /// A receiver that answers 500 while `failing`, else 200.
    static func receiver(_ failing: Toggle) async throws -> RecordingServer {
        try await RecordingServer.start { _ in
            failing.on ? (500, #"{"error":"receiver down for maintenance"}"#) : (200, "{}")
        }
    }

    static func app(_ name: String, _ namespace: String, url: String, notify: String) -> String {
        registration(name, namespace: namespace, url: url) + (notify.isEmpty ? "" : "  notify:\n\(notify)\n")
    }

    /// The open outbox entries as JSON.
    static func open(_ w: World) -> [[String: Any]] {
        let dir = w.stateDir + "/outbox"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }
            .compactMap { f in
                FileManager.default.contents(atPath: dir + "/" + f).flatMap {
                    try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
                }
            }
    }

    static func app(of entry: [String: Any]) -> String? { (entry["event"] as? [String: Any])?["app"] as? String }

    /// The CLI off the cooperative pool (the receivers answer meanwhile).
    static func cli(_ w: World, _ args: [String]) async throws -> ProcessOutput {
        try await BlockingPool.shared.run { () throws -> ProcessOutput in
            try run(Build.binary, args + ["--apps-dir", w.appsDir, "--state-dir", w.stateDir])
        }
    }

    @Test func pendingAndFailingPerEndpointOneAppsShareAndTheJSON() async throws {
        let w = try World("notifications-list")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try Data("s3cret-key\n".utf8).write(to: URL(fileURLWithPath: secrets + "/web/hook.secret"))
        let port = try w.serve()
        let siteRepo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let blogRepo = try GitRepo(root: w.reposDir, name: "blog", files: siteFiles(namespace: "docs"))
        let plainRepo = try GitRepo(root: w.reposDir, name: "plain", files: siteFiles(namespace: "plain"))
        let down = Toggle(true)
        let failing = try await Self.receiver(down)
        let working = try await RecordingServer.start()
        try w.write(
            "site.yaml",
            Self.app(
                "site", "web", url: w.url("site", port: port),
                notify: "    - {url: \"\(failing.base)/hook?token=qu3rysecret\", secretFile: hook.secret}"))
        try w.write(
            "blog.yaml",
            Self.app("blog", "docs", url: w.url("blog", port: port), notify: "    - url: \(working.base)/in"))
        try w.write("plain.yaml", Self.app("plain", "plain", url: w.url("plain", port: port), notify: ""))
        let d = try w.daemon(["--secrets-dir", secrets, "--notify-retry", "1s", "--notify-allow-private"])
        let siteHead = try siteRepo.head()
        try d.waitFor("site", "synced", commit: siteHead, timeout: .seconds(60))
        try d.waitFor("blog", "synced", commit: try blogRepo.head(), timeout: .seconds(60))
        try d.waitFor("plain", "synced", commit: try plainRepo.head(), timeout: .seconds(60))

        // site's receiver fails: its first event is past its first retry; blog's was delivered.
        try waitUntil(timeout: .seconds(30), "site's event to fail twice, blog's to be delivered") {
            let open = Self.open(w)
            let site = open.first { Self.app(of: $0) == "site" }
            let attempts = ((site?["deliveries"] as? [[String: Any]])?.first?["attempts"] as? Int) ?? 0
            return attempts >= 2 && !open.contains { Self.app(of: $0) == "blog" } && working.requests.count == 1
        }
        let all = try await Self.cli(w, ["notifications"])
        #expect(all.status == 1, "\(all.stdout)\(all.stderr)")
        let hook = "generic \(failing.base)/hook?token=***"
        #expect(all.stdout.contains("\(hook) (namespace web): failing, 1 pending"), "\(all.stdout)")
        #expect(all.stdout.contains("receiver down for maintenance"), "\(all.stdout)")
        #expect(all.stdout.contains("next retry"), "\(all.stdout)")
        #expect(all.stdout.contains("site synced \(siteHead.prefix(12))"), "\(all.stdout)")
        #expect(all.stdout.contains("generic \(working.base)/in (namespace docs): ok, nothing pending"))
        #expect(all.stdout.contains("1 delivered, 0 dropped in the last 24 h"), "\(all.stdout)")
        for out in [all.stdout, all.stderr] {
            #expect(!out.contains("qu3rysecret") && !out.contains("s3cret-key"), "\(out)")
        }

        let site = try await Self.cli(w, ["notifications", "site"])
        #expect(site.status == 1 && !site.stdout.contains("namespace docs"), "\(site.stdout)")
        let blog = try await Self.cli(w, ["notifications", "blog"])
        #expect(blog.status == 0, "\(blog.stdout)\(blog.stderr)")
        #expect(blog.stdout.contains("nothing pending or failing for blog") && !blog.stdout.contains("namespace web"))
        let plain = try await Self.cli(w, ["notifications", "plain"])
        #expect(plain.status == 0 && plain.stdout.contains("no notification in the last 24 h"), "\(plain.stdout)")

        // --json: the documented shape.
        let json = try await Self.cli(w, ["notifications", "--json"])
        #expect(json.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(doc["failing"] as? Int == 1 && doc["pending"] as? Int == 1 && doc["app"] is NSNull)
        let endpoints = try #require(doc["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 2)
        let first = try #require(endpoints.first)
        #expect(first["kind"] as? String == "generic" && first["url"] as? String == "\(failing.base)/hook?token=***")
        #expect(first["state"] as? String == "failing" && first["namespace"] as? String == "web")
        #expect((first["attempts"] as? Int ?? 0) >= 2 && first["lastStatus"] as? Int == 500)
        #expect((first["lastError"] as? String)?.contains("HTTP 500") == true && first["nextRetry"] is String)
        #expect(first["apps"] as? [String] == ["site"] && first["oldestAgeSeconds"] is Int)
        let event = try #require((first["events"] as? [[String: Any]])?.first)
        #expect(event["app"] as? String == "site" && event["event"] as? String == "synced")
        #expect(event["state"] as? String == "failing" && event["commit"] as? String == siteHead)
        #expect(endpoints.last?["state"] as? String == "ok" && endpoints.last?["delivered"] as? Int == 1)
        let blogJSON = try await Self.cli(w, ["notifications", "blog", "--json"])
        let blogDoc = try JSONSerialization.jsonObject(with: Data(blogJSON.stdout.utf8)) as? [String: Any]
        #expect(blogDoc?["app"] as? String == "blog" && (blogDoc?["endpoints"] as? [Any])?.count == 1)
        #expect(!json.stdout.contains("qu3rysecret") && !json.stdout.contains("s3cret"))

        // The receiver comes back: delivered, nothing failing.
        down.on = false
        try waitUntil(timeout: .seconds(30), "site's delivery") {
            !Self.open(w).contains { Self.app(of: $0) == "site" }
        }
        let after = try await Self.cli(w, ["notifications"])
        #expect(after.status == 0, "\(after.stdout)")
        #expect(after.stdout.contains("\(hook) (namespace web): ok, nothing pending"), "\(after.stdout)")
        #expect(after.stdout.hasSuffix("nothing pending or failing\n"), "\(after.stdout)")

        // Bad usage: 2.
        #expect(try await Self.cli(w, ["notifications", "Not_A_Name"]).status == 2)
        #expect(try await Self.cli(w, ["notifications", "nosuchapp"]).status == 2)
        let noState = try run(Build.binary, ["notifications", "--state-dir", w.dir.file("missing")])
        #expect(noState.status == 2 && noState.stderr.contains("no state dir"), "\(noState.stderr)")
        // An application without endpoints has nothing to test.
        let nothing = try await Self.cli(w, ["notifications", "test", "plain"])
        #expect(nothing.status == 1 && nothing.stderr.contains("nothing to send a test to"), "\(nothing.stderr)")
        _ = d
    }

    @Test func aTestEventIsSignedDeliveredReportedAndChangesNothing() async throws {
        let w = try World("notifications-test")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try Data("s3cret-key\n".utf8).write(to: URL(fileURLWithPath: secrets + "/web/hook.secret"))
        try Data("operator-key".utf8).write(to: URL(fileURLWithPath: w.dir.file("operator.secret")))
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let port = try w.serve()
        let tenantDown = Toggle(false)
        let tenant = try await Self.receiver(tenantDown)
        let operatorHook = try await RecordingServer.start()
        // `on: [error]`: the sync sends the tenant nothing; a test goes to every webhook.
        try w.write(
            "site.yaml",
            Self.app(
                "site", "web", url: w.url("site", port: port),
                notify: "    - {url: \"\(tenant.base)/hook?key=qu3rysecret\", secretFile: hook.secret, on: [error]}"))
        // Another tenant names web's key by its absolute path: its test must not read it.
        let intruder = try GitRepo(root: w.reposDir, name: "intruder", files: siteFiles(namespace: "evil"))
        try w.write(
            "intruder.yaml",
            Self.app(
                "intruder", "evil", url: w.url("intruder", port: port),
                notify: "    - {url: \"\(tenant.base)/intruder\", secretFile: \(secrets)/web/hook.secret, on: [error]}")
        )
        let d = try w.daemon([
            "--secrets-dir", secrets, "--notify-allow-private", "--notify-url", operatorHook.base + "/all",
            "--notify-secret-file", w.dir.file("operator.secret"),
        ])
        let head = try repo.head()
        try d.waitFor("site", "synced", commit: head, timeout: .seconds(60))
        try d.waitFor("intruder", "synced", commit: try intruder.head(), timeout: .seconds(60))
        try waitUntil(timeout: .seconds(30), "the operator's synced events") { operatorHook.requests.count == 2 }
        #expect(tenant.requests.isEmpty)
        let statusBefore = try Data(contentsOf: URL(fileURLWithPath: d.statusFile("site")))
        let historyFile = w.stateDir + "/apps/site/history.json"
        let historyBefore = try Data(contentsOf: URL(fileURLWithPath: historyFile))

        let sent = try await Self.cli(w, ["notifications", "test", "site"])
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)\n\(d.log.suffix(3000))")
        #expect(sent.stdout.contains("generic \(tenant.base)/hook?key=***: delivered (HTTP 200)"), "\(sent.stdout)")
        #expect(sent.stdout.contains("operator \(operatorHook.base)/all: delivered (HTTP 200)"), "\(sent.stdout)")
        // The receivers got one signed test event each, and can tell it is one.
        let got = try #require(tenant.requests.first)
        #expect(tenant.requests.count == 1 && got.path == "/hook")
        let body = got.json ?? [:]
        #expect(got.headers["x-zerverless-event"] == "test")
        #expect(body["event"] as? String == "test" && body["app"] as? String == "site")
        #expect(body["namespace"] as? String == "web" && body["status"] as? String == "synced")
        #expect(body["commit"] as? String == head)
        #expect(
            got.headers["x-zerverless-signature"]
                == (try NotificationsAndDriftTests.hmac(got.body, key: "s3cret-key", in: w.dir.path)))
        let op = try #require(operatorHook.requests.last)
        #expect(operatorHook.requests.count == 3 && op.headers["x-zerverless-event"] == "test")
        #expect(
            op.headers["x-zerverless-signature"]
                == (try NotificationsAndDriftTests.hmac(op.body, key: "operator-key", in: w.dir.path)))
        // Nothing else changed: the status and the history are as they were.
        #expect(try Data(contentsOf: URL(fileURLWithPath: d.statusFile("site"))) == statusBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: historyFile)) == historyBefore)
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/requests")) ?? []).isEmpty,
            "the request is gone")

        let refused = try await Self.cli(w, ["notifications", "test", "intruder"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(
            refused.stdout.contains("generic \(tenant.base)/intruder: failed: notify.secretFile: ")
                && refused.stdout.contains("is outside \(secrets)/evil/"), "\(refused.stdout)")
        #expect(!tenant.requests.contains { $0.path == "/intruder" }, "nothing is sent without its own key")

        // The tenant's receiver fails: reported with its error, exit 1, tried once only.
        tenantDown.on = true
        let failed = try await Self.cli(w, ["notifications", "test", "site"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(
            failed.stdout.contains("generic \(tenant.base)/hook?key=***: failed: HTTP 500: ")
                && failed.stdout.contains("receiver down for maintenance"), "\(failed.stdout)")
        #expect(failed.stdout.contains("operator \(operatorHook.base)/all: delivered (HTTP 200)"))
        #expect(tenant.requests.count == 2)
        #expect(Self.open(w).isEmpty, "a failed test is not retried")
        for out in [sent.stdout, sent.stderr, failed.stdout, failed.stderr, refused.stdout, refused.stderr] {
            #expect(!out.contains("qu3rysecret") && !out.contains("s3cret-key") && !out.contains("operator-key"))
        }
        // The failed test is listed as dropped, and fails nothing.
        let listed = try await Self.cli(w, ["notifications", "site"])
        #expect(listed.status == 0 && listed.stdout.contains("site test"), "\(listed.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: d.statusFile("site"))) == statusBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: historyFile)) == historyBefore)

        // Bad usage: 2; no daemon: no answer within the timeout, 1, and the request is taken back.
        #expect(try await Self.cli(w, ["notifications", "test"]).status == 2)
        #expect(try await Self.cli(w, ["notifications", "test", "site", "--timeout", "soon"]).status == 2)
        #expect(try d.stop() == 0)
        let alone = try await Self.cli(w, ["notifications", "test", "site", "--timeout", "1s"])
        #expect(alone.status == 1 && alone.stderr.contains("no answer within 1s"), "\(alone.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/requests")) ?? []).isEmpty)
    }
}
