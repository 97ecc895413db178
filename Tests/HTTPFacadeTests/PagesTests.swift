import Foundation
import HTTPFacade
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing

/// The pages for people through the router (no browser: what a client without JavaScript
/// gets): the order, the badges, escaping, the policy header, the app page, 404, tokens.
/// StatusPageTests (DaemonTests) tries them in Chromium against the daemon.
@Suite struct PagesTests {
    let dir: TempDir
    let apps: String
    let layout: StateLayout

    init() throws {
        dir = try TempDir("zg-pages")
        apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        layout = StateLayout(root: dir.file("state"))
        let now = Date()
        func doc(_ name: String, _ namespace: String, _ status: StatusDocument.Phase) -> StatusDocument {
            var d = StatusDocument(
                name: name, namespace: namespace,
                source: .init(repoURL: "https://git.example.com/\(namespace)/\(name)", branch: "main", path: "."),
                status: status, message: "fine", lastSync: now.addingTimeInterval(-180))
            d.source.commit = String(repeating: "a", count: 40)
            return d
        }
        try layout.writeStatus(doc("zeta", "web", .synced))
        var drifted = doc("drifted", "web", .synced)
        drifted.drift = .init(
            checkedAt: now, items: [.init(kind: .static, path: "index.html", change: .modified)], corrected: 0,
            unmanaged: 0)
        try layout.writeStatus(drifted)
        var pinned = doc("pinned", "web", .synced)
        pinned.pinned = .init(commit: String(repeating: "b", count: 40), reason: "hold", since: now)
        try layout.writeStatus(pinned)
        var broken = doc("broken", "web", .error)
        broken.error = .init(
            stage: .manifest, message: "spec.functions[0].runtime: unknown runtime \"<script>alert(1)</script>\"",
            file: "zerverless.yaml", line: 7, column: 16)
        broken.message = "manifest: " + broken.error!.message
        broken.source.lastAttemptedCommit = String(repeating: "c", count: 40)
        try layout.writeStatus(broken)
        try layout.writeStatus(doc("hidden", "secret", .synced))
        var history = SyncHistory()
        for (i, result) in ["synced", "error", "synced"].enumerated() {
            history.record(
                .init(
                    at: now.addingTimeInterval(Double(i * 60 - 600)), trigger: .poll,
                    commit: String(repeating: i == 0 ? "d" : "a", count: 40), result: result, durationMs: 100 * (i + 1),
                    targetCalls: 1, message: "<b>attempt \(i)</b>", functionsChanged: 1, filesChanged: 2))
        }
        try layout.writeHistory(history, of: "zeta")
    }

    func app(tokens: String? = nil) throws -> Application<RouterResponder<FacadeContext>> {
        let apiTokens = try tokens.map { try APITokens(file: try dir.write("tokens", $0)) }
        return Application(router: Facade(appsDir: apps, layout: layout, tokens: apiTokens).router())
    }

    static let token = "web-token-abcdefghijklmnop"

