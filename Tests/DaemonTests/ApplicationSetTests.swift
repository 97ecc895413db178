import Crypto
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Issue 27 on the built binary: `kind: ApplicationSet` files in the apps dir, their
/// generators against real git daemons (and forge contract servers), the applications
/// they make, previews under a path prefix.
@Suite(.serialized) struct ApplicationSetTests {
    /// A service of the monorepo: one function at `/NAME/hello` and a static page.
    static func service(_ name: String, namespace: String = "shop") -> [String: String] {
        [
            "services/\(name)/zerverless.yaml": """
            apiVersion: zerverless.io/v1
            kind: Application
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              functions:
                - path: /\(name)/hello
                  runtime: lua
                  code: |
                    function handle(req) return {status=200, body="\(name)"} end
              static: {dir: static}

            """,
            "services/\(name)/static/\(name).html": "\(name)\n",
        ]
    }

    static func setFile(
        _ name: String, namespace: String = "shop", interval: String = "1s", generators: String, template: String,
        extra: String = ""
    ) -> String {
        """
        apiVersion: zerverless.io/v1
        kind: ApplicationSet
        metadata: {name: \(name), namespace: \(namespace)}
        spec:
          interval: \(interval)
        \(extra)  generators:
        \(generators)
          template:
        \(template)
        """
    }

