import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// A tenant holds an API token for its own namespace and may be hostile to the others and
/// to the host. Each case runs the built binary with `--api-tokens-file` and checks what
/// the tenant could reach.
@Suite(.serialized) struct TenantIsolationTests {
    static let aliceToken = "alice-token-0123456789"
    static let bobToken = "bob-token-0123456789ab"
    static let adminToken = "admin-token-0123456789"

    /// A world with tokens for alice, bob and an admin, and a secrets folder.
    final class Tenants: @unchecked Sendable {
        let w: World
        let tokensFile: String
        let secretsDir: String
        let daemon: DaemonProcess
        let base: String

        init(_ name: String, arguments: [String] = []) throws {
            w = try World(name)
            tokensFile = try w.dir.write("api.tokens", "\(aliceToken) alice\n\(bobToken) bob\n\(adminToken) *\n")
            secretsDir = w.dir.file("secrets")
            try FileManager.default.createDirectory(atPath: secretsDir, withIntermediateDirectories: true)
            daemon = try w.daemon(["--listen", "127.0.0.1:0", "--api-tokens-file", tokensFile, "--secrets-dir", secretsDir,
                                   "--removal-grace", "1s", "--retry-min", "1s"] + arguments)
            base = "http://127.0.0.1:\(try listeningPort(daemon))/api/gitops"
        }

        func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil, token: String) async throws -> (Int, [String: Any]) {
            try await DaemonTests.call(method, base + path, body, headers: [("Authorization", "Bearer \(token)")])
        }

        func upload(_ namespace: String, _ file: String, _ bytes: [UInt8], token: String) async throws -> Int {
            var request = HTTPClientRequest(url: "\(base)/secrets/\(namespace)/\(file)")
            request.method = .PUT
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(bytes: bytes))
            return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
        }
    }

    static func body(_ name: String, _ namespace: String, url: String, auth: String = "") -> String {
        #"{"name": "\#(name)", "namespace": "\#(namespace)", "source": {"repoURL": "\#(url)"\#(auth.isEmpty ? "" : ", \"auth\": " + auth)}, "pollInterval": "1h"}"#
    }

    @Test func noSecretFileOutsideTheNamespacesFolderIsEverRead() async throws {
        let t = try Tenants("secrets")
        let trap = try await CredentialTrap.start()
        let tokens = try String(contentsOfFile: t.tokensFile, encoding: .utf8)

        // Through the API: naming the daemon's own tokens file is refused at once.
        let (refused, answer) = try await t.call(.POST, "/applications", Self.body("steal", "alice", url: trap.url, auth: #"{"tokenFile": "\#(t.tokensFile)"}"#), token: Self.aliceToken)
        #expect(refused == 400, "\(answer)")
        #expect((answer["error"] as? String)?.contains("is outside") == true)

        // Written into the apps dir by other means: the daemon refuses it and never opens it.
        try t.w.write("steal.yaml", registration("steal", namespace: "alice", url: trap.url, auth: "{tokenFile: \(t.tokensFile)}"))
        try t.daemon.waitFor("steal", "invalid")
        #expect((t.daemon.status("steal")?["message"] as? String)?.contains("is outside \(t.secretsDir)/alice/") == true)
        // A symlink in alice's folder that leads out of it.
        try FileManager.default.createDirectory(atPath: t.secretsDir + "/alice", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: t.secretsDir + "/alice/link.token", withDestinationPath: t.tokensFile)
        try t.w.write("link.yaml", registration("link", namespace: "alice", url: trap.url, auth: "{tokenFile: link.token}"))
        try t.daemon.waitFor("link", "invalid")
        #expect((t.daemon.status("link")?["message"] as? String)?.contains("symlink that leads out") == true)
        // Bob's secret, named by alice.
        #expect(try await t.upload("bob", "repo.token", Array("bob-secret-value\n".utf8), token: Self.bobToken) == 201)
        try t.w.write("bobs.yaml", registration("bobs", namespace: "alice", url: trap.url, auth: "{tokenFile: ../bob/repo.token}"))
        try t.daemon.waitFor("bobs", "invalid")
        try t.w.write("bobs2.yaml", registration("bobs2", namespace: "alice", url: trap.url, auth: "{tokenFile: \(t.secretsDir)/bob/repo.token}"))
        try t.daemon.waitFor("bobs2", "invalid")

        // Alice's own uploaded secret is used.
        #expect(try await t.upload("alice", "repo.token", Array("alice-secret-value\n".utf8), token: Self.aliceToken) == 201)
        let (created, _) = try await t.call(.POST, "/applications", Self.body("mine", "alice", url: trap.url, auth: #"{"tokenFile": "repo.token"}"#), token: Self.aliceToken)
        #expect(created == 201)
        try t.daemon.waitFor("mine", "error")
        #expect(trap.passwords.contains("alice-secret-value"), "\(trap.passwords)")
        // Nothing but alice's own secret ever left the daemon.
        #expect(trap.passwords.allSatisfy { $0 == "alice-secret-value" }, "\(trap.passwords)")
        for line in tokens.split(separator: "\n") {
            #expect(!trap.passwords.contains { $0.contains(line.split(separator: " ")[0]) })
        }
    }

    @Test func secretsAreWriteOnlyAndNamespaceScoped() async throws {
        let t = try Tenants("secrets-api")
        #expect(try await t.upload("alice", "deploy.key", Array("key material\n".utf8), token: Self.aliceToken) == 201)
        let file = t.secretsDir + "/alice/deploy.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((try FileManager.default.attributesOfItem(atPath: t.secretsDir + "/alice")[.posixPermissions] as? Int) == 0o700)
        // Listed by name, size and time; never its content.
        let (listed, list) = try await t.call(.GET, "/secrets/alice", token: Self.aliceToken)
        #expect(listed == 200)
        let entries = try #require(list["secrets"] as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == ["deploy.key"])
        #expect(entries.first?["size"] as? Int == 13)
        #expect(!"\(list)".contains("key material"))
        // Another namespace's secrets: neither listed, written nor deleted.
        #expect(try await t.call(.GET, "/secrets/alice", token: Self.bobToken).0 == 403)
        #expect(try await t.upload("alice", "deploy.key", Array("bob was here".utf8), token: Self.bobToken) == 403)
        #expect(try await t.call(.DELETE, "/secrets/alice/deploy.key", token: Self.bobToken).0 == 403)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "key material\n")
        // Names and sizes.
        #expect(try await t.upload("alice", ".hidden", [1], token: Self.aliceToken) == 400)
        #expect(try await t.upload("alice", "big.key", [UInt8](repeating: 65, count: 65 * 1024), token: Self.aliceToken) == 413)
        #expect(try await t.call(.DELETE, "/secrets/alice/deploy.key", token: Self.aliceToken).0 == 204)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try await t.call(.DELETE, "/secrets/alice/deploy.key", token: Self.aliceToken).0 == 404)
    }
}
