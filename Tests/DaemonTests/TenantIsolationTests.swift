import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

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
            daemon = try w.daemon(
                [
                    "--listen", "127.0.0.1:0", "--api-tokens-file", tokensFile, "--secrets-dir", secretsDir,
                    "--removal-grace", "1s", "--retry-min", "1s",
                ] + arguments)
            base = "http://127.0.0.1:\(try listeningPort(daemon))/api/gitops"
        }

        func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil, token: String) async throws -> (
            Int, [String: Any]
        ) {
            try await DaemonTests.call(method, base + path, body, headers: [("Authorization", "Bearer \(token)")])
        }

        func upload(_ namespace: String, _ file: String, _ bytes: [UInt8], token: String) async throws -> Int {
            var request = HTTPClientRequest(url: "\(base)/secrets/\(namespace)/\(file)")
            request.method = .PUT
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
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
        let (refused, answer) = try await t.call(
            .POST, "/applications",
            Self.body("steal", "alice", url: trap.url, auth: #"{"tokenFile": "\#(t.tokensFile)"}"#),
            token: Self.aliceToken)
        #expect(refused == 400, "\(answer)")
        #expect((answer["error"] as? String)?.contains("is outside") == true)

        // Written into the apps dir by other means: the daemon refuses it and never opens it.
        try t.w.write(
            "steal.yaml", registration("steal", namespace: "alice", url: trap.url, auth: "{tokenFile: \(t.tokensFile)}")
        )
        try t.daemon.waitFor("steal", "invalid")
        #expect(
            (t.daemon.status("steal")?["message"] as? String)?.contains("is outside \(t.secretsDir)/alice/") == true)
        // A symlink in alice's folder that leads out of it.
        try FileManager.default.createDirectory(atPath: t.secretsDir + "/alice", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: t.secretsDir + "/alice/link.token", withDestinationPath: t.tokensFile)
        try t.w.write(
            "link.yaml", registration("link", namespace: "alice", url: trap.url, auth: "{tokenFile: link.token}"))
        try t.daemon.waitFor("link", "invalid")
        #expect((t.daemon.status("link")?["message"] as? String)?.contains("symlink that leads out") == true)
        // Bob's secret, named by alice.
        #expect(try await t.upload("bob", "repo.token", Array("bob-secret-value\n".utf8), token: Self.bobToken) == 201)
        try t.w.write(
            "bobs.yaml", registration("bobs", namespace: "alice", url: trap.url, auth: "{tokenFile: ../bob/repo.token}")
        )
        try t.daemon.waitFor("bobs", "invalid")
        try t.w.write(
            "bobs2.yaml",
            registration(
                "bobs2", namespace: "alice", url: trap.url, auth: "{tokenFile: \(t.secretsDir)/bob/repo.token}"))
        try t.daemon.waitFor("bobs2", "invalid")

        // Alice's own uploaded secret is used.
        #expect(
            try await t.upload("alice", "repo.token", Array("alice-secret-value\n".utf8), token: Self.aliceToken) == 201
        )
        let (created, _) = try await t.call(
            .POST, "/applications", Self.body("mine", "alice", url: trap.url, auth: #"{"tokenFile": "repo.token"}"#),
            token: Self.aliceToken)
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
        #expect(
            (try FileManager.default.attributesOfItem(atPath: t.secretsDir + "/alice")[.posixPermissions] as? Int)
                == 0o700)
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
        #expect(
            try await t.upload("alice", "big.key", [UInt8](repeating: 65, count: 65 * 1024), token: Self.aliceToken)
                == 413)
        #expect(try await t.call(.DELETE, "/secrets/alice/deploy.key", token: Self.aliceToken).0 == 204)
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try await t.call(.DELETE, "/secrets/alice/deploy.key", token: Self.aliceToken).0 == 404)
    }

    @Test func aNameReusedByAnotherNamespaceWithinTheGraceIsAnotherApplication() throws {
        let w = try World("takeover")
        let port = try w.serve()
        let bobShop = try GitRepo(root: w.reposDir, name: "bob-shop", files: siteFiles(namespace: "bob"))
        _ = try GitRepo(
            root: w.reposDir, name: "bob-other",
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: other, namespace: bob}\nspec:\n  functions:\n    - {path: /api/other, runtime: lua, code: \"function handle(r) return {status=200} end\"}\n"
            ])
        let aliceShop = try GitRepo(
            root: w.reposDir, name: "alice-shop",
            files: [
                "zerverless.yaml": siteManifest(namespace: "alice", greeting: "alice"), "static/index.html": "alice\n",
            ])
        try w.write("shop.yaml", registration("shop", namespace: "bob", url: w.url("bob-shop", port: port)))
        try w.write("other.yaml", registration("other", namespace: "bob", url: w.url("bob-other", port: port)))
        let d = try w.daemon(["--removal-grace", "5s"])
        try d.waitFor("shop", "synced", commit: try bobShop.head())
        try d.waitFor("other", "synced")

        // Bob removes shop; within the grace alice registers the name in her namespace.
        try FileManager.default.removeItem(atPath: w.app("shop.yaml"))
        try d.waitFor("shop", "deleting")
        try w.write("shop.yaml", registration("shop", namespace: "alice", url: w.url("alice-shop", port: port)))
        try d.waitFor("shop", "synced", commit: try aliceShop.head())
        // Bob's shop is undeployed in bob's namespace; alice's is in alice's; bob's other app is untouched.
        #expect(w.published("functions/bob/api/hello.json") == nil)
        #expect(w.published("static/bob/index.html") == nil)
        #expect(w.published("functions/alice/api/hello.json")?.contains("alice") == true)
        #expect(w.published("functions/bob/api/other.json") != nil)
        let inventory = try String(contentsOfFile: "\(w.stateDir)/apps/shop/inventory", encoding: .utf8)
        #expect(inventory.contains("namespace alice\n"))
        #expect(!inventory.contains("namespace bob"))
        // Nothing of bob's shop is shown as alice's (status and history start over).
        #expect(d.attempts("shop").allSatisfy { ($0["commit"] as? String) != (try? bobShop.head()) })

        // Alice removes hers: only alice's things go.
        try FileManager.default.removeItem(atPath: w.app("shop.yaml"))
        try waitUntil(timeout: .seconds(60), "shop to be undeployed") { d.status("shop") == nil }
        #expect(w.published("functions/alice/api/hello.json") == nil)
        #expect(w.published("functions/bob/api/other.json") != nil)
        #expect(d.phase("other") == "synced")
    }

    @Test func movingAnApplicationToAnotherNamespaceMovesItsDeployments() throws {
        let w = try World("move")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "one"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "one", url: url))
        let d = try w.daemon()
        try d.waitFor("site", "synced", commit: try repo.head())
        #expect(w.published("static/one/index.html") == "main\n")

        let moved = try repo.commit(["zerverless.yaml": siteManifest(namespace: "two")], message: "move to two")
        try writeByRename(registration("site", namespace: "two", url: url), to: w.app("site.yaml"))
        try d.waitFor("site", "synced", commit: moved)
        #expect(w.published("static/two/index.html") == "main\n")
        #expect(w.published("static/two/css/site.css") == "body{}\n")
        #expect(w.published("functions/two/api/hello.json") != nil)
        #expect(w.published("static/one/index.html") == nil)
        #expect(w.published("functions/one/api/hello.json") == nil)
        #expect(d.status("site")?["message"] as? String == "1 function, 2 static files")
    }

    @Test func twoApplicationsOfANamespaceSyncingAtOnceNeverBothClaimAPath() throws {
        let w = try World("claims")
        var files = siteFiles(namespace: "shared")
        for i in 0..<300 { files["static/f/\(i).txt"] = "\(i)\n" }
        let a = try GitRepo(root: w.reposDir, name: "a", files: files)
        let b = try GitRepo(root: w.reposDir, name: "b", files: files)
        let port = try w.serve()
        // Both registrations arrive in one read of the apps dir; two syncs run at once.
        try w.write(".a.yaml", registration("a", namespace: "shared", url: w.url("a", port: port)))
        try w.write(".b.yaml", registration("b", namespace: "shared", url: w.url("b", port: port)))
        let d = try w.daemon(["--concurrency", "2", "--removal-grace", "0s"])
        try FileManager.default.moveItem(atPath: w.app(".a.yaml"), toPath: w.app("a.yaml"))
        try FileManager.default.moveItem(atPath: w.app(".b.yaml"), toPath: w.app("b.yaml"))
        try waitUntil(timeout: .seconds(60), "both to finish") {
            d.attempts("a").contains { $0["result"] as? String != "syncing" }
                && d.attempts("b").contains { $0["result"] as? String != "syncing" }
        }
        func owned(_ app: String) throws -> Set<String> {
            let text = (try? String(contentsOfFile: "\(w.stateDir)/apps/\(app)/inventory", encoding: .utf8)) ?? ""
            return Set(
                text.split(separator: "\n").filter { $0.hasPrefix("function\t") || $0.hasPrefix("file\t") }
                    .map { $0.split(separator: "\t")[1] }.map(String.init))
        }
        let ownedA = try owned("a")
        let ownedB = try owned("b")
        #expect(ownedA.intersection(ownedB).isEmpty, "both claim \(ownedA.intersection(ownedB).count) paths")
        #expect(ownedA.count + ownedB.count == 303)  // 302 files and a function
        // Removing the application that owns nothing removes nothing.
        let loser = ownedA.count < ownedB.count ? "a" : "b"
        try FileManager.default.removeItem(atPath: w.app("\(loser).yaml"))
        try waitUntil(timeout: .seconds(60), "\(loser) to be undeployed") { d.status(loser) == nil }
        #expect(w.published("static/shared/index.html") == "main\n")
        #expect(w.published("functions/shared/api/hello.json") != nil)
        #expect(w.published("static/shared/f/299.txt") == "299\n")
        _ = (a, b)
    }

    @Test func aTokenForOneNamespaceCannotReplaceAFileWhoseNamespaceIsUnknown() async throws {
        let t = try Tenants("unknown-owner")
        // Bob's registration, broken (an unknown field): the facade cannot tell its namespace.
        try t.w.write(
            "shop.yaml",
            registration("shop", namespace: "bob", url: "https://example.com/bob/shop.git") + "  colour: blue\n")
        try t.daemon.waitFor("shop", "invalid")
        let before = try String(contentsOfFile: t.w.app("shop.yaml"), encoding: .utf8)
        let (replaced, answer) = try await t.call(
            .PUT, "/applications/shop", Self.body("shop", "alice", url: "https://example.com/alice/x.git"),
            token: Self.aliceToken)
        #expect(replaced == 403, "\(answer)")
        #expect(try await t.call(.DELETE, "/applications/shop", token: Self.aliceToken).0 == 403)
        #expect(try String(contentsOfFile: t.w.app("shop.yaml"), encoding: .utf8) == before)
        // A token allowed every namespace may.
        #expect(
            try await t.call(
                .PUT, "/applications/shop", Self.body("shop", "bob", url: "https://example.com/bob/shop.git"),
                token: Self.adminToken
            ).0 == 200)
    }

    @Test func concurrentPostsOfOneNameGetExactlyOneCreated() async throws {
        let t = try Tenants("post-race")
        let codes = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<16 {
                let (ns, token) = i % 2 == 0 ? ("alice", Self.aliceToken) : ("bob", Self.bobToken)
                group.addTask {
                    try await t.call(
                        .POST, "/applications", Self.body("race", ns, url: "https://example.com/\(ns)/r.git"),
                        token: token
                    ).0
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(codes.filter { $0 == 201 }.count == 1, "\(codes.sorted())")
        #expect(codes.filter { $0 == 409 || $0 == 403 }.count == 15, "\(codes.sorted())")
        let held = try FileManager.default.contentsOfDirectory(atPath: t.w.appsDir).filter { !$0.hasPrefix(".") }
        #expect(held == ["race.yaml"])
    }

    @Test func aTokensFileThatCannotBeReadGrantsNothing() async throws {
        let t = try Tenants("revoked")
        #expect(try await t.call(.GET, "/applications", token: Self.aliceToken).0 == 200)
        // /metrics names every tenant's apps: the operator's token only.
        let metricsURL = t.base.replacingOccurrences(of: "/api/gitops", with: "/metrics")
        #expect(try await call(.GET, metricsURL).0 == 401)
        #expect(try await call(.GET, metricsURL, headers: [("Authorization", "Bearer \(Self.aliceToken)")]).0 == 403)
        #expect(try await call(.GET, metricsURL, headers: [("Authorization", "Bearer \(Self.adminToken)")]).0 == 200)

        // One malformed line (bob's token revoked by hand, mistyped): nobody gets in.
        try writeByRename("\(Self.aliceToken) alice\nthis line is broken\n\(Self.adminToken) *\n", to: t.tokensFile)
        #expect(try await t.call(.GET, "/applications", token: Self.aliceToken).0 == 401)
        #expect(try await t.call(.GET, "/applications", token: Self.bobToken).0 == 401)
        let readyURL = t.base.replacingOccurrences(of: "/api/gitops", with: "/readyz")
        let (ready, why) = try await call(.GET, readyURL)
        #expect(ready == 503)
        #expect("\(why)".contains("API tokens file"))
        try waitUntil(timeout: .seconds(10), "the problem to be logged") {
            t.daemon.log.contains("the API tokens file cannot be used")
        }

        // Deleted: nobody.
        try FileManager.default.removeItem(atPath: t.tokensFile)
        #expect(try await t.call(.GET, "/applications", token: Self.adminToken).0 == 401)

        // Fixed: the tokens it names work again, bob's stays revoked.
        try writeByRename("\(Self.aliceToken) alice\n\(Self.adminToken) *\n", to: t.tokensFile)
        #expect(try await t.call(.GET, "/applications", token: Self.aliceToken).0 == 200)
        #expect(try await t.call(.GET, "/applications", token: Self.bobToken).0 == 401)
        #expect(try await call(.GET, readyURL).0 == 200)
    }

    @Test func oneTenantsHungRepositoriesDoNotStarveAnother() throws {
        let w = try World("starve")
        let silent = try SilentListener()
        // Twenty applications of one tenant whose server accepts and never answers.
        for i in 0..<20 {
            try w.write(
                "hung\(i).yaml",
                registration("hung\(i)", namespace: "slow", url: "git://127.0.0.1:\(silent.port)/r\(i).git", poll: "5s")
            )
        }
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "fast"))
        let url = w.url("site", port: try w.serve())
        let d = try w.daemon(["--concurrency", "2", "--git-timeout", "60s"])
        try waitUntil(timeout: .seconds(20), "the hung applications to be read") {
            (0..<20).allSatisfy { d.status("hung\($0)") != nil }
        }
        // Another tenant's application is synced while those hang (each for a minute).
        try w.write("site.yaml", registration("site", namespace: "fast", url: url))
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(20))
        #expect(["hung0", "hung1", "hung2"].allSatisfy { d.phase($0) != "synced" })
    }

    @Test func anotherTenantsCredentialsNeverStandInForYours() async throws {
        let t = try Tenants("borrowed-credentials", arguments: ["--head-cache", "30s"])
        let repos = t.w.dir.file("private")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let repo = try GitRepo(root: repos, name: "site", files: siteFiles(namespace: "alice"))
        let server = try startHTTPGit(
            base: repos, dir: t.w.dir.path, options: HTTPGitOptions(basicAuth: ("deploy", "alice-password")))
        let url = "http://127.0.0.1:\(server.port)/git/site.git"
        #expect(try await t.upload("alice", "token", Array("alice-password\n".utf8), token: Self.aliceToken) == 201)
        #expect(try await t.upload("mallory", "token", Array("not-the-password\n".utf8), token: Self.adminToken) == 201)
        let auth = #"{"username": "deploy", "tokenFile": "token"}"#
        let alice =
            #"{"name": "alice-site", "namespace": "alice", "source": {"repoURL": "\#(url)", "auth": \#(auth)}, "pollInterval": "1s"}"#
        let mallory =
            #"{"name": "probe", "namespace": "mallory", "source": {"repoURL": "\#(url)", "auth": \#(auth)}, "pollInterval": "1s"}"#
        #expect(try await t.call(.POST, "/applications", alice, token: Self.aliceToken).0 == 201)
        try t.daemon.waitFor("alice-site", "synced", commit: try repo.head())
        #expect(try await t.call(.POST, "/applications", mallory, token: Self.adminToken).0 == 201)
        try waitUntil(timeout: .seconds(30), "mallory's probe to look five times") {
            t.daemon.attempts("probe").count >= 5
        }
        let attempts = t.daemon.attempts("probe")
        #expect(attempts.allSatisfy { $0["result"] as? String == "error" && $0["commit"] == nil }, "\(attempts)")
        #expect((t.daemon.status("probe")?["message"] as? String)?.contains("authentication failed") == true)
        _ = server
    }

    @Test func privateFilesAreTheDaemonsAlone() async throws {
        let t = try Tenants("modes")
        let repo = try GitRepo(root: t.w.reposDir, name: "site", files: siteFiles(namespace: "alice"))
        let body =
            #"{"name": "site", "namespace": "alice", "source": {"repoURL": "\#(t.w.url("site", port: try t.w.serve()))"}}"#
        #expect(try await t.call(.POST, "/applications", body, token: Self.aliceToken).0 == 201)
        try t.daemon.waitFor("site", "synced", commit: try repo.head())
        func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int
        }
        #expect(mode(t.w.stateDir + "/cache") == 0o700)
        #expect(mode(t.w.stateDir + "/locks") == 0o700)
        #expect(mode(t.w.stateDir + "/locks/daemon-0.lock") == 0o600)
        #expect(mode(t.w.stateDir + "/locks/apps-dir.lock") == 0o600)
        #expect(mode(t.w.app("site.yaml")) == 0o600)
        // A tenant may not point the daemon at this host's files; the operator may.
        let local = #"{"name": "peek", "namespace": "alice", "source": {"repoURL": "file://\#(t.w.stateDir)/cache"}}"#
        #expect(try await t.call(.POST, "/applications", local, token: Self.aliceToken).0 == 403)
        // At most 100 secret files per namespace.
        for i in 0..<100 { #expect(try await t.upload("alice", "s\(i)", [65], token: Self.aliceToken) == 201) }
        #expect(try await t.upload("alice", "one-more", [65], token: Self.aliceToken) == 403)
        #expect(try await t.upload("alice", "s7", [66], token: Self.aliceToken) == 201)
    }
}
