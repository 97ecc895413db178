import Foundation
import Synchronization

/// Wakes the supervisor's loop: a signal that is remembered until waited for, and a
/// wait that ends at a signal or a deadline, whichever comes first. Also carries the
/// stop flag (set from a signal handler's context, read by the loop).
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var stopping = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    func stop() {
        state.withLock { $0.stopping = true }
        signal()
    }

    var stopping: Bool { state.withLock { $0.stopping } }

    /// Returns at the next signal (or at once if one is pending), or after `timeout`.
    func wait(timeout: Duration?) async {
        let consumed = state.withLock { s -> Bool in
            if s.pending {
                s.pending = false
                return true
            }
            return false
        }
        if consumed { return }
        if let timeout { arm(ContinuousClock.now + timeout) }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = c
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    /// One timer at a time: a wait whose deadline is not earlier than the armed timer's
    /// reuses it (a spurious early wakeup only makes the loop look again), so a busy loop
    /// does not create and cancel a timer task per iteration.
    private let timer = Mutex<(deadline: ContinuousClock.Instant, task: Task<Void, Never>)?>(nil)

    private func arm(_ deadline: ContinuousClock.Instant) {
        timer.withLock { current in
            if let current, current.deadline <= deadline, current.deadline > ContinuousClock.now { return }
            current?.task.cancel()
            let task = Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled, let self else { return }
                self.timer.withLock { if $0?.deadline == deadline { $0 = nil } }
                self.signal()
            }
            current = (deadline, task)
        }
    }
}
