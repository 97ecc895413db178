import Foundation

extension Scheduler {
    /// When to look next, by how the look ends: the runner writes the one that applies
    /// into the status document, and `finished` schedules it.
    public struct NextTimes: Sendable, Equatable {
        /// Synced, unchanged, or waiting for a change of input.
        public var poll: Date?
        /// Failed in a way a retry may fix.
        public var retry: Date?
    }

    public struct Launch: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case look, undeploy, drift }
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
