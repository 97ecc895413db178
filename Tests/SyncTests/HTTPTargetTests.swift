import Foundation
import Manifest
import Synchronization
import TestSupport
import Testing

@testable import Sync

private func fastOptions(retries: Int = 4, timeout: Duration = .seconds(10)) -> HTTPTarget.Options {
    var o = HTTPTarget.Options()
    o.retries = retries
    o.baseDelay = .milliseconds(5)
    o.maxDelay = .milliseconds(50)
    o.timeout = timeout
    return o
}

private let files: [String: String] = [
    "zerverless.yaml": manifest(
        functions: """
                - {path: /api/hello, runtime: lua, code: "return 1"}
                - {path: /api/py, runtime: python, codeFile: api.py}

            """),
    "api.py": "def handle(req):\n    return {}\n",
    "static/index.html": "<h1>hi</h1>", "static/my page.html": "spaces",
]

@Suite(.serialized) struct HTTPTargetTests {
    @Test func syncAgainstTheContractServer() async throws {
        let server = try await ContractServer.start(token: "t0ken-secret")
        defer { server.stop() }
        let h = try SyncHarness(
            files: files, target: HTTPTarget(base: server.base, token: "t0ken-secret", options: fastOptions()))
        let first = try await h.sync()
        #expect(
            first.report?.failed == false,
            "\(String(describing: first.report?.functionErrors)) \(String(describing: first.report?.fileErrors))")
        let state = server.state.withLock { $0 }
        #expect(state.deployments["web/api/hello"]?.code == "return 1")
        #expect(state.deployments["web/api/hello"]?.runtime == "lua")
        #expect(state.deployments["web/api/py"]?.code.contains("def handle") == true)
        #expect(state.storage["web"]?["my page.html"] == Array("spaces".utf8))
        #expect(state.authorization.allSatisfy { $0 == "Bearer t0ken-secret" })

        // Unchanged commit: zero requests.
        let before = server.state.withLock { $0.log.count }
        try await h.sync()
        #expect(server.state.withLock { $0.log.count } == before)

        // Remove a function and a file: DELETEs; the listing shows what is left.
        try h.repo.commit(
            [
                "zerverless.yaml": manifest(functions: "    - {path: /api/hello, runtime: lua, code: \"return 2\"}\n"),
                "static/my page.html": nil,
            ], message: "remove")
        let second = try await h.sync()
        #expect(second.report?.undeployed == ["/api/py"] && second.report?.deletedFiles == 1)
        #expect(server.state.withLock { $0.deployments["web/api/py"] } == nil)
        #expect(server.state.withLock { $0.deployments["web/api/hello"]?.code } == "return 2")
        let target = HTTPTarget(base: server.base, token: "t0ken-secret", options: fastOptions())
        #expect(try await target.listFiles(namespace: "web") == ["index.html"])
    }

    @Test func listingQuirkAndDeletesOfMissing() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let target = HTTPTarget(base: server.base, options: fastOptions())
        #expect(try await target.listFiles(namespace: "never-stored") == [])  // the orchestrator's 500
        // 404 on deletes counts as gone.
        try await target.undeploy(namespace: "web", path: "/nope")
        try await target.deleteFile(namespace: "web", path: "nope.txt")
    }

    @Test func fiveHundredsAreRetriedFourHundredsAreNot() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let target = HTTPTarget(base: server.base, options: fastOptions())
        server.state.withLock { $0.fail503 = 2 }
        try await target.upload(namespace: "web", path: "a.txt", bytes: Array("a".utf8))
        #expect(server.state.withLock { $0.log.filter { $0 == "PUT /api/storage/web/a.txt" }.count } == 3)

        let request = DeployRequest(
            namespace: "web", path: "/x", runtime: .lua, code: "", port: nil, app: "a", commit: "c")
        do {
            try await target.deploy(request)
            Issue.record("expected a 400")
        } catch {
            #expect(!error.retryable)
            #expect(error.message == "POST \(server.base)/api/deploy/web/x: 400 code is required")
        }
        #expect(server.state.withLock { $0.log.filter { $0 == "POST /api/deploy/web/x" }.count } == 1)
    }

    @Test func aTargetDownThenBackIsFinishedByTheNextSync() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        let h = try SyncHarness(files: files, target: HTTPTarget(base: server.base, options: fastOptions(retries: 1)))
        server.state.withLock { $0.fail503 = 1000 }
        let down = try await h.sync()
        #expect(down.report?.failed == true && down.report?.retryable == true)
        #expect(
            down.report?.functionErrors["/api/hello"]?.hasPrefix("POST \(server.base)/api/deploy/web/api/hello: 503")
                == true)
        #expect(try h.inventory()?.isConfirmed == false)
        server.state.withLock { $0.fail503 = 0 }
        let up = try await h.sync()
        #expect(up.report?.failed == false)
        #expect(try h.inventory()?.isConfirmed == true)
        #expect(server.state.withLock { $0.deployments.count } == 2)
    }

    @Test func slowAnswersTimeOut() async throws {
        let server = try await ContractServer.start()
        defer { server.stop() }
        server.state.withLock { $0.delay = .seconds(5) }
        let target = HTTPTarget(base: server.base, options: fastOptions(retries: 1, timeout: .milliseconds(300)))
        do {
            try await target.upload(namespace: "web", path: "a", bytes: [1])
            Issue.record("expected a timeout")
        } catch {
            #expect(error.retryable)
            #expect(error.message.contains("(after 2 attempts)"), "\(error.message)")
        }
    }

    @Test func droppedConnectionsAreRetryableFailures() async throws {
        let dropper = try DroppingListener()
        let target = HTTPTarget(
            base: "http://127.0.0.1:\(dropper.port)", token: "secret-token-value", options: fastOptions(retries: 2))
        do {
            try await target.upload(namespace: "web", path: "a", bytes: [1])
            Issue.record("expected a failure")
        } catch {
            #expect(error.retryable)
            #expect(error.message.contains("(after 3 attempts)"), "\(error.message)")
            #expect(!error.message.contains("secret-token-value"))
        }
        #expect(dropper.accepted >= 3)
    }
}

/// Accepts connections and closes them at once, without a byte: a dropped connection.
final class DroppingListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        func add() {
            lock.lock()
            value += 1
            lock.unlock()
        }
        var current: Int {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
    }

    private let count = Counter()
    var accepted: Int { count.current }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(fd, 16)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let counter = count
        Thread.detachNewThread {
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                counter.add()
                close(c)
            }
        }
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
