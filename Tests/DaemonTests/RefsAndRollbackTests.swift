import Foundation
import NIOHTTP1
import State
import TestSupport
import Testing

/// Choosing what is deployed, on the built binary against git daemon: tags, semver ranges
/// and commits; rollback pins that survive a rewrite of the registration; history.
@Suite(.serialized) struct RefsAndRollbackTests {
    static func site(_ version: String) -> [String: String] {
        [
            "zerverless.yaml":
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  static: {dir: static}\n",
            "static/index.html": "\(version)\n",
        ]
    }

    static func registration(_ url: String, ref: String, poll: String = "1s") -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  source:\n    repoURL: \"\(url)\"\n    \(ref)\n  pollInterval: \(poll)\n"
    }

    @Test func aSemverRangeMovesOnAHigherMatchingTagOnly() throws {
        let w = try World("semver")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("1.0.0"))
        try repo.tag("v1.0.0")
        try repo.commit(Self.site("1.2.0"), message: "1.2.0")
        let v120 = try repo.tag("v1.2.0", message: "release 1.2.0")  // annotated: peeled to its commit
        try repo.commit(Self.site("main"), message: "work in progress")  // the branch moves on, untagged
        try w.write(
            "site.yaml", Self.registration(w.url("site", port: try w.serve()), ref: "semver: \">=1.0.0 <2.0.0\""))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: v120, timeout: .seconds(60))
        #expect(w.published("static/web/index.html") == "1.2.0\n")
        let ref = (d.status("site")?["source"] as? [String: Any])?["ref"] as? [String: Any]
        #expect(ref?["semver"] as? String == ">=1.0.0 <2.0.0")
        #expect(ref?["resolved"] as? String == "v1.2.0")
        #expect((d.status("site")?["source"] as? [String: Any])?["branch"] == nil)

        // Out of range and a pre-release: nothing moves (polled every second, unchanged).
        try repo.commit(Self.site("2.0.0"), message: "2.0.0")
        try repo.tag("v2.0.0")
        try repo.commit(Self.site("1.3.0-rc.1"), message: "rc")
        try repo.tag("v1.3.0-rc.1")
        let before = d.attempts("site").count
        for _ in 0..<2 {
            let next = d.status("site")?["nextSync"] as? String
            try waitUntil(timeout: .seconds(10), "another poll") { (d.status("site")?["nextSync"] as? String) != next }
        }
        #expect(d.attempts("site").count == before)
        #expect(w.published("static/web/index.html") == "1.2.0\n")
        // Those polls patched nextSync in place (the document not encoded again): the file
        // is still, byte for byte, the encoding of the document it holds.
        let layout = StateLayout(root: w.stateDir)
        let file = try #require(FileManager.default.contents(atPath: layout.statusFile("site")))
        #expect(Array(file) == (try #require(try layout.readStatus("site"))).jsonBytes())

        // A higher matching tag: deployed.
        let v131 = try repo.commit(Self.site("1.3.1"), message: "1.3.1")
        try repo.tag("v1.3.1")
        try d.waitFor("site", "synced", commit: v131, timeout: .seconds(30))
        #expect(w.published("static/web/index.html") == "1.3.1\n")
        #expect(
            ((d.status("site")?["source"] as? [String: Any])?["ref"] as? [String: Any])?["resolved"] as? String
                == "v1.3.1")
    }

    @Test func aTagAndACommitStayWhereTheyAre() throws {
        let w = try World("tag-commit")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("one"))
        let first = try repo.tag("stable")
        let port = try w.serve()
        try w.write("site.yaml", Self.registration(w.url("site", port: port), ref: "tag: stable"))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: first, timeout: .seconds(60))
        let second = try repo.commit(Self.site("two"), message: "two")
        // The tag does not move with the branch; a commit ref names an older commit by id.
        try writeByRename(Self.registration(w.url("site", port: port), ref: "commit: \(first)"), to: w.app("site.yaml"))
        try waitUntil(timeout: .seconds(30), "the commit ref to be read") {
            (((d.status("site")?["source"] as? [String: Any])?["ref"] as? [String: Any])?["commit"] as? String) == first
        }
        #expect(d.commit("site") == first)
        // Another tag: followed.
        try repo.tag("stable-2", commit: second)
        try writeByRename(Self.registration(w.url("site", port: port), ref: "tag: stable-2"), to: w.app("site.yaml"))
        try d.waitFor("site", "synced", commit: second, timeout: .seconds(30))
        #expect(w.published("static/web/index.html") == "two\n")
        // A tag that does not exist: an error naming the tags there are; what is deployed stays.
        try writeByRename(Self.registration(w.url("site", port: port), ref: "tag: v9"), to: w.app("site.yaml"))
        try d.waitFor("site", "error", timeout: .seconds(30))
        let message = d.status("site")?["message"] as? String ?? ""
        #expect(message.contains("tag \"v9\" not found") && message.contains("stable-2"), "\(message)")
        #expect(w.published("static/web/index.html") == "two\n")
    }

    @Test func rollbackPinsSurviveARewriteAndUnpinFollowsTheBranchAgain() throws {
        let w = try World("rollback")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("one"))
        let one = try repo.head()
        let port = try w.serve()
        let text = Self.registration(w.url("site", port: port), ref: "branch: main")
        try w.write("site.yaml", text)
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let two = try repo.commit(Self.site("two"), message: "two")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))

        // rollback with no --to: the successful commit before the current one.
        let cli = ["--state-dir", w.stateDir, "--apps-dir", w.appsDir, "--allow-file-urls"]
        let out = try run(Build.binary, ["rollback", "site", "--reason", "two is broken"] + cli)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("pinned to \(one.prefix(12)) from \(two.prefix(12))"), "\(out.stdout)")
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(30))
        #expect(w.published("static/web/index.html") == "one\n")
        let pinned = d.status("site")?["pinned"] as? [String: Any]
        #expect(pinned?["commit"] as? String == one)
        #expect(pinned?["reason"] as? String == "two is broken")
        #expect(d.attempts("site").first?["trigger"] as? String == "rollback")

        // A push does not move it; neither does an Ansible-style rewrite of the registration.
        let three = try repo.commit(Self.site("three"), message: "three")
        try writeByRename(text + "# rewritten by Ansible\n", to: w.app("site.yaml"))
        for _ in 0..<2 {
            let next = d.status("site")?["nextSync"] as? String
            try waitUntil(timeout: .seconds(10), "another poll") { (d.status("site")?["nextSync"] as? String) != next }
        }
        #expect(d.commit("site") == one)
        #expect(w.published("static/web/index.html") == "one\n")
        #expect(d.status("site")?["pinned"] != nil)

        // plan says what the pin means.
        let plan = try run(Build.binary, ["plan", "site"] + cli)
        #expect(plan.stdout.contains("pinned to \(one.prefix(12)) by a rollback (two is broken)"), "\(plan.stdout)")

        // unpin: the branch again.
        let unpin = try run(Build.binary, ["unpin", "site", "--state-dir", w.stateDir])
        #expect(unpin.status == 0, "\(unpin.stderr)")
        try d.waitFor("site", "synced", commit: three, timeout: .seconds(30))
        #expect(w.published("static/web/index.html") == "three\n")
        #expect(d.status("site")?["pinned"] == nil)
        #expect(try run(Build.binary, ["unpin", "site", "--state-dir", w.stateDir]).status == 1)

        // --to a commit the repository does not have: refused, nothing pinned.
        let missing = try run(Build.binary, ["rollback", "site", "--to", String(repeating: "ab", count: 20)] + cli)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("is not in the repository"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(w.stateDir)/apps/site/pin.json"))
        // --to an abbreviation of a commit it has.
        let abbreviated = try run(Build.binary, ["rollback", "site", "--to", String(two.prefix(10))] + cli)
        #expect(abbreviated.status == 0, "\(abbreviated.stderr)")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))

        // history, newest first, with triggers and what changed.
        let history = try run(Build.binary, ["history", "site", "--json", "--state-dir", w.stateDir])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])
        let attempts = try #require(doc["history"] as? [[String: Any]])
        #expect(attempts.first?["commit"] as? String == two)
        #expect(attempts.first?["trigger"] as? String == "rollback")
        #expect(attempts.first?["filesChanged"] as? Int == 1)
        #expect(Set(attempts.compactMap { $0["trigger"] as? String }).isSuperset(of: ["startup", "rollback", "poll"]))
        let times = attempts.compactMap { $0["time"] as? String }
        #expect(times == times.sorted(by: >))
        let table = try run(Build.binary, ["history", "site", "--limit", "2", "--state-dir", w.stateDir])
        #expect(table.stdout.split(separator: "\n").count == 3, "\(table.stdout)")
        #expect(table.stdout.hasPrefix("TIME"))
    }

    @Test func theRESTAPIRollsBackUnpinsAndShowsHistory() async throws {
        let w = try World("rollback-rest")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("one"))
        let one = try repo.head()
        try w.write("site.yaml", Self.registration(w.url("site", port: try w.serve()), ref: "branch: main"))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops/applications/site"
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let two = try repo.commit(Self.site("two"), message: "two")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))

        let (code, history) = try await call(.GET, base + "/history")
        #expect(code == 200)
        #expect((history["history"] as? [[String: Any]])?.first?["commit"] as? String == two)
        #expect(try await call(.GET, base + "/history?limit=0").0 == 400)
        #expect(try await call(.POST, base + "/rollback", #"{"commit": "abc"}"#).0 == 400)
        #expect(try await call(.POST, base + "/rollback", #"{"comit": "x"}"#).0 == 400)

        let (rolled, answer) = try await call(.POST, base + "/rollback", #"{"reason": "from the API"}"#)
        #expect(rolled == 202)
        #expect(answer["pinned"] as? String == one)
        #expect(answer["from"] as? String == two)
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(30))
        let (_, status) = try await call(.GET, base)
        #expect((status["pinned"] as? [String: Any])?["reason"] as? String == "from the API")
        let metrics = try await text(base.replacingOccurrences(of: "/api/gitops/applications/site", with: "/metrics"))
        #expect(metrics.contains("\nzerverless_gitops_applications_pinned 1\n"), "\(metrics.prefix(400))")

        #expect(try await call(.DELETE, base + "/pin").0 == 202)
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))
        #expect(try await call(.DELETE, base + "/pin").0 == 404)
        #expect(try await call(.GET, base.replacingOccurrences(of: "/site", with: "/nope") + "/history").0 == 404)
        // A commit the repository does not have: the app errs, what is deployed stays.
        let (bogus, _) = try await call(
            .POST, base + "/rollback", #"{"commit": "\#(String(repeating: "cd", count: 20))"}"#)
        #expect(bogus == 202)
        try d.waitFor("site", "error", timeout: .seconds(30))
        #expect((d.status("site")?["message"] as? String)?.contains("is not in the repository") == true)
        #expect(w.published("static/web/index.html") == "two\n")
    }
}
