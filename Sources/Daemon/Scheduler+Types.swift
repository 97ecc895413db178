import Foundation

extension Scheduler {
    /// What the scheduler needs of a valid registration.
    public struct Spec: Sendable, Equatable {
        public var namespace: String
        /// Seconds.
        public var pollInterval: Double
        public var automated: Bool
        public var suspended: Bool
        /// Polls aligned on this phase of the interval (`SchedulePolicy.poll(phase:)`);
        /// nil: random jitter.
        public var phase: Double?

        public init(
            namespace: String, pollInterval: Double, automated: Bool = true, suspended: Bool = false,
            phase: Double? = nil
        ) {
            self.namespace = namespace
            self.pollInterval = pollInterval
            self.automated = automated
            self.suspended = suspended
            self.phase = phase
        }
    }

    /// When to look next, by how the look ends: the runner writes the one that applies
    /// into the status document, and `finished` schedules it.
    public struct NextTimes: Sendable, Equatable {
        /// Synced, unchanged, or waiting for a change of input.
        public var poll: Date?
        /// Failed in a way a retry may fix.
        public var retry: Date?
    }

    public struct Launch: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case look, undeploy, drift, health }
        public var name: String
        public var kind: Kind
        public var trigger: Trigger
        /// A request: the branch head is asked of the server, not taken from a shared answer.
        public var force: Bool
        /// Consecutive retryable failures before this look.
        public var failures: Int
        public var next: NextTimes
    }

    /// How a look ended.
    public enum Ending: Sendable, Equatable {
        case synced, unchanged, retryable, stalled, suspended
    }

    /// What a request file means for an application.
    public enum RequestAction: Sendable, Equatable {
        /// It will be looked at soon; the file is removed once that look is done.
        case queued
        /// Nothing to sync (the registration is not valid, or it is being removed): remove the file.
        case discard
        /// No registration of that name (yet): keep the file; it counts once one appears.
        case keep
    }
}

extension Scheduler {
    // MARK: Questions

    public func isRunning(_ name: String) -> Bool { records[name]?.running ?? false }
    public func isRemoving(_ name: String) -> Bool { records[name]?.removing ?? false }
    public func knows(_ name: String) -> Bool { records[name] != nil }
    public func due(_ name: String) -> Date? { records[name]?.due }
    public func failures(_ name: String) -> Int { records[name]?.failures ?? 0 }
    public var names: [String] { Array(records.keys) }

    /// How early a poll may run: up to 2% of its interval, at most 250 ms.
    func slack(_ name: String) -> Double {
        guard let r = records[name], !r.removing, r.failures == 0, let spec = r.spec else { return 0 }
        return min(0.25, spec.pollInterval * 0.02)
    }

    /// The namespace a look counts against ("" while removing or without a valid registration).
    func namespaceKey(_ name: String) -> String {
        guard let r = records[name], !r.removing, let spec = r.spec else { return "" }
        return spec.namespace
    }
}