    func setStatus(_ w: World, _ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(w.stateDir)/sets/\(name)/status.json") else {
            return nil
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    func generated(_ w: World, _ name: String) -> [String] { setStatus(w, name)?["generated"] as? [String] ?? [] }

    static func signed(_ payload: String, secret: String) -> String {
        "sha256="
            + HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test func aMonorepoOfTwentyServicesBecomesTwentyApplicationsAndARemovedFolderOneFewer() async throws {
        let w = try World("set-monorepo")
        var files: [String: String] = ["README.md": "monorepo\n"]
        let names = (1...20).map { String(format: "s%02d", $0) }
        for name in names { files.merge(Self.service(name)) { a, _ in a } }
        let repo = try GitRepo(root: w.reposDir, name: "mono", files: files)
        let url = w.url("mono", port: try w.serve())
        try w.write(
            "services.yaml",
            Self.setFile(
                "services", interval: "1h",
                generators: """
                        - gitDirectories: {repoURL: "\(url)", branch: main, pattern: "services/*"}
                    """,
                template: """
                        name: "svc-{{path.basename}}"
                        source: {repoURL: "\(url)", branch: main, path: "{{path}}"}
                    """))
        let secret = "hook-secret-0123456789"
        let d = try w.daemon([
            "--set-min-interval", "1s", "--removal-grace", "0s", "--poll-interval", "1h", "--listen", "127.0.0.1:0",
            "--webhook-secret-file", try w.dir.write("hook.secret", secret + "\n"),
        ])
        let head = try repo.head()
        try waitUntil(timeout: .seconds(120), "twenty applications synced") {
            names.allSatisfy { d.phase("svc-\($0)") == "synced" && d.commit("svc-\($0)") == head }
        }
        #expect(generated(w, "services") == names.map { "svc-\($0)" })
        let status = try #require(d.status("svc-s07"))
        #expect(status["generatedBy"] as? String == "services")
        #expect(status["namespace"] as? String == "shop")
        #expect(status["registrationFile"] as? String == w.app("services.yaml"))
        #expect((status["source"] as? [String: Any])?["path"] as? String == "services/s07")
        #expect(try JSONSchema.checkStatusFile(d.statusFile("svc-s07")) == [])
        #expect(w.published("static/shop/s07.html") == "s07\n")
        #expect(w.published("functions/shop/s07/hello.json")?.contains("s07") == true)
        let set = try #require(setStatus(w, "services"))
        #expect(set["error"] == nil, "\(set)")
        #expect(set["lastListed"] is String)
        #expect((set["skipped"] as? [Any])?.isEmpty == true, "\(set)")

        // The REST API: the set's status, the generated application with generatedBy, which
        // the API neither replaces nor deletes (the set owns it).
        let base = "http://127.0.0.1:\(try listeningPort(d))/api/gitops"
        let (listed, sets) = try await call(.GET, base + "/applicationsets")
        #expect(listed == 200)
        #expect((sets["applicationSets"] as? [[String: Any]])?.map { $0["name"] as? String } == ["services"])
        let (one, body) = try await call(.GET, base + "/applicationsets/services")
        #expect(one == 200 && (body["generated"] as? [String])?.count == 20, "\(body)")
        #expect(try await call(.GET, base + "/applicationsets/nope").0 == 404)
        let (app, doc) = try await call(.GET, base + "/applications/svc-s07")
        #expect(app == 200 && doc["generatedBy"] as? String == "services")
        let (deleted, refusal) = try await call(.DELETE, base + "/applications/svc-s07")
        #expect(deleted == 409, "\(refusal)")
        #expect((refusal["error"] as? String ?? "").contains("made by the application set \"services\""))
        let put = "{\"name\": \"svc-s07\", \"namespace\": \"shop\", \"source\": {\"repoURL\": \"\(url)\"}}"
        #expect(try await call(.PUT, base + "/applications/svc-s07", put).0 == 409)

        // A folder removed, then the push's webhook: the set lists at once (its interval is
        // an hour); the folder's application goes (after the grace), the others stay.
        let removed = try repo.commit(
            ["services/s13/zerverless.yaml": nil, "services/s13/static/s13.html": nil], message: "s13 retired")
        let payload = #"{"ref": "refs/heads/main", "repository": {"clone_url": "\#(url)"}}"#
        let (accepted, answer) = try await call(
            .POST, base + "/webhook", payload, headers: [("X-Hub-Signature-256", Self.signed(payload, secret: secret))])
        #expect(accepted == 202 && answer["sets"] as? Int == 1, "\(answer)")
        try waitUntil(timeout: .seconds(60), "svc-s13 undeployed") {
            d.status("svc-s13") == nil && w.published("static/shop/s13.html") == nil
        }
        #expect(generated(w, "services") == names.filter { $0 != "s13" }.map { "svc-\($0)" })
        #expect(w.published("functions/shop/s13/hello.json") == nil)
        #expect(w.published("static/shop/s12.html") == "s12\n")
        _ = removed
        let listing = try w.cli(["status"])
        #expect(listing.stdout.contains("svc-s12"), "\(listing.stdout)")
        #expect(try d.stop(SIGTERM) == 0)
    }

    @Test func aNewBranchGetsAPreviewAtItsPrefixAndADeletedBranchLosesIt() throws {
        let w = try World("set-branches")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: siteFiles(namespace: "shop"))
        let url = w.url("shop", port: try w.serve())
        try w.write("prod.yaml", registration("prod", namespace: "shop", url: url))
        try w.write(
            "previews.yaml",
            Self.setFile(
                "previews",
                generators: """
                        - gitBranches: {repoURL: "\(url)", pattern: "feature/*"}
                    """,
                template: """
                        name: "shop-{{branch.slug}}"
                        source: {repoURL: "\(url)", branch: "{{branch}}"}
                        pathPrefix: "/preview/{{branch.slug}}"
                    """))
        let d = try w.daemon([
            "--set-min-interval", "1s", "--removal-grace", "0s", "--poll-interval", "1h",
            "--public-url", "https://zerverless.example", "--listen", "127.0.0.1:0",
        ])
        try d.waitFor("prod", "synced", commit: try repo.head())
        try waitUntil(timeout: .seconds(30), "the set listed") { setStatus(w, "previews")?["lastListed"] != nil }
        #expect(generated(w, "previews") == [])

        let feature = try repo.commit(
            ["static/index.html": "feature\n"], message: "feature", branch: "feature/Checkout")
        try d.waitFor("shop-feature-checkout", "synced", commit: feature, timeout: .seconds(60))
        // Production untouched; the preview under its prefix.
        #expect(w.published("static/shop/index.html") == "main\n")
        #expect(w.published("static/shop/preview/feature-checkout/index.html") == "feature\n")
        #expect(w.published("functions/shop/preview/feature-checkout/api/hello.json")?.contains("hello") == true)
        #expect(w.published("functions/shop/api/hello.json")?.contains("hello") == true)
        let status = try #require(d.status("shop-feature-checkout"))
        #expect(status["generatedBy"] as? String == "previews")
        let preview = try #require(status["preview"] as? [String: Any], "\(status)")
        #expect(preview["pathPrefix"] as? String == "/preview/feature-checkout")
        #expect(
            preview["url"] as? String == "https://zerverless.example/static/shop/preview/feature-checkout/index.html")
        #expect(
            preview["functions"] as? [String] == ["https://zerverless.example/shop/preview/feature-checkout/api/hello"])
        #expect(try JSONSchema.checkStatusFile(d.statusFile("shop-feature-checkout")) == [])
        #expect(d.phase("prod") == "synced")
        // The application's page says which set made it and links the preview.
        let page = try run(
            "/usr/bin/curl", ["-s", "http://127.0.0.1:\(try listeningPort(d))/apps/shop-feature-checkout"]
        ).stdout
        #expect(page.contains("application set <code>previews</code>"), "\(page)")
        #expect(
            page.contains(
                "<a href=\"https://zerverless.example/static/shop/preview/feature-checkout/index.html\" rel=\"noopener noreferrer\">"
            ))

        // The branch deleted: the preview goes, production stays.
        try repo.deleteBranch("feature/Checkout")
        try waitUntil(timeout: .seconds(60), "the preview undeployed") {
            d.status("shop-feature-checkout") == nil
                && w.published("static/shop/preview/feature-checkout/index.html") == nil
        }
        #expect(w.published("static/shop/index.html") == "main\n")
        #expect(generated(w, "previews") == [])
        #expect(try d.stop(SIGTERM) == 0)
    }
}

