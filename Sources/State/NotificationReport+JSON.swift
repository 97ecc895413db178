import Foundation

/// `zerverless-gitops notifications --json`: every key always present (absent values are
/// `null`), so scripts can rely on the shape; dates in ISO 8601 with the encoder's
/// `.iso8601` strategy.
extension NotificationReport: Encodable {
    enum Key: String, CodingKey {
        case generated, app, pending, failing, endpoints
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(generated, forKey: .generated)
        try c.encode(app, forKey: .app)
        try c.encode(pending, forKey: .pending)
        try c.encode(failing, forKey: .failing)
        try c.encode(endpoints, forKey: .endpoints)
    }
}

extension NotificationReport.Endpoint: Encodable {
    enum Key: String, CodingKey {
        case kind, url, namespace, project, state, pending, oldest, oldestAgeSeconds, attempts, lastAttempt
        case lastStatus, lastError, nextRetry, delivered, dropped, lastDelivered, apps, events
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(url, forKey: .url)
        try c.encode(namespace, forKey: .namespace)
        try c.encode(project, forKey: .project)
        try c.encode(state, forKey: .state)
        try c.encode(pending, forKey: .pending)
        try c.encode(oldest, forKey: .oldest)
        try c.encode(oldestAgeSeconds, forKey: .oldestAgeSeconds)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(lastAttempt, forKey: .lastAttempt)
        try c.encode(lastStatus, forKey: .lastStatus)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(nextRetry, forKey: .nextRetry)
        try c.encode(delivered, forKey: .delivered)
        try c.encode(dropped, forKey: .dropped)
        try c.encode(lastDelivered, forKey: .lastDelivered)
        try c.encode(apps, forKey: .apps)
        try c.encode(events, forKey: .events)
    }
}

extension NotificationReport.Event: Encodable {
    enum Key: String, CodingKey {
        case delivery, entry, app, event, commit, created, state, attempts, lastAttempt, lastStatus, lastError
        case nextAttempt, delivered
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(delivery, forKey: .delivery)
        try c.encode(entry, forKey: .entry)
        try c.encode(app, forKey: .app)
        try c.encode(event, forKey: .event)
        try c.encode(commit, forKey: .commit)
        try c.encode(created, forKey: .created)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(lastAttempt, forKey: .lastAttempt)
        try c.encode(lastStatus, forKey: .lastStatus)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(nextAttempt, forKey: .nextAttempt)
        try c.encode(delivered, forKey: .delivered)
    }
}
