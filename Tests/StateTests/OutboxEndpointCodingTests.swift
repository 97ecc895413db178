import Foundation
import Manifest
import State
import Testing

/// Outbox files are read by people: endpoints are `{"kind": ...}` objects, not Swift's
/// enum encoding with `_0`; files written the old way are still read.
struct OutboxEndpointCodingTests {
    let endpoints: [NotificationEndpoint] = [
        .webhook(.init(url: "https://hooks.example.com/x", secretFile: "hook.secret", on: [.synced]), namespace: "web"),
        .operatorURL,
        .commitStatus(
            .init(forge: .gitea, apiURL: "https://git.example.com/api/v1", tokenFile: "forge.token"), namespace: "web",
            project: "me/site", state: "success"),
    ]

    @Test func endpointsReadAsKindsAndComeBack() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for endpoint in endpoints {
            let text = String(decoding: try encoder.encode(endpoint), as: UTF8.self)
            #expect(!text.contains("_0"), "\(text)")
            #expect(text.contains("\"kind\""), "\(text)")
            #expect(try JSONDecoder().decode(NotificationEndpoint.self, from: Data(text.utf8)) == endpoint)
        }
        let webhook = String(decoding: try encoder.encode(endpoints[0]), as: UTF8.self)
        #expect(webhook.hasPrefix(#"{"kind":"webhook","namespace":"web","webhook":{"#), "\(webhook)")
    }

    /// A preview's commit status carries its target URL; entries written before it
    /// existed read as without one.
    @Test func aCommitStatusTargetURLComesBackAndIsOptional() throws {
        let status = Registration.Notify.CommitStatus(
            forge: .github, apiURL: "https://api.github.com", tokenFile: "forge.token",
            targetURL: "https://zg.example.com/static/web/preview/feat-x/index.html")
        let endpoint = NotificationEndpoint.commitStatus(status, namespace: "web", project: "me/site", state: "pending")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(endpoint), as: UTF8.self)
        #expect(text.contains(#""targetURL":"https://zg.example.com/static/web/preview/feat-x/index.html""#), "\(text)")
        #expect(try JSONDecoder().decode(NotificationEndpoint.self, from: Data(text.utf8)) == endpoint)
        let before =
            #"{"kind":"commitStatus","commitStatus":{"forge":"github","apiURL":"https://api.github.com","tokenFile":"forge.token"},"namespace":"web","project":"me/site","state":"pending"}"#
        let read = try JSONDecoder().decode(NotificationEndpoint.self, from: Data(before.utf8))
        guard case .commitStatus(let old, _, _, _) = read else {
            Issue.record("not a commit status: \(read)")
            return
        }
        #expect(old.targetURL == nil)
        #expect(!String(decoding: try encoder.encode(endpoints[2]), as: UTF8.self).contains("targetURL"))
    }

    @Test func filesWrittenBeforeAreStillRead() throws {
        let old = [
            #"{"webhook":{"_0":{"url":"https://hooks.example.com/x","secretFile":"hook.secret","format":"generic","on":["synced"]},"namespace":"web"}}"#,
            #"{"operatorURL":{}}"#,
            #"{"commitStatus":{"_0":{"forge":"gitea","apiURL":"https://git.example.com/api/v1","tokenFile":"forge.token"},"namespace":"web","project":"me/site","state":"success"}}"#,
        ]
        for (text, endpoint) in zip(old, endpoints) {
            #expect(try JSONDecoder().decode(NotificationEndpoint.self, from: Data(text.utf8)) == endpoint, "\(text)")
        }
    }
}
