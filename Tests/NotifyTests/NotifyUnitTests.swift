import Foundation
import Logging
import Manifest
import Notify
import State
import TestSupport
import Testing
import Toolkit

/// The pure parts of notifications: the formats, the signature, the forges' calls; and the
/// notifier against a receiver that fails then recovers (time moved by an injected clock).
/// Which outcomes are transitions is the daemon's (`NotificationsTests` in DaemonTests).
@Suite struct NotifyUnitTests {
    @Test func theSignatureIsHMACSHA256OfTheBody() {
        // RFC 4231-style known answer (key "key", the quick brown fox).
        let body = Array("The quick brown fox jumps over the lazy dog".utf8)
        #expect(
            Rendering.signature(body, key: Array("key\n".utf8))
                == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    static let event = NotificationEvent(
        event: "error", app: "site", namespace: "web", status: "error", previousStatus: "synced",
        commit: String(repeating: "ab", count: 20), previousCommit: nil, message: "deploy: 503",
        error: .init(
            stage: .deploy, message: "POST /api/deploy/web/x: 503", file: "zerverless.yaml", line: 7, column: 3),
        time: Date(timeIntervalSince1970: 1_700_000_000))

    @Test func genericAndSlackBodies() throws {
        let generic = Rendering.generic(Self.event, delivery: "d-0", url: "http://h/x", secret: nil)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(generic.body)) as? [String: Any])
        #expect(
            doc["event"] as? String == "error" && doc["delivery"] as? String == "d-0"
                && doc["previousStatus"] as? String == "synced")
        #expect(doc["time"] as? String == "2023-11-14T22:13:20Z")
        #expect((doc["error"] as? [String: Any])?["line"] as? Int == 7)
        #expect(doc.keys.contains("previousCommit") && doc["previousCommit"] is NSNull, "absent fields are null")
        #expect(!generic.headers.contains { $0.0 == "X-Zerverless-Signature" })
        let slack = Rendering.slack(Self.event, delivery: "d-0", url: "http://h/x", secret: nil)
        let text = try #require(
            (try JSONSerialization.jsonObject(with: Data(slack.body)) as? [String: Any])?["text"] as? String)
        #expect(
            text
                == "❌ site (web) error abababababab (was synced): deploy at zerverless.yaml:7:3: POST /api/deploy/web/x: 503"
        )
    }

    @Test func forgeCalls() throws {
        let sha = String(repeating: "ab", count: 20)
        let gh = try #require(
            Rendering.commitStatus(
                .init(forge: .github, apiURL: "https://api.github.com/", tokenFile: "t"),
                project: "acme/site", state: "failure", event: Self.event, token: "T"))
        #expect(gh.url == "https://api.github.com/repos/acme/site/statuses/\(sha)")
        #expect(gh.headers.contains { $0 == ("Authorization", "Bearer T") })
        let gl = try #require(
            Rendering.commitStatus(
                .init(forge: .gitlab, apiURL: "https://gitlab.com/api/v4", tokenFile: "t"),
                project: "group/sub/site", state: "failure", event: Self.event, token: "T"))
        #expect(gl.url == "https://gitlab.com/api/v4/projects/group%2Fsub%2Fsite/statuses/\(sha)")
        #expect(gl.headers.contains { $0 == ("PRIVATE-TOKEN", "T") })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(gl.body)) as? [String: Any])
        #expect(body["state"] as? String == "failed" && body["name"] as? String == "zerverless/site")
        var long = Self.event
        long.error = nil
        long.message = String(repeating: "x", count: 300)
        let cut = try #require(
            Rendering.commitStatus(
                .init(forge: .gitea, apiURL: "https://g/api/v1", tokenFile: "t"),
                project: "a/b", state: "success", event: long, token: "T"))
        let description = try #require(
            (try JSONSerialization.jsonObject(with: Data(cut.body)) as? [String: Any])?["description"] as? String)
        #expect(description.count == 140)
        #expect(cut.headers.contains { $0 == ("Authorization", "token T") })
    }

    @Test func redirectsAreNotFollowed() async throws {
        let dir = try TempDir("zg-notify-unit")
        let inside = try await RecordingServer.start()
        let redirecting = try await RecordingServer.start { _ in (307, "\(inside.base)/internal") }
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        let notifier = Notifier(outbox: outbox, configuration: configuration, logger: Logger(label: "test"))
        try outbox.add(
            OutboxEntry(
                id: "hop", created: Date(), event: Self.event,
                endpoints: [.webhook(.init(url: redirecting.base + "/hook"), namespace: "web")]))
        await notifier.pass()
        #expect(redirecting.requests.count == 1)
        #expect(inside.requests.isEmpty, "the redirect was not followed")
        let error = outbox.open().entries.first { $0.id == "hop" }?.deliveries.first?.lastError ?? ""
        #expect(error.contains("HTTP 307: redirects are not followed"), "\(error)")
    }

    /// A receiver that never answers costs its own delivery the timeout, nobody else's: the
    /// other delivery of the pass is answered while the silent one waits (the timeout on a
    /// manual clock: it ends when the test moves the clock, whatever the machine's load).
    @Test func aSlowReceiverHoldsOnlyItsOwnSlot() async throws {
        let dir = try TempDir("zg-notify-unit")
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        configuration.timeout = .seconds(2)
        let clock = ManualClock()
        let notifier = Notifier(
            outbox: outbox, configuration: configuration, logger: Logger(label: "test"),
            clock: DaemonClock(clock))
        let silent = try SilentListener()
        let fine = try await RecordingServer.start()
        try outbox.add(
            OutboxEntry(
                id: "slow", created: Date(), event: Self.event,
                endpoints: [.webhook(.init(url: "http://127.0.0.1:\(silent.port)/hook"), namespace: "other")]))
        try outbox.add(
            OutboxEntry(
                id: "ok", created: Date(), event: Self.event,
                endpoints: [.webhook(.init(url: fine.base + "/hook"), namespace: "third")]))
        let pass = Task { await notifier.pass() }
        // Both deliveries' timeouts began, the other receiver was answered, and one timeout
        // is left running (the answered delivery's was cancelled): the silent one's.
        do {
            try await until(timeout: .seconds(60)) {
                clock.slept >= 2 && fine.requests.count == 1 && clock.sleepers == 1
            }
        } catch {
            Issue.record("slept \(clock.slept), sleepers \(clock.sleepers), answered \(fine.requests.count)")
            throw error
        }
        clock.advance(by: .seconds(2))
        await pass.value
        let open = outbox.open().entries
        #expect(open.first { $0.id == "ok" } == nil, "the answered delivery is done")
        let slowError = open.first { $0.id == "slow" }?.deliveries.first?.lastError ?? ""
        #expect(slowError.contains("no answer within 2 s"), "\(slowError)")
        #expect(silent.acceptPending() == 1, "it connected to the silent receiver")
    }
}
