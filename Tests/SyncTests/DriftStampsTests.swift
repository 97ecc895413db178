import Foundation
import LocalServers
import State
import Sync
import Testing

/// The local drift probe's stamps across a restart: a file whose inode, size, mtime and
/// ctime are the ones it had when it last matched is not read again by a new probe; one
/// that moved (ctime) is.
@Suite struct DriftStampsTests {
    @Test func aRestartedProbeTrustsOnlyStampsThatStillHold() async throws {
        let dir = try TempDir("zg-drift-stamps")
        let target = LocalTarget(root: dir.file("published"))
        let good = Array("good content\n".utf8)
        try await target.upload(namespace: "web", path: "index.html", bytes: good)
        var inventory = Inventory(namespace: "web")
        inventory.files["index.html"] = .init(id: GitHash.blobID(good), size: good.count)
        let stamps = dir.file("stamps")
        let stampsFile: @Sendable (String) -> String = { _ in stamps }
        let first = LocalDriftProbe(target: target, stampsFile: stampsFile)
        #expect(try await first.observe(app: "site", inventory: inventory, peers: { Ownership() }, pass: 1).items == [])
        let saved = try String(contentsOfFile: stamps, encoding: .utf8)
        #expect(saved.hasSuffix(" id:\(GitHash.blobID(good))\t\(dir.file("published"))/static/web/index.html\n"))

        // A stamp that holds is trusted without a read: the file is swapped for other
        // content behind the probe's back and the stamps file rewritten to match it (what
        // only the daemon's own user could do) — a restarted probe does not read it.
        let file = dir.file("published") + "/static/web/index.html"
        try Data("evil content\n".utf8).write(to: URL(fileURLWithPath: file))
        var st = stat()
        #expect(lstat(file, &st) == 0)
        let forged =
            "\(st.st_dev) \(st.st_ino) \(st.st_size) \(Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)) \(Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)) id:\(GitHash.blobID(good))\t\(file)\n"
        try Data(forged.utf8).write(to: URL(fileURLWithPath: stamps))
        let trusting = LocalDriftProbe(target: target, stampsFile: stampsFile)
        #expect(
            try await trusting.observe(app: "site", inventory: inventory, peers: { Ownership() }, pass: 1).items == [])

        // The file touched (its ctime moves; mtime set back): a restarted probe reads it.
        // (ctime follows a coarse clock: touched again until it moved, within a second.)
        let deadline = ContinuousClock.now + .seconds(1)
        var now = st
        repeat {
            #expect(utimensat(AT_FDCWD, file, [st.st_atim, st.st_mtim], 0) == 0)
            #expect(lstat(file, &now) == 0)
        } while now.st_ctim.tv_sec == st.st_ctim.tv_sec && now.st_ctim.tv_nsec == st.st_ctim.tv_nsec
            && ContinuousClock.now < deadline
        let reading = LocalDriftProbe(target: target, stampsFile: stampsFile)
        let found = try await reading.observe(app: "site", inventory: inventory, peers: { Ownership() }, pass: 1)
        #expect(found.items == [.init(kind: .static, path: "index.html", change: .modified)])

        // A stamp whose identity is no longer the inventory's is not trusted either.
        try await target.upload(namespace: "web", path: "index.html", bytes: good)
        let other = Array("other content\n".utf8)
        var changed = inventory
        changed.files["index.html"] = .init(id: GitHash.blobID(other), size: other.count)
        _ = try await LocalDriftProbe(target: target, stampsFile: stampsFile).observe(
            app: "site", inventory: inventory, peers: { Ownership() }, pass: 1)
        let mismatch = try await LocalDriftProbe(target: target, stampsFile: stampsFile).observe(
            app: "site", inventory: changed, peers: { Ownership() }, pass: 1)
        #expect(mismatch.items == [.init(kind: .static, path: "index.html", change: .modified)])
    }
}

extension DriftStampsTests {
    /// The namespace's census (unmanaged files) is kept too: a restarted probe trusts it
    /// while its folders did not move, and counts again when one did.
    @Test func theCensusIsKeptAcrossARestartWhileItsFoldersStay() async throws {
        let dir = try TempDir("zg-drift-census")
        let target = LocalTarget(root: dir.file("published"))
        let bytes = Array("x\n".utf8)
        try await target.upload(namespace: "web", path: "a.html", bytes: bytes)
        try await target.upload(namespace: "web", path: "stray.html", bytes: bytes)
        // (A function too: a namespace's census is kept only when both its folders exist.)
        let code = "function handle(req) return {status=200} end"
        try await target.deploy(
            DeployRequest(namespace: "web", path: "/api/f", runtime: .lua, code: code, port: nil, app: "a", commit: "c")
        )
        var inventory = Inventory(namespace: "web")
        inventory.files["a.html"] = .init(id: GitHash.blobID(bytes), size: bytes.count)
        inventory.functions["/api/f"] = .init(
            runtime: "lua", codeID: GitHash.blobID(Array(code.utf8)), image: nil, port: nil, fingerprint: "f",
            commit: "c")
        let census = dir.file("census")
        func probe() -> LocalDriftProbe {
            LocalDriftProbe(target: target, stampsFile: { _ in dir.file("stamps") }, censusFile: { _ in census })
        }
        #expect(
            try await probe().observe(app: "a", inventory: inventory, peers: { Ownership() }, pass: 1).unmanaged == 1)
        #expect(try String(contentsOfFile: census, encoding: .utf8).hasPrefix("1 k:"))
        // A forged count is believed while the folders stay (it is the daemon's own file)...
        let kept = try String(contentsOfFile: census, encoding: .utf8)
        try Data(("7" + kept.dropFirst()).utf8).write(to: URL(fileURLWithPath: census))
        #expect(
            try await probe().observe(app: "a", inventory: inventory, peers: { Ownership() }, pass: 1).unmanaged == 7)
        // ...and a folder that moved (a file added) makes a new count.
        try await target.upload(namespace: "web", path: "stray2.html", bytes: bytes)
        #expect(
            try await probe().observe(app: "a", inventory: inventory, peers: { Ownership() }, pass: 1).unmanaged == 2)
    }
}
