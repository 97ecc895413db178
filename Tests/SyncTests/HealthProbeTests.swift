import Foundation
import LocalServers
import NIOHTTP1
import State
import Sync
import TestSupport
import Testing

/// The health probe against the contract server: a redirect is the answer, never followed
/// (a tenant's function could send the daemon anywhere); the timeout covers an answer whose
/// body never ends; the expected class and body.
@Suite struct HealthProbeTests {
    static func docker(_ server: ContractServer, _ path: String) async throws {
        let body = #"{"runtime": "docker", "code": "registry.local/api:1", "port": 8080}"#
        let answer = try await ContractServerInvokeTests.call(.POST, "\(server.base)/api/deploy/t\(path)", body: body)
        #expect(answer.status == 201)
    }

    @Test func aRedirectIsTheAnswerNotFollowed() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let elsewhere = try await RecordingServer.start()
        defer { elsewhere.stop() }
        try await Self.docker(server, "/hop")
        server.state.withLock {
            $0.invokeOverride["t/hop"] = { _ in
                FunctionResponse(
                    status: 307, headers: ["Location": "\(elsewhere.base)/api/gitops/applications/x/rollback"])
            }
        }
        let probe = HTTPHealthProbe()
        let result = await probe.run(
            .init(name: "/hop", url: "\(server.base)/t/hop", method: "POST", expect: .family(2)))
        #expect(result.result == .fail && result.code == 307, "\(result)")
        #expect(result.message == "HTTP 307, expected 2xx")
        #expect(elsewhere.requests.isEmpty, "the redirect was followed")
    }

    @Test func theTimeoutCoversABodyThatNeverEnds() async throws {
        // A server that sends its head and one byte of a 100-byte body, then nothing.
        let dir = try TempDir("zg-probe-trickle")
        let port = freePort()
        let script = """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", \(port))); s.listen(8)
            while True:
                c, _ = s.accept(); c.recv(65536)
                c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\no"); time.sleep(3600)
            """
        let trickle = try ServerProcess(
            "trickle", executable: "/usr/bin/python3", arguments: ["-c", script], port: port, log: dir.file("log"))
        defer { trickle.stop() }
        let result = await HTTPHealthProbe().run(
            .init(name: "/slow", url: "http://127.0.0.1:\(port)/slow", body: "ok", timeout: 1))
        #expect(result.result == .fail && result.message == "no answer within 1s", "\(result)")
    }

    @Test func expectAndBody() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        try await Self.docker(server, "/ok")
        server.state.withLock {
            $0.invokeOverride["t/ok"] = { req in FunctionResponse(status: 202, body: "fine \(req.query["p"] ?? "")") }
        }
        let probe = HTTPHealthProbe()
        let url = "\(server.base)/t/ok?p=1"
        #expect(await probe.run(.init(name: "/ok", url: url, expect: .family(2))).result == .pass)
        let code = await probe.run(.init(name: "/ok", url: url, expect: .code(200)))
        #expect(code.result == .fail && code.message == "HTTP 202, expected 200", "\(code)")
        let body = await probe.run(.init(name: "/ok", url: url, expect: .code(202), body: "fine 2"))
        #expect(body.result == .fail && body.message == "the answer does not contain \"fine 2\"", "\(body)")
        let refused = await probe.run(.init(name: "/x", url: "http://127.0.0.1:\(freePort())/x"))
        #expect(refused.result == .fail && (refused.message ?? "").hasPrefix("cannot connect"), "\(refused)")
    }
}
