import Foundation
import GitSource
import LocalServers
import Manifest
import State
import Sync
import Toolkit

/// Static sync of a 10,000-file tree to the local target against `rsync -a --delete` of the
/// same tree, in one run: the no-op, and a one-file change.
enum StaticBenchmark {
    static func run() async throws {
        let count = Int(ProcessInfo.processInfo.environment["ZG_BENCH_FILES"] ?? "") ?? 10_000
        let dir = try TempDir("zg-bench-static")
        let bare = dir.file("site.git")
        try git(["init", "-q", "--bare", "-b", "main", bare])
        var stream = ""
        let manifestText =
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  static: {dir: static}\n"
        stream += "commit refs/heads/main\ncommitter Bench <b@example.com> 1700000000 +0000\ndata 4\nsite\n"
        stream += "M 100644 inline zerverless.yaml\ndata \(manifestText.utf8.count)\n\(manifestText)\n"
        for i in 0..<count {
            let text = "<p>page \(i)</p>\n" + String(repeating: "lorem ipsum \(i % 13) ", count: 20) + "\n"
            stream += "M 100644 inline static/s\(i % 50)/page\(i).html\ndata \(text.utf8.count)\n\(text)\n"
        }
        let out = try LocalServers.run(
            "/usr/bin/git", ["--git-dir", bare, "fast-import", "--quiet"], input: Data(stream.utf8),
            environment: gitEnvironment)
        guard out.status == 0 else { throw CommandFailed(description: out.stderr) }

        guard case .success(let url) = RepositoryURL.parse(bare) else { return }
        let source = GitSource(cacheRoot: dir.file("state/cache"))
        let remote = Remote(url: url, allowLocal: true)
        var fetched = try source.fetch(remote, branch: "main")
        var snapshot = try source.open(path: fetched.cache)
        let target = CountingTarget(LocalTarget(root: dir.file("published")))
        let engine = SyncEngine(target: target)
        let inventory = dir.file("state/apps/site/inventory.json")
        func input(_ commit: String) -> SyncEngine.Input {
            SyncEngine.Input(app: "site", namespace: "web", policy: .init(), commit: commit, inventoryFile: inventory)
        }
        let first = await engine.sync(input(fetched.commit), snapshot: snapshot)
        guard first.report?.uploaded == count else { throw CommandFailed(description: "first sync: \(first.errors)") }

        // rsync's side: the same tree written out, copied once.
        let src = dir.file("rsync-src")
        let dst = dir.file("rsync-dst")
        try snapshot.export(commit: fetched.commit, path: "static", to: src)
        _ = try LocalServers.run("/usr/bin/rsync", ["-a", "--delete", src + "/", dst + "/"])

        print(
            "static sync of \(count) files to the local target; medians; peer: \(try LocalServers.run("/usr/bin/rsync", ["--version"]).stdout.split(separator: "\n").first ?? "rsync") -a --delete"
        )
        print(pad("case", 26) + pad("ours", 12) + pad("rsync", 12) + pad("ratio", 8) + "target calls  (target)")

        if ProcessInfo.processInfo.environment["ZG_BENCH_PROFILE"] != nil {
            for _ in 0..<3 {
                var t = Date()
                func lap(_ what: String) {
                    print("  \(what): \(formatSeconds(Date().timeIntervalSince(t)))")
                    t = Date()
                }
                let data = FileManager.default.contents(atPath: inventory)!
                lap("read bytes (\(data.count))")
                let inv = try Inventory.read(inventory)!
                lap("decode inventory (\(inv.files.count))")
                _ = inv.isConfirmed
                lap("isConfirmed")
                _ = try snapshot.treeID(commit: fetched.commit, path: ".")
                lap("treeID")
                try inv.write(to: dir.file("inv-copy"))
                lap("write inventory")
                _ = engine.plan(input(fetched.commit), snapshot: snapshot)
                lap("engine.plan")
            }
        }
        // No-op: the same commit again.
        target.reset()
        var calls = 0
        let oursNoop = await medianAsync(runs: 15) {
            target.reset()
            _ = await engine.sync(input(fetched.commit), snapshot: snapshot)
            calls = max(calls, target.counts.total)
        }
        let rsyncNoop = try median(minRuns: 15, budget: 0) {
            _ = try LocalServers.run("/usr/bin/rsync", ["-a", "--delete", src + "/", dst + "/"])
        }
        report("no-op", oursNoop, rsyncNoop, calls: calls, target: 0.2)

        // One file changed: a new commit for ours, an edited file for rsync (alternating).
        var ours: [Double] = []
        var peer: [Double] = []
        var maxCalls = 0
        var minCalls = Int.max
        for run in 0..<9 {
            let i = (run * 997) % count
            let path = "static/s\(i % 50)/page\(i).html"
            let text = "<p>page \(i), edit \(run)</p>\n"
            let work = dir.file("work")
            if run == 0 { try git(["clone", "-q", bare, work]) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/" + path))
            try git(["commit", "-q", "-am", "edit \(run)"], cwd: work)
            try git(["push", "-q", "origin", "HEAD:main"], cwd: work)
            fetched = try source.fetch(remote, branch: "main")
            snapshot = try source.open(path: fetched.cache)
            target.reset()
            let t0 = Date()
            let outcome = await engine.sync(input(fetched.commit), snapshot: snapshot)
            ours.append(Date().timeIntervalSince(t0))
            guard outcome.errors.isEmpty, outcome.report?.failed == false else {
                throw CommandFailed(description: "\(outcome.errors)")
            }
            maxCalls = max(maxCalls, target.counts.total)
            minCalls = min(minCalls, target.counts.total)
            try Data(text.utf8).write(to: URL(fileURLWithPath: src + "/" + String(path.dropFirst("static/".count))))
            let t1 = Date()
            _ = try LocalServers.run("/usr/bin/rsync", ["-a", "--delete", src + "/", dst + "/"])
            peer.append(Date().timeIntervalSince(t1))
        }
        func mid(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        report(
            "one file changed", mid(ours), mid(peer), calls: maxCalls, target: 0.5,
            exactCalls: minCalls == 1 && maxCalls == 1)
    }

    static func report(
        _ name: String, _ ours: Double, _ peer: Double, calls: Int, target: Double, exactCalls: Bool? = nil
    ) {
        let ratio = ours / peer
        var line =
            pad(name, 26) + pad(formatSeconds(ours), 12) + pad(formatSeconds(peer), 12)
            + pad(String(format: "%.2fx", ratio), 8)
        line += pad("\(calls)", 14) + String(format: "(<= %.1fx %@", target, ratio <= target ? "met" : "NOT met")
        if let exactCalls { line += exactCalls ? "; exactly one call: met" : "; exactly one call: NOT met" }
        print(line + ")")
    }

    static func medianAsync(runs: Int, _ body: () async -> Void) async -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let t = Date()
            await body()
            samples.append(Date().timeIntervalSince(t))
        }
        return samples.sorted()[samples.count / 2]
    }
}
