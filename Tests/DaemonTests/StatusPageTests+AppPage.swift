import Foundation
import TestSupport
import Testing

/// `GET /apps/NAME` in Chromium against the live daemon: what it shows, its buttons (the
/// daemon really syncs, rolls back, unpins), a cross-origin POST refused, API tokens.
extension StatusPageTests {
    /// The status code and body of a GET (curl: no JavaScript).
    static func get(_ url: String, headers: [String] = []) throws -> (status: Int, body: String) {
        let out = try run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] } + [url])
            .stdout
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The value of a fact on the page (`<dt>LABEL</dt><dd>...</dd>` in `section`): its
    /// code's title (a full commit) or its text.
    static func fact(_ section: String, _ label: String) -> String {
        """
        ((() => { const dt = Array.from(document.querySelectorAll('#\(section) dt')).find(x => x.textContent === '\(label)');
          if (!dt) return ''; const c = dt.nextElementSibling.querySelector('code');
          return c ? c.title : dt.nextElementSibling.textContent; })())
        """
    }

    static func click(_ selector: String) -> String {
        "(() => { const b = document.querySelector(\"\(selector)\"); if (!b) return false; b.click(); return true; })()"
    }

    @Test func theAppPageShowsTheAppAndItsButtonsSyncRollBackAndUnpin() throws {
        guard Chromium.available else {
            Issue.record("chromium and websocket-client are needed (make deps-test installs them)")
            return
        }
        let w = try World("app-page")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let one = try repo.head()
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(60))
        let port = try listeningPort(d)
        let base = "http://127.0.0.1:\(port)"

        // Without JavaScript, the first answer has it all; an unknown name is a 404 page.
        let first = try Self.get(base + "/apps/site")
        #expect(first.status == 200)
        for part in [
            "<code class=\"url\">/web/api/hello</code>", "<svg class=\"chart\"", "Not pinned",
            "branch <code>main</code>",
            "<code>static</code>: 2 files", "data-action=\"sync\"", "<code title=\"\(one)\">",
        ] {
            #expect(first.body.contains(part), "\(part)")
        }
        #expect(!first.body.contains("http://") && !first.body.contains("https://"), "no external assets")
        let missing = try Self.get(base + "/apps/nope")
        #expect(missing.status == 404 && missing.body.contains("No application named <b>nope</b>"))
        let hostile = try Self.get(base + "/apps/%3Cimg%20src=x%20onerror=alert(1)%3E")
        #expect(hostile.status == 404 && !hostile.body.contains("<img"), "\(hostile.body.suffix(400))")

        let browser = try Chromium(base + "/apps/site", dir: w.dir)
        try browser.wait(
            """
            document.getElementById('live').textContent === 'live'
              && document.querySelector('#functions code.url').textContent === '/web/api/hello'
              && document.querySelectorAll('#history tbody tr').length === 1
              && document.querySelectorAll('#history svg.chart rect.r-synced').length === 1
              && document.querySelector('#pin').textContent.includes('Not pinned')
              && document.querySelector('#status .st').textContent === 'synced'
            """, "the application's page")
        try browser.eval("window.notReloaded = true")

        // Sync: the application polls hourly; the button has the new commit deployed now.
        let two = try repo.commit(["static/index.html": "two\n"], message: "two")
        #expect(try browser.eval(Self.click("button[data-action=sync]")) == "true")
        try browser.wait("document.getElementById('action-result').textContent === 'sync requested'", "the sync answer")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))
        try browser.wait(
            """
            \(Self.fact("source", "Commit")) === '\(two)' && document.querySelectorAll('#history tbody tr').length === 2
              && document.querySelectorAll('#history svg.chart rect').length === 2 && window.notReloaded === true
            """, "the synced commit, live")

        // Rollback to the first commit, with a reason: pinned there.
        try browser.eval("document.getElementById('reason').value = 'two is broken'")
        #expect(try browser.eval(Self.click("#history button[data-action=rollback][data-commit='\(one)']")) == "true")
        try browser.wait(
            "document.getElementById('action-result').textContent.startsWith('pinned to \(one.prefix(12))')",
            "the rollback answer")
        try d.waitFor("site", "synced", commit: one, timeout: .seconds(30))
        let pin = try String(contentsOfFile: w.stateDir + "/apps/site/pin.json", encoding: .utf8)
        #expect(pin.contains(one) && pin.contains("two is broken"))
        try browser.wait(
            """
            \(Self.fact("pin", "Pinned at")) === '\(one)' && \(Self.fact("pin", "Reason")) === 'two is broken'
              && !!document.querySelector('#status .b-pin') && \(Self.fact("source", "Commit")) === '\(one)'
              && document.querySelectorAll('#history tbody tr').length === 3 && window.notReloaded === true
            """, "the pin, live")
        let png = try browser.screenshot(w.dir.file("app-page.png"))
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        Chromium.keep(png, as: "app-page.png")

        // Unpin: the branch again.
        #expect(try browser.eval(Self.click("#pin button[data-action=unpin]")) == "true")
        try browser.wait(
            "document.getElementById('action-result').textContent.startsWith('unpinned')", "the unpin answer")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))
        #expect(!FileManager.default.fileExists(atPath: w.stateDir + "/apps/site/pin.json"))
        try browser.wait(
            """
            document.querySelector('#pin').textContent.includes('Not pinned') && !document.querySelector('#status .b-pin')
              && \(Self.fact("source", "Commit")) === '\(two)' && window.notReloaded === true
            """, "unpinned, live")

        // What documents will hold: the status part draws it.
        try browser.wait(
            """
            (() => { renderStatus(Object.assign(\(Self.future), {name: "site"})); const s = document.getElementById('status');
              return s.querySelector('progress').value === 3 && !!s.querySelector('.b-suspended') && !!s.querySelector('.h-degraded')
                && s.querySelector('.chip').textContent === 'team=<b>web</b>'
                && s.querySelector('table.health td:nth-child(3)').textContent === 'fail'
                && s.textContent.includes('Suspended: maintenance'); })()
            """, "the fields to come")

        // Another origin's page (localhost is not 127.0.0.1) cannot make the daemon sync.
        try browser.eval("location.href = 'http://localhost:\(port)/healthz'")
        try browser.wait(
            "location.host === 'localhost:\(port)' && document.readyState === 'complete'", "another origin's page")
        let refused = try browser.responseStatus(
            of: "fetch('\(base)/api/gitops/applications/site/sync', {method: 'POST', mode: 'no-cors'}); 1",
            url: "/api/gitops/applications/site/sync")
        #expect(refused == 403)
        let own = try browser.responseStatus(
            of: "fetch('/api/gitops/applications/site/sync', {method: 'POST'}); 1",
            url: "/api/gitops/applications/site/sync")
        #expect(own == 202, "the same call from the daemon's own origin is taken")
    }

    @Test func withAPITokensThePagesHoldNothingUntilTheTokenIsGiven() throws {
        guard Chromium.available else {
            Issue.record("chromium and websocket-client are needed (make deps-test installs them)")
            return
        }
        let w = try World("pages-tokens")
        let site = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        _ = try GitRepo(
            root: w.reposDir, name: "other",
            files: ["zerverless.yaml": Self.manifest("other", namespace: "secret"), "static/x.txt": "x\n"])
        let gitPort = try w.serve()
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: gitPort)))
        try w.write("other.yaml", registration("other", namespace: "secret", url: w.url("other", port: gitPort)))
        let token = "web-token-abcdefghijklmnop"
        let tokens = try w.dir.write("tokens", "\(token) web\n")
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--api-tokens-file", tokens])
        try d.waitFor("site", "synced", commit: try site.head(), timeout: .seconds(60))
        try d.waitFor("other", "synced", timeout: .seconds(60))
        let base = "http://127.0.0.1:\(try listeningPort(d))"

        // No token: nothing of any application; a token sees its namespace's only.
        let list = try Self.get(base + "/")
        #expect(list.status == 200 && !list.body.contains("app-site") && !list.body.contains("app-other"))
        let shell = try Self.get(base + "/apps/site")
        #expect(shell.status == 200 && !shell.body.contains("git://") && !shell.body.contains("/web/api/hello"))
        let seen = try Self.get(base + "/apps/site", headers: ["Authorization: Bearer \(token)"])
        #expect(seen.status == 200 && seen.body.contains("/web/api/hello") && !seen.body.contains(token))
        let hidden = try Self.get(base + "/apps/other", headers: ["Authorization: Bearer \(token)"])
        #expect(hidden.status == 404 && !hidden.body.contains("other.git") && !hidden.body.contains("x.txt"))
        let wrong = try Self.get(base + "/apps/site", headers: ["Authorization: Bearer wrong-token-abcdefghijkl"])
        #expect(wrong.status == 401 && !wrong.body.contains("git://"))

        let browser = try Chromium(base + "/apps/site", dir: w.dir)
        try browser.wait(
            "document.getElementById('token').hidden === false && document.getElementById('live').textContent === 'needs a token'"
                + " && !document.getElementById('source')",
            "the token form")
        try browser.eval(
            "document.getElementById('token-value').value = '\(token)'; document.getElementById('token').requestSubmit(); 1"
        )
        try browser.wait(
            """
            document.getElementById('token').hidden === true && document.getElementById('live').textContent === 'live'
              && document.querySelector('#functions code.url').textContent === '/web/api/hello'
            """, "the application, with the token")
        let two = try site.commit(["static/index.html": "two\n"], message: "two")
        #expect(try browser.eval(Self.click("button[data-action=sync]")) == "true")
        try browser.wait(
            "document.getElementById('action-result').textContent === 'sync requested'", "the sync, with the token")
        try d.waitFor("site", "synced", commit: two, timeout: .seconds(30))
        try browser.wait("\(Self.fact("source", "Commit")) === '\(two)'", "the synced commit, live")
        #expect(try browser.eval("document.documentElement.outerHTML.includes('\(token)')") == "false")

        // The list, in the same tab: the token's namespace only.
        try browser.eval("location.href = '/'")
        try browser.wait(
            """
            document.getElementById('live').textContent === 'live' && !!document.getElementById('app-site')
              && document.querySelectorAll('#apps tr').length === 1
            """, "the list, with the token")
    }
}
