import Foundation
import TestSupport
import Testing

/// A repository is hostile input: tree entries git refuses in a working tree (`..`,
/// `.git`), names that are canonically equivalent Unicode or not UTF-8 at all, names the
/// orchestrator refuses. Each case runs the built binary against a repository pushed with
/// `git mktree` (which writes any name) and checks what reached the disk or the target.
@Suite(.serialized) struct HostileRepositoryTests {
    typealias Tree = GitRepo.Tree

    static let dockerManifest = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: evil, namespace: alice}
        spec:
          functions:
            - path: /api/svc
              runtime: docker
              dockerfile: svc/Dockerfile
              context: svc

        """

    static func staticManifest(_ namespace: String) -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: evil, namespace: \(namespace)}\nspec:\n  static: {dir: static}\n"
    }

    @Test func dotDotInADockerContextWritesNothingOutsideIt() throws {
        let w = try World("dotdot-docker")
        let tmp = w.dir.file("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let repo = try GitRepo(root: w.reposDir, name: "evil", files: ["README.md": "x\n"])
        // svc/../../pwned.txt: from TMPDIR/zg-build-X/context/svc up to TMPDIR.
        let commit = try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.dockerManifest)),
                (
                    "svc",
                    .dir([
                        ("Dockerfile", .blob("FROM scratch\n")),
                        ("..", .dir([("..", .dir([("pwned.txt", .blob("written by a tenant\n"))]))])),
                    ])
                ),
            ]), message: "hostile")
        try w.write("evil.yaml", registration("evil", namespace: "alice", url: w.url("evil", port: try w.serve())))
        let d = try w.daemon(environment: ["TMPDIR": tmp])
        try d.waitFor("evil", "invalid", timeout: .seconds(60))
        #expect(!FileManager.default.fileExists(atPath: tmp + "/pwned.txt"))
        let found = (FileManager.default.enumerator(atPath: w.dir.path)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix("pwned.txt")
        }
        #expect(found.isEmpty, "\(found)")
        let message = try #require(d.status("evil")?["message"] as? String)
        #expect(message.contains("tree entry \"svc/..\""), "\(message)")
        #expect(message.contains(String(commit.prefix(12))))
    }

    @Test func dotDotUnderStaticNeverReachesTheHTTPTarget() async throws {
        let w = try World("dotdot-http")
        let target = try await ContractServer.start()
        let repo = try GitRepo(root: w.reposDir, name: "evil", files: ["README.md": "x\n"])
        try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.staticManifest("alice"))),
                (
                    "static",
                    .dir([
                        ("index.html", .blob("alice\n")),
                        ("..", .dir([("bob", .dir([("index.html", .blob("defaced\n"))]))])),
                    ])
                ),
            ]), message: "hostile")
        try w.write("evil.yaml", registration("evil", namespace: "alice", url: w.url("evil", port: try w.serve())))
        let d = try w.daemon(["--target", target.base])
        try d.waitFor("evil", "invalid", timeout: .seconds(60))
        let log = target.state.withLock { $0.log }
        #expect(!log.contains { $0.contains("..") || $0.lowercased().contains("%2e%2e") }, "\(log)")
        #expect(target.state.withLock { $0.storage["bob"] } == nil)
        #expect((d.status("evil")?["message"] as? String)?.contains("tree entry \"static/..\"") == true)
    }

    @Test func dotGitInAnyCaseIsRefused() throws {
        let w = try World("dotgit")
        let repo = try GitRepo(root: w.reposDir, name: "evil", files: ["README.md": "x\n"])
        try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.staticManifest("alice"))),
                ("static", .dir([("index.html", .blob("x\n")), (".GIT", .dir([("config", .blob("[core]\n"))]))])),
            ]), message: "hostile")
        try w.write("evil.yaml", registration("evil", namespace: "alice", url: w.url("evil", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("evil", "invalid", timeout: .seconds(60))
        #expect((d.status("evil")?["message"] as? String)?.contains("'.git'") == true)
        #expect(!FileManager.default.fileExists(atPath: "\(w.stateDir)/published/static/alice/.GIT"))
    }

    @Test func namesAreBytesNFCAndNFDAndNonUTF8AreDistinctFiles() throws {
        let w = try World("bytes")
        let repo = try GitRepo(root: w.reposDir, name: "names", files: ["README.md": "x\n"])
        let nfc: [UInt8] = Array("caf\u{e9}.txt".utf8)
        let nfd: [UInt8] = Array("cafe\u{301}.txt".utf8)
        let latin1: [UInt8] = [0x6E, 0x61, 0xEF, 0x76, 0x65, 0x2E, 0x74, 0x78, 0x74]  // "naïve.txt" in Latin-1
        let head = try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.staticManifest("web"))),
                (
                    "static",
                    .tree([
                        (nfc, .blob("nfc\n")), (nfd, .blob("nfd\n")), (latin1, .blob("latin1\n")),
                        (Array("plain.txt".utf8), .blob("plain\n")),
                    ])
                ),
            ]), message: "names")
        try w.write("names.yaml", registration("names", namespace: "web", url: w.url("names", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("names", "synced", commit: head, timeout: .seconds(60))
        let dir = "\(w.stateDir)/published/static/web"
        var names: [[UInt8]: String] = [:]
        let handle = try #require(opendir(dir))
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            var bytes = name
            bytes.append(0)
            let content = bytes.withUnsafeBufferPointer { p -> String in
                let path = Array(dir.utf8) + [47] + Array(p)
                return path.withUnsafeBufferPointer { full in
                    let fd = open(UnsafeRawPointer(full.baseAddress!).assumingMemoryBound(to: CChar.self), O_RDONLY)
                    defer { close(fd) }
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let n = read(fd, &buffer, 64)
                    return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
                }
            }
            names[name] = content
        }
        closedir(handle)
        #expect(names[nfc] == "nfc\n")
        #expect(names[nfd] == "nfd\n")
        #expect(names[latin1] == "latin1\n")
        #expect(names.count == 4)
        #expect(d.status("names")?["message"] as? String == "0 functions, 4 static files")
    }

    @Test func aNameTheOrchestratorRefusesIsReportedAndTheRestSyncs() async throws {
        let w = try World("dots-in-name")
        let target = try await ContractServer.start()
        let repo = try GitRepo(
            root: w.reposDir, name: "site",
            files: [
                "zerverless.yaml": Self.staticManifest("web").replacingOccurrences(of: "evil", with: "site"),
                "static/index.html": "home\n", "static/release..notes.txt": "notes\n",
            ])
        try w.write(
            "site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve()), poll: "1s"))
        let d = try w.daemon(["--target", target.base, "--retry-min", "1s"])
        try d.waitFor("site", "invalid", timeout: .seconds(60))
        let message = try #require(d.status("site")?["message"] as? String)
        #expect(message.contains("release..notes.txt"), "\(message)")
        #expect(target.state.withLock { $0.storage["web"]?["index.html"] } == Array("home\n".utf8))
        // Polled every second; the refused file is never sent, and the sync is not redone.
        let attempts = d.attempts("site").count
        for _ in 0..<3 {
            let before = d.status("site")?["nextSync"] as? String
            try waitUntil(timeout: .seconds(10), "another poll") {
                (d.status("site")?["nextSync"] as? String) != before
            }
        }
        #expect(!target.state.withLock { $0.log }.contains { $0.contains("..") })
        #expect(d.attempts("site").count == attempts)
        _ = repo
    }

    @Test func functionPathsThatLookLikeFilesAndFoldersBothDeploy() throws {
        let w = try World("layout")
        let manifest = """
            apiVersion: zerverless.io/v1
            kind: Application
            metadata: {name: api, namespace: web}
            spec:
              functions:
                - {path: /v1, runtime: lua, code: "function handle(r) return {status=200, body='v1'} end"}
                - {path: /v1.json/users, runtime: lua, code: "function handle(r) return {status=200, body='users'} end"}

            """
        let repo = try GitRepo(root: w.reposDir, name: "api", files: ["zerverless.yaml": manifest])
        try w.write("api.yaml", registration("api", namespace: "web", url: w.url("api", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("api", "synced", commit: try repo.head(), timeout: .seconds(60))
        #expect(w.published("functions/web/v1.json")?.contains("'v1'") == true)
        #expect(w.published("functions/web/v1%2Ejson/users.json")?.contains("'users'") == true)
    }

    @Test func treeAndSymlinkBombsAreRefusedBeforeTheyCostMemory() throws {
        let w = try World("bombs")
        let repo = try GitRepo(root: w.reposDir, name: "bomb", files: ["README.md": "x\n"])
        // 100 x 100 x 100 = a million paths from three small trees (git shares them by id).
        var id = try repo.writeTree(.tree((0..<100).map { (Array("f\($0)".utf8), Tree.blob("x\n")) }))
        for _ in 0..<2 { id = try repo.writeTree(.tree((0..<100).map { (Array("d\($0)".utf8), Tree.treeID(id)) })) }
        let level = Tree.treeID(id)
        let head = try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.staticManifest("eve"))),
                ("static", .dir([("a.txt", .blob("a\n")), ("bomb", level)])),
            ]),
            message: "tree bomb")
        let other = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let port = try w.serve()
        try w.write("bomb.yaml", registration("bomb", namespace: "eve", url: w.url("bomb", port: port)))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: port)))
        let d = try w.daemon()
        try d.waitFor("bomb", "invalid", timeout: .seconds(60))
        let message = try #require(d.status("bomb")?["message"] as? String)
        #expect(message.contains("more than 100000 entries"), "\(message)")
        #expect(message.contains(String(head.prefix(12))))
        try d.waitFor("site", "synced", commit: try other.head())

        // A symlink whose blob is far longer than any path.
        let link = try repo.commitTree(
            .dir([
                ("zerverless.yaml", .blob(Self.staticManifest("eve"))),
                ("static", .dir([("a.txt", .blob("a\n")), ("long", .symlink(String(repeating: "a/", count: 5000)))])),
            ]),
            message: "symlink bomb")
        #expect(try w.cli(["sync", "bomb", "--wait", "--timeout", "60s"]).status == 1)
        let second = try #require(d.status("bomb")?["message"] as? String)
        #expect(second.contains("symlink \"static/long\"") && second.contains("over the limit of 4096"), "\(second)")
        #expect(second.contains(String(link.prefix(12))))
        #expect(d.exited() == nil)
    }

    @Test func aCodeFileReachedThroughASymlinkFollowsItsTarget() throws {
        let w = try World("symlinked-code")
        let manifest =
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: app, namespace: web}\nspec:\n  functions:\n    - {path: /hello, runtime: lua, codeFile: code/hello.lua}\n  static: {dir: static}\n"
        func tree(_ version: String) -> Tree {
            .dir([
                ("zerverless.yaml", .blob(manifest)), ("static", .dir([("index.html", .blob("x\n"))])),
                (
                    "lib",
                    .dir([("hello.lua", .blob("function handle(r) return {status=200, body=\"\(version)\"} end\n"))])
                ),
                ("code", .dir([("hello.lua", .symlink("../lib/hello.lua"))])),
            ])
        }
        let repo = try GitRepo(root: w.reposDir, name: "app", files: ["README.md": "x\n"])
        let first = try repo.commitTree(tree("VERSION 1"), message: "v1")
        try w.write("app.yaml", registration("app", namespace: "web", url: w.url("app", port: try w.serve())))
        let d = try w.daemon()
        try d.waitFor("app", "synced", commit: first)
        #expect(w.published("functions/web/hello.json")?.contains("VERSION 1") == true)
        // Only the symlink's target changes.
        let second = try repo.commitTree(tree("VERSION 2"), message: "v2")
        #expect(try w.cli(["sync", "app", "--wait", "--timeout", "60s"]).status == 0)
        #expect(d.commit("app") == second)
        #expect(w.published("functions/web/hello.json")?.contains("VERSION 2") == true)
    }
}
