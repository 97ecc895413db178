import Foundation
import TestSupport
import Testing

/// Issue 25 on the built binary: suspend and resume survive a registration rewrite, labels
/// select in `status -l` and `?labelSelector=`, and a long sync shows its progress.
@Suite(.serialized) struct OperatorDayTwoTests {
    static func labelled(_ name: String, url: String, labels: String, poll: String = "1h") -> String {
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata:
          name: \(name)
          namespace: web
          labels: \(labels)
        spec:
          source: {repoURL: "\(url)"}
          pollInterval: \(poll)
        """
    }

    @Test func aSuspensionSurvivesARegistrationRewriteUntilResumed() async throws {
        let w = try World("suspend")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        let d = try w.daemon()
        let first = try repo.head()
        try d.waitFor("site", "synced", commit: first, timeout: .seconds(60))
        let dirs = ["--state-dir", w.stateDir, "--apps-dir", w.appsDir]

        let suspend = try run(Build.binary, ["suspend", "site", "--reason", "maintenance window"] + dirs)
        #expect(suspend.status == 0, "\(suspend.stderr)")
        try d.waitFor("site", "suspended", timeout: .seconds(30))
        let suspended = try #require(d.status("site")?["suspended"] as? [String: Any])
        #expect(suspended["reason"] as? String == "maintenance window")
        #expect((d.status("site")?["message"] as? String ?? "").contains("zerverless-gitops resume site"))

        // A new commit and a rewrite of the registration (as Ansible does): still suspended,
        // nothing synced; a sync request is answered with the suspension.
        let second = try repo.commit(siteFiles(namespace: "web", index: "second\n"), message: "second")
        try writeByRename(registration("site", namespace: "web", url: url, poll: "30m"), to: w.appsDir + "/site.yaml")
        let asked = try run(Build.binary, ["sync", "site", "--wait", "--timeout", "30s"] + dirs)
        #expect(asked.status == 1 && asked.stderr.contains("site: suspended"), "\(asked.stdout)\(asked.stderr)")
        #expect(d.commit("site") == first)
        let table = try run(Build.binary, ["status"] + dirs)
        #expect(table.stdout.contains(" suspended "), "\(table.stdout)")

        // Resumed: synced at once, at the new commit.
        #expect(try run(Build.binary, ["resume", "site"] + dirs).status == 0)
        try d.waitFor("site", "synced", commit: second, timeout: .seconds(60))
        #expect(d.status("site")?["suspended"] == nil)
        let again = try run(Build.binary, ["resume", "site"] + dirs)
        #expect(again.status == 1 && again.stderr.contains("site is not suspended"), "\(again.stderr)")
        let unknown = try run(Build.binary, ["suspend", "nope"] + dirs)
        #expect(unknown.status == 1 && unknown.stderr.contains("no application \"nope\""), "\(unknown.stderr)")
    }

    @Test func labelsSelectInTheCommandAndTheAPI() async throws {
        let w = try World("labels")
        // Three applications of one namespace, each with a function of its own.
        var repos: [String: GitRepo] = [:]
        for name in ["shop", "blog", "site"] {
            repos[name] = try GitRepo(
                root: w.reposDir, name: name,
                files: [
                    "zerverless.yaml":
                        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: web}\nspec:\n  functions:\n    - {path: /\(name), runtime: lua, code: \"function handle(req) return {status=200} end\"}\n"
                ])
        }
        let port = try w.serve()
        let url = w.url("shop", port: port)
        try w.write("shop.yaml", Self.labelled("shop", url: url, labels: "{team: web, tier: front}"))
        try w.write("blog.yaml", Self.labelled("blog", url: w.url("blog", port: port), labels: "{team: content}"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: port)))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        for (name, repo) in repos { try d.waitFor(name, "synced", commit: try repo.head(), timeout: .seconds(60)) }
        #expect((d.status("shop")?["labels"] as? [String: String]) == ["team": "web", "tier": "front"])
        #expect(d.status("site")?["labels"] == nil)

        func names(_ selector: String) throws -> [String] {
            let out = try run(Build.binary, ["status", "-l", selector, "--state-dir", w.stateDir])
            return out.stdout.split(separator: "\n").dropFirst().dropLast().map { String($0.prefix { $0 != " " }) }
        }
        #expect(try names("team=web") == ["shop"])
        #expect(try names("team") == ["blog", "shop"])
        #expect(try names("team!=web") == ["blog", "site"])
        #expect(try names("team in (web, content),!legacy") == ["blog", "shop"])
        let bad = try run(Build.binary, ["status", "-l", "team in web", "--state-dir", w.stateDir])
        #expect(bad.status == 2 && bad.stderr.contains("expected a list in parentheses"), "\(bad.stderr)")

        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops/applications"
        let (code, body) = try await call(.GET, base + "?labelSelector=tier%3Dfront")
        #expect(code == 200 && body["total"] as? Int == 1, "\(body)")
        #expect(((body["applications"] as? [[String: Any]])?.first?["name"] as? String) == "shop")
        let (refused, problem) = try await call(.GET, base + "?labelSelector=Team%20Name%3Dx")
        #expect(refused == 400 && (problem["error"] as? String ?? "").contains("labelSelector"), "\(problem)")

        // A label the syntax refuses is a precise diagnostic.
        let file = try w.dir.write("bad.yaml", Self.labelled("bad", url: url, labels: "{\"-team\": web}"))
        let validate = try run(Build.binary, ["validate", file])
        #expect(
            validate.status == 1
                && (validate.stdout + validate.stderr).contains("bad.yaml:6:12: error: metadata.labels.-team"))
    }

    @Test func aLongSyncShowsItsProgressAndEndsWithoutIt() async throws {
        let w = try World("progress")
        // 40 static files to an orchestrator answering each call after 150 ms: about a
        // second of uploads (8 at a time), long enough for progress to be written.
        var files = siteFiles(namespace: "web")
        for i in 0..<40 { files["static/page-\(i).html"] = "page \(i)\n" }
        let repo = try GitRepo(root: w.reposDir, name: "site", files: files)
        let target = try await ContractServer.start()
        target.state.withLock { $0.delay = .milliseconds(150) }
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let d = try w.daemon(["--target", target.base])
        var seen: [String: Any]?
        try waitUntil(timeout: .seconds(60), "progress while syncing") {
            guard let status = d.status("site"), status["status"] as? String == "syncing",
                let progress = status["progress"] as? [String: Any]
            else { return false }
            seen = progress
            return true
        }
        let progress = try #require(seen)
        #expect(["check", "deploy", "static", "fetch", "prune"].contains(progress["stage"] as? String ?? ""))
        #expect((progress["done"] as? Int ?? -1) >= 0 && progress["updatedAt"] != nil, "\(progress)")
        if progress["stage"] as? String == "static" {
            #expect(progress["total"] as? Int == 42 && progress["unit"] as? String == "files", "\(progress)")
        }
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        #expect(d.status("site")?["progress"] == nil)

        // `sync --wait` draws it: plain lines when standard error is not a terminal.
        for i in 0..<40 { files["static/page-\(i).html"] = "page \(i), again\n" }
        let second = try repo.commit(files, message: "every page again")
        let wait = try run(Build.binary, ["sync", "site", "--wait", "--state-dir", w.stateDir])
        #expect(wait.status == 0 && wait.stdout.contains("site: synced at \(second.prefix(12))"), "\(wait.stdout)")
        #expect(wait.stderr.contains("static: ") && wait.stderr.contains("/40 files ["), "\(wait.stderr)")
        #expect(!wait.stderr.contains("\u{1B}"), "\(wait.stderr)")
    }
}
