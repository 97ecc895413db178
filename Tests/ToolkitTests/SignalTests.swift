import TestSupport
import Testing
import Toolkit

@Suite struct SignalTests {
    @Test(.timeLimit(.minutes(1))) func aSignalBeforeTheWaitIsNotLost() async {
        let signal = Signal()
        signal.signal()
        // Returns at once: no timeout is given, so a lost signal would hang (and the
        // suite's time limit would fail the test).
        await signal.wait()
        #expect(signal.waiting == 0)
    }

    /// The notifier's spin: a wait that its timer ended left the signal finished, and every
    /// later wait returned at once. Here a timed-out wait leaves nothing behind, the next
    /// wait sleeps again, and a signal still wakes it.
    @Test(.timeLimit(.minutes(1))) func aTimedOutWaitLeavesTheSignalUsable() async throws {
        let signal = Signal()
        let clock = ManualClock()
        for round in 1...3 {
            let waiter = Task { await signal.wait(timeout: .seconds(60), clock: clock) }
            try await until { clock.sleepers == 1 && signal.waiting == 1 }
            clock.advance(by: .seconds(60))
            await waiter.value
            #expect(signal.waiting == 0, "round \(round)")
            #expect(clock.sleepers == 0, "round \(round)")
        }
        let woken = Task { await signal.wait(timeout: .seconds(60), clock: clock) }
        try await until { signal.waiting == 1 }
        signal.signal()
        await woken.value
        #expect(clock.sleepers == 0, "the signal ended the wait, and its timer with it")
    }

    @Test(.timeLimit(.minutes(1))) func cancellingAWaitEndsIt() async throws {
        let signal = Signal()
        let waiter = Task { await signal.wait() }
        try await until { signal.waiting == 1 }
        waiter.cancel()
        await waiter.value
        #expect(signal.waiting == 0)
    }
}
