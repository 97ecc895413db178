import Foundation
import TestSupport
import Testing

/// Debian's chromium, headless, driven over the DevTools protocol by a small Python client
/// (websocket-client from PyPI in .build/tools), for the pages' tests. Every wait is on a
/// JavaScript condition with a deadline.
final class Chromium {
    /// `wait EXPR SECONDS` (until the expression is true; prints the page's text if not),
    /// `eval EXPR`, `screenshot FILE`, `status EXPR URLPART` (evaluates the expression,
    /// then prints the HTTP status of the first response whose URL contains URLPART, as the
    /// network saw it: an opaque cross-origin answer's too).
    static let devtools = #"""
        import base64, json, sys, time, urllib.request
        import websocket
        port, command = int(sys.argv[1]), sys.argv[2]
        pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json")) if t["type"] == "page"]
        ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        counter, events = 0, []
        def call(method, params):
            global counter
            counter += 1
            ws.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter:
                    return message.get("result", {})
                events.append(message)
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
        elif command == "status":
            call("Network.enable", {})
            evaluate(sys.argv[3])
            deadline = time.time() + 30
            while time.time() < deadline:
                message = events.pop(0) if events else json.loads(ws.recv())
                if message.get("method") == "Network.responseReceived" and sys.argv[4] in message["params"]["response"]["url"]:
                    print(message["params"]["response"]["status"])
                    sys.exit(0)
            sys.exit(1)
        """#

    static let python = Build.packageRoot + "/.build/tools/bin/python3"

    /// Whether chromium and the Python client are installed (`make deps-test`).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: python)
            && (try? run(python, ["-c", "import websocket"]))?.status == 0
    }

    let port: Int
    let pid: pid_t
    let script: String

    /// A browser showing `url`, its window `size` wide and high.
    init(_ url: String, dir: TempDir, size: String = "1280,800") throws {
        script = try dir.write("devtools.py", Self.devtools)
        port = freePort()
        pid = try spawn(
            "/usr/bin/chromium",
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=\(size)",
                "--hide-scrollbars", "--remote-debugging-port=\(port)", "--user-data-dir=\(dir.file("chromium"))", url,
            ],
            environment: ProcessInfo.processInfo.environment, log: dir.file("chromium.log"), append: false,
            name: "chromium")
        try waitUntil(timeout: .seconds(30), "chromium's DevTools port") { portAcceptsConnections(port) }
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits until the expression is true (30 s at most); a failed wait is an issue, and
    /// ends the test (what follows depends on it).
    func wait(_ expression: String, _ what: String, seconds: Int = 30) throws {
        let out = try run(Self.python, [script, String(port), "wait", expression, String(seconds)])
        guard out.status == 0 else {
            Issue.record("\(what): the page shows \(out.stdout) \(out.stderr)")
            throw Timeout(description: what)
        }
    }

    /// The expression's value, as JSON.
    @discardableResult
    func eval(_ expression: String) throws -> String {
        try run(Self.python, [script, String(port), "eval", expression]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    func screenshot(_ file: String) throws -> Data {
        #expect(try run(Self.python, [script, String(port), "screenshot", file]).status == 0)
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }

    /// The HTTP status of the request the expression makes to a URL containing `url`.
    func responseStatus(of expression: String, url: String) throws -> Int? {
        Int(
            try run(Self.python, [script, String(port), "status", expression, url]).stdout.trimmingCharacters(
                in: .whitespacesAndNewlines))
    }

    /// Keeps a screenshot for the README when `ZG_SCREENSHOT_DIR` names a folder.
    static func keep(_ png: Data, as name: String) {
        if let dir = ProcessInfo.processInfo.environment["ZG_SCREENSHOT_DIR"] {
            try? png.write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
        }
    }
}
