import Foundation
import State

/// `GET /`: every application on one screen, worst first (invalid, error and deleting,
/// then syncing and pending, drifted, pinned or suspended, synced; ties by name), with the
/// counts per status at the top (they filter), a namespace and a text filter. Rendered on
/// the server (readable without JavaScript), then kept current by its script from the event
/// stream. With API tokens the first answer holds no application: the page asks for a token.
enum StatusPage {
    /// The statuses counted at the top, in the list's order, with their colour; then the
    /// flags (drift, pins, suspensions) that an application of any status may have.
    static let chips: [(filter: String, label: String, tone: String)] = [
        ("status:invalid", "invalid", "bad"), ("status:error", "error", "bad"), ("status:deleting", "deleting", "bad"),
        ("status:syncing", "syncing", "busy"), ("status:pending", "pending", "busy"), ("flag:drift", "drifted", "warn"),
        ("flag:degraded", "degraded", "bad"), ("flag:pinned", "pinned", "pin"),
        ("flag:suspended", "suspended", "muted"),
        ("status:synced", "synced", "ok"),
    ]

    /// What an application is besides its status (in the script's order).
    static func flags(_ doc: StatusDocument) -> [String] {
        var out: [String] = []
        if PageHTML.drifted(doc) { out.append("drift") }
        if doc.health?.status == .degraded { out.append("degraded") }
        if doc.pinned != nil { out.append("pinned") }
        if doc.status == .suspended || doc.suspended != nil { out.append("suspended") }
        return out
    }

    /// `key=value` of each label (no spaces: the label syntax has none), for the filter.
    static func labelPairs(_ doc: StatusDocument) -> [String] {
        (doc.labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    static func sorted(_ documents: [StatusDocument]) -> [StatusDocument] {
        let ranked: [(rank: Int, doc: StatusDocument)] = documents.map { (PageHTML.rank($0), $0) }
        return ranked.sorted { a, b in a.rank != b.rank ? a.rank < b.rank : a.doc.name < b.doc.name }.map(\.doc)
    }

    /// One application's row: the status cell carries drift and pin badges; the error is
    /// shown once, with its place; the commit, and the commit last tried when it differs.
    static func row(_ doc: StatusDocument, now: Date) -> String {
        let e = PageHTML.escape
        var detail = e(doc.message ?? "")
        var full = doc.message ?? ""
        if let failure = doc.error {
            let (place, first) = PageHTML.errorLine(failure)
            let prefix = place.isEmpty ? "" : place + ": "
            detail = "<span class=\"err\">\(e(prefix + first))</span>"
            full = prefix + failure.message
        }
        var commit = PageHTML.commit(doc.source.commit)
        if let tried = doc.source.lastAttemptedCommit, tried != doc.source.commit {
            commit +=
                "<span class=\"tried\" title=\"last attempted \(e(tried))\">tried \(e(String(tried.prefix(12))))</span>"
        }
        return """
            <tr id="app-\(e(doc.name))" data-namespace="\(e(doc.namespace))" data-status="\(e(doc.status.rawValue))" \
            data-rank="\(PageHTML.rank(doc))" data-flags="\(flags(doc).joined(separator: " "))" \
            data-labels="\(e(labelPairs(doc).joined(separator: " ")))">\
            <td class="name" title="\(e(doc.name))"><a href="\(PageHTML.appLink(doc.name))">\(e(doc.name))</a>\(PageHTML.labelChips(doc))</td>\
            <td class="namespace" title="\(e(doc.namespace))">\(e(doc.namespace))</td>\
            <td class="status">\(PageHTML.badges(doc))</td><td class="commit">\(commit)</td>\
            <td class="lastSync">\(PageHTML.time(doc.lastSync, now: now))</td>\
            <td class="nextSync">\(PageHTML.time(doc.nextSync, now: now))</td>\
            <td class="detail" title="\(e(full))">\(detail)</td></tr>
            """
    }

    /// The counts at the top, each a filter (as the script draws them).
    static func counts(_ documents: [StatusDocument]) -> String {
        var n: [String: Int] = [:]
        for doc in documents {
            n["status:" + doc.status.rawValue, default: 0] += 1
            for flag in flags(doc) { n["flag:" + flag, default: 0] += 1 }
        }
        let all = "<button type=\"button\" class=\"count on\" data-filter=\"\">\(documents.count) applications</button>"
        return all
            + chips.compactMap { chip in
                n[chip.filter].map {
                    " <button type=\"button\" class=\"count\" data-filter=\"\(chip.filter)\">"
                        + "<span class=\"st st-\(chip.tone)\">\($0)</span> \(chip.label)</button>"
                }
            }.joined()
    }

    static func html(_ documents: [StatusDocument], tokensRequired: Bool, now: Date, nonce: String) -> String {
        let ordered = sorted(documents)
        let rows = ordered.map { row($0, now: now) }.joined(separator: "\n")
        let namespaces = Set(documents.map(\.namespace).filter { !$0.isEmpty }).sorted().map {
            "<option value=\"\(PageHTML.escape($0))\">\(PageHTML.escape($0))</option>"
        }.joined()
        let labels = Set(documents.flatMap(labelPairs)).sorted().map {
            "<option value=\"\(PageHTML.escape($0))\">\(PageHTML.escape($0))</option>"
        }.joined()
        let failing = ordered.filter { PageHTML.rank($0) == 0 }.count
        let columns = ["name", "namespace", "status", "commit", "lastSync", "nextSync", "detail"]
        let body = """
            \(PageHTML.header(""))
            <main>
            <div class="bar"><span id="counts">\(counts(documents))</span></div>
            <div class="bar"><label>Namespace <select id="f-namespace"><option value="">all</option>\(namespaces)</select></label>
            <label>Label <select id="f-label"><option value="">any</option>\(labels)</select></label>
            <label>Filter <input id="f-text" type="search" placeholder="name, commit, message" autocomplete="off"></label>
            <span id="summary"></span></div>
            <table class="list"><colgroup>\(columns.map { "<col class=\"c-\($0)\">" }.joined())</colgroup>
            <thead><tr><th>Name</th><th>Namespace</th><th>Status</th><th>Commit</th><th>Last sync</th><th>Next sync</th><th>Message or error</th></tr></thead>
            <tbody id="apps">
            \(rows)
            </tbody></table>
            </main>
            """
        return PageHTML.document(
            title: (failing > 0 ? "(\(failing) failing) " : "") + "zerverless-gitops", nonce: nonce, body: body,
            script: script, data: ["tokens": tokensRequired ? "1" : "0"])
    }
}
