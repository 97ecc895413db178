import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// The connection guard behind the hot path: a connection whose requests are all
/// answered hot is moving (not closed at the head timeout), and closed once it idles.
@Suite struct HotReadsGuardTests {
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
                    firsts.insert(try connection.exchange(request).hasPrefix("HTTP/1.1 200 OK\r\n"))
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

    @Test func bodyFilesHoldTheBytesInTheStateDirOrInMemory() throws {
        let body = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let dir = try TempDir("bodyfile")
        for directory in [dir.path, "/nonexistent-directory", nil] as [String?] {
            let file = try #require(BodyFile(body, directory: directory))
            var read = [UInt8](repeating: 0, count: file.count)
            #expect(pread(file.descriptor, &read, read.count, 0) == body.readableBytes)
            #expect(read == Array(buffer: body), "\(directory ?? "memfd")")
            // The file cannot be written through (a memory file is sealed; the unnamed
            // file is only this descriptor's).
            let target =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(file.descriptor)")) ?? ""
            if directory == dir.path {
                #expect(target.hasPrefix(dir.path + "/#") && target.hasSuffix("(deleted)"), "\(target)")
            } else {
                #expect(target.contains("memfd:zerverless-gitops-list"), "\(target)")
                #expect(pwrite(file.descriptor, "x", 1, 0) == -1)
            }
        }
    }
}

/// One keep-alive connection over a plain socket (5 s timeouts).
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    /// Sends a request and reads its whole answer (head and `Content-Length` bytes).
    func exchange(_ request: String) throws -> String {
        guard request.withCString({ send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else {
            throw POSIXError(.EPIPE)
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length {
                    return text
                }
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            received += chunk[0..<n]
        }
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