    @Test func theListIsWorstFirstEscapedAndCarriesItsPolicy() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                let order = html.components(separatedBy: "<tr id=\"app-").dropFirst().map { $0.prefix { $0 != "\"" } }
                #expect(order == ["broken", "drifted", "pinned", "hidden", "zeta"])
                #expect(html.contains("<span class=\"st st-warn\">synced</span> <span class=\"badge b-drift\""))
                #expect(html.contains("<span class=\"badge b-pin\" title=\"pinned at bbbbbbbbbbbb: hold"))
                #expect(
                    html.contains(
                        "zerverless.yaml:7:16: spec.functions[0].runtime: unknown runtime &quot;&lt;script&gt;"))
                #expect(!html.contains("<script>alert"))
                #expect(
                    html.contains(
                        "<span class=\"tried\" title=\"last attempted \(String(repeating: "c", count: 40))\">"))
                #expect(html.contains(">3 min ago</time>"))
                #expect(html.contains("<a href=\"/apps/zeta\">zeta</a>"))
                // One nonce, in the policy and on the page's one style and one script.
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                let nonce = policy.components(separatedBy: "'nonce-").dropFirst().first?.prefix { $0 != "'" } ?? ""
                #expect(
                    !nonce.isEmpty && policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'none'")
                )
                #expect(html.components(separatedBy: "nonce=\"\(nonce)\"").count == 3)
                #expect(html.components(separatedBy: "<script").count == 2)
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            }
        }
    }

    @Test func theAppPageShowsTheApplicationAnd404sTheRest() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/apps/zeta", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("<code>https://git.example.com/web/zeta</code>"))
                #expect(html.contains("History (3)") && html.components(separatedBy: "<rect class=").count == 4)
                #expect(html.contains("<rect class=\"r-error\""))
                #expect(html.contains("&lt;b&gt;attempt 1&lt;/b&gt;") && !html.contains("<b>attempt"))
                // A rollback is offered to the other commit that synced, not to the current one.
                #expect(html.components(separatedBy: "data-action=\"rollback\"").count == 2)
                #expect(html.contains("data-commit=\"\(String(repeating: "d", count: 40))\""))
                #expect(html.contains("1 function, 2 files"))
            }
            try await client.execute(uri: "/apps/broken", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(
                    html.contains("in stage <code>manifest</code> at <code class=\"place\">zerverless.yaml:7:16</code>")
                )
                #expect(!html.contains("<script>alert"))
            }
            try await client.execute(uri: "/apps/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("No application named <b>nope</b>"))
            }
            try await client.execute(uri: "/apps/Not_A_Label", method: .get) { #expect($0.status == .notFound) }
        }
    }

    /// Labels, a state-side suspension and progress are on the first answer already (the
    /// script draws the same): chips, a label filter, a badge, a bar.
    @Test func labelsSuspensionsAndProgressAreRenderedOnTheServer() async throws {
        var shop = try #require(try layout.readStatus("zeta"))
        shop.labels = ["team": "web", "tier": "<front>"]
        shop.suspended = .init(reason: "maintenance", since: Date(timeIntervalSince1970: 1_767_225_600))
        shop.health = .init(
            status: .degraded, checkedAt: Date(timeIntervalSince1970: 1_767_225_600), commit: shop.source.commit,
            checks: [
                .init(
                    name: "/api/<x>", url: "http://h/web/api/x", result: .fail, code: 500, latencyMs: 7,
                    message: "HTTP 500, expected 2xx")
            ])
        try layout.writeStatus(shop)
        var busy = try #require(try layout.readStatus("pinned"))
        busy.status = .syncing
        busy.pinned = nil
        busy.progress = .init(stage: .deploy, done: 12, total: 40, unit: .files, updatedAt: Date())
        try layout.writeStatus(busy)
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                let row = try #require(html.components(separatedBy: "<tr id=\"app-zeta\"").dropFirst().first)
                    .prefix { $0 != "\n" }
                #expect(row.contains("data-labels=\"team=web tier=&lt;front&gt;\""), "\(row)")
                #expect(row.contains("data-flags=\"degraded suspended\""), "\(row)")
                #expect(row.contains("data-rank=\"2\""), "\(row)")
                #expect(
                    row.contains(
                        "<span class=\"badge h-degraded\" title=\"health degraded: /api/&lt;x&gt;: HTTP 500, expected 2xx (checked 2026-01-01T00:00:00Z)\">degraded</span>"
                    ), "\(row)")
                #expect(row.contains("<span class=\"chip\" title=\"team=web\">team=web</span>"), "\(row)")
                #expect(
                    row.contains(
                        "<span class=\"badge b-suspended\" title=\"suspended: maintenance (since 2026-01-01T00:00:00Z)\">suspended</span>"
                    ), "\(row)")
                #expect(html.contains("<option value=\"tier=&lt;front&gt;\">tier=&lt;front&gt;</option>"))
                #expect(
                    html.contains("<select id=\"f-label\"><option value=\"\">any</option><option value=\"team=web\">"))
                #expect(
                    html.contains(
                        "<progress max=\"40\" value=\"12\" title=\"deploy 12/40 files\"></progress><span class=\"progress\">deploy 12/40 files</span>"
                    ))
                #expect(!html.contains("<front>"))
            }
            try await client.execute(uri: "/apps/zeta", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<span class=\"chip\" title=\"tier=&lt;front&gt;\">tier=&lt;front&gt;</span>"))
                #expect(html.contains("<p class=\"message\">Suspended: maintenance since "), "\(html)")
                #expect(
                    html.contains(
                        "<tr><td>/api/&lt;x&gt;</td><td><code>http://h/web/api/x</code></td><td><span class=\"st st-bad\">fail</span></td><td>500</td><td>7 ms</td><td>HTTP 500, expected 2xx</td></tr>"
                    ), "\(html)")
            }
        }
    }

    @Test func withTokensThePagesHoldNothingWithoutOne() async throws {
        try await app(tokens: "\(Self.token) web\n").test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && !html.contains("app-zeta") && html.contains("data-tokens=\"1\""))
            }
            try await client.execute(uri: "/apps/zeta", method: .get) { response in
                #expect(response.status == .ok && !String(buffer: response.body).contains("git.example.com"))
            }
            let bearer: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            try await client.execute(uri: "/apps/zeta", method: .get, headers: bearer) { response in
                let html = String(buffer: response.body)
                #expect(
                    response.status == .ok && html.contains("git.example.com/web/zeta") && !html.contains(Self.token))
            }
            try await client.execute(uri: "/apps/hidden", method: .get, headers: bearer) { response in
                #expect(response.status == .notFound && !String(buffer: response.body).contains("git.example.com"))
            }
            try await client.execute(
                uri: "/apps/zeta", method: .get, headers: [.authorization: "Bearer wrong-token-abcdefghijkl"]
            ) { response in
                #expect(response.status == .unauthorized && !String(buffer: response.body).contains("git.example.com"))
            }
        }
    }
}
