import AsyncHTTPClient
import Foundation
import Manifest
import Notify
import TestSupport
import Testing

/// A pull request's preview links its commit status to the preview: `target_url` on all
/// three forges, accepted by their contract (`ForgeServer`, `ForgeContract`).
@Suite struct CommitStatusTargetTests {
    static let token = "forge-token-123"
    static let preview = "https://zg.example.com/static/alice/preview/feat-x/index.html"

    @Test(arguments: ForgeServer.Forge.allCases)
    func theStatusCarriesTheTargetURL(_ forge: ForgeServer.Forge) async throws {
        let project = forge == .gitlab ? "group/sub/shop" : "alice/shop"
        let server = try await ForgeServer.start(forge, token: Self.token, projects: [project])
        defer { server.stop() }
        let status = Registration.Notify.CommitStatus(
            forge: Registration.Forge(rawValue: forge.rawValue)!, apiURL: server.apiURL, tokenFile: "t",
            targetURL: Self.preview)
        let request = try #require(
            Rendering.commitStatus(
                status, project: project, state: "success", event: NotifyUnitTests.event, token: Self.token))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["target_url"] as? String == Self.preview)
        #expect(try await Self.post(request) == 201)
        #expect(server.statuses.count == 1)
        #expect(server.statuses.first?.json?["target_url"] as? String == Self.preview)
        // Without one, no target_url at all (the registration's own commit statuses).
        var plain = status
        plain.targetURL = nil
        let without = try #require(
            Rendering.commitStatus(
                plain, project: project, state: "success", event: NotifyUnitTests.event, token: Self.token))
        #expect(String(decoding: without.body, as: UTF8.self).contains("target_url") == false)
        #expect(try await Self.post(without) == 201)
        // The contract refuses what the forges refuse: a target that is not a URL.
        var bad = request
        bad.body = Array(
            String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: Self.preview, with: "preview").utf8)
        #expect(try await Self.post(bad) == (forge == .gitlab ? 400 : 422))
    }

    static func post(_ outgoing: OutgoingRequest) async throws -> Int {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .POST
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(outgoing.body)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }
}
