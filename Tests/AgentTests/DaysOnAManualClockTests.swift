import Agent
import Daemon
import Foundation
import Glibc
import Logging
import Manifest
import Notify
import State
import Synchronization
import TestSupport
import Testing
import Toolkit

/// Issue 23: the whole daemon (supervisor, looks, notifier, leases) built in process by
/// `Agent` on a manual clock, idling through three simulated days of polls, retries,
/// quiet hours, drift passes and lease renewals, with a notification receiver that fails
/// every other delivery and a repository that goes away and comes back each day. Time
/// moves only from one deadline the daemon sleeps until to the next, so each turn of its
/// loops has a reason; the figures of day 3 must be those of day 2 (no spin, no growth).
@Suite(.serialized) struct DaysOnAManualClockTests {
    /// What the daemon did in one simulated day.
    struct Day: CustomStringConvertible {
        var wakeups = 0
        var notifierPasses = 0
        var outboxReads = 0
        var readCalls = 0
        var deliveries = 0
        var steps = 0
        var description: String {
            "wakeups \(wakeups), notifier passes \(notifierPasses), outbox reads \(outboxReads), read calls \(readCalls), deliveries \(deliveries), clock steps \(steps)"
        }
    }

    /// Read system calls of this process so far (`/proc/self/io`).
    static func readCalls() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/io", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("syscr:") {
            return Int(line.dropFirst("syscr:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// Resident bytes of this process (`/proc/self/statm`).
    static func heapInUse() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Namespaces that shard 0 of 2 owns.
    static func ownedNamespaces(_ count: Int) -> [String] {
        (0..<100).map { "team\($0)" }.filter { Sharding.owner(namespace: $0, shards: 2) == 0 }.prefix(count).map { $0 }
    }

    /// Waits (real time, bounded) until the daemon sleeps with nothing to do: the loop and
    /// the notifier asleep on the manual clock with no signal pending, no look running.
    static func settle(_ agent: Agent, _ clock: ManualClock, _ what: @autoclosure () -> String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var stable = 0
        while stable < 2 {
            let supervisorIdle = await agent.supervisor.idle
            let notifierIdle = await agent.notifier.idle
            let quiet = supervisorIdle && notifierIdle && clock.sleepers >= 2
            stable = quiet ? stable + 1 : 0
            if ContinuousClock.now > deadline {
                Issue.record("the daemon did not settle: \(what())")
                throw CancellationError()
            }
            // A poll of the condition, not a wait for time: the daemon works meanwhile.
            try await Task.sleep(for: .microseconds(300))
        }
    }

    static func status(_ layout: StateLayout, _ name: String) -> String? {
        (try? layout.readStatus(name))??.status.rawValue
    }

    @Test(.timeLimit(.minutes(5))) func threeDaysOfPollsRetriesDriftAndLeasesCostTheSameEachDay() async throws {
        let dir = try TempDir("zg-days")
        try FileManager.default.createDirectory(atPath: dir.file("apps.d"), withIntermediateDirectories: true)
        let namespaces = Self.ownedNamespaces(2)
        let site = try GitRepo(root: dir.file("repos"), name: "site", files: siteFiles(namespace: namespaces[0]))
        let flaky = try GitRepo(root: dir.file("repos"), name: "flaky", files: siteFiles(namespace: namespaces[1]))
        try registration("site", namespace: namespaces[0], url: "file://" + site.bare, poll: "30m")
            .write(toFile: dir.file("apps.d/site.yaml"), atomically: true, encoding: .utf8)
        try registration("flaky", namespace: namespaces[1], url: "file://" + flaky.bare, poll: "30m")
            .write(toFile: dir.file("apps.d/flaky.yaml"), atomically: true, encoding: .utf8)
        // Every other delivery fails with 503.
        let answered = Mutex(0)
        let receiver = try await RecordingServer.start { _ in
            answered.withLock { n in
                n += 1
                return n % 2 == 0 ? (503, "{}") : (200, "{}")
            }
        }

        var settings = AgentSettings(appsDir: dir.file("apps.d"), stateDir: dir.file("state"))
        settings.listen = nil
        settings.allowFileURLs = true
        settings.secretsDir = dir.file("secrets")
        settings.notifyURL = receiver.base + "/hook"
        settings.notifyAllowPrivate = true
        settings.shards = 2
        settings.shardIndex = 0
        settings.leaseDuration = .seconds(1800)
        settings.rescanInterval = .seconds(600)
        // Shards rescan every 2 s for network file systems; one host here.
        settings.shardRescanInterval = .seconds(600)
        settings.stateCheckInterval = .seconds(600)
        settings.driftInterval = .seconds(3600)
        settings.retryMin = .seconds(10)
        let clock = ManualClock()
        let agent = try Agent(
            settings: settings, clock: DaemonClock(clock, wall: Date(timeIntervalSince1970: 1_800_000_000)),
            logger: Logger(label: "days"))
        let running = Task { try await agent.run(signals: false) }

        // The first syncs: real work at the clock's start.
        try await Self.settle(agent, clock, "the first syncs")
        #expect(Self.status(agent.layout, "site") == "synced")
        #expect(Self.status(agent.layout, "flaky") == "synced")

        var days: [Day] = []
        var heap: [Int] = []
        let hour = Duration.seconds(3600)
        for day in 0..<3 {
            let before = Day(
                wakeups: await agent.supervisor.wakeups, notifierPasses: await agent.notifier.passes,
                outboxReads: await agent.notifier.outboxReads, readCalls: Self.readCalls(),
                deliveries: receiver.requests.count)
            var steps = 0
            let start = clock.now
            // Each day: the flaky repository goes away at 06:00 and comes back at 12:00; a
            // push to the site at 18:00.
            var events: [(Duration, String)] = [
                (hour * 6, "flaky gone"), (hour * 12, "flaky back"), (hour * 18, "push"), (hour * 24, "end"),
            ]
            while let (at, event) = events.first {
                let target = start.advanced(by: at)
                guard let next = clock.nextDeadline else {
                    Issue.record("nobody sleeps on the clock on day \(day + 1)")
                    return
                }
                if next < target {
                    clock.advance(by: clock.now.duration(to: next))
                    steps += 1
                    try await Self.settle(agent, clock, "day \(day + 1), step \(steps)")
                    continue
                }
                clock.advance(by: clock.now.duration(to: target))
                events.removeFirst()
                switch event {
                case "flaky gone": try FileManager.default.moveItem(atPath: flaky.bare, toPath: flaky.bare + ".away")
                case "flaky back": try FileManager.default.moveItem(atPath: flaky.bare + ".away", toPath: flaky.bare)
                case "push": try site.commit(["static/index.html": "day \(day + 1)\n"], message: "day \(day + 1)")
                default: break
                }
                try await Self.settle(agent, clock, "day \(day + 1), \(event)")
            }
            let after = Day(
                wakeups: await agent.supervisor.wakeups, notifierPasses: await agent.notifier.passes,
                outboxReads: await agent.notifier.outboxReads, readCalls: Self.readCalls(),
                deliveries: receiver.requests.count)
            days.append(
                Day(
                    wakeups: after.wakeups - before.wakeups,
                    notifierPasses: after.notifierPasses - before.notifierPasses,
                    outboxReads: after.outboxReads - before.outboxReads, readCalls: after.readCalls - before.readCalls,
                    deliveries: after.deliveries - before.deliveries, steps: steps))
            heap.append(Self.heapInUse())
        }
        await agent.shutdown()
        try await running.value

        // The day's work was done: the push deployed, the flaky app failed and recovered.
        let published =
            (try? String(
                contentsOfFile: agent.layout.publishedDir + "/static/\(namespaces[0])/index.html", encoding: .utf8))
            ?? ""
        #expect(published == "day 3\n", "the last push is deployed")
        #expect(Self.status(agent.layout, "flaky") == "synced")
        let failures = agent.layout.readHistory("flaky").attempts.filter { $0.result == "error" }.count
        #expect(failures >= 3, "the flaky app's failures are in its history")
        for (i, day) in days.enumerated() { print("day \(i + 1): \(day); resident \(heap[i] / 1024) KiB") }

        // Proportional to the work: every turn of the supervisor's loop has a timer, a
        // look's end or an event behind it. A day holds 48 polls of 2 apps, 24 drift
        // passes, 144 rescans, 144 state-dir checks, 72 lease renewals, retries of the
        // flaky app (10 s doubling to the 30 m interval) and the looks' ends: a few hundred.
        for (i, day) in days.enumerated() {
            #expect(day.wakeups < 1500, "day \(i + 1): \(day)")
            #expect(day.notifierPasses < 200, "day \(i + 1): \(day)")
            #expect(day.deliveries >= 4, "day \(i + 1): events reached the receiver (\(day))")
        }
        // No growth: day 3 costs what day 2 did (within a margin for jitter).
        let (two, three) = (days[1], days[2])
        #expect(Double(three.wakeups) <= Double(two.wakeups) * 1.2 + 10, "\(two) -> \(three)")
        #expect(Double(three.notifierPasses) <= Double(two.notifierPasses) * 1.2 + 10, "\(two) -> \(three)")
        #expect(Double(three.outboxReads) <= Double(two.outboxReads) * 1.2 + 10, "\(two) -> \(three)")
        #expect(Double(three.readCalls) <= Double(two.readCalls) * 1.3 + 500, "\(two) -> \(three)")
        #expect(
            heap[2] - heap[0] < 8 << 20, "the resident memory grew from \(heap[0] / 1024) KiB to \(heap[2] / 1024) KiB")
    }

    /// A shard that died with its clock a day ahead left a lease and a `synced` status: the
    /// owner logs it, says in the status who blocks the app once the holder has missed a
    /// renewal, and takes the app over one lease duration after it first saw the lease
    /// (its own monotonic time, never the date written in the lease).
    @Test(.timeLimit(.minutes(2))) func aDeadShardsLeaseIsShownInTheStatusAndTakenOverAfterOneDuration() async throws {
        let dir = try TempDir("zg-dead-lease")
        try FileManager.default.createDirectory(atPath: dir.file("apps.d"), withIntermediateDirectories: true)
        let namespace = Self.ownedNamespaces(1)[0]
        let site = try GitRepo(root: dir.file("repos"), name: "site", files: siteFiles(namespace: namespace))
        try registration("site", namespace: namespace, url: "file://" + site.bare, poll: "30m")
            .write(toFile: dir.file("apps.d/site.yaml"), atomically: true, encoding: .utf8)
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        let layout = StateLayout(root: dir.file("state"))
        let dead = Leases(layout: layout, shard: 1, holder: "shard 1 on dead-host", duration: 60)
        #expect(dead.acquire("site", now: wall.addingTimeInterval(86_400), monotonic: .zero))
        var left = StatusDocument(
            name: "site", namespace: namespace,
            source: .init(repoURL: "file://" + site.bare, branch: "main", path: "."),
            status: .synced, message: "written by shard 1")
        left.shard = 1
        try layout.writeStatus(left)

        var settings = AgentSettings(appsDir: dir.file("apps.d"), stateDir: dir.file("state"))
        settings.listen = nil
        settings.allowFileURLs = true
        settings.secretsDir = dir.file("secrets")
        settings.shards = 2
        settings.shardIndex = 0
        settings.leaseDuration = .seconds(60)
        settings.stateCheckInterval = .seconds(600)
        let clock = ManualClock()
        let agent = try Agent(
            settings: settings, clock: DaemonClock(clock, wall: wall), logger: Logger(label: "dead-lease"))
        let running = Task { try await agent.run(signals: false) }
        try await Self.settle(agent, clock, "the start")
        #expect(
            try layout.readStatus("site")?.message == "written by shard 1",
            "a holder not yet seen missing a renewal is left alone")

        /// Moves the clock from deadline to deadline up to `seconds` after the start.
        func run(until seconds: Int) async throws {
            let target = ManualClock.Instant(offset: .seconds(seconds))
            while let next = clock.nextDeadline, next < target {
                clock.advance(by: clock.now.duration(to: next))
                try await Self.settle(agent, clock, "at \(clock.now.offset)")
            }
            clock.advance(by: clock.now.duration(to: target))
            try await Self.settle(agent, clock, "at \(seconds) s")
        }
        try await run(until: 30)
        let blocked = try layout.readStatus("site")
        #expect(
            blocked?.message?.contains("blocked by the lease of shard 1 on dead-host, not renewed for") == true,
            "\(blocked?.message ?? "")")
        #expect(blocked?.message?.contains("shard 0 takes the application over in") == true)
        #expect(blocked?.status == .synced, "the rest of the status is the holder's, as it left it")
        try await run(until: 64)
        let taken = try layout.readStatus("site")
        #expect(taken?.status == .synced)
        #expect(taken?.shard == 0, "taken over by shard 0 a lease duration after it first saw the lease")
        #expect(dead.read("site")?.shard == 0)
        await agent.shutdown()
        try await running.value
    }
}
