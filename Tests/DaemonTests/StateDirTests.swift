import Foundation
import TestSupport
import Testing

/// The state dir is never lost silently, and nothing a command leaves there makes the
/// daemon act forever (issue 23).
@Suite(.serialized) struct StateDirTests {
    /// `sync`, `rollback` and `unpin` with no state dir refuse (as `status` does) and
    /// create nothing: a root-owned `requests/` made before the service ever ran was a
    /// request the service could never remove.
    @Test func commandsThatAskTheDaemonRefuseAMissingStateDir() throws {
        let dir = try TempDir("zg-no-state")
        let missing = dir.file("state")
        let apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        try registration("site", namespace: "web", url: "https://example.invalid/r.git").write(
            toFile: apps + "/site.yaml", atomically: true, encoding: .utf8)
        for args in [
            ["sync", "site"], ["rollback", "site", "--to", String(repeating: "ab", count: 20), "--apps-dir", apps],
            ["unpin", "site"],
        ] {
            let out = try run(Build.binary, args + ["--state-dir", missing])
            #expect(out.status == 1, "\(args): \(out.stderr)")
            #expect(out.stderr.contains("no state dir at \(missing)"), "\(args): \(out.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing), "\(args) created \(missing)")
        }
    }

    /// A handled request file the daemon cannot remove (here: immutable, as one written by
    /// root into a folder the service may not change) is logged once and not acted on at
    /// every rescan (it force-synced the app every 30 s, forever, without a word).
    @Test func aRequestThatCannotBeRemovedIsSaidOnceAndNotActedOnAgain() throws {
        let w = try World("stuck-request")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url))
        // A second application polled every second: the test's clock.
        _ = try GitRepo(root: w.reposDir, name: "tick", files: siteFiles(namespace: "tick"))
        try w.write(
            "tick.yaml", registration("tick", namespace: "tick", url: w.url("tick", port: w.server!.port), poll: "1s"))
        let first = try w.daemon()
        try first.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        _ = try first.stop()
        let request = "\(w.stateDir)/requests/site.sync"
        #expect(try w.cli(["sync", "site"]).status == 0)
        let immutable = try run("/usr/bin/chattr", ["+i", request])
        #expect(immutable.status == 0, "chattr: \(immutable.stderr)")
        defer { _ = try? run("/usr/bin/chattr", ["-i", request]) }
        let before = first.attempts("site").count
        let d = try w.daemon(["--rescan-interval", "1s"], log: "second.log")
        try waitUntil(timeout: .seconds(30), "the stuck request to be said") {
            d.log.contains("cannot remove a handled sync request")
        }
        let handled = d.attempts("site").count
        #expect(handled == before + 1, "\(d.attempts("site"))")
        // Five more polls of the other application (and rescans every second meanwhile).
        for _ in 0..<5 {
            let next = d.status("tick")?["nextSync"] as? String
            try waitUntil(timeout: .seconds(10), "a poll of tick") {
                (d.status("tick")?["nextSync"] as? String) != next
            }
        }
        #expect(d.attempts("site").count == handled, "\(d.attempts("site"))")
        #expect(d.log.components(separatedBy: "cannot remove a handled sync request").count == 2, "said once")
        #expect(d.log.contains("site.sync"))
    }

    /// The state dir removed or replaced under a running daemon: said at once, no more
    /// syncs, exit 1 (the lock went with the folder: a second daemon on the new folder
    /// would have deployed beside it); a restart starts over from the folder there now.
    @Test(arguments: ["removed", "replaced"])
    func aStateDirLostUnderTheDaemonIsSaidAndTheDaemonStops(_ how: String) throws {
        let w = try World("lost-state-\(how)")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write(
            "site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve()), poll: "1s"))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        if how == "removed" {
            try FileManager.default.removeItem(atPath: w.stateDir)
        } else {
            try FileManager.default.moveItem(atPath: w.stateDir, toPath: w.stateDir + ".old")
            try FileManager.default.createDirectory(atPath: w.stateDir, withIntermediateDirectories: false)
        }
        try waitUntil(timeout: .seconds(30), "the daemon to exit") { d.exited() != nil }
        #expect(d.exited() == 1)
        // Removed: a status write racing the check may have made the folder again, which
        // is then "replaced" (the lock is gone either way).
        #expect(
            d.log.contains("the state dir \(w.stateDir) was \(how)")
                || (how == "removed" && d.log.contains("the state dir \(w.stateDir) was replaced")),
            "\(d.log.suffix(2000))")
        #expect(d.log.contains("no new syncs, the daemon exits 1"))
        // Restarted: it takes the lock in the folder there now and syncs into it.
        try? FileManager.default.createDirectory(atPath: w.stateDir, withIntermediateDirectories: false)
        let again = try w.daemon(log: "again.log")
        try again.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
    }

    /// A full state disk: `/readyz` says so (it stayed 200 while statuses stuck at
    /// `syncing`), and once the disk has room the status says what could not be written.
    /// The state dir is a 3 MiB tmpfs in a mount namespace of the daemon's own.
    @Test func aFullStateDiskIsReportedAndTheStatusSaysSoOnceItCan() async throws {
        let w = try World("full-disk")
        try FileManager.default.createDirectory(atPath: w.stateDir, withIntermediateDirectories: true)
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write(
            "site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve()), poll: "1s"))
        let script = "mount -t tmpfs -o size=3m tmpfs \"$ZG_TMPFS\" || exit 97; exec \"$@\""
        let d = try w.daemon(
            ["--listen", "127.0.0.1:0", "--retry-min", "1s"], environment: ["ZG_TMPFS": w.stateDir],
            launcher: ["/usr/bin/unshare", "-m", "/bin/sh", "-c", script, "sh"])
        // The daemon's view of its state dir (its own mount namespace).
        let inside = "/proc/\(d.pid)/root\(w.stateDir)"
        func status() -> [String: Any]? {
            (try? Data(contentsOf: URL(fileURLWithPath: inside + "/apps/site/status.json")))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
        func noted() -> Bool {
            (status()?["message"] as? String ?? "").contains("earlier status updates could not be written since")
        }
        let first = try repo.head()
        try waitUntil(timeout: .seconds(60), "the first sync") { status()?["status"] as? String == "synced" }
        let base = "http://127.0.0.1:\(try listeningPort(d))"
        #expect(try await call(.GET, base + "/readyz").0 == 200)

        // Fill the disk, then push: nothing can be written.
        let fill = try run("/bin/dd", ["if=/dev/zero", "of=\(inside)/fill", "bs=64k"])
        #expect(fill.stderr.contains("No space left"), "\(fill.stderr)")
        let second = try repo.commit(siteFiles(namespace: "web", index: "second\n"), message: "second")
        var ready: (Int, [String: Any]) = (0, [:])
        // Polled (a condition with a deadline of 30 s).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            ready = try await call(.GET, base + "/readyz")
            if ready.0 == 503 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ready.0 == 503)
        let problems = (ready.1["problems"] as? [String]) ?? []
        #expect(problems.contains { $0.contains("cannot be written") && $0.contains("No space left") }, "\(problems)")
        #expect(status()?["source"].flatMap { ($0 as? [String: Any])?["commit"] as? String } == first)

        // Room again: synced, and the status says what it could not write meanwhile.
        try FileManager.default.removeItem(atPath: inside + "/fill")
        try waitUntil(timeout: .seconds(60), "the sync after the disk has room") {
            (status()?["source"] as? [String: Any])?["commit"] as? String == second
                && status()?["status"] as? String == "synced"
        }
        let message = status()?["message"] as? String ?? ""
        #expect(
            message.contains("earlier status updates could not be written since") && message.contains("No space left"),
            "\(message)")
        #expect(try await call(.GET, base + "/readyz").0 == 200)
        // The polls after it keep the note.
        let next = status()?["nextSync"] as? String
        try waitUntil(timeout: .seconds(30), "a poll after the sync") { status()?["nextSync"] as? String != next }
        #expect(noted(), "\(status()?["message"] ?? "")")

        // Full again, and the look that fails then ends in another failure once the disk
        // has room (an invalid manifest): the note stays until the app is synced again
        // (it ended at the first status written, and the synced one said nothing of it).
        let refill = try run("/bin/dd", ["if=/dev/zero", "of=\(inside)/fill", "bs=64k"])
        #expect(refill.stderr.contains("No space left"), "\(refill.stderr)")
        try repo.commit(["zerverless.yaml": "functions: {\n"], message: "broken")
        try await waitUntil(timeout: .seconds(30), "/readyz says the disk is full again") {
            try await call(.GET, base + "/readyz").0 == 503
        }
        try FileManager.default.removeItem(atPath: inside + "/fill")
        try waitUntil(timeout: .seconds(30), "the invalid status written once the disk has room") {
            status()?["status"] as? String == "invalid" && noted()
        }
        let fixed = try repo.commit(siteFiles(namespace: "web", index: "fixed\n"), message: "fixed")
        try waitUntil(timeout: .seconds(60), "the sync of the fixed commit") {
            (status()?["source"] as? [String: Any])?["commit"] as? String == fixed
                && status()?["status"] as? String == "synced"
        }
        #expect(noted(), "\(status()?["message"] ?? "")")
        let after = status()?["nextSync"] as? String
        try waitUntil(timeout: .seconds(30), "a poll after the sync") { status()?["nextSync"] as? String != after }
        #expect(noted(), "\(status()?["message"] ?? "")")
    }
}
