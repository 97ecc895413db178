import Foundation
import Logging
import Manifest
import Notify
import State
import TestSupport
import Testing
import Toolkit

/// Test events (`zerverless-gitops notifications test`) in the notifier: tried once, at
/// once, past an endpoint's failing event and without holding its later ones; every
/// attempt records when, the HTTP status and where it went (without the query's secret).
@Suite struct NotifierTestEventTests {
    static func event(_ kind: String) -> NotificationEvent {
        NotificationEvent(event: kind, app: "site", namespace: "web", status: "synced", time: Date())
    }

    @Test func aTestIsTriedOnceAtOnceAndNeitherWaitsNorHolds() async throws {
        let dir = try TempDir("zg-notify-test-event")
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        let failing = Toggle(true)
        let receiver = try await RecordingServer.start { _ in
            failing.on ? (500, #"{"error":"down"}"#) : (200, "{}")
        }
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        configuration.retryBase = 3600  // no retry of the real event within the test
        let notifier = Notifier(outbox: outbox, configuration: configuration, logger: Logger(label: "test"))
        let hook = NotificationEndpoint.webhook(
            .init(url: receiver.base + "/hook?token=t0ps3cret"), namespace: "web")

        // A real event fails: it holds the endpoint's line until its retry in an hour.
        try outbox.add(OutboxEntry(id: "real", created: Date(), event: Self.event("synced"), endpoints: [hook]))
        await notifier.pass()
        #expect(receiver.requests.count == 1)
        // A test to the same endpoint goes at once, fails, and is not retried.
        try outbox.add(OutboxEntry(id: "test-1", created: Date(), event: Self.event("test"), endpoints: [hook]))
        await notifier.pass()
        #expect(receiver.requests.count == 2 && receiver.requests.last?.headers["x-zerverless-event"] == "test")
        let failed = try #require(outbox.entry("test-1"))
        #expect(failed.done, "a failed test is finished, not retried")
        let d = try #require(failed.entry.deliveries.first)
        #expect(d.dropped && d.attempts == 1 && d.lastStatus == 500 && d.lastError?.contains("HTTP 500") == true)
        #expect(d.lastAttempt != nil && d.target == receiver.base + "/hook?token=***")
        let real = try #require(outbox.entry("real"))
        #expect(!real.done && real.entry.deliveries[0].attempts == 1, "the real event waits for its retry")
        #expect(real.entry.deliveries[0].lastStatus == 500 && real.entry.deliveries[0].target != nil)
        await notifier.pass()
        #expect(receiver.requests.count == 2, "nothing is tried again before its time")

        // The receiver is back: a test is delivered with its status; the real event still
        // waits for its own retry (a test does not move it).
        failing.on = false
        try outbox.add(OutboxEntry(id: "test-2", created: Date(), event: Self.event("test"), endpoints: [hook]))
        await notifier.pass()
        let delivered = try #require(outbox.entry("test-2"))
        #expect(delivered.done && delivered.entry.deliveries[0].delivered != nil)
        #expect(delivered.entry.deliveries[0].lastStatus == 200)
        #expect(receiver.requests.count == 3)
        #expect(outbox.entry("real")?.done == false)

        // A test that is older than a real event does not hold it.
        let other = NotificationEndpoint.webhook(.init(url: receiver.base + "/other"), namespace: "web")
        try outbox.add(OutboxEntry(id: "test-3", created: Date(), event: Self.event("test"), endpoints: [other]))
        try outbox.add(OutboxEntry(id: "next", created: Date(), event: Self.event("synced"), endpoints: [other]))
        await notifier.pass()
        #expect(outbox.entry("test-3")?.done == true && outbox.entry("next")?.done == true)
        #expect(receiver.requests.filter { $0.path == "/other" }.count == 2)
    }
}
