import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// The shared fetch cache is never an authority (issue 22): what another application
/// fetched proves nothing about this one's access. Every look asks the server with the
/// application's own URL and credentials, and what it deploys is what that lookup
/// advertised (or reachable from it); a tag is verified as the object the lookup named.
@Suite(.serialized) struct SharedCacheAuthorityTests {
    static func site(_ v: String, namespace: String = "web") -> [String: String] {
        [
            "zerverless.yaml":
                "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: \(namespace)}\nspec:\n  static: {dir: static}\n",
            "static/index.html": "\(v)\n",
        ]
    }

    static func registration(_ name: String, namespace: String = "web", url: String, ref: String, extra: String = "")
        -> String
    {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  source:\n    repoURL: \"\(url)\"\n    \(ref)\n\(extra)  pollInterval: 1s\n"
    }

    func failure(_ d: DaemonProcess, _ name: String) -> (stage: String?, message: String) {
        let status = d.status(name)
        return ((status?["error"] as? [String: Any])?["stage"] as? String, status?["message"] as? String ?? "")
    }

    /// Alice's private repository is in the cache after her sync. Mallory names the same
    /// URL without credentials: by commit id, and through a rollback pin. Both are refused
    /// by the server's own answer; nothing of alice's repository is read for mallory.
    @Test func aCommitRefOrAPinNeverBorrowsAnotherTenantsFetch() async throws {
        let w = try World("cache-authority")
        let repos = w.dir.file("private")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try GitRepo(
            root: repos, name: "site", files: Self.site("alice's private site", namespace: "mallory"))
        let server = try startHTTPGit(
            base: repos, dir: w.dir.path, options: HTTPGitOptions(basicAuth: ("deploy", "alice-password")))
        let url = "http://127.0.0.1:\(server.port)/git/site.git"
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/alice", withIntermediateDirectories: true)
        try "alice-password\n".write(toFile: secrets + "/alice/token", atomically: true, encoding: .utf8)
        let head = try repo.head()
        try w.write(
            "alice.yaml",
            Self.registration(
                "alice-site", namespace: "alice", url: url, ref: "branch: main",
                extra: "    auth: {username: deploy, tokenFile: token}\n"))
        let d = try w.daemon(["--secrets-dir", secrets, "--listen", "127.0.0.1:0", "--head-cache", "30s"])
        // Alice's manifest says namespace mallory (the attacker chose a repository that
        // would deploy for them): her own sync fails at the manifest, after the fetch.
        try waitUntil(timeout: .seconds(60), "alice's fetch") {
            d.attempts("alice-site").contains { $0["commit"] as? String == head }
        }

        // By commit id, without credentials.
        try w.write(
            "by-commit.yaml", Self.registration("by-commit", namespace: "mallory", url: url, ref: "commit: \(head)"))
        // Through a pin on a branch registration without credentials.
        try w.write("pinned.yaml", Self.registration("pinned", namespace: "mallory", url: url, ref: "branch: main"))
        try d.waitFor("pinned", "error", timeout: .seconds(30))
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops"
        let (pinned, answer) = try await call(.POST, base + "/applications/pinned/rollback", #"{"commit": "\#(head)"}"#)
        #expect(pinned == 202, "\(answer)")
        try waitUntil(timeout: .seconds(30), "five looks of each") {
            d.attempts("by-commit").count >= 5
                && d.attempts("pinned").filter { $0["trigger"] as? String != "registration" }.count >= 5
        }
        for name in ["by-commit", "pinned"] {
            let (stage, message) = failure(d, name)
            #expect(d.phase(name) == "error", "\(name): \(d.status(name) ?? [:])")
            #expect(stage == "fetch", "\(name): \(message)")
            #expect(message.contains("asks for credentials and none are configured"), "\(name): \(message)")
            #expect(d.attempts(name).allSatisfy { $0["result"] as? String == "error" }, "\(d.attempts(name))")
            #expect(!FileManager.default.fileExists(atPath: "\(w.stateDir)/published/static/mallory/index.html"))
        }
        _ = server
    }

    /// A commit another application fetched, that the server no longer offers (its branch
    /// was deleted): a commit ref to it is refused, though the cache still holds it.
    @Test func aCommitTheServerNoLongerOffersIsNotTakenFromTheCache() throws {
        let w = try World("cache-reachable")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("main"))
        let feature = try repo.commit(Self.site("feature"), message: "feature", branch: "feature")
        let url = w.url("site", port: try w.serve())
        try w.write("feature.yaml", Self.registration("feature", url: url, ref: "branch: feature"))
        let d = try w.daemon()
        try d.waitFor("feature", "synced", commit: feature, timeout: .seconds(60))
        try repo.deleteBranch("feature")
        try w.write("by-commit.yaml", Self.registration("by-commit", url: url, ref: "commit: \(feature)"))
        try d.waitFor("by-commit", "error", timeout: .seconds(30))
        let (stage, message) = failure(d, "by-commit")
        #expect(stage == "fetch")
        #expect(
            message.contains(
                "is not in the repository: no branch or tag the server offers to this application's credentials contains it"
            ), "\(message)")
        #expect(d.attempts("by-commit").allSatisfy { $0["result"] as? String == "error" })
    }

    /// `verify.mode: tag` checks the object the lookup advertised for the tag: a signed
    /// release tag moved (lightweight) to an unsigned commit already in the cache is not
    /// deployed; a new signed tag on a commit already in the cache is verified (it used to
    /// fail with "tag is not in the cache").
    @Test func aTagIsVerifiedAsTheLookupAdvertisedIt() throws {
        let (w, keys, _, options) = try SignatureTests.setUp("verify-moved-tag")
        // The tracker (a branch application of the same repository, its own folder and
        // namespace) brings later commits into the cache.
        let tracker =
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: tracker, namespace: track}\nspec:\n  static: {dir: static}\n"
        let repo = try GitRepo(
            root: w.reposDir, name: "site",
            files: SignatureTests.site("one").merging([
                "tracker/zerverless.yaml": tracker, "tracker/static/t.html": "t\n",
            ]) { a, _ in a })
        let one = try repo.tag("v1", signWith: keys.alice)
        let tagObject = try run("/usr/bin/git", ["--git-dir", repo.bare, "rev-parse", "refs/tags/v1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(tagObject != one)
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", SignatureTests.registration(url, ref: "tag: v1", mode: "tag"))
        try w.write(
            "tracker.yaml",
            Self.registration(
                "tracker", namespace: "track", url: url, ref: "branch: main", extra: "    path: tracker\n"))
        let d = try w.daemon(options)
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let verified = d.status("site")?["verified"] as? [String: Any]
        #expect(verified?["tagObject"] as? String == tagObject, "\(verified ?? [:])")

        // An unsigned commit, fetched by the tracker; then v1 is moved onto it, lightweight.
        let unsigned = try repo.commit(SignatureTests.site("unsigned"), message: "unsigned")
        try d.waitFor("tracker", "synced", commit: unsigned, timeout: .seconds(30))
        let moved = try run("/usr/bin/git", ["--git-dir", repo.bare, "tag", "-f", "v1", unsigned])
        #expect(moved.status == 0, "\(moved.stderr)")
        try d.waitFor("site", "invalid", timeout: .seconds(30))
        let message = d.status("site")?["message"] as? String ?? ""
        #expect(message.contains("lightweight"), "\(message)")
        #expect(d.commit("site") == one)
        #expect(w.published("static/web/index.html") == "one\n")

        // A signed tag on a commit the cache already holds: verified and deployed.
        let two = try repo.commit(SignatureTests.site("two"), message: "two")
        try d.waitFor("tracker", "synced", commit: two, timeout: .seconds(30))
        try repo.tag("v2", commit: two, signWith: keys.alice)
        try writeByRename(SignatureTests.registration(url, ref: "tag: v2", mode: "tag"), to: w.app("site.yaml"))
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))
        let v2Object = try run("/usr/bin/git", ["--git-dir", repo.bare, "rev-parse", "refs/tags/v2"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((d.status("site")?["verified"] as? [String: Any])?["tagObject"] as? String == v2Object)
    }

    /// A repository with more tags than `--max-refs` is refused before anything is fetched
    /// (each ref was a file in the cache); refs that are fetched are packed into one file.
    @Test func refsAreCountedBeforeFetchingAndKeptPacked() throws {
        let w = try World("max-refs")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: Self.site("main"))
        let head = try repo.head()
        // 300 tags, written in one update-ref transaction.
        let lines = (0..<300).map { "create refs/tags/t\($0) \(head)\n" }.joined()
        let made = try run("/usr/bin/git", ["--git-dir", repo.bare, "update-ref", "--stdin"], input: Data(lines.utf8))
        #expect(made.status == 0, "\(made.stderr)")
        let url = w.url("site", port: try w.serve())
        try w.write("by-commit.yaml", Self.registration("by-commit", url: url, ref: "commit: \(head)"))
        let d = try w.daemon(["--max-refs", "100"])
        try d.waitFor("by-commit", "error", timeout: .seconds(60))
        let message = d.status("by-commit")?["message"] as? String ?? ""
        #expect(message.contains("301 branches and tags, over the limit of 100"), "\(message)")
        let caches = (try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/cache")) ?? []
        for cache in caches where cache.hasSuffix(".git") {
            let tags =
                (try? FileManager.default.contentsOfDirectory(atPath: "\(w.stateDir)/cache/\(cache)/refs/tags")) ?? []
            #expect(tags.isEmpty, "\(tags.count) loose tags")
        }
        // Under the limit: fetched, and the 300 tags are one packed-refs file, not 300 files.
        _ = try d.stop()
        let e = try w.daemon(["--max-refs", "1000"], log: "second.log")
        try e.waitFor("by-commit", "synced", commit: head, timeout: .seconds(60))
        for cache in ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/cache")) ?? [])
        where cache.hasSuffix(".git") {
            let loose =
                FileManager.default.enumerator(atPath: "\(w.stateDir)/cache/\(cache)/refs")?.allObjects
                .compactMap { $0 as? String }.filter { !$0.hasSuffix("/") && $0.contains("/") } ?? []
            #expect(loose.count < 5, "\(loose.count) loose refs: \(loose.prefix(5))")
            let packed =
                (try? String(contentsOfFile: "\(w.stateDir)/cache/\(cache)/packed-refs", encoding: .utf8)) ?? ""
            #expect(packed.split(separator: "\n").filter { $0.contains("refs/tags/t") }.count == 300)
        }
    }
}