extension ApplicationSetTests {
    static func listSet(_ name: String, _ elements: [String], extra: String = "") -> String {
        setFile(
            name, interval: "1h",
            generators: "    - list:\n        elements: [" + elements.map { "{name: \($0)}" }.joined(separator: ", ")
                + "]",
            template: """
                    name: "svc-{{name}}"
                    source: {repoURL: "@URL@", branch: main}
                    pathPrefix: "/{{name}}"
                """, extra: extra)
    }

    /// Names that collide (a registration file's, another set's), the per-set cap, the
    /// namespace's limit; a template that tries another namespace; an invalid set file
    /// keeps what its last valid version made, and a restart keeps everything.
    @Test func collisionsLimitsAnotherNamespaceAndAnInvalidFile() async throws {
        let w = try World("set-limits")
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: siteFiles(namespace: "shop"))
        let url = w.url("shop", port: try w.serve())
        try w.write("svc-a.yaml", registration("svc-a", namespace: "shop", url: url))
        try w.write("a-set.yaml", Self.listSet("first", ["a", "b", "c"]).replacingOccurrences(of: "@URL@", with: url))
        try w.write(
            "b-set.yaml", Self.listSet("second", ["b", "d", "e", "f"]).replacingOccurrences(of: "@URL@", with: url))
        let other = Self.listSet("elsewhere", ["x"]).replacingOccurrences(of: "@URL@", with: url)
            .replacingOccurrences(
                of: "    name: \"svc-{{name}}\"", with: "    name: \"svc-{{name}}\"\n    namespace: bob")
        try w.write("c-set.yaml", other)
        let arguments = [
            "--set-min-interval", "1s", "--removal-grace", "0s", "--poll-interval", "1h",
            "--max-apps-per-namespace", "4", "--max-apps-per-set", "3",
        ]
        var d = try w.daemon(arguments)
        let head = try repo.head()
        try d.waitFor("svc-a", "synced", commit: head)
        for name in ["svc-a", "svc-b", "svc-c", "svc-d"] { try d.waitFor(name, "synced", commit: head) }
        func skipped(_ set: String) -> [String] {
            (setStatus(w, set)?["skipped"] as? [[String: Any]] ?? []).map {
                "\($0["element"] as? String ?? ""): \($0["field"] as? String ?? ""): \($0["message"] as? String ?? "")"
            }
        }
        #expect(generated(w, "first") == ["svc-b", "svc-c"])
        #expect(
            skipped("first") == [
                "{name: a}: spec.template.name: \"svc-a\" is the application of \(w.app("svc-a.yaml"))"
            ])
        #expect(generated(w, "second") == ["svc-d"])
        #expect(
            skipped("second") == [
                "{name: f}: spec.limits.maxApplications: the set makes at most 3 applications",
                "{name: b}: spec.template.name: \"svc-b\" is an application of the set first",
                "{name: e}: spec.limits.maxApplications: namespace \"shop\" has 4 applications, the most this host allows (--max-apps-per-namespace)",
            ], "\(skipped("second"))")
        #expect(d.status("svc-e") == nil)
        #expect((setStatus(w, "second")?["maxApplications"] as? Int) == 3)
        // Another namespace: refused, nothing made, said where.
        let refused = try #require(setStatus(w, "elsewhere"))
        #expect(
            (refused["error"] as? String ?? "").contains(
                "spec.template.namespace: a template may not set a namespace"), "\(refused)")
        #expect(d.status("svc-x") == nil)
        let validate = try run(Build.binary, ["validate", w.app("c-set.yaml")])
        #expect(validate.status == 1)
        #expect(
            (validate.stdout + validate.stderr).contains("c-set.yaml:11:5: error: spec.template.namespace"),
            "\(validate.stdout)\(validate.stderr)")

        // The first set's file broken: it keeps its applications and says why.
        try w.write(
            "a-set.yaml",
            "apiVersion: zerverless.io/v1\nkind: ApplicationSet\nmetadata: {name: first, namespace: shop}\nspec: {generators: 3}\n"
        )
        try waitUntil(timeout: .seconds(30), "the set's error") {
            (setStatus(w, "first")?["error"] as? String ?? "").contains(
                "keeps the applications its last valid version made")
        }
        #expect(generated(w, "first") == ["svc-b", "svc-c"])
        #expect(d.phase("svc-b") == "synced")

        // A restart: everything stays (the record keeps the last valid set and its listing).
        #expect(try d.stop(SIGTERM) == 0)
        d = try w.daemon(arguments + ["--listen", "127.0.0.1:0"], log: "second.log")
        let ready = "http://127.0.0.1:\(try listeningPort(d))/readyz"
        try await waitUntil(timeout: .seconds(30), "the restarted daemon ready") {
            try await call(.GET, ready).0 == 200
        }
        for name in ["svc-a", "svc-b", "svc-c", "svc-d"] { try d.waitFor(name, "synced", commit: head) }
        #expect(!d.log.contains("undeploying"), "\(d.log)")
        // The set's file removed: its applications go.
        try FileManager.default.removeItem(atPath: w.app("b-set.yaml"))
        try waitUntil(timeout: .seconds(30), "svc-d undeployed") { d.status("svc-d") == nil }
        #expect(setStatus(w, "second") == nil, "\(d.log)")
        #expect(d.phase("svc-b") == "synced")
        #expect(try d.stop(SIGTERM) == 0)
    }
}

