import Foundation
import LocalServers
import Manifest
import State
import Sync
import Toolkit

/// One drift pass of the local target over 1,000 applications (2 functions and 10 static
/// files each, 12,000 files) against `rsync -a --checksum --dry-run` of the same published
/// tree to an identical copy (it reads and checksums every file, as a content comparison
/// must). CPU time (user + system): ours from this process, rsync's from its children.
enum DriftBenchmark {
    static func cpu(_ who: Int32) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
            usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func run() async throws {
        let dir = try TempDir("zg-bench-drift")
        let root = dir.file("published")
        let target = LocalTarget(root: root)
        let apps = 1000
        var inventories: [(String, Inventory)] = []
        for a in 0..<apps {
            let ns = "ns\(a)"
            var inventory = Inventory(namespace: ns)
            for f in 0..<2 {
                let code =
                    "function handle(req) return {status=200, body=\"app \(a) function \(f)\"} end\n"
                    + String(repeating: "-- padding\n", count: 40)
                try await target.deploy(
                    DeployRequest(
                        namespace: ns, path: "/api/f\(f)", runtime: .lua, code: code, port: nil, app: "app\(a)",
                        commit: "c"))
                inventory.functions["/api/f\(f)"] = .init(
                    runtime: "lua", codeID: GitHash.blobID(Array(code.utf8)), image: nil, port: nil,
                    fingerprint: "f", commit: "c")
            }
            for f in 0..<10 {
                let bytes = Array((String(repeating: "static content of app \(a) file \(f)\n", count: 60)).utf8)
                try await target.upload(namespace: ns, path: "assets/file\(f).txt", bytes: bytes)
                inventory.files["assets/file\(f).txt"] = .init(id: GitHash.blobID(bytes), size: bytes.count)
            }
            inventories.append(("app\(a)", inventory))
        }
        let copy = dir.file("copy")
        _ = capture("/bin/cp", ["-a", root, copy])
        let bytes = Int(capture("/usr/bin/du", ["-sb", root])?.split(separator: "\t").first ?? "0") ?? 0
        print("drift pass: \(apps) apps, \(apps * 12) files, \(bytes / 1024) KiB published")

        // rsync: median of 3.
        var rsyncCPU: [Double] = []
        var rsyncWall: [Double] = []
        for _ in 0..<3 {
            let before = cpu(RUSAGE_CHILDREN.rawValue)
            let t = ContinuousClock.now
            guard
                let out = capture(
                    "/usr/bin/rsync", ["-a", "--checksum", "--dry-run", "--itemize-changes", root + "/", copy + "/"])
            else {
                throw BenchFailure("rsync failed")
            }
            if !out.isEmpty { throw BenchFailure("rsync saw differences: \(out.prefix(200))") }
            rsyncWall.append((ContinuousClock.now - t).seconds)
            rsyncCPU.append(cpu(RUSAGE_CHILDREN.rawValue) - before)
        }

        // Ours: a cold pass (a new probe: every file read and hashed) and a warm one (the
        // daemon's every pass after its first: unchanged files are not read again).
        var pass = 0
        func drift(_ probe: LocalDriftProbe) async throws -> (cpu: Double, wall: Double) {
            pass += 1
            let before = cpu(RUSAGE_SELF.rawValue)
            let t = ContinuousClock.now
            var items = 0
            for (name, inventory) in inventories {
                items += try await probe.observe(app: name, inventory: inventory, peers: { Ownership() }, pass: pass)
                    .items.count
            }
            if items != 0 { throw BenchFailure("drift found in an untouched tree: \(items)") }
            return (cpu(RUSAGE_SELF.rawValue) - before, (ContinuousClock.now - t).seconds)
        }
        var cold: [(cpu: Double, wall: Double)] = []
        var warm: [(cpu: Double, wall: Double)] = []
        var restarted: [(cpu: Double, wall: Double)] = []
        let stamps = dir.file("stamps")
        for n in 0..<3 {
            // The daemon's stamps in its state dir (one file per application).
            let stampsFile: @Sendable (String) -> String = { "\(stamps)/\(n)-\($0)" }
            let censusFile: @Sendable (String) -> String = { "\(stamps)/\(n)-census-\($0)" }
            try FileManager.default.createDirectory(atPath: stamps, withIntermediateDirectories: true)
            let probe = LocalDriftProbe(target: target, stampsFile: stampsFile, censusFile: censusFile)
            cold.append(try await drift(probe))
            warm.append(try await drift(probe))
            // A restart: a new probe, the stamps from the state dir.
            restarted.append(
                try await drift(LocalDriftProbe(target: target, stampsFile: stampsFile, censusFile: censusFile)))
        }
        // A pass that finds one modified file (the check is real).
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: root + "/static/ns7/assets/file3.txt"))
        let probe = LocalDriftProbe(target: target)
        let found = try await probe.observe(app: "app7", inventory: inventories[7].1, peers: { Ownership() }, pass: 999)
        guard found.items.map(\.path) == ["assets/file3.txt"] else {
            throw BenchFailure("the modified file was not found: \(found.items)")
        }

        func med(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let r = med(rsyncCPU)
        print("  rsync -a --checksum --dry-run   CPU \(formatSeconds(r))   wall \(formatSeconds(med(rsyncWall)))")
        print(
            "  zerverless-gitops, cold pass    CPU \(formatSeconds(med(cold.map(\.cpu))))   wall \(formatSeconds(med(cold.map(\.wall))))   ratio \(String(format: "%.2fx", med(cold.map(\.cpu)) / r))"
        )
        print(
            "  zerverless-gitops, warm pass    CPU \(formatSeconds(med(warm.map(\.cpu))))   wall \(formatSeconds(med(warm.map(\.wall))))   ratio \(String(format: "%.2fx", med(warm.map(\.cpu)) / r))"
        )
        print(
            "  zerverless-gitops, after restart CPU \(formatSeconds(med(restarted.map(\.cpu))))   wall \(formatSeconds(med(restarted.map(\.wall))))   ratio \(String(format: "%.2fx", med(restarted.map(\.cpu)) / r))  (<= 0.5x \(med(restarted.map(\.cpu)) / r <= 0.5 ? "met" : "NOT met"))"
        )
        print(
            "  (medians of 3; warm = every pass after the daemon's first: files whose inode, size, mtime and ctime did not move are not read; after restart = the first pass of a new daemon, with the stamps kept in the state dir)"
        )
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
