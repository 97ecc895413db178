import Foundation
import Synchronization

/// Rings a `Signal` at a deadline on a `DaemonClock`, with one timer for every wait: a
/// loop that wakes often (the supervisor's, once per look that starts or ends) sets the
/// alarm each turn, and a deadline not earlier than the one already set keeps that timer
/// (ringing early only makes the loop look again). `Signal.wait(timeout:)` makes a task
/// group, a sleeping child and its cancellation per wait: at 1,000 looks per poll round
/// that was ~4 thread switches per look and a third more CPU per round (issue 24).
///
/// The timer is `run()`, a child task of the owner's task group: it sleeps until the
/// deadline set (waking earlier only when an earlier one is set) and ends when cancelled.
public final class Alarm: Sendable {
    private enum Timer: Equatable {
        /// Between two waits: it reads the deadline set before it waits again.
        case busy
        /// No deadline set: it waits for one.
        case waitingForDeadline
        case sleeping(until: Date)
    }

    private struct State {
        /// The deadline set and not rung yet.
        var deadline: Date?
        var timer = Timer.busy
        var rung = 0
    }

    private let ring: Signal
    private let clock: DaemonClock
    private let state = Mutex(State())
    /// Wakes the timer: a deadline earlier than the one it sleeps until was set.
    private let reset = Signal()

    /// `ring`: the signal rung at each deadline.
    public init(ringing ring: Signal, clock: DaemonClock) {
        self.ring = ring
        self.clock = clock
    }

    /// Rings at `deadline`, or earlier if a deadline set before is earlier and still
    /// to come. nil leaves the alarm as it is.
    public func set(_ deadline: Date?) {
        guard let deadline else { return }
        let wake = state.withLock { s -> Bool in
            if let current = s.deadline, current <= deadline { return false }
            s.deadline = deadline
            switch s.timer {
            case .busy: return false
            case .waitingForDeadline: return true
            case .sleeping(let until): return deadline < until
            }
        }
        if wake { reset.signal() }
    }

    /// The timer: sleeps until the deadline set, rings, and waits for the next; returns
    /// when its task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let deadline = state.withLock { s -> Date? in
                s.timer = s.deadline.map { .sleeping(until: $0) } ?? .waitingForDeadline
                return s.deadline
            }
            guard let deadline else {
                await reset.wait()
                state.withLock { $0.timer = .busy }
                continue
            }
            let remaining = deadline.timeIntervalSince(clock.now())
            if remaining <= 0 {
                let rings = state.withLock { s -> Bool in
                    guard s.deadline == deadline else { return false }
                    s.deadline = nil
                    s.timer = .busy
                    s.rung += 1
                    return true
                }
                if rings { ring.signal() }
                continue
            }
            // Whole milliseconds, rounded up: the clock has passed the deadline when it
            // returns.
            let wait = Duration.milliseconds(Int64(max(1, (remaining * 1000).rounded(.up))))
            await reset.wait(timeout: wait, sleep: clock.sleep)
            state.withLock { $0.timer = .busy }
        }
        state.withLock { $0.timer = .busy }
    }

    /// The timer sleeps until the deadline set, or none is set (tests: nothing left to
    /// arrange before the clock moves).
    public var settled: Bool {
        state.withLock { s in
            switch s.timer {
            case .busy: false
            case .waitingForDeadline: s.deadline == nil
            case .sleeping(let until): s.deadline == until
            }
        } && reset.asleep
    }

    /// Times it rang.
    public var rung: Int { state.withLock { $0.rung } }
}
