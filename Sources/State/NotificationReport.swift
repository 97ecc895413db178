import Foundation
import Manifest

/// What `zerverless-gitops notifications` shows: the outbox's deliveries by endpoint, the
/// open ones (`STATE/outbox/*.json`) and those of the last day (`outbox/done/`). Pure: the
/// entries and the time in, the document out (its JSON is `--json`'s, documented in the
/// README; fields are added, never renamed).
public struct NotificationReport: Sendable, Hashable {
    /// One event's delivery to the endpoint.
    public struct Event: Sendable, Hashable {
        /// The delivery id (`X-Zerverless-Delivery`), and the entry's (the outbox file).
        public var delivery: String
        public var entry: String
        public var app: String
        public var event: String
        public var commit: String?
        public var created: Date
        /// `pending` (not tried yet), `held` (waiting behind an earlier event of the same
        /// endpoint), `retrying` (failed, tried again at `nextAttempt`), `failing` (see
        /// `failing(_:now:)`), `dropped` (given up within the last day: `lastError` says
        /// why), `delivered` (within the last day).
        public var state: String
        public var attempts: Int
        public var lastAttempt: Date?
        public var lastStatus: Int?
        public var lastError: String?
        public var nextAttempt: Date?
        public var delivered: Date?
    }

    /// One endpoint: a tenant's webhook, the operator's `--notify-url`, a forge.
    public struct Endpoint: Sendable, Hashable {
        /// generic, slack, operator, github, gitea, gitlab.
        public var kind: String
        /// As it may be shown: no credentials, no query values, a Slack URL's path hidden;
        /// the operator's is the one its last attempt went to (nil before any).
        public var url: String?
        public var namespace: String?
        /// A forge's `OWNER/REPO`.
        public var project: String?
        /// `failing`, `retrying`, `pending` or `ok` (nothing open).
        public var state: String
        public var pending: Int
        public var oldest: Date?
        public var oldestAgeSeconds: Int?
        /// Of the oldest open delivery (the head of the endpoint's line).
        public var attempts: Int
        public var lastAttempt: Date?
        public var lastStatus: Int?
        public var lastError: String?
        public var nextRetry: Date?
        /// Within the last day.
        public var delivered: Int
        public var dropped: Int
        public var lastDelivered: Date?
        public var apps: [String]
        /// The open ones first (oldest first), then those dropped within the last day.
        public var events: [Event]
    }

    public var generated: Date
    /// Only this application's deliveries (nil: all).
    public var app: String?
    /// Open deliveries, and those of them failing.
    public var pending: Int
    public var failing: Int
    public var endpoints: [Endpoint]

    /// Past this age an open delivery counts as failing even without a failed retry (held
    /// behind a failing event, or no daemon delivering).
    public static let stuckAfter: TimeInterval = 300

    /// An open delivery past its first retry: it failed twice or more, or it waited longer
    /// than `stuckAfter`.
    public static func failing(_ d: OutboxEntry.Delivery, created: Date, now: Date) -> Bool {
        d.open && (d.attempts >= 2 || now.timeIntervalSince(created) > stuckAfter)
    }

    public init(open: [OutboxEntry], done: [OutboxEntry], app: String? = nil, now: Date) {
        generated = now
        self.app = app
        let wanted: (OutboxEntry) -> Bool = { app == nil || $0.event.app == app }
        var order: [String] = []
        var groups: [String: [(entry: OutboxEntry, delivery: OutboxEntry.Delivery, open: Bool)]] = [:]
        let allOpen = open.sorted { ($0.sequence, $0.id) < ($1.sequence, $1.id) }
        // Held: behind an earlier open event of the same endpoint, of any app (a test
        // neither waits nor holds).
        var heads = Set<String>()
        var held = Set<String>()
        for entry in allOpen where !entry.isTest {
            for d in entry.deliveries where d.open && !heads.insert(d.endpoint.orderKey).inserted { held.insert(d.id) }
        }
        let sortedOpen = allOpen.filter(wanted)
        let recent = done.filter(wanted).sorted { ($0.sequence, $0.id) < ($1.sequence, $1.id) }
        for (entries, isOpen) in [(sortedOpen, true), (recent, false)] {
            for entry in entries {
                for d in entry.deliveries where d.open == isOpen {
                    if !isOpen, now.timeIntervalSince(d.delivered ?? d.lastAttempt ?? entry.created) > Outbox.keep {
                        continue
                    }
                    let key = d.endpoint.orderKey
                    if groups[key] == nil { order.append(key) }
                    groups[key, default: []].append((entry, d, isOpen))
                }
            }
        }
        endpoints = order.map { Self.endpoint(groups[$0]!, held: held, now: now) }.sorted {
            (Self.rank($0.state), $0.kind, $0.namespace ?? "", $0.url ?? "")
                < (Self.rank($1.state), $1.kind, $1.namespace ?? "", $1.url ?? "")
        }
        pending = endpoints.reduce(0) { $0 + $1.pending }
        failing = endpoints.reduce(0) { $0 + $1.events.filter { $0.state == "failing" }.count }
    }

