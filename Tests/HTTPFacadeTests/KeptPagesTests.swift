import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing

@testable import HTTPFacade

/// A status file rewritten in place drops only the kept pages its name lies on (and every
/// page that filters): at 100,000 applications polled each minute a write comes every
/// 0.6 ms, and dropping every page on each write left none to answer from.
@Suite struct KeptPagesTests {
    @Test func aReplacedDocumentDropsOnlyThePagesItIsOn() async throws {
        let paging = try ListPagingTests()
        let layout = paging.layout
        let facade = Facade(appsDir: paging.apps, layout: layout)
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        try await until(timeout: .seconds(20)) { facade.listIsLive }
        try await Application(router: facade.router()).test(.router) { client in
            func get(_ query: String) async throws -> [String: Any] {
                let answer = try await client.execute(uri: "/api/gitops/applications?\(query)", method: .get, body: nil)
                #expect(answer.status == .ok)
                return paging.object(answer.body)
            }
            // Three pages of 10 (app-00...09, 10...19, 20...24) and a filtered one, kept.
            let first = try await get("limit=10")
            let second = "limit=10&continue=" + (first["continue"] as? String ?? "")
            let third = "limit=10&continue=" + (try await get(second)["continue"] as? String ?? "")
            #expect((try await get(third)["applications"] as? [Any])?.count == 5)
            _ = try await get("status=error&limit=50")
            func kept(_ query: String) -> Bool {
                guard let live = facade.listCache.liveList(pending: facade.pendingDocuments) else { return false }
                return facade.listCache.page(ListCache.pageKey(Facade.everything, query: query), version: live.version)
                    != nil
            }
            #expect(kept("limit=10") && kept(second) && kept(third) && kept("status=error&limit=50"))

            // app-22 rewritten (by another process): its page and the filtered one go.
            var doc = try #require(try layout.readStatus("app-22"))
            doc.message = "rewritten"
            try layout.writeStatus(doc)
            try await until(timeout: .seconds(20)) {
                facade.listCache.liveDocument("app-22").map { String(buffer: $0.buffer).contains("rewritten") }
                    ?? false
            }
            #expect(kept("limit=10") && kept(second))
            #expect(!kept(third) && !kept("status=error&limit=50"))
            // Answered again with the new document; the kept ones are still right.
            let again = try await get(third)["applications"] as? [[String: Any]]
            #expect(again?.first { $0["name"] as? String == "app-22" }?["message"] as? String == "rewritten")
            #expect(
                (try await get("limit=10")["applications"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                    == (0..<10).map { String(format: "app-%02d", $0) })

            // The last name of a full page is on it: app-19 drops the second page only.
            var last = try #require(try layout.readStatus("app-19"))
            last.message = "rewritten too"
            try layout.writeStatus(last)
            try await until(timeout: .seconds(20)) {
                facade.listCache.liveDocument("app-19").map { String(buffer: $0.buffer).contains("rewritten too") }
                    ?? false
            }
            #expect(kept("limit=10") && !kept(second))
        }
    }
}
