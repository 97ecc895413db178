import Foundation
import State

/// `GET /apps/NAME`: one application's page. Its status (with the last error and its
/// place), source and resolved ref, commit and last attempted commit, pin, functions with
/// their URLs, static files, drift, conflicts and history with a chart of the last
/// attempts; Sync, Rollback and Unpin buttons (same-origin calls of the REST API with the
/// page's token). The script redraws the status part from the event stream and reloads the
/// rest of `<main>` when the application changes (AppPage+Script).
enum AppPage {
    /// What the page shows besides the status part; when an event's document gives another
    /// key, the script reloads `<main>` (the script's `key` computes the same).
    static func key(_ doc: StatusDocument) -> String {
        [
            doc.status.rawValue, doc.lastAttempt.map(SyncHistory.timestamp) ?? "", doc.source.commit ?? "",
            doc.source.lastAttemptedCommit ?? "", doc.pinned?.commit ?? "",
            doc.drift.map { String($0.items.count) } ?? "",
            doc.drift.map { String($0.corrected) } ?? "",
        ].joined(separator: "|")
    }

    /// What the page is made of besides the status document.
    struct Context {
        var history: [SyncHistory.Attempt] = []
        /// The pin file (who pinned; a pin the daemon has not applied yet).
        var pin: Pin?
        /// The files that claim the name, when more than one does.
        var claimants: [String] = []
        var tokensRequired = false
        var now = Date()
    }

    /// The status part, as the script's `renderStatus` draws it.
    static func statusPart(_ doc: StatusDocument, now: Date) -> String {
        let e = PageHTML.escape
        var out = "<div class=\"badges\">\(PageHTML.badges(doc))\(PageHTML.labelChips(doc))</div>"
        if let failure = doc.error {
            let place = [failure.file, failure.line.map(String.init), failure.column.map(String.init)]
                .compactMap { $0 }.joined(separator: ":")
            out +=
                "<div class=\"error-box\"><b class=\"err\">Last error</b> in stage <code>\(failure.stage.rawValue)</code>"
            if !place.isEmpty { out += " at <code class=\"place\">\(e(place))</code>" }
            out += "<pre>\(e(failure.message))</pre></div>"
        } else if let message = doc.message, !message.isEmpty {
            out += "<p class=\"message\">\(e(message))</p>"
        }
        func when(_ date: Date?) -> String { date == nil ? "&mdash;" : PageHTML.time(date, now: now) }
        if let suspended = doc.suspended {
            out +=
                "<p class=\"message\">Suspended\(suspended.reason.map { ": " + e($0) } ?? "") since \(when(suspended.since))</p>"
        }
        out += "<p class=\"times\">Last attempt \(when(doc.lastAttempt)) &middot; last sync \(when(doc.lastSync))"
        out += " &middot; next sync \(when(doc.nextSync))</p>"
        if let checks = doc.health?.checks, !checks.isEmpty {
            out +=
                "<table class=\"wrap health\"><thead><tr><th>Check</th><th>URL</th><th>Result</th><th>Code</th>"
                + "<th>Latency</th><th>Message</th></tr></thead><tbody>"
            for c in checks {
                out +=
                    "<tr><td>\(e(c.name))</td><td><code>\(e(c.url))</code></td>"
                    + "<td><span class=\"st st-\(c.result == .pass ? "ok" : "bad")\">\(c.result.rawValue)</span></td>"
                    + "<td>\(c.code.map(String.init) ?? "")</td><td>\(c.latencyMs.map { "\($0) ms" } ?? "")</td>"
                    + "<td>\(e(c.message ?? ""))</td></tr>"
            }
            out += "</tbody></table>"
        }
        return out
    }

    static func fact(_ label: String, _ html: String) -> String { "<dt>\(label)</dt><dd>\(html)</dd>" }

