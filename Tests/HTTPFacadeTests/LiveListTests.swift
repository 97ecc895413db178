import Foundation
import HTTPFacade
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing
import Toolkit

/// The list kept live from the status feed (as the daemon runs the facade): each status
/// file written, added or removed (by any process) moves the list, pages included, without
/// reading every file again; a registration the API writes is listed at once.
@Suite struct LiveListTests {
    let paging: ListPagingTests

    init() throws { paging = try ListPagingTests() }

    func names(_ client: some TestClientProtocol, _ query: String = "") async throws -> [String] {
        let answer = try await client.execute(uri: "/api/gitops/applications\(query)", method: .get, body: nil)
        #expect(answer.status == .ok)
        return (paging.object(answer.body)["applications"] as? [[String: Any]] ?? []).compactMap {
            $0["name"] as? String
        }
    }

    /// Waits (real time, bounded) until the list answers `expected` for `query`.
    func listed(
        _ client: some TestClientProtocol, _ query: String, _ expected: [String]
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await names(client, query) == expected { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    @Test func changesOfTheFilesMoveTheListAndItsPages() async throws {
        let layout = paging.layout
        let facade = Facade(appsDir: paging.apps, layout: layout)
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        try await until(timeout: .seconds(20)) { facade.listIsLive }
        try await Application(router: facade.router()).test(.router) { client in
            // The same walks as a facade that reads the files.
            let all = try await paging.walk(client, "limit=10")
            #expect(all.names == (0..<25).map { String(format: "app-%02d", $0) })
            #expect(all.totals == [25])
            let failing = try await names(client, "?status=error&limit=50")
            #expect(failing == ["app-00", "app-05", "app-10", "app-15", "app-20"])
            #expect(try await names(client, "?status=error&limit=50") == failing, "a kept page, the same")

            // A status file rewritten (as another process would): the filter and the page move.
            var doc = try #require(try layout.readStatus("app-03"))
            doc.status = .error
            try layout.writeStatus(doc)
            #expect(
                try await listed(
                    client, "?status=error&limit=50", ["app-00", "app-03", "app-05", "app-10", "app-15", "app-20"]))
            let one = try await client.execute(uri: "/api/gitops/applications/app-03", method: .get, body: nil)
            #expect(paging.object(one.body)["status"] as? String == "error")

            // An application's folder appears with its status; another one's goes.
            try FileManager.default.createDirectory(atPath: layout.appDir("app-99"), withIntermediateDirectories: true)
            try layout.writeStatus(
                StatusDocument(
                    name: "app-99", namespace: "web",
                    source: .init(repoURL: "https://h/o/r", branch: "main", path: "."),
                    status: .synced))
            try FileManager.default.removeItem(atPath: layout.appDir("app-01"))
            var expected = (0..<25).map { String(format: "app-%02d", $0) }.filter { $0 != "app-01" } + ["app-99"]
            #expect(try await listed(client, "", expected))
            #expect(try await listed(client, "?limit=100", expected))

            // A registration the API writes is listed at once, pending.
            let posted = try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: FacadeRouterTests.json,
                body: ByteBuffer(string: FacadeRouterTests.designBody))
            #expect(posted.status == .created)
            expected = (expected + ["my-app"]).sorted()
            #expect(try await names(client) == expected)
            #expect(try await names(client, "?status=pending") == ["my-app"])
        }
        #expect(facade.listIsLive)
    }
}
