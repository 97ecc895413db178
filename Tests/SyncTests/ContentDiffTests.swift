import Foundation
import Manifest
import State
import Testing

@testable import Sync

/// `diff`'s comparison and its text, on sides made by hand.
@Suite struct ContentDiffTests {
    struct Side: ContentSource {
        var functions: [String: FunctionContent] = [:]
        var files: [String: [UInt8]] = [:]
        func function(namespace: String, path: String) -> FunctionContent? { functions[path] }
        func file(namespace: String, path: String) -> FileContent? { files[path].map(FileContent.init(bytes:)) }
    }

    static func spec(_ path: String, _ f: FunctionContent) -> FunctionSpec {
        FunctionSpec(
            path: path, runtime: AppManifest.Runtime(rawValue: f.runtime)!, code: .inline(f.code),
            codeID: GitHash.blobID(Array(f.code.utf8)), image: f.runtime == "docker" ? f.code : nil,
            port: f.port, line: 1)
    }

    /// The items and counts of a comparison; `next` is also the desired state.
    func compare(
        _ deployed: Side, _ next: Side, prune: Bool = true, skipped: Set<String> = [], inventory: Inventory? = nil
    ) async throws -> ([ContentDiff.Item], ContentDiff.Counts) {
        let desired = DesiredState(
            namespace: "web", commit: "c", functions: next.functions.map { Self.spec($0.key, $0.value) },
            files: next.files.mapValues { StaticFileSpec(id: GitHash.blobID($0), size: $0.count) }, staticDir: "static",
            warnings: [])
        var side = ContentDiff.Next(desired: desired, content: next, prune: prune)
        side.skippedFunctions = skipped
        var items: [ContentDiff.Item] = []
        let counts = try await ContentDiff.compare(
            deployed: deployed, next: side, inventory: inventory, deployedFunctions: Array(deployed.functions.keys),
            deployedFiles: Array(deployed.files.keys)
        ) { items.append($0) }
        return (items, counts)
    }

    func text(_ item: ContentDiff.Item, stat: Bool = false) throws -> String {
        try ContentDiff.render(item, stat: stat).lines.map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }
            .joined()
    }

    @Test func aDockerFunctionIsItsImageAndPortAndARuntimeChangeIsInTheTitle() async throws {
        let deployed = Side(functions: [
            "/img": FunctionContent(runtime: "docker", code: "zerverless/web/img:0123456789ab", port: 80),
            "/api": FunctionContent(runtime: "lua", code: "return 1\n", port: nil),
            "/same": FunctionContent(runtime: "js", code: "x\n", port: nil),
        ])
        let next = Side(functions: [
            "/img": FunctionContent(runtime: "docker", code: "zerverless/web/img:fedcba987654", port: 8080),
            "/api": FunctionContent(runtime: "python", code: "print(1)\n", port: nil),
            "/same": FunctionContent(runtime: "js", code: "x\n", port: nil),
        ])
        let (items, counts) = try await compare(deployed, next)
        #expect(items.map(\.path) == ["/api", "/img"])
        #expect(counts.sameFunctions == 1)
        #expect(
            try text(items[0]) == """
                function /api: runtime lua -> python
                --- deployed/functions/api
                +++ next/functions/api
                @@ -1 +1 @@
                -return 1
                +print(1)

                """)
        #expect(
            try text(items[1]) == """
                function /img: changed (docker)
                --- deployed/functions/img
                +++ next/functions/img
                @@ -1,2 +1,2 @@
                -image: zerverless/web/img:0123456789ab
                -port: 80
                +image: zerverless/web/img:fedcba987654
                +port: 8080

                """)
        #expect(try text(items[1], stat: true) == "function /img: changed (docker), +2 -2\n")
    }

    @Test func binaryFilesByBlobAndDriftMarked() async throws {
        let png: [UInt8] = [0x89, 0x50, 0, 1]
        let deployed = Side(files: ["logo.png": png, "a.txt": Array("tampered\n".utf8)])
        let next = Side(files: ["logo.png": png + [2], "a.txt": Array("a\n".utf8), "new.bin": [0, 0]])
        var inventory = Inventory(namespace: "web")
        inventory.files["a.txt"] = Inventory.File(id: GitHash.blobID(Array("a\n".utf8)), size: 2)
        let (items, _) = try await compare(deployed, next, inventory: inventory)
        #expect(items.map(\.path) == ["a.txt", "logo.png", "new.bin"])
        #expect(try text(items[0]).hasPrefix("file a.txt: changed (9 -> 2 bytes); drift: changed on the target"))
        let ids = (GitHash.blobID(png).prefix(12), GitHash.blobID(png + [2]).prefix(12))
        #expect(
            try text(items[1])
                == "file logo.png: changed (4 -> 5 bytes)\nBinary files deployed/static/logo.png and next/static/logo.png differ (blob \(ids.0) -> \(ids.1))\n"
        )
        #expect(
            try text(items[2])
                == "file new.bin: new (2 bytes)\nBinary files /dev/null and next/static/new.bin differ (blob none -> \(GitHash.blobID([0, 0]).prefix(12)))\n"
        )
        #expect(try text(items[2], stat: true) == "file new.bin: new (2 bytes), binary\n")
    }

    @Test func withoutPruneRemovedPathsAreKeptAndRefusedFunctionsLeftAlone() async throws {
        let deployed = Side(
            functions: ["/old": FunctionContent(runtime: "lua", code: "1", port: nil)], files: ["old.txt": [1]])
        let next = Side(functions: ["/broken": FunctionContent(runtime: "lua", code: "function(", port: nil)])
        let (kept, counts) = try await compare(deployed, next, prune: false, skipped: ["/broken"])
        #expect(kept.isEmpty)
        #expect(counts.kept == 2)
        let (pruned, _) = try await compare(deployed, next, skipped: ["/broken"])
        #expect(pruned.map(\.path) == ["/old", "old.txt"])
        #expect(pruned.allSatisfy { $0.next == nil })
    }

    @Test func tooCostlyAChangeIsOneLine() throws {
        let a = (0..<3000).map { "x\($0 % 7)\n" }.joined()
        let b = (0..<3000).map { "x\(($0 * 3) % 7)\n" }.joined()
        let item = ContentDiff.Item(
            kind: .file, path: "big.txt", deployed: .file(FileContent(bytes: Array(a.utf8))),
            next: .file(FileContent(bytes: Array(b.utf8))))
        let out = try ContentDiff.render(item, budget: 1000)
        #expect(
            out.lines.map { String(decoding: $0.bytes, as: UTF8.self) } == [
                "file big.txt: changed (9000 -> 9000 bytes)",
                "Files deployed/static/big.txt and next/static/big.txt differ: too many changes to show (3000 -> 3000 lines)",
            ])
    }
}
