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
}
