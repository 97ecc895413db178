import Foundation
import TestSupport
import Testing

/// Docker functions for a remote orchestrator: built by buildah, pushed to a real registry
/// on loopback (Debian's docker-registry), deployed by digest; an unchanged build context
/// is neither rebuilt nor pushed again.
@Suite(.serialized) struct ImageRegistryTests {
    static let manifest = """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: shop, namespace: demo}
        spec:
          functions:
            - {path: /svc, runtime: docker, dockerfile: svc/Dockerfile, context: svc, port: 8080}
            - {path: /hello, runtime: lua, code: "function handle(r) return {status=200, body='v1'} end"}

        """

    /// Manifest PUTs of the registry's request log (one per push of an image).
    static func manifestPuts(_ log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("PUT /v2/") && $0.contains("/manifests/") }.count
    }

    /// GET of a manifest by digest: the HTTP status and the digest the registry names.
    static func fetchManifest(_ port: Int, _ repository: String, _ digest: String) throws -> (String, String) {
        let out = try run(
            "/usr/bin/curl",
            [
                "-s", "-D", "-", "-o", "/dev/null",
                "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
                "http://127.0.0.1:\(port)/v2/\(repository)/manifests/\(digest)",
            ])
        let lines = out.stdout.split(separator: "\r\n")
        let status = lines.first.map { String($0.split(separator: " ").dropFirst().first ?? "") } ?? ""
        let named =
            lines.first { $0.lowercased().hasPrefix("docker-content-digest:") }.map {
                String($0.split(separator: " ").last ?? "")
            } ?? ""
        return (status, named)
    }

    @Test func dockerFunctionsArePushedAndDeployedByDigest() async throws {
        for tool in ["/usr/bin/buildah", "/bin/busybox", "/usr/bin/docker-registry", "/usr/bin/curl"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is needed (make deps-test installs it)")
            return
        }
        let w = try World("registry")
        let registry = try startRegistry(dir: w.dir.path)
        let target = try await ContractServer.start()
        let storage = w.dir.file("containers")
        let conf = try w.dir.write(
            "storage.conf",
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"\(storage)/root\"\nrunroot = \"\(storage)/run\"\n")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: ["zerverless.yaml": Self.manifest])
        try FileManager.default.createDirectory(atPath: repo.work + "/svc", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: repo.work + "/svc/busybox")
        try repo.commit(
            [
                "svc/Dockerfile":
                    "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n"
            ],
            message: "docker function")
        try w.write(
            "shop.yaml", registration("shop", namespace: "demo", url: w.url("shop", port: try w.serve()), poll: "1s"))
        let d = try w.daemon(
            [
                "--target", target.base, "--docker-builder", "buildah",
                "--image-registry", "127.0.0.1:\(registry.port)/zg", "--image-registry-insecure",
            ],
            environment: ["CONTAINERS_STORAGE_CONF": conf])
        try d.waitFor("shop", "synced", commit: try repo.head(), timeout: .seconds(180))

        // Deployed by digest, from the registry, and the registry has exactly that manifest.
        let code = try #require(target.state.withLock { $0.deployments["demo/svc"]?.code })
        let prefix = "127.0.0.1:\(registry.port)/zg/zerverless/demo/svc@sha256:"
        #expect(code.hasPrefix(prefix) && code.count == prefix.count + 64, "\(code)")
        let digest = String(code.split(separator: "@").last!)
        let (status, named) = try Self.fetchManifest(registry.port, "zg/zerverless/demo/svc", digest)
        #expect(status == "200")
        #expect(named == digest)
        #expect(target.state.withLock { $0.deployments["demo/svc"]?.port } == 8080)
        let registryLog = w.dir.file("registry.log")
        let pushes = Self.manifestPuts((try? String(contentsOfFile: registryLog, encoding: .utf8)) ?? "")
        #expect(pushes >= 1)
        let inventory = try String(contentsOfFile: "\(w.stateDir)/apps/shop/inventory", encoding: .utf8)
        #expect(inventory.contains(code))

        // Another function changes, the build context does not: no build, no push.
        let second = try repo.commit(
            ["zerverless.yaml": Self.manifest.replacingOccurrences(of: "'v1'", with: "'v2'")], message: "lua only")
        try d.waitFor("shop", "synced", commit: second, timeout: .seconds(60))
        #expect(target.state.withLock { $0.deployments["demo/hello"]?.code }?.contains("'v2'") == true)
        #expect(target.state.withLock { $0.deployments["demo/svc"]?.code } == code)
        #expect(Self.manifestPuts((try? String(contentsOfFile: registryLog, encoding: .utf8)) ?? "") == pushes)

        // Only the port changes: redeployed with the same image, still not pushed again.
        let third = try repo.commit(
            ["zerverless.yaml": Self.manifest.replacingOccurrences(of: "port: 8080", with: "port: 9090")],
            message: "port")
        try d.waitFor("shop", "synced", commit: third, timeout: .seconds(60))
        #expect(target.state.withLock { $0.deployments["demo/svc"]?.port } == 9090)
        #expect(target.state.withLock { $0.deployments["demo/svc"]?.code } == code)
        #expect(Self.manifestPuts((try? String(contentsOfFile: registryLog, encoding: .utf8)) ?? "") == pushes)

        // The context changes: a new image, pushed, deployed by its new digest.
        let fourth = try repo.commit(["svc/index.html": "hello\n"], message: "context")
        try d.waitFor("shop", "synced", commit: fourth, timeout: .seconds(180))
        let newCode = try #require(target.state.withLock { $0.deployments["demo/svc"]?.code })
        #expect(newCode.hasPrefix(prefix) && newCode != code)
        #expect(Self.manifestPuts((try? String(contentsOfFile: registryLog, encoding: .utf8)) ?? "") > pushes)
        #expect(
            try Self.fetchManifest(registry.port, "zg/zerverless/demo/svc", String(newCode.split(separator: "@").last!))
                .0 == "200")
        #expect(!d.log.contains("s3cret"))
        _ = registry
    }

    @Test func aBadRegistryIsAUsageError() throws {
        let w = try World("registry-usage")
        for (value, expected) in [
            ("https://reg.example/zg", "has a scheme"), ("zg/apps", "registry host"),
            ("reg.example/Apps", "not a repository path"),
        ] {
            let out = try run(
                Build.binary, ["run", "--apps-dir", w.appsDir, "--state-dir", w.stateDir, "--image-registry", value])
            #expect(out.status == 2)
            #expect(out.stderr.contains(expected), "\(out.stderr)")
        }
        let out = try run(
            Build.binary, ["run", "--apps-dir", w.appsDir, "--state-dir", w.stateDir, "--image-registry-insecure"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("--image-registry-insecure: needs --image-registry"), "\(out.stderr)")
    }
}
