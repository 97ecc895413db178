import Foundation

/// When an application is looked at next (pure: the random source is passed in).
public struct SchedulePolicy: Sendable {
    /// The first retry after a retryable failure; doubled per failure up to the poll interval.
    public var retryMin: Double = 10
    /// ± this fraction of jitter on polls and retries, so that applications registered
    /// together do not poll together forever.
    public var jitter: Double = 0.1

    public init(retryMin: Double = 10, jitter: Double = 0.1) {
        self.retryMin = retryMin
        self.jitter = jitter
    }

    /// Seconds until the next poll after a sync or an unchanged look (`random` in 0..<1).
    public func poll(interval: Double, random: Double) -> Double {
        interval * (1 - jitter + 2 * jitter * random)
    }

    /// Seconds until the next poll, aligned on `phase` (0..<1 of an interval past each
    /// multiple of it since the epoch): the applications that share a head lookup (one
    /// repository, ref and credentials) and an interval poll at the same instants, and one
    /// ls-remote answers them all. Each poll moves at most `jitter` of the interval toward
    /// that grid: an application joins it within a few polls, never outside the jitter.
    public func poll(interval: Double, phase: Double, now: Date) -> Double {
        guard interval > 0 else { return interval }
        let next = now.timeIntervalSince1970 + interval
        let grid = ((next / interval - phase).rounded() + phase) * interval
        return min(max(grid - now.timeIntervalSince1970, interval * (1 - jitter)), interval * (1 + jitter))
    }

    /// Seconds until the retry after `failures` consecutive retryable failures (1 = the
    /// first): retryMin, 2x, 4x ... capped at the poll interval, with jitter.
    public func backoff(failures: Int, interval: Double, random: Double) -> Double {
        let exponent = Double(min(max(failures - 1, 0), 30))
        let base = min(interval, retryMin * pow(2, exponent))
        return base * (1 - jitter + 2 * jitter * random)
    }
}
