import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// What a new operator and user hit on day one, with real clients: conflicts reported as
/// such, a fixed manual app, POST then GET, webhooks as forges send them, private CAs,
/// logs and metrics for machines. The built binary.
@Suite(.serialized) struct OperatorDayOneTests {
    func function(_ namespace: String, _ app: String, body: String) -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(app), namespace: \(namespace)}\nspec:\n  functions:\n    - {path: /api/hello, runtime: lua, code: \"function handle(r) return {status=200, body='\(body)'} end\"}\n"
    }

    @Test func aConflictIsNotSyncedAndResolvesItselfWhenThePathIsFree() async throws {
        let w = try World("conflict")
        let a = try GitRepo(root: w.reposDir, name: "a", files: ["zerverless.yaml": function("shared", "a", body: "a")])
        let b = try GitRepo(root: w.reposDir, name: "b", files: ["zerverless.yaml": function("shared", "b", body: "b")])
        let port = try w.serve()
        try w.write("a.yaml", registration("a", namespace: "shared", url: w.url("a", port: port)))
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--retry-min", "1s", "--removal-grace", "0s"])
        try d.waitFor("a", "synced", commit: try a.head())
        try w.write("b.yaml", registration("b", namespace: "shared", url: w.url("b", port: port), poll: "2s"))
        try d.waitFor("b", "error")
        let status = try #require(d.status("b"))
        let conflicts = try #require(status["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1)
        #expect(conflicts.first?["path"] as? String == "/api/hello")
        #expect(conflicts.first?["owner"] as? String == "a")
        #expect((status["message"] as? String)?.contains("owned by a") == true)
        #expect(((status["functions"] as? [[String: Any]])?.first?["state"] as? String) == "conflict")
        #expect(try JSONSchema.checkStatusFile(d.statusFile("b")) == [])
        let metrics = try await text("http://127.0.0.1:\(try listeningPort(d))/metrics")
        #expect(metrics.contains("zerverless_gitops_app_conflicts{app=\"b\",namespace=\"shared\"} 1"))
        #expect(w.published("functions/shared/api/hello.json")?.contains("'a'") == true)
        // a lets go of the path: b takes it on its own.
        try FileManager.default.removeItem(atPath: w.app("a.yaml"))
        try d.waitFor("b", "synced", commit: try b.head(), timeout: .seconds(60))
        try waitUntil(timeout: .seconds(30), "b's function to be deployed") {
            w.published("functions/shared/api/hello.json")?.contains("'b'") == true
        }
    }

    @Test func aFixedManualRegistrationIsPendingAgain() throws {
        let w = try World("manual-fixed")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write(
            "site.yaml",
            registration("site", namespace: "web", url: url, policy: "{automated: false}") + "  colour: blue\n")
        let d = try w.daemon()
        try d.waitFor("site", "invalid")
        try writeByRename(
            registration("site", namespace: "web", url: url, policy: "{automated: false}"), to: w.app("site.yaml"))
        try d.waitFor("site", "pending")
        #expect((d.status("site")?["message"] as? String)?.contains("synced only on request") == true)
        #expect(d.status("site")?["error"] == nil)
        #expect(try w.cli(["sync", "site", "--wait", "--timeout", "60s"]).status == 0)
        #expect(d.commit("site") == (try repo.head()))
    }

    @Test func aPostedApplicationIsReadableAtOnce() async throws {
        let w = try World("post-get")
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops/applications"
        let body =
            #"{"name": "fresh", "namespace": "web", "source": {"repoURL": "https://example.invalid/o/r.git"}, "syncPolicy": {"automated": false}}"#
        #expect(try await call(.POST, base, body).0 == 201)
        let (got, doc) = try await call(.GET, base + "/fresh")
        #expect(got == 200)
        #expect(doc["status"] as? String == "pending")
        let (_, list) = try await call(.GET, base)
        #expect((list["applications"] as? [[String: Any]])?.contains { $0["name"] as? String == "fresh" } == true)
        // HEAD /metrics answers too.
        var head = HTTPClientRequest(url: base.replacingOccurrences(of: "/api/gitops/applications", with: "/metrics"))
        head.method = .HEAD
        #expect(try await HTTPClient.shared.execute(head, timeout: .seconds(10)).status == .ok)
    }

    @Test func webhooksAsTheForgesSendThem() async throws {
        let w = try World("forges")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        let secret = "forge-secret-0123456789"
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--webhook-secret-file", try w.dir.write("hook.secret", secret + "\n"),
        ])
        let hook = "http://127.0.0.1:\(try listeningPort(d))/api/gitops/webhook"
        try d.waitFor("site", "synced", commit: try repo.head())
        func mac(_ body: String) -> String {
            HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8))).map {
                String(format: "%02x", $0)
            }.joined()
        }
        func post(_ body: String, _ headers: [(String, String)], form: Bool = false) async throws -> (
            Int, [String: Any]
        ) {
            var request = HTTPClientRequest(url: hook)
            request.method = .POST
            for (k, v) in headers { request.headers.add(name: k, value: v) }
            request.headers.add(
                name: "Content-Type", value: form ? "application/x-www-form-urlencoded" : "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return (
                Int(response.status.code),
                (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
            )
        }
        // GitHub's default content type: the JSON in a form field.
        let pushed = try repo.commit(["static/index.html": "form\n"], message: "push")
        let json = #"{"ref": "refs/heads/main", "repository": {"clone_url": "\#(url)"}}"#
        let form = "payload=" + json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let (formCode, formAnswer) = try await post(
            form, [("X-Hub-Signature-256", "sha256=" + mac(form)), ("X-GitHub-Event", "push")], form: true)
        #expect(formCode == 202, "\(formAnswer)")
        #expect(formAnswer["count"] as? Int == 1)  // the operator's secret: a count, no names
        try d.waitFor("site", "synced", commit: pushed)
        #expect(d.attempts("site").first?["trigger"] as? String == "webhook")
        // A tag push is acknowledged (no application here follows tags: none is triggered).
        let tag = #"{"ref": "refs/tags/v1.0.0", "repository": {"clone_url": "\#(url)"}}"#
        let (tagCode, tagAnswer) = try await post(
            tag, [("X-Hub-Signature-256", "sha256=" + mac(tag)), ("X-GitHub-Event", "push")])
        #expect(tagCode == 202)
        #expect(tagAnswer["tag"] as? String == "v1.0.0")
        #expect((tagAnswer["triggered"] as? [String]) == [])
        // Gitea sends GitHub's header too; it is counted as gitea.
        let (giteaCode, giteaAnswer) = try await post(
            json,
            [
                ("X-Gitea-Signature", mac(json)), ("X-Hub-Signature-256", "sha256=" + mac(json)),
                ("X-Gitea-Event", "push"),
            ])
        #expect(giteaCode == 202)
        #expect(giteaAnswer["provider"] as? String == "gitea")
        // Bitbucket Cloud.
        let bitbucket =
            #"{"push": {"changes": [{"new": {"type": "branch", "name": "main"}}]}, "repository": {"links": {"html": {"href": "\#(url)"}}}}"#
        let (bbCode, bbAnswer) = try await post(
            bitbucket, [("X-Hub-Signature", "sha256=" + mac(bitbucket)), ("X-Event-Key", "repo:push")])
        #expect(bbCode == 202, "\(bbAnswer)")
        #expect(bbAnswer["provider"] as? String == "bitbucket")
        #expect(bbAnswer["count"] as? Int == 1)
    }

    @Test func privateCertificateAuthorities() throws {
        let w = try World("private-ca")
        let repos = w.dir.file("tls-repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try GitRepo(root: repos, name: "site", files: siteFiles(namespace: "web"))
        let other = try GitRepo(root: repos, name: "other", files: siteFiles(namespace: "other"))
        let tls = try makeSelfSignedCertificate(dir: w.dir.path)
        let server = try startHTTPGit(base: repos, dir: w.dir.path, options: HTTPGitOptions(tlsPEM: tls.pem))
        let url = "https://localhost:\(server.port)/git/site.git"
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/web", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tls.cert, toPath: secrets + "/web/ca.pem")
        // Without the CA: a certificate error that says what to do.
        try w.write(
            "untrusted.yaml",
            registration("untrusted", namespace: "other", url: "https://localhost:\(server.port)/git/other.git"))
        // The registration's own CA, for it alone.
        try w.write("own.yaml", registration("own", namespace: "web", url: url, auth: "{caFile: ca.pem}"))
        let d = try w.daemon(["--secrets-dir", secrets])
        try d.waitFor("own", "synced", commit: try repo.head())
        try d.waitFor("untrusted", "error")
        #expect((d.status("untrusted")?["message"] as? String)?.contains("certificate") == true)
        #expect(try d.stop() == 0)
        // The operator's CA for every registration: --ca-file.
        let second = try w.daemon(["--secrets-dir", secrets, "--ca-file", tls.cert], log: "second.log")
        let synced = try w.cli(["sync", "untrusted", "--wait", "--timeout", "60s"])
        #expect(synced.status == 0, "\(synced.stderr)\n\(second.log.suffix(3000))")
        #expect(second.commit("untrusted") == (try other.head()))
        _ = server
    }

    @Test func logsAndCommandsForMachinesAndPeople() throws {
        let w = try World("logs")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let d = try w.daemon(["--log-format", "json", "--log-level", "debug"])
        try d.waitFor("site", "synced", commit: try repo.head())
        let sync = try #require(d.log.split(separator: "\n").first { $0.contains("\"msg\":\"sync\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sync.utf8)) as? [String: Any])
        #expect(object["duration_ms"] is NSNumber && !(object["duration_ms"] is String), "\(sync)")
        #expect(object["target_calls"] as? Int == 3)
        // Service-lifecycle's own lines are under their own label, not the daemon's debug noise.
        #expect(!d.log.contains("\"msg\":\"Starting service lifecycle\""))
        // A mistyped subcommand.
        let typo = try run(Build.binary, ["stauts"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("Did you mean 'status'?"))
    }

    @Test func errorsOfAUserWhoMayNotWriteNameThePathAndTheCause() throws {
        let w = try World("not-root")
        try FileManager.default.createDirectory(atPath: w.stateDir, withIntermediateDirectories: true)
        chmod(w.dir.path, 0o755)
        let out = try run(
            "/usr/sbin/runuser", ["-u", "nobody", "--", Build.binary, "sync", "site", "--state-dir", w.stateDir])
        #expect(out.status == 1)
        #expect(out.stderr.contains(w.stateDir + "/requests"), "\(out.stderr)")
        #expect(out.stderr.contains("Permission denied"))
        #expect(!out.stderr.contains("NSCocoaErrorDomain"))
        let daemon = try run(
            "/usr/sbin/runuser",
            [
                "-u", "nobody", "--", Build.binary, "run", "--apps-dir", w.appsDir, "--state-dir", w.stateDir,
                "--listen", "none",
            ])
        #expect(daemon.status == 1)
        #expect(
            daemon.stderr.contains("cannot create the folder \(w.stateDir)/locks: Permission denied"),
            "\(daemon.stderr)")
    }
}

func text(_ url: String) async throws -> String {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
    return String(buffer: try await response.body.collect(upTo: 1 << 22))
}
