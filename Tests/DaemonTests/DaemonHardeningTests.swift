import Foundation
import Testing
import TestSupport

/// The daemon as a host's service: one per state dir, SIGHUP reloads, a repository cannot
/// fill the disk, what a crash left is cleaned up. The built binary, real processes.
@Suite(.serialized) struct DaemonHardeningTests {
    @Test func aSecondDaemonOnTheSameStateDirRefusesToStart() throws {
        let w = try World("second-daemon")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let first = try w.daemon()
        try first.waitFor("site", "synced", commit: try repo.head())
        let second = try w.daemon(log: "second.log")
        try waitUntil(timeout: .seconds(20), "the second daemon to exit") { second.exited() != nil }
        #expect(second.exited() == 1)
        #expect(second.log.contains("another zerverless-gitops holds the state dir \(w.stateDir)"), "\(second.log)")
        #expect(second.log.contains("pid \(first.pid) on "))
        #expect(first.exited() == nil)
        // The first one goes on.
        let pushed = try repo.commit(["static/index.html": "second\n"], message: "push")
        #expect(try w.cli(["sync", "site", "--wait", "--timeout", "60s"]).status == 0)
        #expect(first.commit("site") == pushed)
    }

    @Test func sighupReloadsInsteadOfKilling() throws {
        let w = try World("sighup")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        for _ in 0..<2 { d.signal(SIGHUP) }
        try waitUntil(timeout: .seconds(10), "the reload to be logged") { d.log.contains("SIGHUP: reloading") || d.exited() != nil }
        #expect(d.exited() == nil, "SIGHUP ended the daemon")
        let pushed = try repo.commit(["static/index.html": "after the reload\n"], message: "push")
        #expect(try w.cli(["sync", "site", "--wait", "--timeout", "60s"]).status == 0)
        #expect(d.commit("site") == pushed)
        #expect(try d.stop(SIGTERM) == 0)
    }

    @Test func aRepositoryOverTheSizeLimitIsRefusedAndNotKept() throws {
        let w = try World("repo-size")
        var random = SystemRandomNumberGenerator()
        var noise = [UInt64](repeating: 0, count: 250_000)
        for i in noise.indices { noise[i] = random.next() }
        var files = siteFiles(namespace: "web")
        // 2 MB of random bytes as base64: about 2 MB packed, over the limit.
        files["static/noise.txt"] = noise.withUnsafeBytes { Data($0) }.base64EncodedString()
        _ = try GitRepo(root: w.reposDir, name: "big", files: files)
        try w.write("big.yaml", registration("big", namespace: "web", url: w.url("big", port: try w.serve())))
        let d = try w.daemon(["--max-repo-size", "1MiB"])
        try d.waitFor("big", "error", timeout: .seconds(60))
        let message = try #require(d.status("big")?["message"] as? String)
        #expect(message.contains("larger than the limit of 1 MiB"), "\(message)")
        let caches = (try? FileManager.default.contentsOfDirectory(atPath: "\(w.stateDir)/cache")) ?? []
        var kept = 0
        for name in caches where name.hasSuffix(".git") {
            kept += (FileManager.default.enumerator(atPath: "\(w.stateDir)/cache/\(name)")?.allObjects as? [String] ?? []).reduce(0) { total, rel in
                total + ((try? FileManager.default.attributesOfItem(atPath: "\(w.stateDir)/cache/\(name)/\(rel)")[.size] as? Int) ?? 0)
            }
        }
        #expect(kept < 1 << 20, "\(kept) bytes kept in the fetch cache")
        #expect(w.published("static/web/noise.txt") == nil)
    }

    @Test func temporaryFilesACrashLeftInTheAppsDirAreRemovedAtStartup() throws {
        let w = try World("stale-temp")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        // What a kill -9 during a REST POST leaves: the temporary file before its rename.
        try w.write(".other.yaml.tmp-1a2b3c4d", "name: other\n")
        try w.write(".keep-me.yaml", "an editor's file\n")
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        #expect(!FileManager.default.fileExists(atPath: w.app(".other.yaml.tmp-1a2b3c4d")))
        #expect(FileManager.default.fileExists(atPath: w.app(".keep-me.yaml")))
    }
}
