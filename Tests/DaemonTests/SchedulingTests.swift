import Foundation
import Testing

@testable import Daemon

@Suite struct ScheduleTests {
    @Test func backoffDoublesFromTheMinimumUpToThePollInterval() {
        let policy = SchedulePolicy(retryMin: 10, jitter: 0.1)
        // random 0.5 = no jitter
        let delays = (1...8).map { policy.backoff(failures: $0, interval: 300, random: 0.5) }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300, 300])
        // A huge failure count does not overflow.
        #expect(policy.backoff(failures: 10_000, interval: 300, random: 0.5) == 300)
    }

    @Test func jitterStaysWithinTenPercent() {
        let policy = SchedulePolicy()
        #expect(policy.poll(interval: 300, random: 0) == 270)
        #expect(policy.poll(interval: 300, random: 0.999_999) > 329.99)
        #expect(policy.poll(interval: 300, random: 0.999_999) < 330)
        #expect(policy.backoff(failures: 1, interval: 300, random: 0) == 9)
    }

    /// Polls aligned on a phase: never outside the jitter, and two applications of one
    /// head lookup that started apart poll at the same instants within a few polls.
    @Test func alignedPollsJoinTheirGridWithinTheJitter() {
        let policy = SchedulePolicy(jitter: 0.1)
        let interval = 60.0
        // Started 29 s apart (the worst case: half an interval off the grid).
        var a = Date(timeIntervalSince1970: 1_800_000_000)
        var b = a.addingTimeInterval(29)
        for _ in 0..<8 {
            let da = policy.poll(interval: interval, phase: 0.25, now: a)
            let db = policy.poll(interval: interval, phase: 0.25, now: b)
            #expect(da >= 54 && da <= 66 && db >= 54 && db <= 66)
            a = a.addingTimeInterval(da)
            b = b.addingTimeInterval(db)
        }
        // On the grid: a quarter of an interval past a multiple of it, both.
        #expect(a == b)
        #expect(a.timeIntervalSince1970.truncatingRemainder(dividingBy: interval) == 15)
        // Once there, exactly the interval.
        #expect(policy.poll(interval: interval, phase: 0.25, now: a) == 60)
    }

    /// The phase comes from the head lookup's key: the same key, the same phase; keys
    /// spread over the interval.
    @Test func thePhaseIsTheHeadKeys() {
        #expect(SyncContext.phase("k") == SyncContext.phase("k"))
        let phases = (0..<1000).map { SyncContext.phase("repo-\($0)") }
        #expect(phases.allSatisfy { $0 >= 0 && $0 < 1 })
        // Spread: every tenth of the interval gets some.
        #expect(Set(phases.map { Int($0 * 10) }).count == 10)
    }
}
