import Foundation
import TestSupport
import Testing

/// The built binary's `run`, against real git daemons on loopback and real inotify on
/// temporary folders. Every wait is on a condition (a status file's content, a process
/// exit) with a deadline.

/// A scratch world: repositories under a git daemon, an apps dir, a state dir.
final class World: @unchecked Sendable {
    let dir: TempDir
    let reposDir: String
    let appsDir: String
    let stateDir: String
    var server: ServerProcess?

    init(_ name: String) throws {
        dir = try TempDir("zg-e2e-\(name)")
        reposDir = dir.file("repos")
        appsDir = dir.file("apps.d")
        stateDir = dir.file("state")
        try FileManager.default.createDirectory(atPath: reposDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: appsDir, withIntermediateDirectories: true)
    }

    func serve() throws -> Int {
        let s = try startGitDaemon(base: reposDir, dir: dir.path)
        server = s
        return s.port
    }

    func url(_ repo: String, port: Int) -> String { "git://127.0.0.1:\(port)/\(repo).git" }

    func daemon(
        _ arguments: [String] = [], log: String = "daemon.log", environment: [String: String] = [:],
        launcher: [String] = []
    ) throws -> DaemonProcess {
        try DaemonProcess(
            appsDir: appsDir, stateDir: stateDir, logFile: dir.file(log), arguments: arguments,
            environment: environment,
            launcher: launcher)
    }

    func app(_ file: String) -> String { (appsDir as NSString).appendingPathComponent(file) }

    func write(_ file: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: app(file)))
    }

    /// Rewrites a file in place (same inode): open with O_TRUNC, write.
    func writeInPlace(_ file: String, _ text: String) throws {
        let fd = open(app(file), O_WRONLY | O_TRUNC)
        guard fd >= 0 else { throw CommandFailed(description: "open \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Foundation.write(fd, bytes, bytes.count) == bytes.count else {
            throw CommandFailed(description: "write \(file)")
        }
    }

    func published(_ path: String) -> String? {
        try? String(contentsOfFile: "\(stateDir)/published/\(path)", encoding: .utf8)
    }

    /// A repository of `count` static files (namespace big), served, registered, and a
    /// daemon started on it: for the crash and shutdown tests.
    func bigSite(files count: Int) throws -> (
        repo: GitRepo, files: [String: String], daemon: DaemonProcess, staticDir: String
    ) {
        var files = siteFiles(namespace: "big")
        for i in 0..<count { files["static/f/\(i / 100)/file\(i).txt"] = "content of file \(i)\n" }
        let repo = try GitRepo(root: reposDir, name: "big", files: files)
        try write("big.yaml", registration("big", namespace: "big", url: url("big", port: try serve())))
        return (repo, files, try daemon(log: "first.log"), "\(stateDir)/published/static/big")
    }

    /// Waits until more than `count` entries were published under `dir`.
    func waitForUpload(_ dir: String, moreThan count: Int) throws {
        try waitUntil(timeout: .seconds(60), "the upload to be under way") {
            ((FileManager.default.enumerator(atPath: dir)?.allObjects.count) ?? 0) > count
        }
    }

    func cli(_ args: [String]) throws -> ProcessOutput {
        try run(Build.binary, args + ["--state-dir", stateDir])
    }
}

