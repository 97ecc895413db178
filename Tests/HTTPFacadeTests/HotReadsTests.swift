import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// One status and a kept page answered on the event loop (`HotReads`), over a real
/// connection: the same bytes and headers as the router's answer, the router's answer
/// for everything the path must not decide (no token, another tenant, a browser's
/// cross-site request), and
/// answers that follow the files.
@Suite struct HotReadsTests {
    let paging: ListPagingTests

    init() throws { paging = try ListPagingTests() }

    @Test func theSameAnswersAsTheRouterAndOnlyThose() async throws {
        let layout = paging.layout
        let tokens = try paging.dir.write(
            "tokens", "operator-token-0123456789abcdef *\ntenant-token-0123456789abcdef web\n")
        let facade = Facade(appsDir: paging.apps, layout: layout, tokens: try APITokens(file: tokens))
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        try await until(timeout: .seconds(20)) { facade.listIsLive }
        let hot = HotReads(facade: facade)
        let guarded = ConnectionGuard()
        let app = Application(
            router: facade.router(),
            server: hot.server(.init(additionalChannelHandlers: [guarded.handler()])))
        let operatorToken: HTTPFields = [.authorization: "Bearer operator-token-0123456789abcdef"]
        let tenant: HTTPFields = [.authorization: "Bearer tenant-token-0123456789abcdef"]
        try await app.test(.live) { client in
            // Through the router (a browser's same-origin request is never answered by the hot
            // path) and hot.
            var sameOrigin = operatorToken
            sameOrigin[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            let routed = try await client.execute(
                uri: "/api/gitops/applications/app-03", method: .get, headers: sameOrigin)
            #expect(hot.answered == 0)
            let fast = try await client.execute(
                uri: "/api/gitops/applications/app-03", method: .get, headers: operatorToken)
            #expect(hot.answered == 1)
            #expect(fast.status == .ok && fast.body == routed.body)
            #expect(
                Data(fast.body.readableBytesView)
                    == FileManager.default.contents(atPath: layout.statusFile("app-03")))
            // The router's headers, in its order, with the same values (but the date's).
            #expect(fast.headers.map(\.name) == [.contentType, .contentLength, .date])
            #expect(fast.headers.map(\.name) == routed.headers.map(\.name))
            #expect(fast.headers[.contentType] == routed.headers[.contentType])
            #expect(fast.headers[.contentLength] == routed.headers[.contentLength])

            // What the hot path leaves to the router: no token, a tenant that may not see
            // it, an unknown name, a browser's cross-site request (more on the wire in
            // HotReadsWireTests).
            let before = hot.answered
            let anonymous = try await client.execute(uri: "/api/gitops/applications/app-03", method: .get)
            #expect(anonymous.status == .unauthorized)
            let other = try await client.execute(uri: "/api/gitops/applications/app-01", method: .get, headers: tenant)
            #expect(other.status == .notFound, "app-01 is in docs, not web")
            let missing = try await client.execute(
                uri: "/api/gitops/applications/nope", method: .get, headers: operatorToken)
            #expect(missing.status == .notFound)
            var browser = operatorToken
            browser[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            let crossSite = try await client.execute(
                uri: "/api/gitops/applications/app-03", method: .get, headers: browser)
            #expect(crossSite.status == .forbidden)
            #expect(hot.answered == before, "none of them answered by the hot path")
            let own = try await client.execute(uri: "/api/gitops/applications/app-03", method: .get, headers: tenant)
            #expect(own.status == .ok && own.body == routed.body && hot.answered == before + 1)

            // A page: made by the router once, then kept and answered hot (per token).
            let first = try await client.execute(
                uri: "/api/gitops/applications?limit=5", method: .get, headers: tenant)
            let again = try await client.execute(
                uri: "/api/gitops/applications?limit=5", method: .get, headers: tenant)
            #expect(first.body == again.body && hot.answered == before + 2)
            let operatorPage = try await client.execute(
                uri: "/api/gitops/applications?limit=5", method: .get, headers: operatorToken)
            #expect(operatorPage.body != first.body, "another token's page is its own")

            // The whole list for a token of every namespace: made by the router, then
            // answered hot from memory, then from its file (sendfile), byte for byte;
            // a tenant's list is never answered hot.
            facade.listCache.listFile.threshold = 0
            let beforeList = hot.answered
            let tenantList = try await client.execute(uri: "/api/gitops/applications", method: .get, headers: tenant)
            #expect(tenantList.status == .ok && hot.answered == beforeList)
            var lists: [ByteBuffer] = []
            func list() async throws -> ByteBuffer {
                let list = try await client.execute(
                    uri: "/api/gitops/applications", method: .get, headers: operatorToken)
                #expect(list.status == .ok && list.headers[.contentLength] == String(list.body.readableBytes))
                return list.body
            }
            for _ in 0..<3 { lists.append(try await list()) }
            #expect(hot.answered >= beforeList + 2, "the list answered hot once it was made")
            // Its second hot answer asked for the file, made off the event loop.
            try await until(timeout: .seconds(20)) { facade.listCache.listFile.isKept }
            let fromFile = hot.answered
            lists.append(try await list())
            #expect(hot.answered == fromFile + 1 && facade.listCache.listFile.isKept)
            #expect(Set(lists).count == 1 && lists[0].readableBytes > 1000, "the same bytes, from memory and file")

            // A status file rewritten: the hot answer follows it.
            var doc = try #require(try layout.readStatus("app-03"))
            doc.message = "rewritten by hand"
            try layout.writeStatus(doc)
            let deadline = ContinuousClock.now + .seconds(20)
            var seen = ""
            while ContinuousClock.now < deadline {
                let now = try await client.execute(
                    uri: "/api/gitops/applications/app-03", method: .get, headers: operatorToken)
                seen = String(buffer: now.body)
                if seen.contains("rewritten by hand") { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(seen.contains("rewritten by hand"))

            // The list follows it too, from a new file (unnamed, in the state dir); the old
            // one is closed.
            var list = ""
            for _ in 0..<3 {
                list = String(
                    buffer: try await client.execute(
                        uri: "/api/gitops/applications", method: .get, headers: operatorToken
                    ).body)
            }
            #expect(list.contains("rewritten by hand"))
            try await until(timeout: .seconds(20)) { facade.listCache.listFile.isKept }
            let files = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) ?? ""
                return target.hasPrefix(layout.root + "/#")
            }
            #expect(files.count == 1, "one file open: \(files)")
        }
    }
}
