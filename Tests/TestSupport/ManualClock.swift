import Synchronization

/// A clock that moves only when a test says so: sleepers wake when `advance` passes their
/// deadline. Lets a test run days of timers in milliseconds, and see who is waiting.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>?
        var cancelled = false
    }

    private struct State {
        var now = Instant(offset: .zero)
        var next: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var slept = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Sleeps under way now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }
    /// The earliest deadline of the sleeps under way (nil: nobody sleeps).
    public var nextDeadline: Instant? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }
    /// Sleeps begun since the clock was made.
    public var slept: Int { state.withLock { $0.slept } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { s -> UInt64? in
            s.slept += 1
            if deadline <= s.now { return nil }
            s.next += 1
            s.sleepers[s.next] = Sleeper(deadline: deadline)
            return s.next
        }
        guard let id else { return try Task.checkCancellation() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { s in
                    guard let sleeper = s.sleepers[id] else { return .success(()) }
                    if sleeper.cancelled {
                        s.sleepers[id] = nil
                        return .failure(CancellationError())
                    }
                    if sleeper.deadline <= s.now {
                        s.sleepers[id] = nil
                        return .success(())
                    }
                    s.sleepers[id]?.continuation = c
                    return nil
                }
                if let resume { c.resume(with: resume) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let sleeper = s.sleepers[id] else { return nil }
                if let c = sleeper.continuation {
                    s.sleepers[id] = nil
                    return c
                }
                s.sleepers[id]?.cancelled = true
                return nil
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on, waking every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = s.now.advanced(by: duration)
            var woken: [CheckedContinuation<Void, any Error>] = []
            for (id, sleeper) in s.sleepers where sleeper.deadline <= s.now {
                if let c = sleeper.continuation {
                    woken.append(c)
                    s.sleepers[id] = nil
                }
            }
            return woken
        }
        for c in woken { c.resume() }
    }
}