@Suite(.serialized) struct DaemonEndToEndTests {
    @Test func dropEditRenameBranchChangePollAndSigterm() throws {
        let w = try World("lifecycle")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let dev = try repo.commit(["static/index.html": "dev\n"], message: "dev", branch: "dev")
        let main = try repo.head("main")
        let url = w.url("site", port: try w.serve())
        let d = try w.daemon(["--poll-interval", "1h"])

        // Dropped in: synced.
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        try d.waitFor("site", "synced", commit: main)
        #expect(w.published("static/web/index.html") == "main\n")
        #expect(w.published("functions/web/api/hello.json")?.contains("hello") == true)
        let status = try #require(d.status("site"))
        #expect(status["message"] as? String == "1 function, 2 static files")
        #expect(status["registrationFile"] as? String == w.app("site.yaml"))
        #expect((status["functions"] as? [[String: Any]])?.first?["url"] as? String == "/web/api/hello")
        #expect(try JSONSchema.checkStatusFile(d.statusFile("site")) == [])

        // In-place edit (same inode) switching the branch.
        try w.writeInPlace("site.yaml", registration("site", namespace: "web", url: url, branch: "dev"))
        try d.waitFor("site", "synced", commit: dev)
        #expect(w.published("static/web/index.html") == "dev\n")

        // Ansible-style: a temporary file renamed over it; back to main, polling every second.
        try writeByRename(
            registration("site", namespace: "web", url: url, branch: "main", poll: "1s"), to: w.app("site.yaml"))
        try d.waitFor("site", "synced", commit: main)
        #expect(w.published("static/web/index.html") == "main\n")

        // A push is picked up by the poll.
        let pushed = try repo.commit(["static/index.html": "pushed\n"], message: "push", branch: "main")
        try d.waitFor("site", "synced", commit: pushed)
        #expect(w.published("static/web/index.html") == "pushed\n")
        #expect(d.log.contains("app=site"))
        #expect(d.log.contains("result=synced"))

        // SIGTERM: exit 0.
        #expect(try d.stop(SIGTERM) == 0)
        #expect(d.log.contains("stopped"))
    }