    static func source(_ doc: StatusDocument) -> String {
        let e = PageHTML.escape
        let s = doc.source
        var follows = s.branch.map { "branch <code>\(e($0))</code>" } ?? ""
        if let ref = s.ref {
            if let b = ref.branch { follows = "branch <code>\(e(b))</code>" }
            if let t = ref.tag { follows = "tag <code>\(e(t))</code>" }
            if let r = ref.semver {
                follows =
                    "semver <code>\(e(r))</code>" + (ref.resolved.map { " &rarr; tag <code>\(e($0))</code>" } ?? "")
            }
            if let c = ref.commit { follows = "commit \(PageHTML.commit(c))" }
        }
        var out = "<section id=\"source\" data-part=\"source\"><h2>Source</h2><dl class=\"facts\">"
        out += fact("Namespace", e(doc.namespace))
        out += fact("Repository", "<code>\(e(s.repoURL))</code>") + fact("Follows", follows)
        out += fact("Path", "<code>\(e(s.path))</code>")
        out += fact("Commit", s.commit == nil ? "none deployed yet" : PageHTML.commit(s.commit))
        if let tried = s.lastAttemptedCommit {
            out += fact(
                "Last attempted",
                PageHTML.commit(tried)
                    + (tried == s.commit ? "" : " <span class=\"err\">(not the deployed commit)</span>"))
        }
        if let v = doc.verified { out += fact("Signed by", "\(e(v.signer)) <code>\(e(v.keyFingerprint))</code>") }
        if let file = doc.registrationFile { out += fact("Registration", "<code>\(e(file))</code>") }
        if let set = doc.generatedBy { out += fact("Made by", "application set <code>\(e(set))</code>") }
        if let preview = doc.preview {
            let url = e(preview.url)
            let link =
                preview.url.hasPrefix("https://") || preview.url.hasPrefix("http://")
                ? "<a href=\"\(url)\" rel=\"noopener noreferrer\">\(url)</a>" : "<code>\(url)</code>"
            out += fact("Preview", link + " (prefix <code>\(e(preview.pathPrefix))</code>)")
        }
        if let shard = doc.shard { out += fact("Shard", String(shard)) }
        return out + "</dl></section>"
    }

    static func pin(_ doc: StatusDocument, file: Pin?, now: Date) -> String {
        let e = PageHTML.escape
        var out = "<section id=\"pin\" data-part=\"pin\"><h2>Pin</h2>"
        guard let commit = doc.pinned?.commit ?? file?.commit else {
            return out + "<p class=\"muted\">Not pinned: the application follows its ref.</p></section>"
        }
        let reason = doc.pinned?.reason ?? file?.reason
        let since = doc.pinned?.since ?? file?.since
        out += "<dl class=\"facts\">" + fact("Pinned at", PageHTML.commit(commit))
        if doc.pinned == nil { out += fact("State", "written; the daemon has not applied it yet") }
        out += fact("Reason", reason.map(e) ?? "<span class=\"muted\">none given</span>")
        out += fact("Since", PageHTML.time(since, now: now))
        if let by = file?.by { out += fact("By", e(by)) }
        return out
            + "</dl><p><button type=\"button\" class=\"act\" data-action=\"unpin\">Unpin</button> "
            + "<span class=\"muted\">the application follows its ref again</span></p></section>"
    }

    static func functions(_ doc: StatusDocument) -> String {
        let e = PageHTML.escape
        var out = "<section id=\"functions\" data-part=\"functions\"><h2>Functions (\(doc.functions.count))</h2>"
        if doc.functions.isEmpty {
            out += "<p class=\"muted\">None.</p>"
        } else {
            out +=
                "<table class=\"wrap\"><thead><tr><th>Path</th><th>Runtime</th><th>URL</th><th>State</th></tr></thead><tbody>"
            for f in doc.functions {
                out +=
                    "<tr><td><code>\(e(f.path))</code></td><td>\(e(f.runtime))</td><td><code class=\"url\">\(e(f.url))</code></td>"
                out += "<td>\(e(f.state.rawValue))\(f.message.map { ": " + e($0) } ?? "")</td></tr>"
            }
            out += "</tbody></table>"
        }
        out += "<h2>Static files</h2>"
        if let s = doc.static {
            out +=
                "<p><code>\(e(s.dir))</code>: \(s.files) file\(s.files == 1 ? "" : "s"), \(PageHTML.bytes(s.bytes))</p>"
        } else {
            out += "<p class=\"muted\">None.</p>"
        }
        return out + "</section>"
    }

