import Foundation
import Manifest
import State
import Testing

/// `zerverless-gitops notifications`' report: the outbox grouped by endpoint, which
/// deliveries are failing (the exit status), held or dropped, a NAME's share, URLs shown
/// without secrets, and outbox files written before the attempt's details were recorded.
struct NotificationReportTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ app: String, _ kind: String = "synced") -> NotificationEvent {
        NotificationEvent(
            event: kind, app: app, namespace: "web", status: "synced", commit: String(repeating: "ab", count: 20),
            time: now)
    }

    let hook = NotificationEndpoint.webhook(
        .init(url: "https://user:pw@hooks.example.com/in/x?token=t0ps3cret&v=2", secretFile: "hook.secret"),
        namespace: "web")
    let other = NotificationEndpoint.webhook(.init(url: "https://other.example.com/hook"), namespace: "web")

    func entry(
        _ id: String, _ app: String, _ endpoints: [NotificationEndpoint], age: TimeInterval, kind: String = "synced"
    ) -> OutboxEntry {
        OutboxEntry(id: id, created: now.addingTimeInterval(-age), event: event(app, kind), endpoints: endpoints)
    }

    @Test func urlsAreShownWithoutCredentialsOrQueryValues() {
        #expect(
            NotificationEndpoint.shown(url: "https://user:pw@hooks.example.com/in/x?token=t0ps3cret&v=2#frag")
                == "https://***@hooks.example.com/in/x?token=***&v=***")
        #expect(NotificationEndpoint.shown(url: "http://h:8080/a?bare") == "http://h:8080/a?***")
        #expect(
            NotificationEndpoint.shown(url: "https://hooks.slack.com/services/T0/B0/XYZ", hidePath: true)
                == "https://hooks.slack.com/…")
        #expect(NotificationEndpoint.shown(url: "https://h", hidePath: true) == "https://h")
        #expect(NotificationEndpoint.shown(url: "no scheme") == "(not a URL)")
        let slack = NotificationEndpoint.webhook(
            .init(url: "https://hooks.slack.com/services/T0/B0/XYZ", format: .slack), namespace: "web")
        #expect(slack.shownURL == "https://hooks.slack.com/…" && slack.kindName == "slack")
        #expect(NotificationEndpoint.operatorURL.shownURL == nil)
    }

    @Test func failingHeldPendingAndTheDayBefore() throws {
        // site's first event failed twice at `hook` (failing); blog's waits behind it
        // (held); a fresh one at `other` (pending); a test entry is neither held nor holds.
        var failing = entry("a", "site", [hook], age: 60)
        failing.deliveries[0].attempts = 2
        failing.deliveries[0].lastError = "HTTP 500: down"
        failing.deliveries[0].lastStatus = 500
        failing.deliveries[0].lastAttempt = now.addingTimeInterval(-5)
        failing.deliveries[0].nextAttempt = now.addingTimeInterval(10)
        let held = entry("b", "blog", [hook], age: 30)
        let fresh = entry("c", "blog", [other], age: 1)
        var test = entry("t", "blog", [hook], age: 0, kind: "test")
        test.sequence = failing.sequence - 1  // older than everything: still holds nothing
        var delivered = entry("d", "blog", [other], age: 600)
        delivered.deliveries[0].delivered = now.addingTimeInterval(-590)
        delivered.deliveries[0].lastStatus = 200
        var dropped = entry("e", "site", [other], age: 900)
        dropped.deliveries[0].dropped = true
        dropped.deliveries[0].lastError = "HTTP 404: gone"
        dropped.deliveries[0].lastAttempt = now.addingTimeInterval(-800)
        var old = entry("f", "site", [other], age: 200_000)
        old.deliveries[0].delivered = now.addingTimeInterval(-199_000)

        let all = NotificationReport(open: [failing, held, fresh, test], done: [delivered, dropped, old], now: now)
        #expect(all.failing == 1 && all.pending == 4)
        let first = try #require(all.endpoints.first)
        #expect(first.url == "https://***@hooks.example.com/in/x?token=***&v=***" && first.kind == "generic")
        #expect(first.state == "failing" && first.pending == 3 && first.attempts == 2 && first.lastStatus == 500)
        #expect(first.lastError == "HTTP 500: down" && first.nextRetry == now.addingTimeInterval(10))
        #expect(first.oldestAgeSeconds == 60 && first.apps == ["blog", "site"])
        #expect(first.events.map(\.state) == ["pending", "failing", "held"], "\(first.events.map(\.entry))")
        let second = try #require(all.endpoints.last)
        #expect(second.state == "pending" && second.delivered == 1 && second.dropped == 1)
        #expect(second.events.map(\.state) == ["pending", "dropped"], "a day-old delivery is not counted")

        // blog's share: its event waits behind site's failing one (held, not failing yet).
        let blog = NotificationReport(
            open: [failing, held, fresh, test], done: [delivered, dropped], app: "blog", now: now)
        #expect(blog.failing == 0 && blog.pending == 3)
        #expect(blog.endpoints.first?.events.map(\.state) == ["pending", "held"])
        // Held for more than 5 minutes: failing.
        let later = NotificationReport(
            open: [failing, held], done: [], app: "blog", now: now.addingTimeInterval(NotificationReport.stuckAfter))
        #expect(later.failing == 1 && later.endpoints.first?.state == "failing")
        // One failed attempt is a retry, not yet a failure.
        var once = failing
        once.deliveries[0].attempts = 1
        let retrying = NotificationReport(open: [once], done: [], now: now)
        #expect(retrying.failing == 0 && retrying.endpoints.first?.state == "retrying")
        #expect(NotificationReport(open: [], done: [], app: "site", now: now).endpoints.isEmpty)
    }

    @Test func theJSONHasEveryKeyAlways() throws {
        let report = NotificationReport(open: [entry("a", "site", [.operatorURL], age: 3)], done: [], now: now)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let doc = try #require(try JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any])
        #expect(Set(doc.keys) == ["generated", "app", "pending", "failing", "endpoints"])
        #expect(doc["app"] is NSNull && doc["generated"] as? String == "2027-01-15T08:00:00Z")
        let endpoint = try #require((doc["endpoints"] as? [[String: Any]])?.first)
        #expect(
            Set(endpoint.keys) == [
                "kind", "url", "namespace", "project", "state", "pending", "oldest", "oldestAgeSeconds", "attempts",
                "lastAttempt", "lastStatus", "lastError", "nextRetry", "delivered", "dropped", "lastDelivered", "apps",
                "events",
            ])
        #expect(endpoint["kind"] as? String == "operator" && endpoint["url"] is NSNull)
        let event = try #require((endpoint["events"] as? [[String: Any]])?.first)
        #expect(
            Set(event.keys) == [
                "delivery", "entry", "app", "event", "commit", "created", "state", "attempts", "lastAttempt",
                "lastStatus", "lastError", "nextAttempt", "delivered",
            ])
        #expect(event["delivery"] as? String == "a-0" && event["state"] as? String == "pending")
    }

    @Test func outboxFilesWrittenBeforeTheAttemptDetailsAreRead() throws {
        let old = #"""
            {"id":"abc","created":"2027-01-15T08:00:00Z","sequence":1,
             "event":{"event":"synced","app":"site","namespace":"web","status":"synced","time":"2027-01-15T08:00:00Z"},
             "deliveries":[{"endpoint":{"kind":"operator"},"id":"abc-0","attempts":3,"nextAttempt":"2027-01-15T08:01:00Z",
                            "dropped":false,"lastError":"HTTP 502: bad gateway"}]}
            """#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let entry = try decoder.decode(OutboxEntry.self, from: Data(old.utf8))
        let d = try #require(entry.deliveries.first)
        #expect(d.attempts == 3 && d.lastError == "HTTP 502: bad gateway" && d.open)
        #expect(d.lastAttempt == nil && d.lastStatus == nil && d.target == nil)
        #expect(!entry.isTest)
    }

    @Test func testRequestNames() {
        let id = NotificationTestRequest.newID()
        #expect(NotificationTestRequest.isValid(id: id))
        let request = NotificationTestRequest(app: "site", id: id, by: "me", expires: now)
        let parsed = NotificationTestRequest.parse(fileName: request.fileName)
        #expect(parsed?.app == "site" && parsed?.id == id)
        for bad in [
            "site.sync", ".site.\(id).notify-test", "Site.\(id).notify-test", "site.test-xyz.notify-test",
            "site.\(id).notify-test.tmp", "site.\(id.uppercased()).notify-test", "../x.\(id).notify-test",
        ] {
            #expect(NotificationTestRequest.parse(fileName: bad) == nil, "\(bad)")
        }
    }
}
