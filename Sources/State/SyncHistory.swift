import Foundation
import Toolkit

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
        case startup, registration, request, webhook, poll, retry, removal, rollback, drift, health

        /// Somebody asked (a request file): it syncs even a manual app, and asks the server.
        public var isAsked: Bool { self == .request || self == .webhook || self == .rollback }
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
        /// Functions deployed or undeployed, static files uploaded or deleted (a real sync).
        public var functionsChanged: Int?
        public var filesChanged: Int?
        /// What the checks after this attempt's deploy said (healthy, degraded, unknown).
        public var health: String?

        public init(
            at: Date, trigger: Trigger, commit: String?, result: String, durationMs: Int, targetCalls: Int,
            message: String?,
            functionsChanged: Int? = nil, filesChanged: Int? = nil
        ) {
            self.at = at
            self.trigger = trigger
            self.commit = commit
            self.result = result
            self.durationMs = durationMs
            self.targetCalls = targetCalls
            self.functionsChanged = functionsChanged
            self.filesChanged = filesChanged
            self.message = message
        }
    }

    /// Attempts kept (newest first); unchanged polls are not attempts.
    public static let limit = 20

    public var lastSuccess: Success?
    /// The key and commit of the last attempt that failed for a reason only a change of
    /// input can fix (invalid manifest, syntax error): not retried until one changes.
    public var stalled: Success?
    public var attempts: [Attempt] = []
    /// The last commit whose deploy passed its health checks: where an automatic rollback
    /// goes.
    public var lastHealthy: Success?

    public init() {}

    public mutating func record(_ attempt: Attempt) {
        attempts.insert(attempt, at: 0)
        if attempts.count > Self.limit { attempts.removeLast(attempts.count - Self.limit) }
    }
}

extension SyncHistory {
    /// `{"history": [attempt...]}`, newest first: what `history --json` prints and
    /// `GET /api/gitops/applications/{name}/history` answers. An attempt: `time`, `trigger`,
    /// `commit`, `result`, `durationMs`, `targetCalls`, `functionsChanged`, `filesChanged`,
    /// `message`, `health` (absent fields: not known).
    public static func document(_ attempts: [Attempt]) -> [UInt8] {
        typealias V = JSONText.Value
        let items: [V] = attempts.map { a in
            .object([
                ("time", .string(JSONText.date(a.at))), ("trigger", .string(a.trigger.rawValue)),
                ("commit", a.commit.map { .string($0) }),
                ("result", .string(a.result)), ("durationMs", .int(a.durationMs)), ("targetCalls", .int(a.targetCalls)),
                ("functionsChanged", a.functionsChanged.map { .int($0) }),
                ("filesChanged", a.filesChanged.map { .int($0) }),
                ("message", a.message.map { .string($0) }),
                ("health", a.health.map { .string($0) }),
            ])
        }
        var out: [UInt8] = []
        JSONText.write(.object([("history", .array(items))]), into: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    /// `2024-01-15T10:30:00Z`.
    public static func timestamp(_ date: Date) -> String { JSONText.date(date) }
}
