import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// The hot path on the wire: what only the router may decide (a repeated or refused
/// Host, HTTP/1.0, HEAD, a repeated Authorization, a closing connection, a tenant's whole
/// list) is not answered hot, pipelined answers keep their order and framing, and the
/// connection guard behind it sees hot answers (a busy connection is not closed at the
/// head timeout; an idle one is).
@Suite struct HotReadsWireTests {
    @Test func whatOnlyTheRouterDecidesIsNotAnsweredHot() async throws {
        let paging = try ListPagingTests()
        let tokens = try paging.dir.write(
            "tokens", "operator-token-0123456789abcdef *\ntenant-token-0123456789abcdef web\n")
        let facade = Facade(appsDir: paging.apps, layout: paging.layout, tokens: try APITokens(file: tokens))
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        try await until(timeout: .seconds(20)) { facade.listIsLive }
        let hot = HotReads(facade: facade)
        let guarded = ConnectionGuard()
        let app = Application(
            router: facade.router(), server: hot.server(.init(additionalChannelHandlers: [guarded.handler()])))
        let file = try #require(FileManager.default.contents(atPath: paging.layout.statusFile("app-03")))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let op = "Authorization: Bearer operator-token-0123456789abcdef\r\n"
            let status = "/api/gitops/applications/app-03"
            func get(_ path: String = status, _ fields: String = "Host: 127.0.0.1\r\n" + op, method: String = "GET")
                -> String
            {
                "\(method) \(path) HTTP/1.1\r\n\(fields)\r\n"
            }
            // (what, request, answers it gets, the last answer's body is the file's)
            let cases: [(String, String, Int)] = [
                ("plain", get(), 1),
                ("two Host fields", get(status, "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n" + op), 1),
                ("a refused Host", get(status, "Host: evil.example\r\n" + op), 1),
                ("HTTP/1.0", "GET \(status) HTTP/1.0\r\nHost: 127.0.0.1\r\n\(op)\r\n", 1),
                ("two Authorization fields", get(status, "Host: 127.0.0.1\r\n" + op + op), 1),
                ("no token, the whole list", get("/api/gitops/applications", "Host: 127.0.0.1\r\n"), 1),
                (
                    "a tenant's whole list",
                    get(
                        "/api/gitops/applications",
                        "Host: 127.0.0.1\r\nAuthorization: Bearer tenant-token-0123456789abcdef\r\n"), 1
                ),
                ("a navigation", get(status, "Host: 127.0.0.1\r\nSec-Fetch-Mode: navigate\r\n" + op), 1),
                ("not a DNS label", get("/api/gitops/applications/App-03"), 1),
                ("HEAD, then GET, pipelined", get(method: "HEAD") + get(), 2),
                (
                    "Connection: close, then GET, pipelined",
                    get(status, "Host: 127.0.0.1\r\nConnection: close\r\n" + op) + get(), 1
                ),
            ]
            let results = try await BlockingPool(limit: 1, label: "socket").run {
                () -> [(what: String, statuses: [String], hot: Int, body: Data)] in
                try cases.map { what, request, answers in
                    let connection = try RawConnection(port: port)
                    let before = hot.answered
                    try connection.send(request)
                    var statuses: [String] = []
                    var body = Data()
                    for i in 0..<answers {
                        let answer = try connection.response(bodyless: what.hasPrefix("HEAD") && i == 0)
                        statuses.append(answer.head.components(separatedBy: "\r\n")[0])
                        body = Data(answer.body)
                    }
                    if what.hasPrefix("Connection: close") && !connection.closedWithin(seconds: 10) {
                        statuses.append("left open")
                    }
                    return (what, statuses, hot.answered - before, body)
                }
            }
            let ok = "HTTP/1.1 200 OK"
            for (what, statuses, hotAnswers, body) in results {
                switch what {
                case "plain":
                    #expect(statuses == [ok] && hotAnswers == 1 && body == file, "\(what)")
                case "HEAD, then GET, pipelined":
                    // Framed as two answers (the router has no HEAD route: 404, no body),
                    // the second with the file's bytes, in order.
                    #expect(statuses.count == 2 && statuses[1] == ok && body == file && hotAnswers <= 1, "\(statuses)")
                case "HTTP/1.0", "two Host fields":
                    #expect(statuses.count == 1 && hotAnswers == 0, "\(what): \(statuses)")
                case "a tenant's whole list":
                    #expect(statuses == [ok] && hotAnswers == 0, "\(what)")
                case "a refused Host":
                    #expect(statuses == ["HTTP/1.1 421 Misdirected Request"] && hotAnswers == 0, "\(what)")
                case "two Authorization fields", "no token, the whole list":
                    #expect(statuses == ["HTTP/1.1 401 Unauthorized"] && hotAnswers == 0, "\(what): \(statuses)")
                case "not a DNS label":
                    #expect(statuses == ["HTTP/1.1 400 Bad Request"] && hotAnswers == 0, "\(what): \(statuses)")
                case "Connection: close, then GET, pipelined":
                    #expect(statuses == [ok] && hotAnswers == 0, "\(what): \(statuses)")
                default:
                    #expect(statuses == [ok] && hotAnswers == 0, "\(what): \(statuses)")
                }
            }
        }
    }

    @Test func hotAnswersKeepAConnectionAliveAndIdleOnesAreClosed() async throws {
        let paging = try ListPagingTests()
        let facade = Facade(appsDir: paging.apps, layout: paging.layout)
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        try await until(timeout: .seconds(20)) { facade.listIsLive }
        let hot = HotReads(facade: facade)
        var limits = ConnectionGuard.Limits()
        limits.headTimeout = .seconds(1)
        let guarded = ConnectionGuard(limits: limits)
        let app = Application(
            router: facade.router(), server: hot.server(.init(additionalChannelHandlers: [guarded.handler()])))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Blocking socket calls, on a thread of their own (not the test pool's few).
            let (answers, firsts, closed) = try await BlockingPool(limit: 1, label: "socket").run {
                let connection = try RawConnection(port: port)
                let request = "GET /api/gitops/applications/app-03 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                // Two and a half head timeouts of requests, every one answered hot.
                let start = ContinuousClock.now
                var firsts = Set<Bool>()
                var answers = 0
                while ContinuousClock.now - start < .milliseconds(2500) {
                    firsts.insert(try connection.exchange(request).hasPrefix("HTTP/1.1 200 OK"))
                    answers += 1
                }
                // Then idle: closed by the guard within its head timeout (and a margin).
                return (answers, firsts, connection.closedWithin(seconds: 10))
            }
            #expect(firsts == [true], "every answer a 200")
            #expect(hot.answered == answers && answers > 10)
            #expect(closed)
        }
    }
}

