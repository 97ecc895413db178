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
