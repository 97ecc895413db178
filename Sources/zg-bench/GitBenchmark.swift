import Foundation
import GitSource
import LocalServers
import Manifest

/// Head lookup and first fetch+checkout over git://, ours (libgit2, in process: a fetch and
/// an export of the tree) against the git CLI (`git ls-remote`, `git clone --single-branch
/// --no-tags`), on a small repository and a generated large one.
enum GitBenchmark {
    static func run() throws {
        let dir = try TempDir("zg-bench-git")
        let repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let root = FileManager.default.currentDirectoryPath

        // Small: the example application, one commit.
        let smallWork = dir.file("small-src")
        try FileManager.default.copyItem(atPath: root + "/examples/hello-app", toPath: smallWork)
        try git(["init", "-q", "-b", "main", smallWork])
        try git(["add", "-A"], cwd: smallWork)
        try git(["commit", "-q", "-m", "hello-app"], cwd: smallWork)
        try git(["clone", "-q", "--bare", smallWork, repos + "/small.git"])

        // Large: about 5,000 commits and 20,000 files, built with fast-import.
        let commits = Int(ProcessInfo.processInfo.environment["ZG_BENCH_COMMITS"] ?? "") ?? 5000
        let files = Int(ProcessInfo.processInfo.environment["ZG_BENCH_FILES"] ?? "") ?? 20000
        let started = Date()
        try generateLarge(at: repos + "/large.git", commits: commits, files: files)
        let count = try git(["--git-dir", repos + "/large.git", "rev-list", "--count", "main"])
        let tracked = try git(["--git-dir", repos + "/large.git", "ls-tree", "-r", "--name-only", "main"]).split(
            separator: "\n"
        ).count
        let packBytes =
            try git(["--git-dir", repos + "/large.git", "count-objects", "-v"]).split(separator: "\n")
            .first { $0.hasPrefix("size-pack:") }.map { String($0.dropFirst("size-pack: ".count)) } ?? "?"
        print(
            String(
                format: "generated large repository: %@ commits, %d files, pack %@ KiB (%.1f s)", count, tracked,
                packBytes, Date().timeIntervalSince(started)))

        let daemon = try startGitDaemon(base: repos, dir: dir.path)
        print(
            "git daemon on 127.0.0.1:\(daemon.port); medians; ours = libgit2 in process, peer = git CLI \(try git(["--version"]))"
        )
        print(pad("operation", 34) + pad("ours", 12) + pad("git CLI", 12) + "ratio  (target)")
        for (name, runs) in [("small", 15), ("large", 5)] {
            let url = "git://127.0.0.1:\(daemon.port)/\(name).git"
            guard case .success(let parsed) = RepositoryURL.parse(url) else { continue }
            let remote = Remote(url: parsed, timeout: .seconds(300))
            let source = GitSource(cacheRoot: dir.file("cache-\(name)"))

            let oursHead = try median(minRuns: runs * 2, budget: 2) { _ = try source.head(remote, branch: "main") }
            let cliHead = try median(minRuns: runs * 2, budget: 2) {
                _ = try git(["ls-remote", url, "refs/heads/main"])
            }
            report("head lookup, \(name)", oursHead, cliHead, target: 1.0)

            // Alternate ours and the CLI run by run, so that both meet the same disk
            // (file creation speed drifts on a VM's disk as writeback and discards pile up).
            var ours: [Double] = []
            var cli: [Double] = []
            var fetchTimes: [Double] = []
            var checkoutTimes: [Double] = []
            for n in 0..<runs {
                let base = dir.file("run-\(name)-\(n)")
                let fresh = GitSource(cacheRoot: base + "/cache")
                let t0 = Date()
                let fetched = try fresh.fetch(remote, branch: "main")
                let t1 = Date()
                try fresh.open(path: fetched.cache).export(commit: fetched.commit, path: ".", to: base + "/app")
                let t2 = Date()
                _ = try git(["clone", "-q", "--single-branch", "--no-tags", "-b", "main", url, base + "/clone"])
                let t3 = Date()
                ours.append(t2.timeIntervalSince(t0))
                fetchTimes.append(t1.timeIntervalSince(t0))
                checkoutTimes.append(t2.timeIntervalSince(t1))
                cli.append(t3.timeIntervalSince(t2))
                try? FileManager.default.removeItem(atPath: base)
            }
            func mid(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
            report("fetch+checkout, \(name)", mid(ours), mid(cli), target: 1.2)
            print(
                "  ours split: fetch \(formatSeconds(mid(fetchTimes))), checkout \(formatSeconds(mid(checkoutTimes)))")
        }
    }

    static func report(_ name: String, _ ours: Double, _ peer: Double, target: Double) {
        let ratio = ours / peer
        print(
            pad(name, 34) + pad(formatSeconds(ours), 12) + pad(formatSeconds(peer), 12)
                + String(format: "%.2fx  (<= %.1fx %@)", ratio, target, ratio <= target ? "met" : "NOT met"))
    }

    /// A bare repository of `commits` commits whose final tree has `files` files: the first
    /// commit adds most files, later ones each change one file and add a few.
    static func generateLarge(at path: String, commits: Int, files: Int) throws {
        try git(["init", "-q", "--bare", "-b", "main", path])
        let initial = max(1, files - (commits - 1) * (files / 4) / max(1, commits - 1))
        var stream = ""
        var mark = 0
        var total = 0
        func blob(_ text: String) -> Int {
            mark += 1
            stream += "blob\nmark :\(mark)\ndata \(text.utf8.count)\n\(text)\n"
            return mark
        }
        func content(_ i: Int, _ version: Int) -> String {
            "// file \(i), version \(version)\n"
                + String(repeating: "let value\(i % 97) = \(i * 31 + version)\n", count: 6)
        }
        func filePath(_ i: Int) -> String { "src/d\(i % 200)/e\(i % 7)/file\(i).txt" }
        var time = 1_700_000_000
        for c in 0..<commits {
            var changes: [(String, Int)] = []
            if c == 0 {
                for i in 0..<initial { changes.append((filePath(i), blob(content(i, 0)))) }
                total = initial
            } else {
                let edited = (c * 7919) % total
                changes.append((filePath(edited), blob(content(edited, c))))
                let adds = total < files ? min(files - total, (files - initial + commits - 2) / max(1, commits - 1)) : 0
                for _ in 0..<adds {
                    changes.append((filePath(total), blob(content(total, c))))
                    total += 1
                }
            }
            time += 60
            let message = "commit \(c)"
            stream +=
                "commit refs/heads/main\ncommitter Bench <bench@example.com> \(time) +0000\ndata \(message.utf8.count)\n\(message)\n"
            for (p, m) in changes { stream += "M 100644 :\(m) \(p)\n" }
            stream += "\n"
        }
        let out = try LocalServers.run(
            "/usr/bin/git", ["--git-dir", path, "fast-import", "--quiet"], input: Data(stream.utf8),
            environment: gitEnvironment)
        guard out.status == 0 else { throw CommandFailed(description: "fast-import: \(out.stderr)") }
        try git(["--git-dir", path, "repack", "-a", "-d", "-q"])
    }
}
