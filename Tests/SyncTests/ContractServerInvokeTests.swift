import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// The contract server runs what is deployed to it as the platform does, with the real
/// interpreters: what health checks will call.
@Suite struct ContractServerInvokeTests {
    static let interpreters = ContractServer.detectInterpreters()
    static let lua = interpreters["lua"] != nil
    static let js = interpreters["js"] != nil
    static let python = interpreters["python"] != nil

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    static func call(
        _ method: HTTPMethod, _ url: String, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Deploys through the server's API, as the agent does.
    static func deploy(_ server: ContractServer, _ ns: String, _ path: String, _ runtime: String, _ code: String)
        async throws
    {
        let body = try JSONSerialization.data(withJSONObject: ["runtime": runtime, "code": code])
        let answer = try await call(
            .POST, "\(server.base)/api/deploy/\(ns)\(path)", body: String(decoding: body, as: UTF8.self))
        #expect(answer.status == 201, "\(answer.body)")
    }

    @Test(.enabled(if: lua)) func luaGetsTheRequestAndAnswersWithItsStatusHeadersBody() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        try await Self.deploy(
            server, "t", "/api/echo", "lua",
            """
            function handle(req)
              print("printed lines stay apart")
              local text = req.method .. " " .. req.path .. " " .. req.query.name .. " " .. req.headers["X-Trace-Id"]
              return {status = 201, headers = {["X-Runtime"] = "lua", ["Content-Type"] = "text/plain"},
                      body = text .. " " .. req.body .. " \\"q\\"\\n\\1"}
            end
            """)
        let answer = try await Self.call(
            .POST, "\(server.base)/t/api/echo?name=a+b%21&name=second&flag", body: "payload",
            headers: [("x-trace-id", "abc")])
        #expect(answer.status == 201)
        #expect(answer.headers["X-Runtime"] == ["lua"])
        #expect(answer.headers["Content-Type"] == ["text/plain"])
        #expect(answer.body == "POST / a b! abc payload \"q\"\n\u{1}")
        #expect(server.state.withLock { $0.invocations } == ["t/api/echo": 1])
    }

    @Test(.enabled(if: js)) func jsGetsTheRequestAndAnswersWithItsStatusHeadersBody() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        try await Self.deploy(
            server, "t", "/api/js", "js",
            """
            function handle(req) {
              console.log("printed lines stay apart");
              return { status: 202, headers: { "X-Runtime": "js" },
                       body: JSON.stringify({ method: req.method, q: req.query.q, body: req.body }) };
            }
            """)
        let answer = try await Self.call(.PUT, "\(server.base)/t/api/js?q=1", body: "{\"x\": 1}")
        #expect(answer.status == 202)
        #expect(answer.headers["X-Runtime"] == ["js"])
        #expect(answer.body == #"{"method":"PUT","q":"1","body":"{\"x\": 1}"}"#)

