import Foundation

/// `apps/NAME/history.json`: what the daemon needs to resume after a restart without
/// redeploying (the last successful sync: commit and the digest of everything it
/// depended on), and the last attempts, newest first, for operators.
public struct SyncHistory: Sendable, Hashable, Codable {
    public struct Success: Sendable, Hashable, Codable {
        public var commit: String
        /// Digest of the registration, limits and target the sync was made with.
        public var key: String
        public var at: Date

        public init(commit: String, key: String, at: Date) {
            self.commit = commit
            self.key = key
            self.at = at
        }
    }

    /// What started a look.
    public enum Trigger: String, Sendable, Hashable, Codable, CaseIterable {
        case startup, registration, request, webhook, poll, retry, removal, rollback
    }

    public struct Attempt: Sendable, Hashable, Codable {
        public var at: Date
        public var trigger: Trigger
        public var commit: String?
        /// synced, unchanged, error, invalid, undeployed.
        public var result: String
        public var durationMs: Int
        public var targetCalls: Int
        public var message: String?

        public init(at: Date, trigger: Trigger, commit: String?, result: String, durationMs: Int, targetCalls: Int, message: String?) {
            self.at = at
            self.trigger = trigger
            self.commit = commit
            self.result = result
            self.durationMs = durationMs
            self.targetCalls = targetCalls
            self.message = message
        }
    }

    public static let limit = 20

    public var lastSuccess: Success?
    /// The key and commit of the last attempt that failed for a reason only a change of
    /// input can fix (invalid manifest, syntax error): not retried until one changes.
    public var stalled: Success?
    public var attempts: [Attempt] = []

    public init() {}

    public mutating func record(_ attempt: Attempt) {
        attempts.insert(attempt, at: 0)
        if attempts.count > Self.limit { attempts.removeLast(attempts.count - Self.limit) }
    }
}
