import Foundation
import Logging
import Notify
import State
import Synchronization
import TestSupport
import Testing
import Toolkit

/// The notifier is idle between passes (issue 23): it spun after its first timed wake-up
/// (a retry after 5 s, or an hour without an event), reading the outbox without pause.
/// Here its waits sleep on a manual clock, so a day passes in milliseconds.
@Suite struct NotifierIdleTests {
    /// Time as both the notifier's clocks see it: the manual clock and a date moved with it.
    final class Time: Sendable {
        let clock = ManualClock()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var date: Date { start.addingTimeInterval(Double(clock.now.offset.components.seconds)) }
        let daemonClock: DaemonClock
        init() { daemonClock = DaemonClock(clock, wall: start) }
    }

    /// Waits (on real time, bounded) until the notifier sleeps on the manual clock again
    /// with `passes` passes done, then checks that it stays there.
    func settled(_ notifier: Notifier, _ time: Time, passes: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let done = await notifier.passes
            // Idle between passes: a delivery's timeout also sleeps on the clock, during a pass.
            if time.clock.sleepers == 1 && done == passes, await notifier.idle { break }
            if ContinuousClock.now > deadline {
                Issue.record("not settled: \(done) passes (expected \(passes)), \(time.clock.sleepers) sleepers")
                return
            }
            await Task.yield()
        }
        for _ in 0..<200 { await Task.yield() }
        #expect(await notifier.passes == passes, "a pass ran without a reason: the notifier spins")
        #expect(time.clock.sleepers == 1)
    }

    @Test func idleAfterARetryAndAfterAQuietHourForADay() async throws {
        let dir = try TempDir("zg-notifier-idle")
        let time = Time()
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        let notifier = Notifier(
            outbox: outbox, configuration: configuration, logger: Logger(label: "test"),
            clock: time.daemonClock)
        let run = Task { await notifier.run() }
        defer { run.cancel() }
        // No entry: one pass, then an hour's wait.
        try await settled(notifier, time, passes: 1)
        // A quiet hour: one more pass, then waiting again (it spun from here on).
        time.clock.advance(by: .seconds(3600))
        try await settled(notifier, time, passes: 2)
        // An entry whose receiver refuses connections: delivered at once (fails), retried
        // after 5 s, 10 s, 20 s...: one pass per retry, nothing between them.
        let port = freePort()
        try outbox.add(
            OutboxEntry(
                id: "e", created: time.date, event: NotifyUnitTests.event,
                endpoints: [.webhook(.init(url: "http://127.0.0.1:\(port)/hook"), namespace: "web")]))
        notifier.poke()
        try await settled(notifier, time, passes: 3)
        var passes = 3
        for delay in [5, 10, 20, 40] {
            time.clock.advance(by: .seconds(delay))
            passes += 1
            try await settled(notifier, time, passes: passes)
        }
        // The rest of the day, an hour at a time: a pass per retry due (at most an hour
        // apart) and none in between.
        for _ in 0..<22 {
            time.clock.advance(by: .seconds(3600))
            passes += 1
            try await settled(notifier, time, passes: passes)
        }
        #expect(outbox.open().entries.first?.deliveries.first?.attempts ?? 0 >= 5)
        // One decode per write of the entry (each attempt rewrites it), none per idle pass.
        let attempts = outbox.open().entries.first?.deliveries.first?.attempts ?? 0
        let reads = await notifier.outboxReads
        #expect(reads <= attempts + 1, "\(reads) reads for \(attempts) attempts")
    }

    /// The outbox stays bounded (issue 23): a waiting commit status is superseded by a
    /// newer one of the same commit and endpoint, and each namespace keeps at most
    /// `maxOpenPerNamespace` undelivered events (the oldest go first).
    @Test func waitingStatusesAreSupersededAndANamespaceKeepsABoundedOutbox() async throws {
        let dir = try TempDir("zg-outbox-bound")
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        configuration.timeout = .milliseconds(100)
        configuration.maxOpenPerNamespace = 3
        let notifier = Notifier(outbox: outbox, configuration: configuration, logger: Logger(label: "test"))
        let dead = "http://127.0.0.1:\(freePort())"
        let forge = NotificationEndpoint.commitStatus(
            .init(forge: .gitea, apiURL: dead + "/api/v1", tokenFile: "t"),
            namespace: "web", project: "o/r", state: "pending")
        var event = NotifyUnitTests.event
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        // Four statuses of one commit (two forced syncs: pending, success, pending, success).
        for (k, state) in ["pending", "success", "pending", "success"].enumerated() {
            guard case .commitStatus(let c, let ns, let p, _) = forge else { return }
            event.time = start.addingTimeInterval(Double(k))
            try outbox.add(
                OutboxEntry(
                    id: "s\(k)", created: Date(), event: event,
                    endpoints: [.commitStatus(c, namespace: ns, project: p, state: state)]))
        }
        // Five events of namespace "loud" to a dead receiver.
        for k in 0..<5 {
            var loud = NotifyUnitTests.event
            loud.namespace = "loud"
            try outbox.add(
                OutboxEntry(
                    id: "l\(k)", created: Date(), event: loud,
                    endpoints: [.webhook(.init(url: dead + "/hook\(k)"), namespace: "loud")]))
        }
        await notifier.pass()
        let open = outbox.open().entries
        #expect(open.filter { $0.id.hasPrefix("s") }.map(\.id) == ["s3"], "only the newest status waits")
        #expect(open.filter { $0.id.hasPrefix("l") }.map(\.id) == ["l2", "l3", "l4"], "the namespace's newest three")
        let done = try FileManager.default.contentsOfDirectory(atPath: outbox.doneDir).sorted()
        #expect(done == ["l0.json", "l1.json", "s0.json", "s1.json", "s2.json"])
    }

    /// A flapping receiver (it fails every other request) gets an endpoint's events in
    /// order without a backoff per failure: a first attempt that fails at an endpoint that
    /// just took a delivery is tried again at once. Before, each failure held the line for
    /// 5 s (about 12 events a minute); here 20 events go through while the clock stands
    /// still, in order, with at most one extra request each.
    @Test(.timeLimit(.minutes(1))) func aFlappingReceiverDrainsInOrderWithoutWaiting() async throws {
        let dir = try TempDir("zg-notifier-flapping")
        let time = Time()
        let answered = Mutex(0)
        let receiver = try await RecordingServer.start { _ in
            answered.withLock { n in
                n += 1
                return n % 2 == 0 ? (503, "{}") : (200, "{}")
            }
        }
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        let notifier = Notifier(
            outbox: outbox, configuration: configuration, logger: Logger(label: "test"), clock: time.daemonClock)
        for k in 0..<20 {
            var event = NotifyUnitTests.event
            event.message = "event \(k)"
            try outbox.add(
                OutboxEntry(
                    id: String(format: "e%02d", k), created: time.date.addingTimeInterval(Double(k) / 100),
                    event: event,
                    endpoints: [.webhook(.init(url: receiver.base + "/hook"), namespace: "web")]))
        }
        let run = Task { await notifier.run() }
        defer { run.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while !outbox.open().entries.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(outbox.open().entries.isEmpty, "every event delivered without moving the clock")
        let delivered = receiver.requests.filter { _ in true }
        #expect(delivered.count <= 40, "at most one extra request per event: \(delivered.count)")
        // In order: the messages of the accepted requests (every odd answer) are 0...19.
        let accepted = delivered.enumerated().filter { $0.offset % 2 == 0 }.compactMap {
            $0.element.json?["message"] as? String
        }
        #expect(accepted == (0..<20).map { "event \($0)" })
    }

    /// A receiver that refuses connections fails the attempt with the refusal, not with the
    /// deadline: AsyncHTTPClient retried the connection until the timeout, so each attempt
    /// at a receiver that was down held a delivery slot for the whole timeout.
    @Test(.timeLimit(.minutes(1))) func aRefusedConnectionFailsTheAttemptWithTheRefusal() async throws {
        let dir = try TempDir("zg-notifier-refused")
        let outbox = Outbox(layout: StateLayout(root: dir.path))
        var configuration = Notifier.Configuration(secrets: SecretsDir(root: dir.file("secrets")))
        configuration.allowPrivate = true
        // Below AsyncHTTPClient's 10 s connect timeout: retrying the connection, the
        // attempt would end at this deadline ("no answer within 5 s").
        configuration.timeout = .seconds(5)
        let notifier = Notifier(outbox: outbox, configuration: configuration, logger: Logger(label: "test"))
        try outbox.add(
            OutboxEntry(
                id: "e", created: Date(), event: NotifyUnitTests.event,
                endpoints: [.webhook(.init(url: "http://127.0.0.1:\(freePort())/hook"), namespace: "web")]))
        await notifier.pass()
        let error = outbox.open().entries.first?.deliveries.first?.lastError ?? ""
        #expect(error.lowercased().contains("refused"), "\(error)")
        #expect(!error.contains("no answer within"), "\(error)")
    }
}
