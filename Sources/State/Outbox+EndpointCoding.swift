import Manifest

/// How an endpoint reads in `outbox/*.json` (people and scripts read those files):
/// `{"kind": "webhook", "webhook": {...}, "namespace": "web"}`, `{"kind": "operator"}`,
/// `{"kind": "commitStatus", "commitStatus": {...}, "namespace", "project", "state"}`.
/// Files written before (Swift's own enum encoding, `{"webhook": {"_0": {...}, ...}}`)
/// are still read.
extension NotificationEndpoint: Codable {
    private enum Key: String, CodingKey {
        case kind, webhook, namespace, commitStatus, project, state, operatorURL, _0
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let kind = try c.decodeIfPresent(String.self, forKey: .kind) {
            switch kind {
            case "webhook":
                self = .webhook(
                    try c.decode(Registration.Notify.Webhook.self, forKey: .webhook),
                    namespace: try c.decode(String.self, forKey: .namespace))
            case "operator": self = .operatorURL
            case "commitStatus":
                self = .commitStatus(
                    try c.decode(Registration.Notify.CommitStatus.self, forKey: .commitStatus),
                    namespace: try c.decode(String.self, forKey: .namespace),
                    project: try c.decode(String.self, forKey: .project),
                    state: try c.decode(String.self, forKey: .state))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .kind, in: c, debugDescription: "unknown endpoint kind \(kind)")
            }
            return
        }
        // The encoding before: the case name holds the associated values, `_0` the first.
        if c.contains(.webhook) {
            let inner = try c.nestedContainer(keyedBy: Key.self, forKey: .webhook)
            self = .webhook(
                try inner.decode(Registration.Notify.Webhook.self, forKey: ._0),
                namespace: try inner.decode(String.self, forKey: .namespace))
        } else if c.contains(.commitStatus) {
            let inner = try c.nestedContainer(keyedBy: Key.self, forKey: .commitStatus)
            self = .commitStatus(
                try inner.decode(Registration.Notify.CommitStatus.self, forKey: ._0),
                namespace: try inner.decode(String.self, forKey: .namespace),
                project: try inner.decode(String.self, forKey: .project),
                state: try inner.decode(String.self, forKey: .state))
        } else if c.contains(.operatorURL) {
            self = .operatorURL
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "no endpoint kind"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .webhook(let w, let namespace):
            try c.encode("webhook", forKey: .kind)
            try c.encode(w, forKey: .webhook)
            try c.encode(namespace, forKey: .namespace)
        case .operatorURL:
            try c.encode("operator", forKey: .kind)
        case .commitStatus(let s, let namespace, let project, let state):
            try c.encode("commitStatus", forKey: .kind)
            try c.encode(s, forKey: .commitStatus)
            try c.encode(namespace, forKey: .namespace)
            try c.encode(project, forKey: .project)
            try c.encode(state, forKey: .state)
        }
    }
}
