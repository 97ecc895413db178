import Foundation
import TestSupport
import Testing

/// A tenant's Dockerfile runs on the host: its `RUN` steps must not reach the host's
/// loopback (the REST API, the orchestrator) unless the operator allows it for the
/// namespace. Real buildah builds by the built binary; a listener on loopback counts who
/// got through.
@Suite(.serialized) struct BuildSandboxTests {
    static func dockerRepo(_ w: World, name: String, namespace: String, port: Int) throws -> GitRepo {
        let manifest = """
            apiVersion: zerverless.io/v1
            kind: Application
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              functions:
                - {path: /svc, runtime: docker, dockerfile: svc/Dockerfile, context: svc}

            """
        let repo = try GitRepo(root: w.reposDir, name: name, files: ["zerverless.yaml": manifest])
        try FileManager.default.createDirectory(atPath: repo.work + "/svc", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: repo.work + "/svc/busybox")
        // The step tries the host's loopback; `true` keeps the build going either way.
        try repo.commit(
            [
                "svc/Dockerfile": """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox", "sh", "-c", "echo \(namespace) | /bin/busybox timeout 3 /bin/busybox nc 127.0.0.1 \(port); true"]

                """
            ], message: "docker function")
        return repo
    }

    @Test func buildStepsHaveNoNetworkUnlessTheOperatorAllowsIt() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/buildah"),
            FileManager.default.isExecutableFile(atPath: "/bin/busybox")
        else {
            Issue.record("buildah and busybox-static are needed (make deps-test installs them)")
            return
        }
        let w = try World("build-network")
        let storage = w.dir.file("containers")
        let conf = try w.dir.write(
            "storage.conf",
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"\(storage)/root\"\nrunroot = \"\(storage)/run\"\n")
        let aliceListener = try SilentListener()
        let trustedListener = try SilentListener()
        let otherListener = try SilentListener()
        let port = try w.serve()
        let alice = try Self.dockerRepo(w, name: "alice", namespace: "alice", port: aliceListener.port)
        let trusted = try Self.dockerRepo(w, name: "trusted", namespace: "trusted", port: trustedListener.port)
        _ = try Self.dockerRepo(w, name: "other", namespace: "other", port: otherListener.port)
        for name in ["alice", "trusted", "other"] {
            try w.write("\(name).yaml", registration(name, namespace: name, url: w.url(name, port: port)))
        }
        let d = try w.daemon(
            [
                "--docker-builder", "buildah", "--build-network-namespaces", "trusted",
                "--docker-build-namespaces", "alice,trusted", "--concurrency", "1",
            ],
            environment: ["CONTAINERS_STORAGE_CONF": conf])
        try d.waitFor("alice", "synced", commit: try alice.head(), timeout: .seconds(180))
        try d.waitFor("trusted", "synced", commit: try trusted.head(), timeout: .seconds(180))
        try d.waitFor("other", "invalid", timeout: .seconds(60))
        // alice's step never reached the host; the namespace the operator trusts did.
        #expect(aliceListener.acceptPending() == 0)
        #expect(trustedListener.acceptPending() == 1)
        #expect(otherListener.acceptPending() == 0)
        #expect(
            (d.status("other")?["message"] as? String)?.contains("Docker builds are turned off for namespace other")
                == true)
        #expect(w.published("functions/alice/svc.json")?.contains("zerverless/alice/svc:") == true)
    }
}