/// One keep-alive connection over a plain socket (5 s timeouts).
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        guard let fd = loopbackSocket(port: port, timeout: timeval(tv_sec: 5, tv_usec: 0)) else {
            throw POSIXError(.ECONNREFUSED)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Bytes read past the last answer.
    private var buffered: [UInt8] = []

    func send(_ request: String) throws {
        guard request.withCString({ Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else {
            throw POSIXError(.EPIPE)
        }
    }

    /// The next answer: its head, and its `Content-Length` bytes (none for a HEAD's).
    func response(bodyless: Bool = false) throws -> (head: String, body: [UInt8]) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = buffered.indices.dropLast(3).first(where: {
                buffered[$0..<$0 + 4].elementsEqual([13, 10, 13, 10])
            }) {
                let head = String(decoding: buffered[..<end], as: UTF8.self)
                let length =
                    bodyless
                    ? 0
                    : head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                        ?? 0
                if buffered.count >= end + 4 + length {
                    let body = Array(buffered[(end + 4)..<(end + 4 + length)])
                    buffered.removeFirst(end + 4 + length)
                    return (head, body)
                }
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            buffered += chunk[0..<n]
        }
    }

    /// Sends a request and reads its whole answer (head and `Content-Length` bytes).
    func exchange(_ request: String) throws -> String {
        try send(request)
        return try response().head
    }

    /// Whether the server closes the connection within `seconds` (reads time out at 5 s).
    func closedWithin(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var chunk = [UInt8](repeating: 0, count: 512)
        while Date() < deadline {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return true }
            if n < 0 && errno != EAGAIN && errno != EINTR { return true }
        }
        return false
    }
}
