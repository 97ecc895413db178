import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// The REST facade of the real daemon (listening on port 0): the original design's curl
/// flow, end to end.
@Suite struct RESTEndToEndTests {
    @Test func theDesignsCurlFlow() async throws {
        let w = try World("rest")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "myuser"))
        let url = w.url("site", port: try w.serve())
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--removal-grace", "1s"])
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops/applications"

        // POST the original design's body (with this test's repository).
        let body = #"{"name": "my-app", "namespace": "myuser", "source": {"repoURL": "\#(url)", "branch": "main"}}"#
        let (created, doc) = try await call(.POST, base, body)
        #expect(created == 201)
        #expect(doc["status"] as? String == "pending")
        #expect(FileManager.default.fileExists(atPath: w.app("my-app.yaml")))
        try d.waitFor("my-app", "synced", commit: try repo.head())

        let (listed, list) = try await call(.GET, base)
        #expect(listed == 200)
        #expect(list["total"] as? Int == 1)
        let (got, one) = try await call(.GET, base + "/my-app")
        #expect(got == 200)
        #expect((one["source"] as? [String: Any])?["commit"] as? String == (try repo.head()))

        // A push, then POST .../sync: synced at once (the poll interval is 5 minutes).
        let pushed = try repo.commit(["static/index.html": "pushed\n"], message: "push")
        let (accepted, _) = try await call(.POST, base + "/my-app/sync")
        #expect(accepted == 202)
        try d.waitFor("my-app", "synced", commit: pushed)

        let (conflict, _) = try await call(.POST, base, body)
        #expect(conflict == 409)
        let (bad, problem) = try await call(.POST, base, #"{"name": "x", "namespace": "myuser"}"#)
        #expect(bad == 400)
        #expect((problem["diagnostics"] as? [[String: Any]])?.isEmpty == false)

        // DELETE: the file goes, the application is undeployed after the grace.
        let (deleted, _) = try await call(.DELETE, base + "/my-app")
        #expect(deleted == 202)
        try waitUntil(timeout: .seconds(30), "my-app to be undeployed") { d.status("my-app") == nil }
        #expect(w.published("static/myuser/index.html") == nil)
        let (gone, _) = try await call(.GET, base + "/my-app")
        #expect(gone == 404)
        #expect(try d.stop() == 0)
    }

    func text(_ url: String, token: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 1 << 22))
    }

    @Test func aSignedPushSyncsAtOnceAndTokensLimitNamespaces() async throws {
        let w = try World("webhook")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        _ = try GitRepo(root: w.reposDir, name: "other", files: siteFiles(namespace: "other"))
        let port = try w.serve()
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: port), poll: "1h"))
        try w.write(
            "other.yaml", registration("other", namespace: "other", url: w.url("other", port: port), poll: "1h"))
        let secret = "s3cret-webhook-key"
        let secretFile = try w.dir.write("webhook.secret", secret + "\n")
        let tokens = try w.dir.write("tokens", "web-token-0123456789abcdef web\nops-token-0123456789abcdef *\n")
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--webhook-secret-file", secretFile, "--api-tokens-file", tokens,
        ])
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops"
        try d.waitFor("site", "synced", commit: try repo.head())
        try d.waitFor("other", "synced")

        // Tokens: none -> 401; the web token sees web only.
        let (unauthorized, _) = try await call(.GET, base + "/applications")
        #expect(unauthorized == 401)
        let (ok, list) = try await call(
            .GET, base + "/applications", headers: [("Authorization", "Bearer web-token-0123456789abcdef")])
        #expect(ok == 200)
        #expect((list["applications"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["site"])

        // A push, delivered as GitHub signs it: synced without waiting for the hour's poll.
        let pushed = try repo.commit(["static/index.html": "hooked\n"], message: "push")
        let payload = #"{"ref": "refs/heads/main", "repository": {"clone_url": "\#(w.url("site", port: port))"}}"#
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(payload.utf8), using: SymmetricKey(data: Array(secret.utf8))
        )
        .map { String(format: "%02x", $0) }.joined()
        let (bad, _) = try await call(
            .POST, base + "/webhook", payload,
            headers: [("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64))])
        #expect(bad == 401)
        let (accepted, answer) = try await call(
            .POST, base + "/webhook", payload,
            headers: [("X-Hub-Signature-256", "sha256=" + mac), ("X-GitHub-Event", "push")])
        #expect(accepted == 202)
        #expect(answer["count"] as? Int == 1)  // the operator's secret: a count, no names
        try d.waitFor("site", "synced", commit: pushed, timeout: .seconds(20))
        #expect(w.published("static/web/index.html") == "hooked\n")
        #expect(!d.log.contains(secret))

        // What /metrics and /readyz say about it.
        let root = base.replacingOccurrences(of: "/api/gitops", with: "")
        let metrics = try await text(root + "/metrics", token: "ops-token-0123456789abcdef")
        #expect(
            metrics.contains("zerverless_gitops_syncs_total{app=\"site\",namespace=\"web\",result=\"synced\"} 2"),
            "\(metrics)")
        #expect(
            metrics.contains("zerverless_gitops_webhook_deliveries_total{provider=\"github\",result=\"triggered\"} 1"))
        #expect(
            metrics.contains(
                "zerverless_gitops_webhook_deliveries_total{provider=\"unknown\",result=\"unauthorized\"} 1"))
        #expect(metrics.contains("zerverless_gitops_target_calls_total{kind=\"upload\",result=\"ok\"}"))
        #expect(metrics.contains("zerverless_gitops_applications{status=\"synced\"} 2"))
        #expect(
            metrics.contains("zerverless_gitops_last_successful_sync_timestamp_seconds{app=\"site\",namespace=\"web\"}")
        )
        #expect(metrics.contains("zerverless_gitops_sync_duration_seconds_count{app=\"site\",namespace=\"web\"} 2"))
        #expect(metrics.contains("zerverless_gitops_git_requests_total{kind=\"head\",result=\"ok\"}"))
        #expect(metrics.contains("zerverless_gitops_git_request_duration_seconds_count{kind=\"head\",result=\"ok\"}"))
        let (ready, readiness) = try await call(.GET, root + "/readyz")
        #expect(ready == 200, "\(readiness)")
        #expect(try d.stop() == 0)
    }
}