    static func drift(_ doc: StatusDocument, now: Date) -> String {
        let e = PageHTML.escape
        var out = "<section id=\"drift\" data-part=\"drift\"><h2>Drift</h2>"
        guard let d = doc.drift else {
            return out + "<p class=\"muted\">Not checked yet (or drift detection is off).</p></section>"
        }
        out += "<p>Checked \(PageHTML.time(d.checkedAt, now: now)): "
        out += d.items.isEmpty ? "no drift" : "<b class=\"err\">\(d.items.count) drifted</b>"
        out += d.corrected > 0 ? ", \(d.corrected) corrected" : ""
        out += d.unmanaged > 0 ? ", \(d.unmanaged) unmanaged in the namespace (never deleted)" : ""
        out += ".</p>"
        if !d.items.isEmpty {
            out += "<table class=\"wrap\"><thead><tr><th>Kind</th><th>Path</th><th>Change</th></tr></thead><tbody>"
            for item in d.items {
                out +=
                    "<tr><td>\(item.kind.rawValue)</td><td><code>\(e(item.path))</code></td><td>\(item.change.rawValue)</td></tr>"
            }
            out += "</tbody></table>"
        }
        return out + "</section>"
    }

    static func conflicts(_ doc: StatusDocument, claimants: [String]) -> String {
        let e = PageHTML.escape
        let owned = doc.conflicts ?? []
        guard !owned.isEmpty || claimants.count > 1 else { return "" }
        var out = "<section id=\"conflicts\" data-part=\"conflicts\"><h2>Conflicts</h2>"
        if claimants.count > 1 {
            out += "<p class=\"err\">The name is claimed by \(claimants.count) files: "
            out += claimants.map { "<code>\(e($0))</code>" }.joined(separator: ", ") + "; neither is synced.</p>"
        }
        if !owned.isEmpty {
            out += "<table class=\"wrap\"><thead><tr><th>Kind</th><th>Path</th><th>Owned by</th></tr></thead><tbody>"
            for c in owned {
                out += "<tr><td>\(c.kind.rawValue)</td><td><code>\(e(c.path))</code></td>"
                out += "<td><a href=\"\(PageHTML.appLink(c.owner))\">\(e(c.owner))</a></td></tr>"
            }
            out += "</tbody></table>"
        }
        return out + "</section>"
    }

    static func html(_ doc: StatusDocument, _ context: Context, nonce: String) -> String {
        let main = """
            <main id="main" data-key="\(PageHTML.escape(key(doc)))">
            <div class="bar"><button type="button" class="act primary" data-action="sync">Sync now</button>
            <label>Reason for a rollback <input id="reason" type="text" maxlength="200" autocomplete="off"></label></div>
            <section id="status" data-part="status">\(statusPart(doc, now: context.now))</section>
            \(conflicts(doc, claimants: context.claimants))
            <div class="grid">\(source(doc))\(pin(doc, file: context.pin, now: context.now))</div>
            \(history(context.history, current: doc.source.commit, now: context.now))
            <div class="grid">\(functions(doc))\(drift(doc, now: context.now))</div>
            </main>
            """
        return page(name: doc.name, main: main, tokensRequired: context.tokensRequired, nonce: nonce)
    }

    /// The page around `main`: the application's name in the header, the result of the
    /// last button pressed beside it.
    static func page(name: String, main: String, tokensRequired: Bool, nonce: String) -> String {
        let header = PageHTML.header(
            " <span class=\"app\">/ \(PageHTML.escape(name))</span>",
            extra: "<span id=\"action-result\" role=\"status\"></span>")
        return PageHTML.document(
            title: name + " - zerverless-gitops", nonce: nonce, body: header + "\n" + main, script: script,
            data: ["tokens": tokensRequired ? "1" : "0", "app": name])
    }

    /// With API tokens and no token yet: nothing of the application (the script asks for
    /// the token, then loads the page with it).
    static func shell(name: String, nonce: String) -> String {
        page(
            name: name,
            main: "<main id=\"main\"><p class=\"muted\">This host needs an API token to show applications.</p></main>",
            tokensRequired: true, nonce: nonce)
    }

    static func notFound(name: String, tokensRequired: Bool, nonce: String) -> String {
        let main = """
            <main id="main"><p class="notfound">No application named <b>\(PageHTML.escape(name))</b> (or none this token may see). \
            <a href="/">All applications</a></p></main>
            """
        return page(name: name, main: main, tokensRequired: tokensRequired, nonce: nonce)
    }
}
