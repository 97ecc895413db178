import Foundation
import Manifest
import Synchronization
import TestSupport
import Testing

@testable import Sync

/// Counts builds, to show an unchanged context is never rebuilt.
final class CountingBuilder: ImageBuilder {
    let inner: CommandImageBuilder
    let builds = Mutex<[String]>([])
    init(_ inner: CommandImageBuilder) { self.inner = inner }
    func exists(_ image: String) async -> Bool { await inner.exists(image) }
    func build(image: String, dockerfile: String, context: String, namespace: String) async throws(TargetError) {
        builds.withLock { $0.append(image) }
        try await inner.build(image: image, dockerfile: dockerfile, context: context, namespace: namespace)
    }
}

private let buildahPresent = CodeChecker.which(["buildah"]) != nil

@Suite(.serialized, .enabled(if: buildahPresent, "buildah is not installed")) struct DockerBuildTests {
    @Test func buildsDeploysAndNeverRebuildsAnUnchangedContext() async throws {
        let h = try SyncHarness(files: [
            "zerverless.yaml": manifest(
                functions: """
                        - {path: /api/docker, runtime: docker, dockerfile: ./services/api/Dockerfile, context: ./services/api, port: 8080}
                        - {path: /hello, runtime: lua, code: "return 1"}

                    """),
            "services/api/Dockerfile": "FROM scratch\nCOPY server.txt /server.txt\n",
            "services/api/server.txt": "v1\n",
            "static/a.txt": "a",
        ])
        let storage = h.dir.file("containers")
        let args = ["--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs"]
        let command = try #require(CommandImageBuilder.detect("buildah", globalArguments: args))
        let builder = CountingBuilder(command)
        h.engine.builder = builder

        let first = try await h.sync()
        #expect(first.report?.failed == false, "\(String(describing: first.report?.functionErrors))")
        let image = try #require(first.desired?.functions.first { $0.path == "/api/docker" }?.image)
        #expect(builder.builds.withLock { $0 } == [image])
        #expect(await command.exists(image))
        // Found in buildah's image index without running the CLI; a tag it does not hold
        // is not (exists then asks the CLI).
        let index = try #require(command.imageIndex)
        #expect(index == storage + "/root/vfs-images/images.json")
        #expect(CommandImageBuilder.listed(image, in: index))
        #expect(!CommandImageBuilder.listed(image + "0", in: index))
        #expect(!CommandImageBuilder.listed(image, in: index + ".missing"))
        #expect(await !command.exists(image + "0"))
        let doc = try #require(try h.functionDoc("/api/docker"))
        #expect(doc["image"] as? String == image && doc["port"] as? Int == 8080)

        // Another function changes (full path): the image exists, no rebuild.
        try h.repo.commit(
            [
                "zerverless.yaml": manifest(
                    functions: """
                            - {path: /api/docker, runtime: docker, dockerfile: ./services/api/Dockerfile, context: ./services/api, port: 8080}
                            - {path: /hello, runtime: lua, code: "return 2"}

                        """)
            ], message: "lua only")
        let second = try await h.sync()
        #expect(second.path == .full && second.report?.failed == false)
        #expect(builder.builds.withLock { $0.count } == 1)

        // The context changes: a new tag, one build, a redeploy.
        try h.repo.commit(["services/api/server.txt": "v2\n"], message: "context")
        let third = try await h.sync()
        let newImage = try #require(third.desired?.functions.first { $0.path == "/api/docker" }?.image)
        #expect(newImage != image)
        #expect(builder.builds.withLock { $0 } == [image, newImage])
        #expect(try h.functionDoc("/api/docker")?["image"] as? String == newImage)
    }

    @Test func aFailingBuildReportsTheLogTailAndTheRestProceeds() async throws {
        let h = try SyncHarness(files: [
            "zerverless.yaml": manifest(
                functions: """
                        - {path: /d, runtime: docker, dockerfile: d/Dockerfile}
                        - {path: /hello, runtime: lua, code: "return 1"}

                    """),
            "d/Dockerfile": "FROM scratch\nCOPY missing-file.txt /x\n",
            "static/a.txt": "a",
        ])
        let storage = h.dir.file("containers")
        h.engine.builder = CommandImageBuilder.detect(
            "buildah",
            globalArguments: ["--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs"])
        let out = try await h.sync()
        let message = try #require(out.report?.functionErrors["/d"])
        #expect(message.hasPrefix("image build failed: buildah build of zerverless/web/d:"), "\(message)")
        #expect(message.contains("missing-file.txt"), "\(message)")
        #expect(out.report?.deployed == ["/hello"])
        #expect(h.published("static/web/a.txt") == "a")
    }
}

@Test(
    arguments: [
        ("FROM scratch\nCOPY a /a\n", nil),
        ("# syntax=docker/dockerfile:1\nFROM scratch\n", "frontend image"),
        ("FROM scratch\nADD https://example.com/x /x\n", "downloads with ADD"),
        ("FROM scratch\nADD git@github.com:o/r.git /r\n", "downloads with ADD"),
        ("FROM scratch\nRUN --mount=type=secret,id=x cat /run/secrets/x\n", "secrets or ssh agent"),
        ("FROM scratch\nADD local.tar /x\n", nil),
    ] as [(String, String?)])
func dockerfilesThatMakeTheBuilderReachTheNetwork(_ dockerfile: String, _ expected: String?) {
    let found = CommandImageBuilder.networkUse(dockerfile)
    if let expected { #expect(found?.contains(expected) == true, "\(found ?? "nil")") } else { #expect(found == nil) }
}
