import Foundation
import Manifest
import State
import TestSupport
import Testing
import Toolkit

@testable import GitSource

@Suite(.serialized) struct GitDaemonTests {
    @Test func headFetchAndExportOverGitProtocol() throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let expected = try f.repo.head()
        #expect(try f.git.head(remote, branch: "main") == expected)

        let fetched = try f.git.fetch(remote, branch: "main")
        #expect(
            fetched
                == GitSource.FetchResult(cache: f.git.cachePath(for: remote.url), commit: expected, transferred: true))

        let snapshot = try f.git.open(remote.url)
        let folder = f.dir.file("export")
        let written = try snapshot.export(commit: expected, path: "app", to: folder)
        #expect(try String(contentsOfFile: folder + "/static/index.html", encoding: .utf8) == "<h1>hi</h1>\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/README.md"))  // only the app's subtree
        #expect(written == 2)

        // The same commit again: nothing transferred.
        let again = try f.git.fetch(remote, branch: "main", want: expected)
        #expect(!again.transferred)
    }

    @Test func missingBranchAndRepository() throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let branch = try #require(gitError { try f.git.head(remote, branch: "nope") })
        #expect(branch.code == .branchNotFound)
        #expect(branch.retry == .stalled)
        #expect(
            branch.description
                == "git_remote_ls: branch \"nope\" not found [git://127.0.0.1:\(daemon.port)/repo.git]; check spec.source.branch (the repository has main)"
        )

        let missing = try #require(
            gitError { try f.git.head(try f.remote("git://127.0.0.1:\(daemon.port)/missing.git"), branch: "main") })
        #expect(missing.code == .repositoryNotFound, "\(missing)")
        #expect(missing.retry == .stalled)
    }

    @Test func forcePushedBranchIsFollowed() throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let first = try f.git.fetch(remote, branch: "main").commit
        _ = try f.repo.commit(["app/zerverless.yaml": "x: 2\n"], message: "second")
        let rewritten = try f.repo.forcePushNewHistory(["app/zerverless.yaml": "x: 3\n"], message: "rewritten")
        #expect(try f.git.head(remote, branch: "main") == rewritten)
        let fetched = try f.git.fetch(remote, branch: "main")
        #expect(fetched.commit == rewritten && fetched.commit != first)
        let snapshot = try f.git.open(remote.url)
        try snapshot.export(commit: rewritten, path: "app", to: f.dir.file("app"))
        #expect(try String(contentsOfFile: f.dir.file("app") + "/zerverless.yaml", encoding: .utf8) == "x: 3\n")
        #expect(try snapshot.subject(of: rewritten) == "rewritten")
    }

    @Test func deletedBranchIsReported() throws {
        let f = try Fixture()
        _ = try f.repo.commit(["f": "1"], message: "on dev", branch: "dev")
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        _ = try f.git.fetch(remote, branch: "dev")
        try f.repo.deleteBranch("dev")
        #expect(gitError { try f.git.head(remote, branch: "dev") }?.code == .branchNotFound)
        #expect(gitError { try f.git.fetch(remote, branch: "dev") }?.code == .branchNotFound)
    }

    @Test func twoApplicationsShareOneCacheAndOneFetch() throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let a = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let b = try f.remote("git://127.0.0.1:\(daemon.port)/repo/")
        #expect(f.git.cachePath(for: a.url) == f.git.cachePath(for: b.url))
        let head = try f.git.head(b, branch: "main")
        let first = try f.git.fetch(a, branch: "main", want: head)
        let second = try f.git.fetch(b, branch: "main", want: head)
        #expect(first.transferred && !second.transferred)
        #expect(first.cache == second.cache && second.commit == head)
        let caches = try FileManager.default.contentsOfDirectory(atPath: f.dir.file("state/cache")).filter {
            $0.hasSuffix(".git")
        }
        #expect(caches.count == 1)
    }

    @Test func concurrentFetchesOfOneCache() async throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let head = try f.repo.head()
        let git = f.git
        let results = try await withThrowingTaskGroup(of: GitSource.FetchResult.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await BlockingPool.shared.run { () throws(GitError) in
                        try git.fetch(remote, branch: "main", want: head)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0.commit == head })
        #expect(results.filter(\.transferred).count == 1)  // the others found the commit already there
        #expect(
            try run(
                "/usr/bin/git", ["--git-dir", results[0].cache, "fsck", "--no-dangling"], environment: gitEnvironment
            ).status == 0)
    }
}

