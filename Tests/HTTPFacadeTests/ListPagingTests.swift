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

/// `GET /api/gitops/applications?namespace=&status=&limit=&continue=`: stable name order,
/// an opaque continue token, every application on exactly one page.
@Suite struct ListPagingTests {
    let dir: TempDir
    let layout: StateLayout
    let apps: String

    init() throws {
        dir = try TempDir("zg-facade-paging")
        apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        layout = StateLayout(root: dir.file("state"))
        // 25 applications in three namespaces, every fifth in error.
        for i in 0..<25 {
            let ns = ["web", "docs", "shop"][i % 3]
            try FileManager.default.createDirectory(
                atPath: layout.appDir(String(format: "app-%02d", i)), withIntermediateDirectories: true)
            try layout.writeStatus(
                StatusDocument(
                    name: String(format: "app-%02d", i), namespace: ns,
                    source: .init(repoURL: "https://h/o/r", branch: "main", path: "."),
                    status: i % 5 == 0 ? .error : .synced))
        }
    }

    func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    func walk(_ client: some TestClientProtocol, _ query: String, headers: HTTPFields = [:]) async throws -> (
        names: [String], totals: Set<Int>, pages: Int
    ) {
        var names: [String] = []
        var totals = Set<Int>()
        var pages = 0
        var next: String? = ""
        while let token = next {
            let uri = "/api/gitops/applications?\(query)" + (token.isEmpty ? "" : "&continue=\(token)")
            let answer = try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
            #expect(answer.status == .ok)
            let doc = object(answer.body)
            names += (doc["applications"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            if let total = doc["total"] as? Int { totals.insert(total) }
            next = doc["continue"] as? String
            pages += 1
            if pages > 50 { break }
        }
        return (names, totals, pages)
    }

    @Test func pagesCoverEveryApplicationOnceInNameOrder() async throws {
        let app = Application(router: Facade(appsDir: apps, layout: layout).router())
        try await app.test(.router) { client in
            let all = try await walk(client, "limit=10")
            #expect(all.names == (0..<25).map { String(format: "app-%02d", $0) })
            #expect(all.pages == 3)
            #expect(all.totals == [25])
            let web = try await walk(client, "namespace=web&limit=4")
            #expect(web.names == stride(from: 0, to: 25, by: 3).map { String(format: "app-%02d", $0) })
            #expect(web.totals == [9])
            let failing = try await walk(client, "status=error&limit=2")
            #expect(failing.names == ["app-00", "app-05", "app-10", "app-15", "app-20"])
            let both = try await walk(client, "status=error&namespace=shop")
            #expect(both.names == ["app-05", "app-20"])
            #expect(both.pages == 1)
            for bad in ["limit=0", "limit=x", "status=broken", "namespace=Not_A_Label", "continue=bm9wZQ"] {
                let answer = try await client.execute(
                    uri: "/api/gitops/applications?\(bad)", method: .get, headers: [:], body: nil)
                #expect(answer.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func aTenantsPagesHoldOnlyItsNamespaces() async throws {
        let tokens = try dir.write("tokens", "tenant-token-0123456789abcdef web\n")
        let app = Application(
            router: Facade(appsDir: apps, layout: layout, tokens: try APITokens(file: tokens)).router())
        try await app.test(.router) { client in
            let seen = try await walk(
                client, "limit=3", headers: [.authorization: "Bearer tenant-token-0123456789abcdef"])
            #expect(seen.names == stride(from: 0, to: 25, by: 3).map { String(format: "app-%02d", $0) })
            #expect(seen.totals == [9])
        }
    }
}
