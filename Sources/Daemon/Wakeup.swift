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
        var timer: Task<Void, Never>?
        if let timeout {
            timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { self?.signal() }
            }
        }
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
        timer?.cancel()
    }
}
