import Foundation
import GitSource
import Manifest
import TestSupport
import Testing

@testable import State
@testable import Sync

@Test func unchangedTreeAndStaticOnlyChangesTakeTheFastPaths() async throws {
    let h = try SyncHarness(files: [
        "zerverless.yaml": manifest(functions: "    - {path: /py, runtime: python, codeFile: handlers/api.py}\n"),
        "handlers/api.py": "def handle(req):\n    return {}\n", "static/a.txt": "a", "static/sub/b.txt": "b",
        "README.md": "r",
    ])
    #expect(try await h.sync().path == .full)
    #expect(try h.inventory()?.synced?.referenced == ["handlers/api.py"])
    #expect(try await h.sync().path == .unchanged)

    // Only files nothing reads changed: still unchanged work, zero calls.
    try h.repo.commit(["README.md": "r2"], message: "docs")
    let docs = try await h.sync()
    #expect(docs.path == .treeDiff && docs.plan?.isEmpty == true && h.counting.counts.total == 0)

    try h.repo.commit(["static/sub/b.txt": "b2", "static/c.txt": "c", "static/a.txt": nil], message: "static")
    let st = try await h.sync()
    #expect(st.path == .treeDiff)
    #expect(st.plan?.files.map { "\($0.action) \($0.path)" } == ["create c.txt", "update sub/b.txt", "delete a.txt"])
    #expect(h.published("static/web/sub/b.txt") == "b2" && h.published("static/web/a.txt") == nil)

    // A referenced file or the manifest: the full path.
    try h.repo.commit(["handlers/api.py": "def handle(req):\n    return {'x': 1}\n"], message: "code")
    #expect(try await h.sync().path == .full)
    try h.repo.commit(["zerverless.yaml": manifest(functions: "")], message: "manifest")
    #expect(try await h.sync().path == .full)

    // A policy change invalidates the marker.
    try h.repo.commit(["static/d.txt": "d"], message: "d")
    h.policy.prune = false
    #expect(try await h.sync().path == .full)
}

@Test func aSymlinkedStaticFileFollowsItsTarget() async throws {
    let h = try SyncHarness(files: ["zerverless.yaml": manifest(), "static/a.txt": "a", "shared/logo.svg": "v1"])
    try FileManager.default.createSymbolicLink(
        atPath: h.repo.work + "/static/logo.svg", withDestinationPath: "../shared/logo.svg")
    try h.repo.commit([:], message: "link")
    try await h.sync()
    try h.repo.commit(["shared/logo.svg": "v2"], message: "logo")
    let out = try await h.sync()
    #expect(out.path == .full)
    #expect(h.published("static/web/logo.svg") == "v2")
}

/// Random sequences of static changes: the tree-diff plan always equals the full plan.
@Test func treeDiffPlansEqualFullPlans() async throws {
    var files: [String: String] = [
        "zerverless.yaml": manifest(functions: "    - {path: /l, runtime: lua, code: \"return 1\"}\n")
    ]
    for i in 0..<30 { files["static/d\(i % 4)/f\(i).txt"] = "v0 \(i)" }
    let h = try SyncHarness(files: files)
    try await h.sync()
    var rng = SystemRandomNumberGenerator()
    var names = (0..<30).map { "static/d\($0 % 4)/f\($0).txt" }
    for round in 0..<12 {
        var change: [String: String?] = [:]
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0 where !names.isEmpty:
                let victim = names.remove(at: Int.random(in: 0..<names.count, using: &rng))
                change[victim] = .some(nil)
            case 1 where !names.isEmpty:
                change[names.randomElement(using: &rng)!] = "v\(round)"
            default:
                let path = "static/n\(round)/g\(Int.random(in: 0..<1000, using: &rng)).txt"
                names.append(path)
                change[path] = "new \(round)"
            }
        }
        try h.repo.commit(change, message: "round \(round)")
        let (snapshot, commit) = try h.fetch()
        let fast = h.engine.plan(h.input(commit: commit), snapshot: snapshot)
        // The same plan without the marker: the full path.
        var inv = try #require(try h.inventory())
        inv.synced = nil
        let scratch = h.dir.file("scratch-inventory")
        try inv.write(to: scratch)
        var input = h.input(commit: commit)
        input.inventoryFile = scratch
        let full = h.engine.plan(input, snapshot: snapshot)
        // A round whose changes cancel out (a file added then deleted in it) leaves the
        // tree as it was: then the fast path is `unchanged` and the full plan is empty.
        if fast.path == .unchanged {
            #expect(full.plan?.isEmpty == true, "round \(round)")
        } else {
            #expect(fast.path == .treeDiff, "round \(round)")
        }
        #expect(full.path == .full)
        #expect(
            (fast.plan?.files ?? []).map { "\($0.action) \($0.path) \($0.spec?.id ?? "-")" }
                == (full.plan?.files ?? []).map { "\($0.action) \($0.path) \($0.spec?.id ?? "-")" }, "round \(round)")
        #expect(fast.plan?.functions.isEmpty == true && full.plan?.functions.isEmpty == true)
        _ = try await h.sync()
    }
}

@Test func inventoryCodecRoundTrips() throws {
    var inv = Inventory(namespace: "web")
    inv.functions["/api/x"] = .init(
        runtime: "lua", codeID: "abc", image: nil, port: nil, fingerprint: nil, commit: "c1")
    inv.functions["/d"] = .init(
        runtime: "docker", codeID: "def", image: "zerverless/web-d:123", port: 8080, fingerprint: "fp", commit: nil)
    inv.files["odd\tname,with%.txt"] = .init(id: "1234", size: 10)
    inv.files["-"] = .init(id: nil, size: 0)
    inv.files["ünï/cödé.txt"] = .init(id: "99", size: 3)
    inv.synced = .init(commit: "c", tree: "t", settings: "prune=true x", staticDir: "static", referenced: ["a,b", "c"])
    let decoded = try InventoryCodec.decode(InventoryCodec.encode(inv), file: "x")
    #expect(decoded == inv)
    #expect(throws: (any Error).self) { try InventoryCodec.decode(Array("garbage\n".utf8), file: "x") }
}
