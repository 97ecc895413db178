import Foundation
import State

extension AppPage {
    /// The results the chart and the table colour (anything else is drawn as `other`).
    static let results: Set<String> = ["synced", "unchanged", "error", "invalid", "undeployed"]

    static func resultTone(_ result: String) -> String {
        switch result {
        case "synced": return "ok"
        case "error", "invalid": return "bad"
        default: return "muted"
        }
    }

    /// The last attempts' durations as bars, oldest on the left, coloured by result; each
    /// bar's title says when, why, which commit, how it ended and how long it took.
    static func chart(_ attempts: [SyncHistory.Attempt]) -> String {
        let shown = Array(attempts.prefix(SyncHistory.limit).reversed())
        guard !shown.isEmpty else { return "" }
        let longest = max(shown.map(\.durationMs).max() ?? 1, 1)
        let (width, height, top, bottom) = (600.0, 90.0, 6.0, 2.0)
        let slot = width / Double(max(shown.count, 10))
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var bars = ""
        for (i, a) in shown.enumerated() {
            let h = max(4, Double(a.durationMs) / Double(longest) * (height - top - bottom))
            let result = results.contains(a.result) ? a.result : "other"
            let title =
                "\(SyncHistory.timestamp(a.at)) \(a.trigger.rawValue) \(a.commit.map { String($0.prefix(12)) } ?? "-") "
                + "\(a.result) \(PageHTML.duration(ms: a.durationMs))"
            bars +=
                "<rect class=\"r-\(result)\" x=\"\(f(Double(i) * slot + slot * 0.15))\" y=\"\(f(height - bottom - h))\" "
                + "width=\"\(f(slot * 0.7))\" height=\"\(f(h))\"><title>\(PageHTML.escape(title))</title></rect>"
        }
        let legend = ["synced", "unchanged", "error", "invalid"].map {
            "<span><i class=\"r-\($0)\"></i>\($0)</span>"
        }.joined()
        return """
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" preserveAspectRatio="none" role="img" \
            aria-label="durations of the last \(shown.count) attempts">\(bars)</svg>
            <div class="legend muted">\(legend)<span>last \(shown.count) attempts, oldest on the left; \
            the longest took \(PageHTML.duration(ms: longest))</span></div>
            """
    }

    /// "2 functions, 3 files" (what a real sync changed), or nothing.
    static func changed(_ a: SyncHistory.Attempt) -> String {
        var parts: [String] = []
        if let n = a.functionsChanged, n > 0 { parts.append("\(n) function\(n == 1 ? "" : "s")") }
        if let n = a.filesChanged, n > 0 { parts.append("\(n) file\(n == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }

    /// The history, newest first, with a Rollback button on each other commit that synced
    /// (its newest attempt).
    static func history(_ attempts: [SyncHistory.Attempt], current: String?, now: Date) -> String {
        let e = PageHTML.escape
        var out = "<section id=\"history\" data-part=\"history\"><h2>History (\(attempts.count))</h2>"
        guard !attempts.isEmpty else { return out + "<p class=\"muted\">No attempt yet.</p></section>" }
        out += chart(attempts)
        out +=
            "<table class=\"wrap\"><colgroup><col class=\"c-lastSync\"><col class=\"h-trigger\"><col class=\"c-commit\">"
        out +=
            "<col class=\"h-result\"><col class=\"h-duration\"><col class=\"h-changed\"><col><col class=\"h-action\"></colgroup>"
        out += "<thead><tr><th>Time</th><th>Trigger</th><th>Commit</th><th>Result</th><th>Duration</th><th>Changed</th>"
        out += "<th>Message</th><th></th></tr></thead><tbody>"
        var offered = Set<String>()
        for a in attempts {
            var action = ""
            if a.result == "synced", let commit = a.commit, commit != current, offered.insert(commit).inserted {
                action =
                    "<button type=\"button\" class=\"act\" data-action=\"rollback\" data-commit=\"\(e(commit))\">Roll back here</button>"
            }
            out += "<tr><td>\(PageHTML.time(a.at, now: now))</td><td>\(a.trigger.rawValue)</td>"
            out += "<td>\(PageHTML.commit(a.commit))</td>"
            out += "<td><span class=\"st st-\(resultTone(a.result))\">\(e(a.result))</span></td>"
            out += "<td>\(PageHTML.duration(ms: a.durationMs))</td><td>\(changed(a))</td>"
            out += "<td>\(e(a.message ?? ""))</td><td>\(action)</td></tr>"
        }
        return out + "</tbody></table></section>"
    }
}