        // The example application's function: no status (200), and req.path is "/".
        let time = try String(
            contentsOfFile: Build.packageRoot + "/examples/hello-app/handlers/time.js", encoding: .utf8)
        try await Self.deploy(server, "demo", "/api/time", "js", time)
        let example = try await Self.call(.GET, "\(server.base)/demo/api/time")
        #expect(example.status == 200)
        #expect(example.headers["Content-Type"] == ["application/json"])
        #expect(example.body.contains(#""path":"/""#))
    }

    @Test(.enabled(if: python)) func pythonPrintsItsOwnResult() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let api = try String(contentsOfFile: Build.packageRoot + "/examples/hello-app/handlers/api.py", encoding: .utf8)
        try await Self.deploy(server, "demo", "/api/python", "python", api)
        let answer = try await Self.call(.GET, "\(server.base)/demo/api/python?name=zg")
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == ["application/json"])
        #expect(answer.body == #"{"hello": "zg"}"#)
        #expect(server.state.withLock { $0.invocations["demo/api/python"] } == 1)
    }

    @Test(.enabled(if: lua && js && python)) func failuresAreFiveHundreds() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let cases: [(path: String, runtime: String, code: String, error: String)] = [
            ("/lua/500", "lua", "function handle(req) return {status=500, body='down'} end", ""),
            ("/lua/syntax", "lua", "function handle(req) return {status=200 end", "code.lua:1:"),
            ("/lua/throws", "lua", "function handle(req) error('boom') end", "boom"),
            ("/lua/nohandle", "lua", "x = 1", "handle"),
            ("/js/throws", "js", "function handle(req) { throw new Error('kaput') }", "kaput"),
            ("/js/syntax", "js", "function handle(req) { return {", "SyntaxError"),
            ("/py/raises", "python", "def handle(req):\n    return 1 / 0\nprint(handle(INPUT))\n", "ZeroDivisionError"),
            ("/py/silent", "python", "def handle(req):\n    return {}\n", "no result"),
        ]
        for c in cases { try await Self.deploy(server, "t", c.path, c.runtime, c.code) }
        for c in cases {
            let answer = try await Self.call(.GET, "\(server.base)/t\(c.path)")
            #expect(answer.status == 500, "\(c.path)")
            if c.error.isEmpty {
                #expect(answer.body == "down")
            } else {
                let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: String]
                #expect(json?["error"]?.contains(c.error) == true, "\(c.path): \(answer.body)")
            }
        }
    }

    @Test(.enabled(if: lua && python)) func aFunctionPastTheTimeoutIsKilledAndAnswers504() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let dir = try TempDir("zg-invoke")
        let pidFile = dir.file("pid")
        server.state.withLock { $0.invokeTimeout = .milliseconds(300) }
        try await Self.deploy(server, "t", "/lua/loop", "lua", "function handle(req) while true do end end")
        try await Self.deploy(
            server, "t", "/py/loop", "python",
            "import os\nopen(\(String(reflecting: pidFile)), 'w').write(str(os.getpid()))\nwhile True:\n    pass\n")
        let lua = try await Self.call(.GET, "\(server.base)/t/lua/loop")
        #expect(lua.status == 504)
        #expect(lua.body.contains("timeout"))
        // Python's start (through a version manager's shim, on a loaded host) fits in the time.
        server.state.withLock { $0.invokeTimeout = .seconds(3) }
        let python = try await Self.call(.GET, "\(server.base)/t/py/loop")
        #expect(python.status == 504)
        // The process is gone once the answer is out (killed and reaped).
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8)))
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
    }

    @Test(.enabled(if: lua)) func theLongestPrefixOfWholeSegmentsWins() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        try await Self.deploy(server, "t", "/api", "lua", "function handle(req) return {body='api'} end")
        try await Self.deploy(server, "t", "/api/v1", "lua", "function handle(req) return {body='v1'} end")
        try await Self.deploy(server, "u", "/api/v1/users", "lua", "function handle(req) return {body='u'} end")
        for (path, body) in [
            ("/t/api/v1/users/7", "v1"), ("/t/api/v1", "v1"), ("/t/api/v1/", "v1"), ("/t/api/v10", "api"),
            ("/t/api", "api"), ("/u/api/v1/users?x=1", "u"),
        ] {
            let answer = try await Self.call(.GET, server.base + path)
            #expect(answer.status == 200 && answer.body == body, "\(path): \(answer.status) \(answer.body)")
        }
        for path in ["/t/other", "/u/api/v1", "/v/api", "/t"] {
            #expect(try await Self.call(.GET, server.base + path).status == 404, "\(path)")
        }
        #expect(try await Self.call(.HEAD, server.base + "/t/api").status == 200)
        #expect(server.state.withLock { $0.invocations } == ["t/api/v1": 3, "t/api": 3, "u/api/v1/users": 1])
    }

    @Test func staticFilesAreServedWithTheirTypes() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        for (file, text) in [("css/site.css", "body{}"), ("index.html", "<h1>hi</h1>"), ("notes", "plain")] {
            #expect(try await Self.call(.PUT, "\(server.base)/api/storage/web/\(file)", body: text).status == 201)
        }
        for (file, type, text) in [
            ("css/site.css", "text/css", "body{}"), ("index.html", "text/html", "<h1>hi</h1>"),
            ("notes", "text/plain; charset=utf-8", "plain"),
        ] {
            let answer = try await Self.call(.GET, "\(server.base)/static/web/\(file)")
            #expect(answer.status == 200 && answer.body == text)
            #expect(answer.headers["Content-Type"] == [type])
        }
        for path in ["/static/web/missing.css", "/static/other/index.html", "/static/web/"] {
            #expect(try await Self.call(.GET, server.base + path).status == 404, "\(path)")
        }
    }

    @Test func notRunHereAndOverrides() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        server.state.withLock { $0.interpreters["lua"] = nil }
        try await Self.deploy(server, "t", "/lua", "lua", "function handle(req) return {} end")
        let lua = try await Self.call(.GET, "\(server.base)/t/lua")
        #expect(lua.status == 501 && lua.body.contains("no interpreter for the lua runtime"))

        let body = #"{"runtime": "docker", "code": "registry.local/api:1", "port": 8080}"#
        #expect(try await Self.call(.POST, "\(server.base)/api/deploy/t/svc", body: body).status == 201)
        let docker = try await Self.call(.GET, "\(server.base)/t/svc/health")
        #expect(docker.status == 502 && docker.body.contains("docker functions are not run by the contract server"))

        server.state.withLock {
            $0.invokeOverride["t/svc"] = { req in
                FunctionResponse(status: 418, headers: ["X-Seen": req.method], body: "teapot \(req.query["a"] ?? "")")
            }
        }
        let overridden = try await Self.call(.DELETE, "\(server.base)/t/svc/x?a=1")
        #expect(overridden.status == 418 && overridden.body == "teapot 1")
        #expect(overridden.headers["X-Seen"] == ["DELETE"])
        #expect(server.state.withLock { $0.invocations } == ["t/lua": 1, "t/svc": 2])
    }
}