/// Pull-request previews against the GitHub contract server (listings and commit
/// statuses) and the orchestrator contract server (which runs the functions for the
/// health checks).
@Suite(.serialized) struct PullRequestPreviewTests {
    static func manifest(_ greeting: String) -> [String: String] {
        [
            "zerverless.yaml": """
            apiVersion: zerverless.io/v1
            kind: Application
            metadata: {name: shop, namespace: shop}
            spec:
              health: {initialDelay: 0s, interval: 1s, retries: 2, deadline: 20s}
              functions:
                - path: /api/hello
                  runtime: lua
                  code: |
                    function handle(req) return {status=200, body="\(greeting)"} end
                  health: {expect: 2xx, body: "\(greeting)"}
              static: {dir: static}

            """,
            "static/index.html": "\(greeting)\n",
        ]
    }

    func setStatus(_ w: World, _ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(w.stateDir)/sets/\(name)/status.json") else {
            return nil
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    @Test(
        .enabled(if: ContractServer.detectInterpreters()["lua"] != nil, "lua5.4 is missing"),
        arguments: [ForgeServer.Forge.github, .gitea, .gitlab])
    func aPullRequestOpenedUpdatedAndClosedAndAForgeThatFailsKeepsEverything(_ kind: ForgeServer.Forge) async throws {
        let w = try World("set-prs-\(kind.rawValue)")
        let secrets = w.dir.file("secrets")
        try FileManager.default.createDirectory(atPath: secrets + "/shop", withIntermediateDirectories: true)
        try Data("gh-token-123\n".utf8).write(to: URL(fileURLWithPath: secrets + "/shop/github.token"))
        let forge = try await ForgeServer.start(kind, token: "gh-token-123", projects: ["alice/shop"])
        defer { forge.stop() }
        let target = try await ContractServer.start()
        let repo = try GitRepo(root: w.reposDir, name: "shop", files: Self.manifest("main"))
        let url = w.url("shop", port: try w.serve())
        try w.write(
            "prs.yaml",
            """
            apiVersion: zerverless.io/v1
            kind: ApplicationSet
            metadata: {name: prs, namespace: shop}
            spec:
              interval: 1s
              generators:
                - pullRequests: {forge: \(kind.rawValue), apiURL: "\(forge.apiURL)", repo: alice/shop, tokenFile: github.token, labels: [preview]}
              template:
                name: "shop-pr-{{pr.number}}"
                source: {repoURL: "\(url)", branch: "{{pr.branch}}"}
                pathPrefix: "/pr/{{pr.number}}"
                pollInterval: 1s

            """)
        let d = try w.daemon([
            "--target", target.base, "--secrets-dir", secrets, "--notify-allow-private", "--notify-retry", "1s",
            "--set-min-interval", "1s", "--removal-grace", "0s", "--health-interval", "0",
            "--public-url", "https://zerverless.example/", "--listen", "127.0.0.1:0",
            "--webhook-secret-file", try w.dir.write("hook.secret", "hook-secret-42\n"),
        ])
        try waitUntil(timeout: .seconds(30), "the set listed") { setStatus(w, "prs")?["lastListed"] != nil }
        // The forge's pull-request event, as each forge signs it: the set is asked to list.
        let payload =
            kind == .gitlab
            ? #"{"object_kind": "merge_request", "project": {"path_with_namespace": "alice/shop"}}"#
            : #"{"action": "opened", "number": 1, "repository": {"full_name": "alice/shop"}}"#
        let headers: [(String, String)] =
            switch kind {
            case .github:
                [
                    ("X-GitHub-Event", "pull_request"),
                    ("X-Hub-Signature-256", ApplicationSetTests.signed(payload, secret: "hook-secret-42")),
                ]
            case .gitea:
                [
                    ("X-Gitea-Event", "pull_request"),
                    (
                        "X-Gitea-Signature",
                        String(ApplicationSetTests.signed(payload, secret: "hook-secret-42").dropFirst(7))
                    ),
                ]
            case .gitlab: [("X-Gitlab-Event", "Merge Request Hook"), ("X-Gitlab-Token", "hook-secret-42")]
            }
        let (code, answer) = try await call(
            .POST, "http://127.0.0.1:\(try listeningPort(d))/api/gitops/webhook", payload, headers: headers)
        #expect(code == 202 && answer["sets"] as? Int == 1, "\(answer)")

        // Opened (with the label): a preview at /pr/1, healthy, announced on the head commit.
        let first = try repo.commit(Self.manifest("feat"), message: "feat", branch: "feat-x")
        let number = forge.open("alice/shop", branch: "feat-x", sha: first, labels: ["preview"])
        forge.open("alice/shop", branch: "feat-y", labels: [])  // no label: no preview
        forge.open("alice/shop", branch: "evil", labels: ["preview"], fork: "mallory/shop")  // a fork: skipped
        let app = "shop-pr-\(number)"
        try d.waitFor(app, "synced", commit: first, timeout: .seconds(60))
        let status = try #require(d.status(app))
        #expect(status["generatedBy"] as? String == "prs")
        let preview = try #require(status["preview"] as? [String: Any])
        #expect(preview["url"] as? String == "https://zerverless.example/static/shop/pr/1/index.html")
        #expect(preview["functions"] as? [String] == ["https://zerverless.example/shop/pr/1/api/hello"])
        #expect(target.state.withLock { $0.deployments["shop/pr/1/api/hello"] != nil })
        try waitUntil(timeout: .seconds(60), "the preview healthy and its commit status success") {
            forge.statuses.contains { s in
                s.path.hasSuffix("/statuses/\(first)") && s.json?["state"] as? String == "success"
                    && (s.json?["description"] as? String ?? "").hasPrefix("healthy")
            }
        }
        let announced = try #require(forge.statuses.last { $0.path.hasSuffix(first) })
        #expect(announced.json?["target_url"] as? String == "https://zerverless.example/static/shop/pr/1/index.html")
        #expect((announced.json?["context"] ?? announced.json?["name"]) as? String == "zerverless/\(app)")
        #expect(
            announced.path
                == (kind == .gitlab
                    ? "/api/v4/projects/alice%2Fshop/statuses/\(first)"
                    : "\(kind == .gitea ? "/api/v1" : "")/repos/alice/shop/statuses/\(first)"))
        let set = try #require(setStatus(w, "prs"))
        #expect(set["generated"] as? [String] == [app])
        let skipped = try #require(set["skipped"] as? [[String: Any]])
        #expect(
            skipped.count == 1
                && (skipped[0]["message"] as? String ?? "").contains(kind == .gitlab ? "fork" : "mallory/shop"),
            "\(skipped)")

