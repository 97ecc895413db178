import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import State

/// What the two pages for people (`GET /`, `GET /apps/NAME`) share: escaping, times,
/// commits, the status badges, the document around a page and the headers it is sent with.
/// Everything a tenant controls (names, messages, URLs, paths) goes through `escape`; the
/// scripts build their nodes with `textContent` (PageScript), never from strings of HTML.
enum PageHTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// `/apps/NAME`, the name percent-encoded (a status file's name is a DNS label; this
    /// holds for anything else too).
    static func appLink(_ name: String) -> String {
        "/apps/" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", ".", "_"])) ?? "")
    }

    /// "3 min ago", "in 4 min", "just now": what the script's `rel` says too.
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        let s = abs(seconds)
        if s < 5 { return "just now" }
        let amount =
            s < 60 ? "\(s) s" : s < 3600 ? "\(s / 60) min" : s < 86400 ? "\(s / 3600) h" : "\(s / 86400) d"
        return seconds >= 0 ? amount + " ago" : "in " + amount
    }

    /// A relative time with the RFC 3339 time in its `datetime` and `title` (the script
    /// keeps the text current).
    static func time(_ date: Date?, now: Date) -> String {
        guard let date else { return "" }
        let stamp = SyncHistory.timestamp(date)
        return "<time datetime=\"\(stamp)\" title=\"\(stamp)\">\(relative(date, now: now))</time>"
    }

    /// The first 12 characters, the whole commit in the title.
    static func commit(_ commit: String?) -> String {
        guard let commit, !commit.isEmpty else { return "" }
        return "<code title=\"\(escape(commit))\">\(escape(String(commit.prefix(12))))</code>"
    }

    static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return String(format: "%.1f KiB", Double(n) / 1024) }
        return String(format: "%.1f MiB", Double(n) / 1024 / 1024)
    }

    static func duration(ms: Int) -> String {
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return String(format: "%.1f s", Double(ms) / 1000) }
        return "\(ms / 60_000) min \(ms % 60_000 / 1000) s"
    }

    /// The error's place (`file:line:column`) and its first line; the place is left out
    /// when the message names it already (a registration's diagnostics do).
    static func errorLine(_ e: StatusDocument.Failure) -> (place: String, first: String) {
        let place = [e.file, e.line.map(String.init), e.column.map(String.init)].compactMap { $0 }
            .joined(separator: ":")
        let first = e.message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if let file = e.file, first.hasPrefix(file) { return ("", first) }
        return (place, first)
    }

    /// How bad a state is, for the order of the list: invalid, error and deleting first,
    /// then syncing and pending, drifted or degraded, pinned or suspended, synced.
    static func rank(_ doc: StatusDocument) -> Int {
        switch doc.status {
        case .invalid, .error, .deleting: return 0
        case .syncing, .pending: return 1
        case .synced, .suspended:
            if drifted(doc) || doc.health?.status == .degraded { return 2 }
            return doc.pinned != nil || doc.suspended != nil || doc.status == .suspended ? 3 : 4
        }
    }

    static func drifted(_ doc: StatusDocument) -> Bool { !(doc.drift?.items.isEmpty ?? true) }

    /// The colour of the status badge: a drifted synced app is amber, not green.
    static func tone(_ doc: StatusDocument) -> String {
        switch doc.status {
        case .invalid, .error, .deleting: return "bad"
        case .syncing, .pending: return "busy"
        case .suspended: return "muted"
        case .synced: return drifted(doc) ? "warn" : "ok"
        }
    }

    /// The status, then a badge for drift and one for a pin (the script adds suspended,
    /// health and progress when the document has them).
    static func badges(_ doc: StatusDocument) -> String {
        var out = "<span class=\"st st-\(tone(doc))\">\(escape(doc.status.rawValue))</span>"
        if let drift = doc.drift, !drift.items.isEmpty {
            let items = drift.items.map { "\($0.kind.rawValue) \($0.path) \($0.change.rawValue)" }
            let title =
                "\(drift.items.count) drifted" + (drift.corrected > 0 ? ", \(drift.corrected) corrected" : "") + ": "
                + items.joined(separator: ", ")
            out += " <span class=\"badge b-drift\" title=\"\(escape(title))\">drift \(drift.items.count)</span>"
        }
        if let pin = doc.pinned {
            let title =
                "pinned at \(pin.commit.prefix(12))" + (pin.reason.map { ": \($0)" } ?? "")
                + " (since \(SyncHistory.timestamp(pin.since)))"
            out += " <span class=\"badge b-pin\" title=\"\(escape(title))\">pinned</span>"
        }
        if let suspended = doc.suspended, doc.status != .suspended {
            let title =
                "suspended" + (suspended.reason.map { ": \($0)" } ?? "")
                + " (since \(SyncHistory.timestamp(suspended.since)))"
            out += " <span class=\"badge b-suspended\" title=\"\(escape(title))\">suspended</span>"
        }
        if let h = doc.health {
            let failing = h.checks.filter { $0.result == .fail }.map {
                "\($0.name)" + ($0.message.map { ": \($0)" } ?? "")
            }
            let title =
                "health \(h.status.rawValue)" + (failing.isEmpty ? "" : ": " + failing.joined(separator: ", "))
                + (h.checkedAt.map { " (checked \(SyncHistory.timestamp($0)))" } ?? "")
            out +=
                " <span class=\"badge h-\(h.status.rawValue)\" title=\"\(escape(title))\">\(h.status.rawValue)</span>"
        }
        if doc.status == .syncing, let p = doc.progress { out += " " + progress(p) }
        return out
    }

    /// A progress bar and its text (`deploy 12/40 files`), as the script draws it.
    static func progress(_ p: StatusDocument.Progress) -> String {
        let total = p.total ?? 0
        let text = p.stage.rawValue + (total > 0 ? " \(p.done)/\(total) \(p.unit.rawValue)" : "")
        return "<progress max=\"\(max(total, 1))\" value=\"\(total > 0 ? min(p.done, total) : 0)\" "
            + "title=\"\(escape(text))\"></progress><span class=\"progress\">\(escape(text))</span>"
    }

    /// The registration's labels as chips (`team=web`), as the script's `labelChips`.
    static func labelChips(_ doc: StatusDocument) -> String {
        (doc.labels ?? [:]).sorted { $0.key < $1.key }.map {
            let text = escape("\($0.key)=\($0.value)")
            return "<span class=\"chip\" title=\"\(text)\">\(text)</span>"
        }.joined()
    }

    /// A fresh nonce for the page's one `<style>` and one `<script>` (the policy allows
    /// nothing else: an injected element or attribute does not run).
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<18).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    /// One self-contained document: no external asset of any kind.
    static func document(title: String, nonce: String, body: String, script: String, data: [String: String]) -> String {
        let attributes = data.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(escape($0.value))\"" }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style nonce="\(nonce)">\(PageStyle.css)</style></head>
            <body\(attributes)>
            \(body)
            <script nonce="\(nonce)">\(PageScript.common)\(script)</script>
            </body></html>
            """
    }

    static let contentSecurityPolicy = HTTPField.Name.contentSecurityPolicy
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    /// The page with its headers: the nonce's policy (scripts and styles of this document
    /// only, fetches to this origin only, never framed: the buttons cannot be clickjacked).
    static func response(_ html: String, nonce: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                contentSecurityPolicy:
                    "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; img-src data:; "
                    + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                referrerPolicy: "no-referrer", frameOptions: "DENY", contentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The header of both pages: the title, the live indicator, the token form (hidden
    /// until a token is needed; the token stays in the tab's session storage).
    static func header(_ trail: String, extra: String = "") -> String {
        """
        <header><h1><a href="/">zerverless-gitops</a>\(trail)</h1><span id="live">static</span>\(extra)</header>
        <form id="token" hidden><label>API token <input id="token-value" type="password" autocomplete="off"></label>
        <button>Show</button> <span>This host needs an API token; it is kept in this tab only (session storage).</span></form>
        """
    }
}
