import Synchronization

/// A wake-up that is remembered until waited for, and a wait that ends at a signal or
/// after a timeout on a given clock, whichever comes first. Correct by construction
/// where a timer raced the reader of a long-lived `AsyncStream`: cancelling that reader
/// finished the stream, and every later wait returned at once (the notifier spun after
/// its first timed wake-up). Here a wait that loses the race only leaves; the signal
/// stays usable for every later wait, and nothing is kept per wait once it returns.
public final class Signal: Sendable {
    private enum Waiter {
        /// Registered, its continuation not installed yet.
        case arriving
        /// Cancelled before its continuation was installed: resume it at once.
        case cancelled
        case waiting(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var pending = false
        var next: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes every waiter; with none, the next wait returns at once.
    public func signal() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in s.waiters {
                if case .waiting(let c) = waiter {
                    woken.append(c)
                    s.waiters[id] = nil
                }
            }
            if woken.isEmpty { s.pending = true }
            return woken
        }
        for c in woken { c.resume() }
    }

    /// Returns at the next signal (at once if one is pending), or when the task is
    /// cancelled.
    public func wait() async {
        let id = state.withLock { s -> UInt64? in
            if s.pending {
                s.pending = false
                return nil
            }
            s.next &+= 1
            s.waiters[s.next] = .arriving
            return s.next
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if case .cancelled? = s.waiters[id] {
                        s.waiters[id] = nil
                        return true
                    }
                    if s.pending {
                        s.pending = false
                        s.waiters[id] = nil
                        return true
                    }
                    s.waiters[id] = .waiting(c)
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
                switch s.waiters[id] {
                case .waiting(let c)?:
                    s.waiters[id] = nil
                    return c
                case .arriving?:
                    s.waiters[id] = .cancelled
                    return nil
                case .cancelled?, nil:
                    return nil
                }
            }
            c?.resume()
        }
    }

    /// Returns at the next signal or after `timeout` on `clock` (nil: no timeout), or when
    /// the task is cancelled.
    public func wait<C: Clock>(timeout: Duration?, clock: C) async where C.Duration == Duration {
        await wait(timeout: timeout, sleep: Self.sleeper(clock))
    }

    /// The same, with the clock's sleep as a function (what a type keeps of a clock it
    /// was given as `any Clock<Duration>`: see `sleeper`).
    public func wait(timeout: Duration?, sleep: @escaping @Sendable (Duration) async throws -> Void) async {
        guard let timeout else { return await wait() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await sleep(timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// A clock's sleep, as a function.
    public static func sleeper<C: Clock>(_ clock: C) -> @Sendable (Duration) async throws -> Void
    where C.Duration == Duration {
        { duration in try await clock.sleep(for: duration) }
    }

    /// One waiter or more is asleep and no signal waits to be taken: whoever waits here has
    /// nothing to do (tests: the daemon is idle).
    public var asleep: Bool {
        state.withLock { s in
            !s.pending && s.waiters.values.contains { if case .waiting = $0 { true } else { false } }
        }
    }

    /// Waiters registered now (tests: nothing is left behind by waits that returned).
    public var waiting: Int { state.withLock { $0.waiters.count } }
}
