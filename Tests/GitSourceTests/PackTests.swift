import Foundation
import TestSupport
import Testing

@testable import GitSource

/// The fetch cache's packs: every downloading fetch adds one, and past `maxPacks` a fetch
/// consolidates them into one.
@Suite struct PackConsolidationTests {
    @Test func fortyPushesFetchedOneByOneLeaveAtMostLimitPlusOnePacks() throws {
        let f = try Fixture()
        let daemon = try startGitDaemon(base: f.repos, dir: f.dir.path)
        let remote = try f.remote("git://127.0.0.1:\(daemon.port)/repo.git")
        let cache = f.git.cachePath(for: remote.url)
        let early = try f.repo.head()
        #expect(try f.git.fetch(remote, branch: "main").consolidationError == nil)
        var counts: [Int] = []
        var before = diskUsage(cache)
        for i in 1...40 {
            let pushed = try f.repo.commit(
                [
                    "app/zerverless.yaml": "x: \(i)\n",
                    "app/static/page\(i % 7).html": String(repeating: "<p>\(i)</p>\n", count: 40),
                ],
                message: "push \(i)")
            let fetched = try f.git.fetch(remote, branch: "main")
            #expect(fetched.transferred && fetched.commit == pushed)
            #expect(fetched.consolidationError == nil)
            let packs = try packFiles(cache)
            // Consolidated: one pack, no bigger on disk than the many it replaced (the
            // `--max-repo-size` accounting never grows because of it).
            if let last = counts.last, packs.count < last { #expect(diskUsage(cache) < before) }
            counts.append(packs.count)
            before = diskUsage(cache)
        }
        // One pack per fetch until the limit: without consolidation there would be 41.
        #expect(counts.max() == GitSource.defaultMaxPacks)
        #expect(zip(counts, counts.dropFirst()).contains { $1 < $0 }, "\(counts)")
        #expect(try packFiles(cache).count <= GitSource.defaultMaxPacks + 1)

        // Every commit is readable from the cache, each with its own tree.
        let snapshot = try f.git.open(remote.url)
        let log = try git(["--git-dir", f.repo.bare, "log", "--format=%H %T", "main"]).split(separator: "\n")
        #expect(log.count == 41)
        for line in log {
            let parts = line.split(separator: " ").map(String.init)
            #expect(try snapshot.treeID(commit: parts[0], path: ".") == parts[1])
        }
        #expect(try snapshot.list(commit: early, path: "app").map(\.path) == ["static/index.html", "zerverless.yaml"])
        #expect(
            try run(
                "/usr/bin/git", ["--git-dir", cache, "fsck", "--no-dangling", "--strict"], environment: gitEnvironment
            ).status == 0)

        // A fetch after consolidation still works, and a commit already there is not fetched.
        let next = try f.repo.commit(["app/zerverless.yaml": "x: next\n"], message: "after")
        let fetched = try f.git.fetch(remote, branch: "main")
        #expect(fetched.transferred && fetched.commit == next)
        let after = try f.git.open(remote.url)
        let manifest = try #require(try after.list(commit: next, path: "app").first { $0.path == "zerverless.yaml" })
        #expect(try after.blob(manifest.id) == Array("x: next\n".utf8))
        #expect(!(try f.git.fetch(remote, branch: "main", want: early)).transferred)
    }