    static func rank(_ state: String) -> Int { ["failing", "retrying", "pending", "ok"].firstIndex(of: state) ?? 4 }

    static func endpoint(
        _ items: [(entry: OutboxEntry, delivery: OutboxEntry.Delivery, open: Bool)], held: Set<String>, now: Date
    ) -> Endpoint {
        let first = items[0].delivery.endpoint
        var out = Endpoint(
            kind: first.kindName, url: first.shownURL, namespace: nil, project: nil, state: "ok", pending: 0,
            attempts: 0, delivered: 0, dropped: 0, apps: [], events: [])
        switch first {
        case .webhook(_, let namespace): out.namespace = namespace
        case .operatorURL: break
        case .commitStatus(_, let namespace, let project, _):
            out.namespace = namespace
            out.project = project
        }
        var apps = Set<String>()
        var headSeen = false
        // The latest attempt (of two in one second, the later event's) says how it went.
        var latest: (at: Date, sequence: UInt64)?
        for (entry, d, open) in items {
            if out.url == nil { out.url = d.target }
            if let at = d.lastAttempt, latest.map({ (at, entry.sequence) > $0 }) ?? true {
                latest = (at, entry.sequence)
                out.lastAttempt = at
                out.lastStatus = d.lastStatus
                out.lastError = d.delivered == nil ? d.lastError : nil
            }
            var state: String
            if !open {
                if d.dropped {
                    state = "dropped"
                    out.dropped += 1
                } else {
                    state = "delivered"
                    out.delivered += 1
                    if let at = d.delivered, at > (out.lastDelivered ?? .distantPast) { out.lastDelivered = at }
                }
            } else {
                out.pending += 1
                apps.insert(entry.event.app)
                if failing(d, created: entry.created, now: now) {
                    state = "failing"
                } else if d.attempts > 0 {
                    state = "retrying"
                } else {
                    state = held.contains(d.id) ? "held" : "pending"
                }
                if !headSeen, !entry.isTest {
                    headSeen = true
                    out.oldest = entry.created
                    out.oldestAgeSeconds = max(0, Int(now.timeIntervalSince(entry.created)))
                    out.attempts = d.attempts
                    if d.attempts > 0 { out.nextRetry = d.nextAttempt }
                }
            }
            // Delivered events are counted, not listed (a busy endpoint has hundreds a day).
            if state != "delivered" {
                out.events.append(
                    Event(
                        delivery: d.id, entry: entry.id, app: entry.event.app, event: entry.event.event,
                        commit: entry.event.commit, created: entry.created, state: state, attempts: d.attempts,
                        lastAttempt: d.lastAttempt, lastStatus: d.lastStatus, lastError: d.lastError,
                        nextAttempt: open ? d.nextAttempt : nil, delivered: d.delivered))
            }
        }
        if out.oldest == nil, let first = items.first(where: \.open) {
            out.oldest = first.entry.created
            out.oldestAgeSeconds = max(0, Int(now.timeIntervalSince(first.entry.created)))
            out.attempts = first.delivery.attempts
        }
        out.apps = apps.sorted()
        let states = Set(out.events.map(\.state))
        out.state =
            states.contains("failing")
            ? "failing" : states.contains("retrying") ? "retrying" : out.pending > 0 ? "pending" : "ok"
        return out
    }
}

extension NotificationEndpoint {
    /// generic, slack, operator, github, gitea, gitlab.
    public var kindName: String {
        switch self {
        case .webhook(let w, _): w.format.rawValue
        case .operatorURL: "operator"
        case .commitStatus(let c, _, _, _): c.forge.rawValue
        }
    }

    /// The endpoint's URL as it may be shown (nil for the operator's: the daemon's option,
    /// not in the entry).
    public var shownURL: String? {
        switch self {
        case .webhook(let w, _): Self.shown(url: w.url, hidePath: w.format == .slack)
        case .operatorURL: nil
        case .commitStatus(let c, _, _, _): Self.shown(url: c.apiURL)
        }
    }

    /// A URL as people and files may see it: credentials (`user:pass@`) become `***@`,
    /// every query value `***` (a bare query word too), the fragment goes; with `hidePath`
    /// (a Slack webhook's path is its secret) the path and query become `/…`.
    public static func shown(url: String, hidePath: Bool = false) -> String {
        guard let scheme = url.range(of: "://") else { return "(not a URL)" }
        var rest = url[scheme.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = String(rest[..<end])
        if let at = authority.lastIndex(of: "@") { authority = "***" + authority[at...] }
        let tail = rest[end...]
        let question = tail.firstIndex(of: "?")
        let path = String(tail[..<(question ?? tail.endIndex)])
        var out = String(url[..<scheme.upperBound]) + authority
        if hidePath {
            return out + (tail.isEmpty || tail == "/" ? String(tail) : "/…")
        }
        out += path
        if let question {
            let query = tail[tail.index(after: question)...]
            out +=
                "?"
                + query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                    guard let eq = pair.firstIndex(of: "=") else { return pair.isEmpty ? "" : "***" }
                    return pair[..<eq] + "=***"
                }.joined(separator: "&")
        }
        return out
    }
}
