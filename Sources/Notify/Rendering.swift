import Crypto
import Foundation
import Manifest
import State
import Toolkit

/// One HTTP request a delivery makes: pure, from the event, the endpoint and the secret.
public struct OutgoingRequest: Sendable, Equatable {
    public var method = "POST"
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public static func == (a: Self, b: Self) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body
            && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }
}

/// The formats: `generic` (the event document below), `slack` (an incoming-webhook
/// message), and the three forges' commit-status calls.
public enum Rendering {
    public static let userAgent = "zerverless-gitops"

    /// `generic`: `{"delivery", "event", "app", "namespace", "status", "previousStatus",
    /// "commit", "previousCommit", "message", "error", "drift", "repoURL", "time"}` (absent
    /// fields are null), with `X-Zerverless-Event`, `X-Zerverless-Delivery` and, with a
    /// secret, `X-Zerverless-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    public static func generic(_ event: NotificationEvent, delivery: String, url: String, secret: [UInt8]?)
        -> OutgoingRequest
    {
        typealias V = JSONText.Value
        func s(_ x: String?) -> V { x.map { .string($0) } ?? .null }
        let error: V =
            event.error.map { e in
                .object([
                    ("stage", .string(e.stage.rawValue)), ("message", .string(e.message)), ("file", s(e.file)),
                    ("line", e.line.map { .int($0) } ?? .null), ("column", e.column.map { .int($0) } ?? .null),
                ])
            } ?? .null
        let drift: V =
            event.drift.map { d in
                .object([
                    ("checkedAt", .string(JSONText.date(d.checkedAt))), ("corrected", .int(d.corrected)),
                    ("unmanaged", .int(d.unmanaged)),
                    (
                        "items",
                        .array(
                            d.items.map {
                                .object([
                                    ("kind", .string($0.kind.rawValue)), ("path", .string($0.path)),
                                    ("change", .string($0.change.rawValue)),
                                ])
                            })
                    ),
                ])
            } ?? .null
        let value: V = .object([
            ("delivery", .string(delivery)), ("event", .string(event.event)), ("app", .string(event.app)),
            ("namespace", .string(event.namespace)),
            ("status", .string(event.status)), ("previousStatus", s(event.previousStatus)), ("commit", s(event.commit)),
            ("previousCommit", s(event.previousCommit)), ("message", s(event.message)), ("error", error),
            ("drift", drift),
            ("repoURL", s(event.repoURL)), ("time", .string(JSONText.date(event.time))),
        ])
        var body: [UInt8] = []
        JSONText.write(value, into: &body, indent: 0)
        var headers = [
            ("Content-Type", "application/json"), ("User-Agent", userAgent),
            ("X-Zerverless-Event", event.event), ("X-Zerverless-Delivery", delivery),
        ]
        if let secret { headers.append(("X-Zerverless-Signature", signature(body, key: secret))) }
        return OutgoingRequest(url: url, headers: headers, body: body)
    }

    /// `sha256=` and the hex HMAC-SHA256 of the body with the key (trailing newlines of
    /// the key file are not part of the key).
    public static func signature(_ body: [UInt8], key: [UInt8]) -> String {
        var k = key
        while let last = k.last, last == 0x0A || last == 0x0D { k.removeLast() }
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: k))
        return "sha256=" + mac.hexString
    }

    /// One line for people: `✅ my-app (myuser) synced abc123def456: 3 functions, 1 static file`.
    public static func text(_ event: NotificationEvent) -> String {
        let icon = ["synced": "✅", "error": "❌", "invalid": "⚠️", "drift": "🔀", "deleted": "🗑️"][event.event] ?? "ℹ️"
        var line = "\(icon) \(event.app) (\(event.namespace)) \(event.event)"
        if let commit = event.commit { line += " \(commit.prefix(12))" }
        if let previous = event.previousStatus, previous != event.status { line += " (was \(previous))" }
        if let error = event.error {
            let place =
                error.file.map { f in
                    " at \(f)" + (error.line.map { ":\($0)" + (error.column.map { ":\($0)" } ?? "") } ?? "")
                } ?? ""
            line += ": \(error.stage.rawValue)\(place): \(error.message)"
        } else if let message = event.message {
            line += ": \(message)"
        }
        return line
    }

    /// `slack`: `{"text": ...}`; the same headers as generic (Slack ignores them).
    public static func slack(_ event: NotificationEvent, delivery: String, url: String, secret: [UInt8]?)
        -> OutgoingRequest
    {
        var body: [UInt8] = []
        JSONText.write(.object([("text", .string(text(event)))]), into: &body, indent: 0)
        var headers = [
            ("Content-Type", "application/json"), ("User-Agent", userAgent),
            ("X-Zerverless-Event", event.event), ("X-Zerverless-Delivery", delivery),
        ]
        if let secret { headers.append(("X-Zerverless-Signature", signature(body, key: secret))) }
        return OutgoingRequest(url: url, headers: headers, body: body)
    }

    /// The forge's commit-status call, context `zerverless/<app>`:
    /// - GitHub: `POST {api}/repos/{owner}/{repo}/statuses/{sha}`, `Authorization: Bearer`,
    ///   `{state: pending|success|failure, description, context}`;
    /// - Gitea: the same path under `{api}` (e.g. `https://gitea.example/api/v1`),
    ///   `Authorization: token`;
    /// - GitLab: `POST {api}/projects/{url-encoded path}/statuses/{sha}`, `PRIVATE-TOKEN`,
    ///   `{state: pending|success|failed, name, description}`.
    /// Descriptions are cut to 140 characters (GitHub's limit). With the endpoint's
    /// `targetURL` (a pull request's preview), all three also get `target_url`.
    public static func commitStatus(
        _ status: Registration.Notify.CommitStatus, project: String, state: String, event: NotificationEvent,
        token: String
    ) -> OutgoingRequest? {
        guard let sha = event.commit else { return nil }
        var api = status.apiURL
        while api.hasSuffix("/") { api.removeLast() }
        let context = "zerverless/\(event.app)"
        var description = event.error.map { "\($0.stage.rawValue): \($0.message)" } ?? event.message ?? state
        if description.count > 140 { description = String(description.prefix(139)) + "…" }
        let target: [(String, JSONText.Value?)] = status.targetURL.map { [("target_url", .string($0))] } ?? []
        var body: [UInt8] = []
        let url: String
        var headers = [("Content-Type", "application/json"), ("Accept", "application/json"), ("User-Agent", userAgent)]
        switch status.forge {
        case .github, .gitea:
            url = "\(api)/repos/\(project)/statuses/\(sha)"
            headers.append(("Authorization", status.forge == .github ? "Bearer \(token)" : "token \(token)"))
            if status.forge == .github { headers[1] = ("Accept", "application/vnd.github+json") }
            JSONText.write(
                .object(
                    [
                        ("state", .string(state)), ("description", .string(description)),
                        ("context", .string(context)),
                    ] + target),
                into: &body, indent: 0)
        case .gitlab:
            let encoded =
                project.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? project
            url = "\(api)/projects/\(encoded)/statuses/\(sha)"
            headers.append(("PRIVATE-TOKEN", token))
            let gitlabState = state == "failure" ? "failed" : state
            JSONText.write(
                .object(
                    [
                        ("state", .string(gitlabState)), ("name", .string(context)),
                        ("description", .string(description)),
                    ] + target),
                into: &body, indent: 0)
        }
        return OutgoingRequest(url: url, headers: headers, body: body)
    }
}
