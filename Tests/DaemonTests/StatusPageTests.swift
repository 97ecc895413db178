import Foundation
import TestSupport
import Testing

/// The pages for people, tried in a real browser (Chromium, headless, over the DevTools
/// protocol) against the live daemon. `GET /`: worst first, counts, drift and pin badges,
/// fits 1280 px, follows the event stream without a reload; `GET /apps/NAME`
/// (StatusPageTests+AppPage): everything about one application, its buttons.
@Suite(.serialized) struct StatusPageTests {
    static func manifest(_ name: String, namespace: String, extra: String = "") -> String {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n"
            + "  static: {dir: static}\n" + extra
    }

    /// A runtime name that is a script and an image with a handler, and long: the status's
    /// message quotes it.
    static let hostile =
        "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
        + String(repeating: "very-long-runtime-name-", count: 12)

    /// `(document.querySelector('#app-APP td.COLUMN') || {}).textContent`
    static func cell(_ app: String, _ column: String) -> String {
        "(document.querySelector('#app-\(app) td.\(column)') || {}).textContent"
    }

    @Test func theListIsWorstFirstFitsTheScreenAndFollowsTheEventStream() throws {
        guard Chromium.available else {
            Issue.record("chromium and websocket-client are needed (make deps-test installs them)")
            return
        }
        let w = try World("status-page")
        let site = try GitRepo(
            root: w.reposDir, name: "site",
            files: ["zerverless.yaml": Self.manifest("site", namespace: "web"), "static/index.html": "one\n"])
        let shop = try GitRepo(
            root: w.reposDir, name: "shop",
            files: ["zerverless.yaml": Self.manifest("shop", namespace: "store"), "static/index.html": "v1\n"])
        let shopOne = try shop.head()
        let shopTwo = try shop.commit(["static/index.html": "v2\n"], message: "v2")
        _ = try GitRepo(
            root: w.reposDir, name: "evil",
            files: [
                "zerverless.yaml": Self.manifest(
                    "evil", namespace: "tenant",
                    extra: "  functions:\n    - path: /x\n      runtime: \"\(Self.hostile)\"\n      code: \"x\"\n"),
                "static/a.txt": "a\n",
            ])
        let gitPort = try w.serve()
        for (name, namespace) in [("site", "web"), ("shop", "store"), ("evil", "tenant")] {
            try w.write(
                "\(name).yaml", registration(name, namespace: namespace, url: w.url(name, port: gitPort), poll: "1s"))
        }
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--drift-interval", "1s"])
        try d.waitFor("site", "synced", commit: try site.head(), timeout: .seconds(60))
        try d.waitFor("shop", "synced", commit: shopTwo, timeout: .seconds(60))
        try d.waitFor("evil", "invalid", timeout: .seconds(60))
        // shop: rolled back, pinned.
        let rollback = try run(
            Build.binary,
            ["rollback", "shop", "--to", shopOne, "--reason", "v2 breaks the cart", "--state-dir", w.stateDir]
                + ["--apps-dir", w.appsDir, "--allow-file-urls"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        try waitUntil(timeout: .seconds(30), "shop pinned at its first commit") {
            d.commit("shop") == shopOne && d.status("shop")?["pinned"] != nil && d.phase("shop") == "synced"
        }
        let page = "http://127.0.0.1:\(try listeningPort(d))/"

        // Rendered on the server: readable without JavaScript, worst first, escaped.
        let html = try run("/usr/bin/curl", ["-s", page]).stdout
        #expect(
            html.contains(
                "<tr id=\"app-site\" data-namespace=\"web\" data-status=\"synced\" data-rank=\"4\" data-flags=\"\" data-labels=\"\">"
            ),
            "\(html.prefix(300))")
        #expect(!html.contains("http://") && !html.contains("https://"), "no external assets")
        let order = html.components(separatedBy: "<tr id=\"app-").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(order == ["evil", "shop", "site"], "\(order)")
        #expect(html.contains("<a href=\"/apps/shop\">shop</a>"))
        #expect(!html.contains("<script>window.pwned") && !html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=window.pwned=2&gt;"))
        #expect(html.contains("data-filter=\"flag:pinned\"><span class=\"st st-pin\">1</span> pinned</button>"))

        let browser = try Chromium(page, dir: w.dir)
        try browser.wait(
            "\(Self.cell("site", "commit")) === '\(try site.head().prefix(12))' && document.getElementById('live').textContent === 'live'",
            "the app, live")
        // A marker that a reload would lose.
        try browser.eval("window.notReloaded = true")

        let two = try site.commit(["static/index.html": "two\n"], message: "two")
        try browser.wait(
            "\(Self.cell("site", "commit")) === '\(two.prefix(12))' && window.notReloaded === true",
            "the pushed commit without a reload")

        // New registrations appear: one that drifts, and a broken one with its file:line.
        _ = try GitRepo(
            root: w.reposDir, name: "blog",
            files: ["zerverless.yaml": Self.manifest("blog", namespace: "docs"), "static/post.html": "post\n"])
        try w.write("blog.yaml", registration("blog", namespace: "docs", url: w.url("blog", port: gitPort), poll: "1s"))
        try w.write(
            "broken.yaml", "name: broken\nnamespace: docs\nsource: {repoURL: \"https://h/o/r\", brnach: main}\n")
        try browser.wait(
            "document.getElementById('app-blog') && document.getElementById('app-blog').dataset.status === 'synced' && "
                + "\(Self.cell("broken", "detail")).includes('broken.yaml:3:') && window.notReloaded === true",
            "new applications without a reload")
        try Data("edited by hand\n".utf8).write(
            to: URL(fileURLWithPath: w.stateDir + "/published/static/docs/post.html"))
        try browser.wait("!!document.querySelector('#app-blog td.status .b-drift')", "blog's drift badge")

        // Worst first: invalid (by name), drifted, pinned, synced.
        try browser.wait(
            "Array.from(document.querySelectorAll('#apps tr')).map(r => r.id).join() === "
                + "'app-broken,app-evil,app-blog,app-shop,app-site'",
            "worst first")
        // The counts at the top.
        func count(_ filter: String) -> String {
            "(document.querySelector('#counts [data-filter=\"\(filter)\"]') || {}).textContent"
        }
        try browser.wait(
            "\(count("")) === '5 applications' && \(count("status:invalid")) === '2 invalid' && "
                + "\(count("flag:drift")) === '1 drifted' && \(count("flag:pinned")) === '1 pinned' && "
                + "\(count("status:synced")) === '3 synced' && document.title === '(2 failing) zerverless-gitops'",
            "the counts")
        // A drifted app is amber, not green; a pinned one says so.
        try browser.wait(
            """
            (() => { const st = app => document.querySelector('#app-' + app + ' td.status .st');
              const green = getComputedStyle(st('site')).backgroundColor;
              return st('blog').classList.contains('st-warn') && getComputedStyle(st('blog')).backgroundColor !== green
                && st('site').classList.contains('st-ok') && st('blog').textContent === 'synced'
                && document.querySelector('#app-shop .b-pin').title.includes('v2 breaks the cart'); })()
            """, "the drift badge")
        // The error once, with its place; times relative with the RFC 3339 time in the title.
        try browser.wait(
            """
            (() => { const td = document.querySelector('#app-evil td.detail');
              return /^zerverless.yaml:\\d+:\\d+: /.test(td.textContent) && td.querySelectorAll('.err').length === 1
                && td.textContent.includes('<script>window.pwned=1</script>') && td.title.includes('expected one of'); })()
            """, "the error with its place")
        try browser.wait(
            """
            (() => { const t = document.querySelector('#app-site td.lastSync time');
              return /^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$/.test(t.title) && / ago$|^just now$/.test(t.textContent); })()
            """, "relative times")
        // 1280 px: nothing wider than the window; a long message is cut with an ellipsis.
        try browser.wait(
            """
            document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 1280
              && getComputedStyle(document.querySelector('#app-evil td.detail')).textOverflow === 'ellipsis'
              && document.querySelector('#app-evil td.detail').scrollWidth > document.querySelector('#app-evil td.detail').clientWidth
            """, "no horizontal scrolling at 1280 px")
        // Nothing a tenant wrote ran (the server's rows and the script's).
        try browser.wait(
            "window.pwned === undefined && document.querySelectorAll('img').length === 0 && window.notReloaded === true",
            "nothing hostile ran")

        // The filters: namespace, a count, text.
        try browser.eval(
            "document.getElementById('f-namespace').value = 'docs'; document.getElementById('f-namespace').onchange(); 1"
        )
        try browser.wait(
            "document.getElementById('app-site').hidden === true && document.getElementById('app-blog').hidden === false",
            "the namespace filter")
        try browser.eval(
            "document.getElementById('f-namespace').value = ''; document.getElementById('f-namespace').onchange(); 1")
        try browser.eval("document.querySelector('#counts [data-filter=\"flag:pinned\"]').click(); 1")
        try browser.wait(
            "Array.from(document.querySelectorAll('#apps tr')).filter(r => !r.hidden).map(r => r.id).join() === 'app-shop'",
            "the pinned count as a filter")
        try browser.eval("document.querySelector('#counts [data-filter=\"flag:pinned\"]').click(); 1")
        try browser.eval(
            "(() => { const f = document.getElementById('f-text'); f.value = 'BLOG'; f.oninput(); return 1; })()")
        try browser.wait(
            "Array.from(document.querySelectorAll('#apps tr')).filter(r => !r.hidden).map(r => r.id).join() === 'app-blog'",
            "the text filter")
        try browser.eval(
            "(() => { const f = document.getElementById('f-text'); f.value = ''; f.oninput(); return 1; })()")
        try browser.wait(
            "Array.from(document.querySelectorAll('#apps tr')).every(r => !r.hidden)", "every application again")

        // Still the first stream: it was never dropped (no reconnect, no reload).
        try browser.wait(
            "document.getElementById('live').textContent === 'live' && window.zgConnections === 1 && window.notReloaded === true",
            "the same live stream")
        // The server's order agrees with the script's.
        let again = try run("/usr/bin/curl", ["-s", page]).stdout
        let serverOrder = again.components(separatedBy: "<tr id=\"app-").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(serverOrder == ["broken", "evil", "blog", "shop", "site"], "\(serverOrder)")

        let png = try browser.screenshot(w.dir.file("status-page.png"))
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        Chromium.keep(png, as: "status-page.png")

        // What documents will hold (progress, suspended, labels, health): the script draws it.
        try browser.wait(
            """
            (() => { upsert(\(Self.future)); const tr = document.getElementById('app-future'), p = tr.querySelector('progress');
              return p.value === 3 && p.max === 10 && tr.querySelector('.progress').textContent === 'deploy 3/10 files'
                && tr.querySelector('.b-suspended').title === 'suspended: maintenance (since 2026-01-01T00:00:00Z)'
                && tr.querySelector('.h-degraded').title.includes('/api/hello: HTTP 500')
                && tr.querySelector('.chip').textContent === 'team=<b>web</b>' && !tr.querySelector('b')
                && tr.dataset.rank === '1' && tr.previousElementSibling.id === 'app-evil'
                && document.querySelector('#counts [data-filter="flag:degraded"]').textContent === '1 degraded'; })()
            """, "the fields to come")
        // The label filter: only the rows with that label.
        try browser.wait(
            """
            (() => { const s = document.getElementById('f-label'); s.value = 'team=<b>web</b>'; s.onchange();
              const shown = Array.from(document.querySelectorAll('#apps tr')).filter(tr => !tr.hidden).map(tr => tr.id);
              const ok = shown.length === 1 && shown[0] === 'app-future'
                && document.getElementById('summary').textContent.startsWith('showing 1 of');
              s.value = ''; s.onchange(); return ok; })()
            """, "the label filter")
    }

    /// A status document with the fields the daemon does not write yet.
    static let future = """
        {name: "future", namespace: "web", status: "syncing", source: {repoURL: "x", path: ".", commit: "\(String(repeating: "a", count: 40))"},
          progress: {stage: "deploy", done: 3, total: 10, unit: "files", updatedAt: "2026-01-01T00:00:00Z"},
          suspended: {reason: "maintenance", since: "2026-01-01T00:00:00Z"}, labels: {team: "<b>web</b>"},
          health: {status: "degraded", checkedAt: "2026-01-01T00:00:00Z",
            checks: [{name: "/api/hello", url: "http://h/web/api/hello", result: "fail", code: 500, latencyMs: 3, message: "HTTP 500"}]}}
        """
}
