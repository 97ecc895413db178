import Foundation
import TestSupport
import Testing

/// Scale-out with real processes: N daemons as N shards on one apps dir and one state dir,
/// deploying to the orchestrator's contract server (which counts every call).
@Suite(.serialized) struct ShardsTests {
    static func owner(_ namespace: String, shards: Int) throws -> Int {
        let out = try run(Build.binary, ["shard", namespace, "--shards", "\(shards)"])
        guard out.status == 0, let index = Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CommandFailed(description: "shard: \(out.stderr)")
        }
        return index
    }

    @Test func everyAppByItsOwnerOnceThroughAResizeAKillAndARequestToAnotherShard() async throws {
        let w = try World("shards")
        let target = try await ContractServer.start()
        let port = try w.serve()
        let namespaces = (0..<12).map { "team\($0)" }
        for ns in namespaces {
            _ = try GitRepo(root: w.reposDir, name: ns, files: siteFiles(namespace: ns))
            try w.write("\(ns).yaml", registration("site-\(ns)", namespace: ns, url: w.url(ns, port: port)))
        }
        func shard(_ i: Int, of n: Int, _ extra: [String] = []) throws -> DaemonProcess {
            try w.daemon(
                ["--target", target.base, "--shards", "\(n)", "--shard-index", "\(i)", "--drift-interval", "0"] + extra,
                log: "shard-\(n)-\(i).log")
        }
        func waitOwned(by shards: Int) throws {
            for ns in namespaces {
                let expected = try Self.owner(ns, shards: shards)
                try waitUntil(timeout: .seconds(60), "site-\(ns) synced by shard \(expected) of \(shards)") {
                    let s = w.daemonStatus("site-\(ns)")
                    return s?["status"] as? String == "synced" && s?["shard"] as? Int == expected
                }
            }
        }

        // Three shards: every app synced by its predicted owner, each function deployed once.
        var daemons = try (0..<3).map { try shard($0, of: 3) }
        try waitOwned(by: 3)
        let posts = target.state.withLock { $0.log }.filter { $0.hasPrefix("POST /api/deploy/") }
        #expect(posts.count == 12 && Set(posts).count == 12, "\(posts)")
        for ns in namespaces {
            let owner = try Self.owner(ns, shards: 3)
            let lease = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: w.stateDir + "/apps/site-\(ns)/lease")))
                    as? [String: Any])
            #expect(lease["shard"] as? Int == owner)
        }
        target.state.withLock { $0.log = [] }

        // Resize 3 -> 4: the new owners continue from the inventories: no DELETE, no POST, no PUT.
        for d in daemons { #expect(try d.stop() == 0) }
        let apiPort = freePort()
        daemons = try (0..<4).map { try shard($0, of: 4, $0 == 0 ? ["--listen", "127.0.0.1:\(apiPort)"] : []) }
        try waitOwned(by: 4)
        var writes = target.state.withLock { $0.log }.filter { !$0.hasPrefix("GET") }
        #expect(writes.isEmpty, "\(writes)")

        // kill -9 of a shard and its restart: it takes its own leases back; nothing undeployed.
        let victim = try Self.owner(namespaces[0], shards: 4)
        _ = try daemons[victim].stop(SIGKILL)
        // Its log goes on in the same file: only what the restarted shard writes counts.
        let logged = daemons[victim].log.utf8.count
        let restarted = try shard(victim, of: 4)
        daemons[victim] = restarted
        // Its look ends unchanged (or synced); nextSync may stay where it was (polls keep
        // to their repository's grid), so the log says it.
        try waitUntil(timeout: .seconds(30), "the restarted shard's look") {
            let since = String(decoding: restarted.log.utf8.dropFirst(logged), as: UTF8.self)
            return since.split(separator: "\n").contains {
                $0.contains("app=site-\(namespaces[0])") && ($0.contains(" unchanged ") || $0.contains(" sync "))
            }
        }
        try waitOwned(by: 4)

        // A sync request through shard 0's REST facade for an app another shard owns: handled by the owner.
        let far = try #require(try namespaces.first { try Self.owner($0, shards: 4) != 0 })
        let farOwner = try Self.owner(far, shards: 4)
        let before = w.daemonAttempts("site-\(far)").count
        let answer = try run(
            "/usr/bin/curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                "http://127.0.0.1:\(apiPort)/api/gitops/applications/site-\(far)/sync",
            ])
        #expect(answer.stdout == "202")
        try waitUntil(timeout: .seconds(30), "the owner's look on request") {
            w.daemonAttempts("site-\(far)").count > before
        }
        #expect(w.daemonAttempts("site-\(far)").first?["trigger"] as? String == "request")
        #expect(w.daemonStatus("site-\(far)")?["shard"] as? Int == farOwner)
        writes = target.state.withLock { $0.log }.filter { !$0.hasPrefix("GET") }
        #expect(writes.isEmpty, "nothing deployed or undeployed by the kill, the restart or the request: \(writes)")

        // Two processes claiming one index: the second refuses to start.
        let twin = try shard(2, of: 4)
        try waitUntil(timeout: .seconds(20), "the twin to exit") { twin.exited() != nil }
        #expect(twin.exited() == 1)
        #expect(twin.log.contains("(shard 2)"), "\(twin.log)")
        for d in daemons { _ = try? d.stop() }
    }

    @Test func shardOptionsAreCheckedAtStartup() throws {
        let w = try World("shard-options")
        for (args, message) in [
            (["--shards", "0"], "'--shards <shards>': \"0\" is not a number of shards"),
            (["--shards", "2", "--shard-index", "2"], "--shard-index: 2 is not below --shards 2"),
            (["--shards", "2", "--shard-index", "x"], "is not an index (0 to N-1) or auto"),
        ] {
            let out = try run(
                Build.binary, ["run", "--apps-dir", w.appsDir, "--state-dir", w.stateDir, "--listen", "none"] + args)
            #expect(out.status == 2, "\(args)")
            #expect(out.stderr.contains(message), "\(out.stderr)")
        }
        // The documented hash: known answers (other tools compute the same).
        #expect(try Self.owner("team0", shards: 1) == 0)
        let counts = try (0..<40).reduce(into: [Int](repeating: 0, count: 4)) { c, i in
            c[try Self.owner("ns\(i)", shards: 4)] += 1
        }
        #expect(counts.allSatisfy { $0 > 0 }, "\(counts)")
        let bad = try run(Build.binary, ["shard", "Bad_NS", "--shards", "3"])
        #expect(bad.status == 2)
    }
}

extension World {
    func daemonStatus(_ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(stateDir)/apps/\(name)/status.json") else {
            return nil
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    func daemonAttempts(_ name: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: "\(stateDir)/apps/\(name)/history.json"),
            let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [] }
        return doc["attempts"] as? [[String: Any]] ?? []
    }
}
