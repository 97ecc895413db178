import Foundation
import TestSupport
import Testing
import Toolkit

@Suite struct AlarmTests {
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    /// A loop that sets the same or a later deadline each turn keeps one timer: no new
    /// sleep per turn (what made the daemon's poll rounds a third dearer, issue 24); an
    /// earlier deadline moves the timer; it rings once at its deadline and again at the
    /// next one set.
    @Test(.timeLimit(.minutes(1))) func oneTimerServesEveryLaterDeadline() async throws {
        let clock = ManualClock()
        let ring = Signal()
        let alarm = Alarm(ringing: ring, clock: DaemonClock(clock, wall: wall))
        let timer = Task { await alarm.run() }
        defer { timer.cancel() }
        try await until { alarm.settled }
        #expect(clock.sleepers == 0, "no deadline, no sleep")

        alarm.set(wall.addingTimeInterval(60))
        try await until { alarm.settled && clock.sleepers == 1 }
        let slept = clock.slept
        for later in [60.0, 61, 90, 3600] {
            alarm.set(wall.addingTimeInterval(later))
            alarm.set(nil)
        }
        try await until { alarm.settled }
        #expect(clock.slept == slept, "a later deadline keeps the timer")
        #expect(clock.nextDeadline?.offset == .seconds(60))

        alarm.set(wall.addingTimeInterval(30))
        try await until { alarm.settled && clock.nextDeadline?.offset == .seconds(30) }
        #expect(clock.sleepers == 1, "the earlier deadline replaced the sleep")

        clock.advance(by: .seconds(29))
        try await until { alarm.settled }
        #expect(alarm.rung == 0)
        clock.advance(by: .seconds(1))
        await ring.wait()
        #expect(alarm.rung == 1)
        try await until { alarm.settled }
        #expect(clock.sleepers == 0, "rung: nothing set, nothing sleeps")

        alarm.set(wall.addingTimeInterval(45))
        try await until { alarm.settled && clock.sleepers == 1 }
        clock.advance(by: .seconds(15))
        await ring.wait()
        #expect(alarm.rung == 2)
    }

    /// A deadline already passed rings at once; cancelling the timer ends its sleep.
    @Test(.timeLimit(.minutes(1))) func aPastDeadlineRingsAtOnceAndCancelEndsTheTimer() async throws {
        let clock = ManualClock()
        let ring = Signal()
        let alarm = Alarm(ringing: ring, clock: DaemonClock(clock, wall: wall))
        let timer = Task { await alarm.run() }
        alarm.set(wall.addingTimeInterval(-1))
        await ring.wait()
        #expect(alarm.rung == 1)
        alarm.set(wall.addingTimeInterval(600))
        try await until { alarm.settled && clock.sleepers == 1 }
        timer.cancel()
        await timer.value
        #expect(clock.sleepers == 0)
        #expect(alarm.rung == 1)
    }
}
