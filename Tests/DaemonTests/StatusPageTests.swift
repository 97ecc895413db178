import Foundation
import TestSupport
import Testing

/// The status page at `GET /`, tried in a real browser: Debian's chromium, headless,
/// driven over the DevTools protocol (a small Python client, websocket-client from
/// PyPI in .build/tools), against the live daemon. The page must list the app, then show a
/// pushed commit and a newly registered app without being reloaded.
@Suite(.serialized) struct StatusPageTests {
    /// Talks to the page over the DevTools protocol: `wait EXPR SECONDS` (until the
    /// JavaScript expression is true), `eval EXPR`, `screenshot FILE`.
    static let devtools = #"""
        import base64, json, sys, time, urllib.request
        import websocket
        port, command = int(sys.argv[1]), sys.argv[2]
        pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json")) if t["type"] == "page"]
        ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        counter = 0
        def call(method, params):
            global counter
            counter += 1
            ws.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter:
                    return message.get("result", {})
        def evaluate(expression):
            return call("Runtime.evaluate", {"expression": expression, "returnByValue": True}).get("result", {}).get("value")
        if command == "wait":
            deadline = time.time() + float(sys.argv[4])
            while time.time() < deadline:
                if evaluate(sys.argv[3]) is True:
                    sys.exit(0)
                time.sleep(0.1)
            print(evaluate("document.body.innerText"))
            sys.exit(1)
        elif command == "eval":
            print(json.dumps(evaluate(sys.argv[3])))
        elif command == "screenshot":
            open(sys.argv[3], "wb").write(base64.b64decode(call("Page.captureScreenshot", {"format": "png"})["data"]))
        """#

    @Test func thePageShowsAppsAndFollowsThemLiveInChromium() throws {
        let python = Build.packageRoot + "/.build/tools/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
            FileManager.default.isExecutableFile(atPath: python),
            (try? run(python, ["-c", "import websocket"]))?.status == 0
        else {
            Issue.record("chromium and websocket-client are needed (make deps-test installs them)")
            return
        }
        let w = try World("status-page")
        let repo = try GitRepo(
            root: w.reposDir, name: "site",
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  static: {dir: static}\n",
                "static/index.html": "one\n",
            ])
        let gitPort = try w.serve()
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: gitPort), poll: "1s"))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let page = "http://127.0.0.1:\(try listeningPort(d))/"

        // Rendered on the server: readable without JavaScript.
        let html = try run("/usr/bin/curl", ["-s", page]).stdout
        #expect(
            html.contains("<tr id=\"app-site\" data-namespace=\"web\" data-status=\"synced\">"), "\(html.prefix(300))")
        #expect(!html.contains("http://") && !html.contains("https://"), "no external assets")

        let script = try w.dir.write("devtools.py", Self.devtools)
        let port = freePort()
        let browser = try spawn(
            "/usr/bin/chromium",
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,640",
                "--remote-debugging-port=\(port)", "--user-data-dir=\(w.dir.file("chromium"))", page,
            ],
            environment: ProcessInfo.processInfo.environment, log: w.dir.file("chromium.log"), append: false,
            name: "chromium")
        defer {
            kill(browser, SIGKILL)
            var st: Int32 = 0
            waitpid(browser, &st, 0)
        }
        try waitUntil(timeout: .seconds(30), "chromium's DevTools port") { portAcceptsConnections(port) }
        func wait(_ expression: String, _ what: String) throws {
            let out = try run(python, [script, String(port), "wait", expression, "30"])
            #expect(out.status == 0, "\(what): the page shows \(out.stdout) \(out.stderr)")
        }
        func cell(_ app: String, _ column: String) -> String {
            "(document.querySelector('#app-\(app) td.\(column)') || {}).textContent"
        }
        let one = try repo.head()
        try wait(
            "\(cell("site", "commit")) === '\(one.prefix(12))' && document.getElementById('live').textContent === 'live'",
            "the app, live")
        // A marker that a reload would lose.
        _ = try run(python, [script, String(port), "eval", "window.notReloaded = true"])

        let two = try repo.commit(["static/index.html": "two\n"], message: "two")
        try wait(
            "\(cell("site", "commit")) === '\(two.prefix(12))' && window.notReloaded === true",
            "the pushed commit without a reload")

        // A new registration appears, and a broken one shows its error with file:line.
        _ = try GitRepo(
            root: w.reposDir, name: "blog",
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: blog, namespace: docs}\nspec:\n  static: {dir: static}\n",
                "static/post.html": "post\n",
            ])
        try w.write("blog.yaml", registration("blog", namespace: "docs", url: w.url("blog", port: gitPort), poll: "1s"))
        try w.write(
            "broken.yaml", "name: broken\nnamespace: docs\nsource: {repoURL: \"https://h/o/r\", brnach: main}\n")
        try wait(
            "\(cell("blog", "status")) === 'synced' && \(cell("broken", "error")).includes('broken.yaml:3:') && window.notReloaded === true",
            "new applications without a reload")
        // The filters.
        _ = try run(
            python,
            [
                script, String(port), "eval",
                "document.getElementById('f-namespace').value = 'docs'; document.getElementById('f-namespace').onchange(); 1",
            ])
        try wait(
            "document.getElementById('app-site').hidden === true && document.getElementById('app-blog').hidden === false",
            "the namespace filter")
        _ = try run(
            python,
            [
                script, String(port), "eval",
                "document.getElementById('f-namespace').value = ''; document.getElementById('f-namespace').onchange(); 1",
            ])

        // Still the first stream: it was never dropped (no reconnect, no reload).
        try wait(
            "document.getElementById('live').textContent === 'live' && window.zgConnections === 1 && window.notReloaded === true",
            "the same live stream")
        let shot = w.dir.file("status-page.png")
        #expect(try run(python, [script, String(port), "screenshot", shot]).status == 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        if let keep = ProcessInfo.processInfo.environment["ZG_SCREENSHOT_OUT"] {
            try? png.write(to: URL(fileURLWithPath: keep))
        }
    }
}