    /// Objects no ref reaches any more (a force-push) and loose objects are kept: they go
    /// into the one pack, so a commit read after another application's fetch moved the
    /// branch away stays readable.
    @Test func keepsWhatNoRefReachesAndPacksLooseObjects() throws {
        let f = try Fixture()
        var source = f.git
        source.maxPacks = 2
        let remote = try f.remote(f.repo.bare, allowLocal: true)
        let cache = source.cachePath(for: remote.url)
        let first = try source.fetch(remote, branch: "main").commit
        let old = try f.repo.commit(["app/zerverless.yaml": "x: old\n"], message: "old")
        _ = try source.fetch(remote, branch: "main")
        // A reader outside the lock, with the old packs open (a sync reading the cache).
        let reader = try source.open(remote.url)
        #expect(try reader.subject(of: first) == "first commit")
        // A loose object, as git itself would write one into the cache.
        let out = try run(
            "/usr/bin/git", ["--git-dir", cache, "hash-object", "-w", "--stdin"], input: Data("loose\n".utf8),
            environment: gitEnvironment)
        let loose = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: "\(cache)/objects/\(loose.prefix(2))/\(loose.dropFirst(2))"))
        #expect(try packFiles(cache).count == 2)

        // The branch's ref in the cache moves away from `old`, and the fetch consolidates.
        let rewritten = try f.repo.forcePushNewHistory(["app/zerverless.yaml": "x: new\n"], message: "rewritten")
        let fetched = try source.fetch(remote, branch: "main")
        #expect(fetched.commit == rewritten && fetched.consolidationError == nil)
        #expect(try packFiles(cache).count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(cache)/objects/\(loose.prefix(2))"))
        let snapshot = try source.open(remote.url)
        #expect(try snapshot.subject(of: old) == "old")
        #expect(try snapshot.subject(of: rewritten) == "rewritten")
        #expect(try snapshot.blob(loose) == Array("loose\n".utf8))
        #expect(try reader.subject(of: old) == "old")
        #expect(try reader.subject(of: rewritten) == "rewritten")
        #expect(try reader.list(commit: old, path: "app").count == 2)
    }

    /// The largest pack (the first clone's) stays while the others together are smaller:
    /// only they are rewritten, into one pack that holds none of the large one's objects.
    @Test func keepsTheLargestPackWhileTheOthersAreSmaller() throws {
        let big = (0..<20_000).map { String(($0 &* 2_654_435_761) % 1_000_003, radix: 16) }.joined(separator: "\n")
        let f = try Fixture(files: ["README.md": "hello\n", "app/zerverless.yaml": "x: 0\n", "data/big.txt": big])
        var source = f.git
        source.maxPacks = 4
        let remote = try f.remote(f.repo.bare, allowLocal: true)
        let cache = source.cachePath(for: remote.url)
        _ = try source.fetch(remote, branch: "main")
        let first = try packFiles(cache)
        for i in 1...4 {
            try f.repo.commit(
                ["app/zerverless.yaml": "x: \(i)\n", "app/page.html": "<p>\(i)</p>\n"], message: "small \(i)")
            let fetched = try source.fetch(remote, branch: "main")
            #expect(fetched.consolidationError == nil)
        }
        let packs = try packFiles(cache)
        #expect(packs.count == 2 && packs.contains(first[0]), "\(packs)")
        let merged = try #require(packs.first { $0 != first[0] })
        let size = { (name: String) in GitSource.fileSize(cache + "/objects/pack/" + name) }
        #expect(size(merged) * 10 < size(first[0]), "the large pack's objects were written again")
        let snapshot = try source.open(remote.url)
        for line in try git(["--git-dir", f.repo.bare, "log", "--format=%H %T", "main"]).split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            #expect(try snapshot.treeID(commit: parts[0], path: ".") == parts[1])
        }
        #expect(
            try run(
                "/usr/bin/git", ["--git-dir", cache, "fsck", "--no-dangling", "--strict"], environment: gitEnvironment
            ).status == 0)
    }

    /// What a crash leaves (every object in two packs, a temporary pack, an index without
    /// its pack) is a valid cache, and goes at the next consolidation; a rewrite that would
    /// take the cache over its size limit is thrown away.
    @Test func crashLeftoversGoAndTheSizeLimitHolds() throws {
        let f = try Fixture()
        var source = f.git
        source.maxPacks = 2
        let remote = try f.remote(f.repo.bare, allowLocal: true)
        let cache = source.cachePath(for: remote.url)
        _ = try source.fetch(remote, branch: "main")
        try f.repo.commit(["app/zerverless.yaml": "x: 2\n"], message: "second")
        _ = try source.fetch(remote, branch: "main")
        // Every object again in a third pack, as a crash between writing the new pack and
        // removing the old ones leaves them; and what an interrupted write leaves.
        let out = try run(
            "/usr/bin/git",
            ["--git-dir", cache, "pack-objects", "-q", "--revs", "--all", cache + "/objects/pack/pack"], input: Data(),
            environment: gitEnvironment)
        #expect(out.status == 0, "\(out.stderr)")
        try Data("partial".utf8).write(to: URL(fileURLWithPath: cache + "/objects/pack/pack_git2_a1b2c3"))
        try Data("orphan".utf8).write(
            to: URL(fileURLWithPath: cache + "/objects/pack/pack-\(String(repeating: "ab", count: 20)).idx"))
        let snapshot = try source.open(remote.url)
        let log = try git(["--git-dir", f.repo.bare, "log", "--format=%H %T", "main"]).split(separator: "\n").map {
            $0.split(separator: " ").map(String.init)
        }
        for commit in log { #expect(try snapshot.treeID(commit: commit[0], path: ".") == commit[1]) }

        let before = try FileManager.default.contentsOfDirectory(atPath: cache + "/objects/pack").sorted()
        #expect(try packFiles(cache).count == 3)
        let tooLarge = try #require(source.consolidatePacks(cache, sizeLimit: 1))
        #expect(tooLarge.code == .cacheTooLarge, "\(tooLarge)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/objects/pack").sorted() == before)

        #expect(source.consolidatePacks(cache, sizeLimit: GitSource.diskUsage(cache)) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: cache + "/objects/pack")
        #expect(
            left.count <= 4
                && left.allSatisfy { $0.hasPrefix("pack-") && ($0.hasSuffix(".pack") || $0.hasSuffix(".idx")) },
            "\(left)")
        #expect(try packFiles(cache).count <= 2)
        let after = try source.open(remote.url)
        for commit in log { #expect(try after.treeID(commit: commit[0], path: ".") == commit[1]) }
        #expect(
            try run(
                "/usr/bin/git", ["--git-dir", cache, "fsck", "--no-dangling", "--strict"], environment: gitEnvironment
            ).status == 0)
    }

    /// Nothing to do at or under the limit: the packs stay as the fetches wrote them.
    @Test func leavesPacksAloneUpToTheLimit() throws {
        let f = try Fixture()
        var source = f.git
        source.maxPacks = 3
        let remote = try f.remote(f.repo.bare, allowLocal: true)
        _ = try source.fetch(remote, branch: "main")
        for i in 1...2 {
            try f.repo.commit(["app/zerverless.yaml": "x: \(i)\n"], message: "c\(i)")
            _ = try source.fetch(remote, branch: "main")
        }
        let packs = try packFiles(source.cachePath(for: remote.url))
        #expect(packs.count == 3)
        #expect(source.consolidatePacks(source.cachePath(for: remote.url)) == nil)
        #expect(try packFiles(source.cachePath(for: remote.url)) == packs)
    }
}

/// The cache's `*.pack` files, sorted.
private func packFiles(_ cache: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: cache + "/objects/pack").filter { $0.hasSuffix(".pack") }
        .sorted()
}

private func diskUsage(_ cache: String) -> Int { GitSource.diskUsage(cache) }