    @Test func syncRequestsRunAtOnceAndAreRemoved() throws {
        let w = try World("request")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url, poll: "1h"))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())

        // `sync --wait`: synced at the new commit, exit 0, request file gone.
        let second = try repo.commit(["static/index.html": "second\n"], message: "second")
        let out = try w.cli(["sync", "site", "--wait", "--timeout", "60s"])
        #expect(out.status == 0, "\(out.stderr)\n\(d.log)")
        #expect(out.stdout.contains("site: synced at \(second.prefix(12))"))
        #expect(d.commit("site") == second)
        #expect(!FileManager.default.fileExists(atPath: "\(w.stateDir)/requests/site.sync"))

        // Anyone's `touch` works too.
        let third = try repo.commit(["static/index.html": "third\n"], message: "third")
        _ = FileManager.default.createFile(atPath: "\(w.stateDir)/requests/site.sync", contents: nil)
        try d.waitFor("site", "synced", commit: third)
        try waitUntil(timeout: .seconds(30), "the request file to be removed") {
            !FileManager.default.fileExists(atPath: "\(w.stateDir)/requests/site.sync")
        }
        #expect(w.published("static/web/index.html") == "third\n")

        // A request for an application whose manifest is wrong: exit 1 with the reason.
        let broken = try repo.commit(
            [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  functions:\n    - path: api\n      runtime: lua\n      code: x\n"
            ], message: "broken")
        let failed = try w.cli(["sync", "site", "--wait", "--timeout", "60s"])
        #expect(failed.status == 1)
        // The commit it tried, and the last good one (issue 25: source.lastAttemptedCommit).
        #expect(
            failed.stderr.contains("site: invalid at \(broken.prefix(12)) (last good \(third.prefix(12))): manifest"),
            "\(failed.stderr)")
        let source = try #require(d.status("site")?["source"] as? [String: Any])
        #expect(source["lastAttemptedCommit"] as? String == broken)
        #expect(source["commit"] as? String == third)
        let error = try #require(d.status("site")?["error"] as? [String: Any])
        #expect(try JSONSchema.checkStatusFile(d.statusFile("site")) == [])
        #expect(error["stage"] as? String == "manifest")
        #expect(error["file"] as? String == "zerverless.yaml")
        #expect(error["line"] as? Int == 6)
        // What was deployed stays, and lastSync/commit describe the last successful sync.
        #expect(d.commit("site") == third)
        #expect(w.published("static/web/index.html") == "third\n")
    }

    @Test func configMapSwapReloads() throws {
        let w = try World("configmap")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let dev = try repo.commit(["static/index.html": "dev\n"], message: "dev", branch: "dev")
        let url = w.url("site", port: try w.serve())
        // The kubelet's layout: ..<timestamp>/ holds the files, ..data links to it, and
        // each key is a link through ..data.
        let fm = FileManager.default
        try fm.createDirectory(atPath: w.app("..2026_11_27_01"), withIntermediateDirectories: true)
        try Data(registration("site", namespace: "web", url: url).utf8).write(
            to: URL(fileURLWithPath: w.app("..2026_11_27_01/site.yaml")))
        try fm.createSymbolicLink(atPath: w.app("..data"), withDestinationPath: "..2026_11_27_01")
        try fm.createSymbolicLink(atPath: w.app("site.yaml"), withDestinationPath: "..data/site.yaml")
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head("main"))

        // The swap: new folder, a new link renamed over ..data. No event names site.yaml.
        try fm.createDirectory(atPath: w.app("..2026_11_27_02"), withIntermediateDirectories: true)
        try Data(registration("site", namespace: "web", url: url, branch: "dev").utf8).write(
            to: URL(fileURLWithPath: w.app("..2026_11_27_02/site.yaml")))
        try fm.createSymbolicLink(atPath: w.app("..data_tmp"), withDestinationPath: "..2026_11_27_02")
        #expect(rename(w.app("..data_tmp"), w.app("..data")) == 0)
        try fm.removeItem(atPath: w.app("..2026_11_27_01"))
        try d.waitFor("site", "synced", commit: dev)
        #expect(w.published("static/web/index.html") == "dev\n")
    }

    @Test func invalidBesideGoodAndDuplicateNames() throws {
        let w = try World("invalid")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        _ = try GitRepo(root: w.reposDir, name: "twin", files: siteFiles(namespace: "twins"))
        let port = try w.serve()
        try w.write("good.yaml", registration("site", namespace: "web", url: w.url("site", port: port)))
        try w.write(
            "bad.yaml", registration("bad", namespace: "web", url: w.url("site", port: port), poll: "5 minutes"))
        try w.write("twin-a.yaml", registration("twin", namespace: "twins", url: w.url("twin", port: port)))
        try w.write("twin-b.yml", registration("twin", namespace: "twins", url: w.url("twin", port: port)))
        // Ignored: hidden, swap and non-YAML names.
        try w.write(".hidden.yaml", "not: [valid")
        try w.write("notes.txt", "not: [valid")
        try w.write("site.yaml.swp", "not: [valid")
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        try d.waitFor("bad", "invalid")
        let error = try #require(d.status("bad")?["error"] as? [String: Any])
        #expect(error["stage"] as? String == "registration")
        #expect(error["file"] as? String == w.app("bad.yaml"))
        #expect(error["line"] as? Int == 11)
        #expect(error["column"] as? Int == 17)
        #expect((error["message"] as? String)?.contains("spec.pollInterval") == true)
        // Status files the daemon wrote, in every shape here, match etc/zerverless/status.schema.json.
        #expect(try JSONSchema.checkStatusFile(d.statusFile("bad")) == [])
        #expect(try JSONSchema.checkStatusFile(d.statusFile("site")) == [])

        try d.waitFor("twin", "invalid")
        #expect(try JSONSchema.checkStatusFile(d.statusFile("twin")) == [])
        let twin = try #require(d.status("twin")?["message"] as? String)
        #expect(twin.contains(w.app("twin-a.yaml")) && twin.contains(w.app("twin-b.yml")))
        #expect(w.published("static/twins/index.html") == nil)
        #expect(!d.log.contains("hidden.yaml"))

        // Fixing the file syncs it; removing one twin syncs the other.
        try writeByRename(
            registration("bad", namespace: "other", url: w.url("site", port: port)), to: w.app("bad.yaml"))
        try d.waitFor("bad", "invalid")  // the repository's manifest says namespace web
        try waitUntil(timeout: .seconds(30), "bad to fail on the namespace") {
            (d.status("bad")?["message"] as? String)?.contains("namespace") == true
        }
        try FileManager.default.removeItem(atPath: w.app("twin-b.yml"))
        try d.waitFor("twin", "synced")
        #expect(w.published("static/twins/index.html") == "main\n")
        #expect(d.phase("site") == "synced")
    }

    @Test func removalWaitsForTheGraceAndARecreatedFileUndeploysNothing() throws {
        let w = try World("removal")
        _ = try GitRepo(root: w.reposDir, name: "one", files: siteFiles(namespace: "one"))
        _ = try GitRepo(root: w.reposDir, name: "two", files: siteFiles(namespace: "two"))
        let port = try w.serve()
        let one = registration("one", namespace: "one", url: w.url("one", port: port))
        try w.write("one.yaml", one)
        try w.write("two.yaml", registration("two", namespace: "two", url: w.url("two", port: port)))
        let d = try w.daemon(["--removal-grace", "2s"])
        try d.waitFor("one", "synced")
        try d.waitFor("two", "synced")

        // one: removed and written back within the grace (an Ansible or ConfigMap rewrite).
        try FileManager.default.removeItem(atPath: w.app("one.yaml"))
        try d.waitFor("one", "deleting")
        try w.write("one.yaml", one)
        try d.waitFor("one", "synced")

        // two: removed for good. Undeployed after the grace; its state goes.
        try FileManager.default.removeItem(atPath: w.app("two.yaml"))
        try d.waitFor("two", "deleting")
        #expect(d.status("two")?["nextSync"] != nil)
        #expect(try JSONSchema.checkStatusFile(d.statusFile("two")) == [])
        try waitUntil(timeout: .seconds(30), "two to be undeployed") { d.status("two") == nil }
        #expect(w.published("static/two/index.html") == nil)
        #expect(w.published("functions/two/api/hello.json") == nil)
        // two's grace began after one's came back and has passed: one lost nothing.
        #expect(w.published("static/one/index.html") == "main\n")
        #expect(w.published("functions/one/api/hello.json") != nil)
        #expect(d.phase("one") == "synced")
        let undeployLines = d.log.split(separator: "\n").filter { $0.contains(" INFO undeploy ") }
        #expect(undeployLines.contains { $0.contains("app=two ") })
        #expect(!undeployLines.contains { $0.contains("app=one ") })
    }

    @Test func unreachableRepositoryBacksOffAndRecovers() throws {
        let w = try World("unreachable")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let port = freePort()  // nothing listens there yet
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: port), poll: "1h"))
        let d = try w.daemon(["--retry-min", "1s", "--git-timeout", "5s"])
        try d.waitFor("site", "error")
        let status = try #require(d.status("site"))
        let error = try #require(status["error"] as? [String: Any])
        #expect(error["stage"] as? String == "fetch")
        #expect(status["nextSync"] != nil)
        #expect(try JSONSchema.checkStatusFile(d.statusFile("site")) == [])
        // Retried with growing delays.
        try waitUntil(timeout: .seconds(30), "two failed attempts") { d.attempts("site").count >= 2 }
        // The server comes up: the next retry syncs.
        let server = try startGitDaemon(base: w.reposDir, dir: w.dir.path, port: port)
        defer { server.stop() }
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        #expect(d.status("site")?["error"] == nil)
    }

    @Test func targetDownThenRecovers() async throws {
        let w = try World("target")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        let target = try await ContractServer.start(token: "s3cret-target-token")
        let tokenFile = try w.dir.write("target.token", "s3cret-target-token\n")
        target.state.withLock { $0.fail503 = 1_000_000 }
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        let d = try w.daemon(["--target", target.base, "--target-token-file", tokenFile, "--retry-min", "1s"])
        try d.waitFor("site", "error", timeout: .seconds(60))
        #expect((d.status("site")?["error"] as? [String: Any])?["stage"] as? String == "deploy")
        target.state.withLock { $0.fail503 = 0 }
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let state = target.state.withLock { $0 }
        #expect(state.deployments["web/api/hello"]?.runtime == "lua")
        #expect(state.storage["web"]?["index.html"] == Array("main\n".utf8))
        // The token went to the target and nowhere else.
        #expect(!d.log.contains("s3cret"))
        let statusText = try String(contentsOfFile: d.statusFile("site"), encoding: .utf8)
        #expect(!statusText.contains("s3cret"))
    }

    @Test func killDuringALargeSyncThenRestartConverges() throws {
        let w = try World("crash")
        let (repo, files, first, staticDir) = try w.bigSite(files: 3000)
        // Killed while the static files are being uploaded.
        try w.waitForUpload(staticDir, moreThan: 50)
        let status = try first.stop(SIGKILL)
        #expect(status == 128 + SIGKILL)
        let uploadedBeforeCrash = FileManager.default.enumerator(atPath: staticDir)?.allObjects.count ?? 0
        #expect(first.phase("big") == "syncing", "the kill came after the sync ended (\(uploadedBeforeCrash) entries)")

        let second = try w.daemon(log: "second.log")
        try second.waitFor("big", "synced", commit: try repo.head(), timeout: .seconds(120))
        // Exactly the repository's files, with their content; no temporary file left.
        var published: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: staticDir)!
        while let rel = enumerator.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: staticDir + "/" + rel, isDirectory: &isDir)
            if !isDir.boolValue { published[rel] = try String(contentsOfFile: staticDir + "/" + rel, encoding: .utf8) }
        }
        let expected = Dictionary(
            uniqueKeysWithValues: files.filter { $0.key.hasPrefix("static/") }.map {
                (String($0.key.dropFirst(7)), $0.value)
            })
        #expect(published.count == expected.count)
        #expect(published == expected)
        let temporaries = (FileManager.default.enumerator(atPath: w.stateDir)?.allObjects as? [String] ?? []).filter {
            $0.contains(".tmp-")
        }
        #expect(temporaries.isEmpty, "\(temporaries.prefix(5))")

        // A resync afterwards calls the target zero times.
        let out = try w.cli(["sync", "big", "--wait", "--timeout", "60s"])
        #expect(out.status == 0, "\(out.stderr)")
        let last = try #require(second.attempts("big").first)
        #expect(last["targetCalls"] as? Int == 0)
        #expect(last["result"] as? String == "synced")
    }

    @Test func restartWithNothingChangedCallsNothing() throws {
        let w = try World("restart")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        let first = try w.daemon(log: "first.log")
        try first.waitFor("site", "synced", commit: try repo.head())
        #expect(try first.stop(SIGTERM) == 0)
        let before = try #require(first.status("site"))
        let attempts = first.attempts("site").count
        let mtime =
            try FileManager.default.attributesOfItem(atPath: w.stateDir + "/published/static/web/index.html")[
                .modificationDate] as? Date

        let second = try w.daemon(log: "second.log")
        // The restart looks (head lookup) and finds it unchanged; at most nextSync moves
        // (polls keep to their repository's grid: a look soon after the last one may
        // name the same next poll).
        try waitUntil(timeout: .seconds(30), "the restarted daemon to look at site") {
            second.log.split(separator: "\n").contains { $0.contains(" unchanged ") && $0.contains("app=site") }
        }
        let after = try #require(second.status("site"))
        #expect(after["status"] as? String == "synced")
        #expect(after["lastSync"] as? String == before["lastSync"] as? String)
        #expect(after["lastAttempt"] as? String == before["lastAttempt"] as? String)
        #expect(second.attempts("site").count == attempts)
        let mtimeAfter =
            try FileManager.default.attributesOfItem(atPath: w.stateDir + "/published/static/web/index.html")[
                .modificationDate] as? Date
        #expect(mtime == mtimeAfter)
        #expect(!second.log.contains("result=synced"))
        #expect(try second.stop(SIGINT) == 0)
    }

    @Test func hundredApplicationsRegisteredAtOnce() throws {
        let w = try World("hundred")
        var files: [String: String] = [:]
        for i in 0..<100 {
            files["apps/a\(i)/zerverless.yaml"] = siteManifest(namespace: "ns\(i)", greeting: "hi \(i)")
            files["apps/a\(i)/static/index.html"] = "app \(i)\n"
        }
        let repo = try GitRepo(root: w.reposDir, name: "mono", files: files)
        let url = w.url("mono", port: try w.serve())
        let d = try w.daemon()
        for i in 0..<100 {
            try w.write("a\(i).yaml", registration("a\(i)", namespace: "ns\(i)", url: url, path: "apps/a\(i)"))
        }
        let head = try repo.head()
        try waitUntil(timeout: .seconds(180), "100 applications synced") {
            (0..<100).allSatisfy { d.phase("a\($0)") == "synced" && d.commit("a\($0)") == head }
        }
        #expect((0..<100).allSatisfy { w.published("static/ns\($0)/index.html") == "app \($0)\n" })
    }

    @Test func aHungRepositoryDoesNotDelayTheOthers() throws {
        let w = try World("hung")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        let silent = try SilentListener()  // accepts, never answers
        try w.write("hung.yaml", registration("hung", namespace: "hung", url: "git://127.0.0.1:\(silent.port)/x.git"))
        let d = try w.daemon(["--concurrency", "2", "--git-timeout", "60s", "--shutdown-grace", "2s"])
        try d.waitFor("hung", "pending")
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        // Synced while the other one's head lookup hangs (it holds one of the two slots).
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(20))
        #expect(d.phase("hung") == "pending")
        // SIGTERM: the hung lookup is not waited for beyond the shutdown grace.
        #expect(try d.stop(SIGTERM, timeout: .seconds(40)) == 0)
        #expect(d.log.contains("syncs still running after the shutdown grace"))
    }

    @Test func manualApplicationsSyncOnlyOnRequest() throws {
        let w = try World("manual")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write(
            "site.yaml", registration("site", namespace: "web", url: url, poll: "1s", policy: "{automated: false}"))
        let d = try w.daemon()
        try waitUntil(timeout: .seconds(30), "the manual application's status") {
            (d.status("site")?["message"] as? String)?.contains("automated is false") == true
        }
        #expect(d.phase("site") == "pending")
        #expect(try JSONSchema.checkStatusFile(d.statusFile("site")) == [])
        #expect(w.published("static/web/index.html") == nil)
        let out = try w.cli(["sync", "site", "--wait", "--timeout", "60s"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(d.commit("site") == (try repo.head()))
        // Pushes are not picked up by a poll (there is none).
        let pushed = try repo.commit(["static/index.html": "pushed\n"], message: "push")
        try writeByRename(
            registration("site", namespace: "web", url: url, poll: "1s", policy: "{automated: false, prune: true}"),
            to: w.app("site.yaml"))
        try waitUntil(timeout: .seconds(30), "the registration change to be seen") {
            d.log.contains("registration loaded")
        }
        #expect(d.commit("site") != pushed)
        #expect(try w.cli(["sync", "site", "--wait"]).status == 0)
        #expect(d.commit("site") == pushed)
    }

    @Test func aMissingAppsDirUndeploysNothing() throws {
        let w = try World("missing")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let dev = try repo.commit(["static/index.html": "dev\n"], message: "dev", branch: "dev")
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        let first = try w.daemon(log: "first.log")
        try first.waitFor("site", "synced")
        #expect(try first.stop() == 0)

        // The folder is gone (an unmounted volume): the restart keeps everything.
        #expect(rename(w.appsDir, w.appsDir + ".away") == 0)
        let second = try w.daemon(["--removal-grace", "1s"], log: "second.log")
        try waitUntil(timeout: .seconds(30), "the daemon to report the missing apps dir") {
            second.log.contains("apps dir unreadable")
        }
        #expect(second.phase("site") == "synced")
        #expect(w.published("static/web/index.html") == "main\n")

        // It comes back (changed meanwhile): watched again, synced.
        try Data(registration("site", namespace: "web", url: url, branch: "dev").utf8)
            .write(to: URL(fileURLWithPath: w.appsDir + ".away/site.yaml"))
        #expect(rename(w.appsDir + ".away", w.appsDir) == 0)
        try second.waitFor("site", "synced", commit: dev)
        #expect(w.published("static/web/index.html") == "dev\n")
        #expect(!second.log.contains(" INFO undeploy "))
    }

    @Test func sigtermDuringASyncExitsZeroAndTheRestartConverges() throws {
        let w = try World("sigterm")
        let (repo, _, first, _) = try w.bigSite(files: 2000)
        try w.waitForUpload("\(w.stateDir)/published/static/big", moreThan: 20)
        #expect(try first.stop(SIGTERM, timeout: .seconds(40)) == 0)
        let second = try w.daemon(log: "second.log")
        try second.waitFor("big", "synced", commit: try repo.head(), timeout: .seconds(120))
        #expect(w.published("static/big/f/19/file1999.txt") == "content of file 1999\n")
    }
}