@Suite(.serialized) struct HTTPTransportTests {
    @Test func smartHTTPWithoutAuth() throws {
        let f = try Fixture()
        let server = try startHTTPGit(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("http://127.0.0.1:\(server.port)/git/repo.git")
        #expect(try f.git.head(remote, branch: "main") == f.repo.head())
        #expect(try f.git.fetch(remote, branch: "main").commit == f.repo.head())
        let missing = try #require(
            gitError { try f.git.head(try f.remote("http://127.0.0.1:\(server.port)/git/nope.git"), branch: "main") })
        #expect(missing.code == .repositoryNotFound, "\(missing)")
    }

    @Test func basicAuthTokenFile() throws {
        let f = try Fixture()
        let server = try startHTTPGit(
            base: f.repos, dir: f.dir.path, options: HTTPGitOptions(basicAuth: ("deploy", "s3cret-token")))
        let url = "http://127.0.0.1:\(server.port)/git/repo.git"
        let good = try f.write("good.token", "s3cret-token\n")
        let bad = try f.write("bad.token", "wrong-token-value\n")

        let ok = try f.remote(url, auth: Registration.Auth(username: "deploy", tokenFile: good))
        #expect(try f.git.head(ok, branch: "main") == f.repo.head())
        #expect(try f.git.fetch(ok, branch: "main").transferred)

        let wrong = try #require(
            gitError {
                try f.git.head(
                    try f.remote(url, auth: Registration.Auth(username: "deploy", tokenFile: bad)), branch: "main")
            })
        #expect(wrong.code == .authenticationFailed)
        #expect(wrong.retry == .stalled)
        #expect(wrong.description.contains("authentication failed for http://127.0.0.1:\(server.port)/git/repo.git"))
        #expect(!wrong.description.contains("wrong-token-value"))

        let missing = try #require(gitError { try f.git.head(try f.remote(url), branch: "main") })
        #expect(missing.code == .authenticationRequired)
        #expect(missing.hint == "set spec.source.auth.tokenFile")

    }

    @Test func credentialsInsideTheURLAreUsedAndRedacted() throws {
        let f = try Fixture()
        let server = try startHTTPGit(
            base: f.repos, dir: f.dir.path, options: HTTPGitOptions(basicAuth: ("deploy", "url-token")))
        let ok = try f.remote("http://deploy:url-token@127.0.0.1:\(server.port)/git/repo.git")
        #expect(try f.git.head(ok, branch: "main") == f.repo.head())
        let bad = try #require(
            gitError {
                try f.git.fetch(
                    try f.remote("http://deploy:leaky-token@127.0.0.1:\(server.port)/git/repo.git"), branch: "main")
            })
        #expect(bad.code == .authenticationFailed)
        #expect(!bad.description.contains("leaky-token"))
        #expect(bad.url == "http://***@127.0.0.1:\(server.port)/git/repo.git")
        // The cache's config never stores the URL.
        let config = try String(contentsOfFile: f.git.cachePath(for: ok.url) + "/config", encoding: .utf8)
        #expect(!config.contains("token"))
    }

    @Test func httpsWithASelfSignedCertificate() throws {
        let f = try Fixture()
        let tls = try makeSelfSignedCertificate(dir: f.dir.path)
        let server = try startHTTPGit(base: f.repos, dir: f.dir.path, options: HTTPGitOptions(tlsPEM: tls.pem))
        let remote = try f.remote("https://localhost:\(server.port)/git/repo.git")
        let untrusted = try #require(gitError { try f.git.head(remote, branch: "main") })
        #expect(untrusted.code == .certificateInvalid, "\(untrusted)")
        #expect(untrusted.retry == .stalled)
        GitSource.setCAFile(tls.cert)
        #expect(try f.git.head(remote, branch: "main") == f.repo.head())
        #expect(try f.git.fetch(remote, branch: "main").commit == f.repo.head())
    }
}

@Suite(.serialized) struct SSHTransportTests {
    @Test func ed25519KeyAndKnownHosts() throws {
        let f = try Fixture()
        let ssh = try SSHServer(dir: f.dir.path)
        let auth = Registration.Auth(sshKeyFile: ssh.clientKey, knownHostsFile: ssh.knownHosts)
        let url = "ssh://\(ssh.user)@127.0.0.1:\(ssh.port)\(f.repo.bare)"
        let remote = try f.remote(url, auth: auth)
        #expect(try f.git.head(remote, branch: "main") == f.repo.head())
        #expect(try f.git.fetch(remote, branch: "main").commit == f.repo.head())
        // scp-like form of the same repository (port 22 is implied there, so use ssh:// for the port).
    }

    @Test func wrongKeyUnknownAndChangedHostKeys() throws {
        let f = try Fixture()
        let ssh = try SSHServer(dir: f.dir.path)
        let url = "ssh://\(ssh.user)@127.0.0.1:\(ssh.port)\(f.repo.bare)"

        let wrongKey = try #require(
            gitError {
                try f.git.head(
                    try f.remote(url, auth: .init(sshKeyFile: ssh.otherKey, knownHostsFile: ssh.knownHosts)),
                    branch: "main")
            })
        #expect(wrongKey.code == .authenticationFailed, "\(wrongKey)")
        #expect(wrongKey.retry == .stalled)

