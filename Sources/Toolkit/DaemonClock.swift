import Foundation

/// The time everything in the daemon that waits takes its time from: wall time (status
/// files, schedules, leases' dates), a monotonic uptime (ages, lease expiry as the
/// observer judges it) and a sleep. `.system` in production; a test gives its own clock
/// and moves days in milliseconds.
public struct DaemonClock: Sendable {
    public let now: @Sendable () -> Date
    /// Time since the clock was made, never going back.
    public let uptime: @Sendable () -> Duration
    public let sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> Date, uptime: @escaping @Sendable () -> Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.uptime = uptime
        self.sleep = sleep
    }

    /// Any clock: wall time starts at `wall` and runs as the clock does.
    public init<C: Clock>(_ clock: C, wall: Date = Date()) where C.Duration == Duration {
        let origin = clock.now
        self.init(
            now: { wall.addingTimeInterval(origin.duration(to: clock.now).seconds) },
            uptime: { origin.duration(to: clock.now) },
            sleep: { try await clock.sleep(for: $0) })
    }

    /// The host's clocks: `Date()` and `ContinuousClock`.
    public static let system: DaemonClock = {
        let origin = ContinuousClock.now
        return DaemonClock(
            now: { Date() }, uptime: { origin.duration(to: .now) },
            sleep: { try await Task.sleep(for: $0) })
    }()
}

extension Duration {
    /// In seconds, with the fraction.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// In whole milliseconds (the rest dropped).
    public var milliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }

    /// In whole nanoseconds (the rest dropped).
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
