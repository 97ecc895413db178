import Foundation
import GitSource
import Manifest
import TestSupport
import Testing

@Suite(.serialized) struct CheckCommandTests {
    @Test func checkFileAndNameAgainstARealServer() throws {
        let dir = try TempDir("zg-check")
        let repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try GitRepo(root: repos, name: "site")
        let server = try startHTTPGit(
            base: repos, dir: dir.path, options: HTTPGitOptions(basicAuth: ("deploy", "tok-123")))
        // The token file of namespace web, in the secrets folder, named relative to it.
        let token = try dir.write("secrets/web/site.token", "tok-123\n")
        let registration = try dir.write(
            "apps.d/site.yaml",
            """
            name: site
            namespace: web
            source:
              repoURL: http://127.0.0.1:\(server.port)/git/site.git
              auth: {username: deploy, tokenFile: site.token}
            """)
        let secrets = ["--secrets-dir", dir.file("secrets")]
        let byFile = try run(Build.binary, ["check", "--state-dir", dir.file("state"), registration] + secrets)
        #expect(byFile.status == 0, "\(byFile.stderr)")
        #expect(
            byFile.stdout.contains(
                "site: http://127.0.0.1:\(server.port)/git/site.git branch main\n  head \(try repo.head())"))

        let byName = try run(
            Build.binary,
            ["check", "--apps-dir", dir.file("apps.d"), "--state-dir", dir.file("state"), "site"] + secrets)
        #expect(byName.status == 0, "\(byName.stderr)")

        // A file outside the namespace's folder is refused without being read.
        let outside = try dir.write(
            "apps.d/other.yaml",
            """
            name: other
            namespace: web
            source:
              repoURL: http://127.0.0.1:\(server.port)/git/site.git
              auth: {username: deploy, tokenFile: \(dir.file("apps.d/site.yaml"))}
            """)
        let refused = try run(Build.binary, ["check", "--state-dir", dir.file("state"), outside] + secrets)
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "spec.source.auth.tokenFile: \"\(dir.file("apps.d/site.yaml"))\" is outside \(dir.file("secrets"))/web/"
            ), "\(refused.stderr)")

        try Data("wrong-token\n".utf8).write(to: URL(fileURLWithPath: token))
        let wrong = try run(Build.binary, ["check", "--state-dir", dir.file("state"), registration] + secrets)
        #expect(wrong.status == 1)
        #expect(
            wrong.stderr.contains(
                "error (stalled): credentials: authentication failed for http://127.0.0.1:\(server.port)/git/site.git"))
        #expect(!wrong.stderr.contains("wrong-token") && !wrong.stdout.contains("wrong-token"))
    }

    /// A boolean option set from the environment (the README's `ZG_ALLOW_FILE_URLS=1`): the
    /// debug binary exited 1 on it (argument-parser refuses a flag whose default is true).
    @Test func allowFileURLsFromTheEnvironment() throws {
        let dir = try TempDir("zg-check")
        let repo = try GitRepo(root: dir.file("repos"), name: "site")
        let registration = try dir.write(
            "site.yaml", "name: site\nnamespace: web\nsource: {repoURL: \"file://\(repo.bare)\"}\n")
        var env = ProcessInfo.processInfo.environment
        env["ZG_ALLOW_FILE_URLS"] = nil
        let refused = try run(Build.binary, ["check", registration], environment: env)
        #expect(refused.status == 1, "\(refused.stderr)")
        env["ZG_ALLOW_FILE_URLS"] = "1"
        let allowed = try run(Build.binary, ["check", registration], environment: env)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("head \(try repo.head())"), "\(allowed.stdout)")
        let flag = try run(Build.binary, ["check", "--allow-file-urls", registration])
        #expect(flag.status == 0, "\(flag.stderr)")
    }

    @Test func checkReportsRetryableFailuresAndInvalidFiles() throws {
        let dir = try TempDir("zg-check")
        let refused = try dir.write(
            "a.yaml", "name: a\nnamespace: b\nsource: {repoURL: \"http://127.0.0.1:\(freePort())/r.git\"}\n")
        let out = try run(Build.binary, ["check", "--timeout", "5s", refused])
        #expect(out.status == 1)
        #expect(out.stderr.contains("error (retryable): git_remote_connect (net): failed to connect to 127.0.0.1:"))

        let invalid = try dir.write("b.yaml", "name: B\nnamespace: b\nsource: {repoURL: x}\n")
        let bad = try run(Build.binary, ["check", invalid])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(invalid):1:7: error: name: \"B\" is not a DNS label"))

        let unknown = try run(Build.binary, ["check", "--apps-dir", dir.path, "nosuchapp"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no application named \"nosuchapp\""))
    }

    @Test func checkPrintsTheSubjectWhenTheCommitIsCached() throws {
        let dir = try TempDir("zg-check")
        let repo = try GitRepo(root: dir.path, name: "r")
        let head = try repo.commit(["x": "1"], message: "Add x")
        let file = try dir.write("r.yaml", "name: r\nnamespace: b\nsource: {repoURL: \"\(repo.bare)\"}\n")
        // Fill the cache the way the daemon will: through the library, not the CLI.
        let refusedLocal = try run(Build.binary, ["check", file])
        #expect(refusedLocal.status == 1)
        #expect(refusedLocal.stderr.contains("local repository URLs are refused"))
        let before = try run(Build.binary, ["check", "--allow-file-urls", "--state-dir", dir.file("state"), file])
        #expect(before.status == 0)
        #expect(before.stdout.contains("  head \(head)\n"))
        guard case .success(let url) = RepositoryURL.parse(repo.bare) else {
            Issue.record("URL")
            return
        }
        _ = try GitSource(cacheRoot: dir.file("state/cache")).fetch(Remote(url: url, allowLocal: true), branch: "main")
        let after = try run(Build.binary, ["check", "--allow-file-urls", "--state-dir", dir.file("state"), file])
        #expect(after.status == 0)
        #expect(after.stdout.contains("  head \(head)  Add x\n"))
    }
}