        let empty = try f.write("empty_known_hosts", "")
        let unknown = try #require(
            gitError {
                try f.git.head(
                    try f.remote(url, auth: .init(sshKeyFile: ssh.clientKey, knownHostsFile: empty)), branch: "main")
            })
        #expect(unknown.code == .hostKeyUnknown, "\(unknown)")
        let fingerprint = try run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", ssh.knownHosts]).stdout.split(
            separator: " ")[1]
        #expect(unknown.message == "host key of [127.0.0.1]:\(ssh.port) (\(fingerprint)) is not in \(empty)")
        #expect(unknown.hint?.contains("ssh-keyscan -p \(ssh.port) 127.0.0.1") == true)

        let changed = try #require(
            gitError {
                try f.git.head(
                    try f.remote(url, auth: .init(sshKeyFile: ssh.clientKey, knownHostsFile: ssh.wrongKnownHosts)),
                    branch: "main")
            })
        #expect(changed.code == .hostKeyChanged, "\(changed)")
        #expect(changed.message.contains(String(fingerprint)))
    }

    @Test func rsaKeyFailsWithAnExplanation() throws {
        let f = try Fixture()
        let ssh = try SSHServer(dir: f.dir.path)
        let rsa = f.dir.file("client_rsa")
        #expect(try run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa]).status == 0)
        // Authorize it too: the failure must come from the signature algorithm, not the key.
        let authorized = f.dir.file("authorized_keys")
        let both =
            try String(contentsOfFile: authorized, encoding: .utf8)
            + String(contentsOfFile: rsa + ".pub", encoding: .utf8)
        try Data(both.utf8).write(to: URL(fileURLWithPath: authorized))
        let url = "ssh://\(ssh.user)@127.0.0.1:\(ssh.port)\(f.repo.bare)"
        let error = try #require(
            gitError {
                try f.git.head(
                    try f.remote(url, auth: .init(sshKeyFile: rsa, knownHostsFile: ssh.knownHosts)), branch: "main")
            })
        #expect(error.code == .authenticationFailed, "\(error)")
        #expect(error.hint?.contains("use an ed25519 key") == true, "\(error)")
    }
}

@Suite struct FailureTests {
    @Test func connectionRefusedIsRetryable() throws {
        let f = try Fixture()
        let port = freePort()
        let error = try #require(
            gitError { try f.git.head(try f.remote("http://127.0.0.1:\(port)/git/repo.git"), branch: "main") })
        #expect(error.code == .network, "\(error)")
        #expect(error.retry == .retryable)
        #expect(error.message.contains("Connection refused"))
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            "git://127.0.0.1:PORT/repo.git", "http://127.0.0.1:PORT/git/repo.git", "ssh://git@127.0.0.1:PORT/repo.git",
        ])
    func aListenerThatNeverAnswersHitsTheDeadline(_ template: String) throws {
        let f = try Fixture()
        let silent = try SilentListener()
        let url = template.replacingOccurrences(of: "PORT", with: "\(silent.port)")
        let remote = try f.remote(url, auth: nil, timeout: .seconds(1))
        let head = try #require(gitError { try f.git.head(remote, branch: "main") })
        #expect(head.code == .timeout, "\(head)")
        #expect(head.retry == .retryable)
        let fetch = try #require(gitError { try f.git.fetch(remote, branch: "main") })
        #expect(fetch.code == .timeout, "\(fetch)")
    }

    @Test func localURLsNeedPermission() throws {
        let f = try Fixture()
        let refused = try #require(gitError { try f.git.head(try f.remote(f.repo.bare), branch: "main") })
        #expect(refused.code == .localURLRefused)
        #expect(
            try f.git.head(try f.remote("file://" + f.repo.bare, allowLocal: true), branch: "main") == f.repo.head())
    }
}

/// A semver range picks its tag among names the server advertised; a name git refuses
/// (`*` would make the refspec a glob, `:` another destination) is refused before any
/// refspec is built from it.
@Test func aTagNameGitRefusesIsNeverMadeARefspec() throws {
    let f = try Fixture()
    let remote = try f.remote("git://127.0.0.1:\(freePort())/repo.git")
    let commit = try f.repo.head()
    for name in ["v1.0.0+*", "v1.0.0+x:refs/heads/main", "v1.0.0+a..b"] {
        do {
            _ = try f.git.fetch(
                remote, ref: .semver("^1"), head: GitSource.Head(commit: commit, tag: name, tagObject: commit))
            Issue.record("\(name) was fetched")
        } catch {
            #expect(error.message.contains("is not a valid ref name"), "\(error)")
        }
    }
}