        // Updated: a new head commit is deployed (the app polls its branch).
        let second = try repo.commit(Self.manifest("feat2"), message: "feat 2", branch: "feat-x")
        forge.push("alice/shop", number, sha: second)
        try d.waitFor(app, "synced", commit: second, timeout: .seconds(60))

        // The forge fails: the set says so and keeps its preview, listing after listing.
        forge.failure = .serverError
        let before = forge.listings("alice/shop")
        try waitUntil(timeout: .seconds(30), "two failed listings") { forge.listings("alice/shop") >= before + 2 }
        try waitUntil(timeout: .seconds(30), "the set's error") {
            (setStatus(w, "prs")?["error"] as? String ?? "").contains("500")
        }
        #expect(setStatus(w, "prs")?["generated"] as? [String] == [app])
        #expect(d.phase(app) == "synced")
        forge.failure = nil

        // Closed: the preview is undeployed.
        forge.close("alice/shop", number)
        try waitUntil(timeout: .seconds(60), "the preview undeployed") {
            d.status(app) == nil && target.state.withLock { $0.deployments["shop/pr/1/api/hello"] == nil }
        }
        #expect(setStatus(w, "prs")?["generated"] as? [String] == [])
        #expect(setStatus(w, "prs")?["error"] == nil)
        #expect(try d.stop(SIGTERM) == 0)
    }
}
