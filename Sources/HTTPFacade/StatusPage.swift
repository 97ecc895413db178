import Foundation
import State
import Toolkit

/// `GET /`: a read-only page for people. Rendered on the server with every application
/// (readable without JavaScript), then kept current by its script from the event stream.
/// One self-contained document: no external assets, no framework. With API tokens the
/// first answer holds no application: the page asks for a token and keeps it in the tab's
/// session storage.
enum StatusPage {
    struct Row {
        var name, namespace, status, commit, lastSync, nextSync, message, error, drift, pin: String
    }

    static func row(_ doc: StatusDocument) -> Row {
        var error = ""
        if let e = doc.error {
            var place: [String] = []
            if let file = e.file { place.append(file) }
            if let line = e.line { place.append(String(line)) }
            if let column = e.column { place.append(String(column)) }
            let first = e.message.split(separator: "\n").first.map(String.init) ?? ""
            // A registration's diagnostics name their place already.
            error = place.isEmpty || first.hasPrefix(place[0]) ? first : place.joined(separator: ":") + ": " + first
        }
        return Row(
            name: doc.name, namespace: doc.namespace, status: doc.status.rawValue,
            commit: String((doc.source.commit ?? "").prefix(12)),
            lastSync: doc.lastSync.map(SyncHistory.timestamp) ?? "",
            nextSync: doc.nextSync.map(SyncHistory.timestamp) ?? "",
            message: doc.message ?? "", error: error,
            drift: doc.drift.flatMap { d in
                d.items.isEmpty
                    ? nil : "\(d.items.count) drifted" + (d.corrected > 0 ? ", \(d.corrected) corrected" : "")
            } ?? "",
            pin: doc.pinned.map { "pinned at \($0.commit.prefix(12))" + ($0.reason.map { ": \($0)" } ?? "") } ?? "")
    }

    static func escape(_ text: String) -> String {
        var out = ""
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

    static func html(_ documents: [StatusDocument], tokensRequired: Bool) -> String {
        let rows = documents.map(row).map { r in
            "<tr id=\"app-\(escape(r.name))\" data-namespace=\"\(escape(r.namespace))\" data-status=\"\(escape(r.status))\">"
                + [
                    ("name", r.name), ("namespace", r.namespace), ("status", r.status), ("commit", r.commit),
                    ("lastSync", r.lastSync),
                    ("nextSync", r.nextSync), ("message", r.message), ("error", r.error), ("drift", r.drift),
                    ("pin", r.pin),
                ]
                .map {
                    "<td class=\"\($0.0)\(($0.0 == "status") ? " s-" + escape(r.status) : "")\">\(escape($0.1))</td>"
                }.joined()
                + "</tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>zerverless-gitops</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.3em; margin: 0 0 .6em; } #live { font-size: .8em; color: #777; margin-left: .6em; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
            th { font-weight: 600; background: #f6f6f6; } td.commit { font-family: ui-monospace, monospace; }
            td.status { font-weight: 600; } .s-synced { color: #17733a; } .s-error, .s-invalid { color: #b3261e; } .s-syncing, .s-pending { color: #8a6d00; }
            td.error { color: #b3261e; font-family: ui-monospace, monospace; font-size: .9em; } td.pin { color: #5b3fa8; }
            .filters { margin: 0 0 1em; } .filters label { margin-right: 1em; } #summary { color: #555; margin-left: 1em; }
            #token { display: none; margin: 1em 0; padding: 1em; background: #fff6e0; }
            </style></head>
            <body>
            <h1>zerverless-gitops <span id="live">static</span></h1>
            <form id="token"><label>API token <input id="token-value" type="password" autocomplete="off"></label> <button>Show</button>
            <div>This host needs an API token; it is kept in this tab only (session storage).</div></form>
            <div class="filters"><label>Namespace <select id="f-namespace"><option value="">all</option></select></label>
            <label>Status <select id="f-status"><option value="">all</option><option>error</option><option>invalid</option><option>syncing</option>
            <option>pending</option><option>suspended</option><option>deleting</option><option>synced</option></select></label><span id="summary"></span></div>
            <table><thead><tr><th>Name</th><th>Namespace</th><th>Status</th><th>Commit</th><th>Last sync</th><th>Next sync</th><th>Message</th><th>Error</th><th>Drift</th><th>Pin</th></tr></thead>
            <tbody id="apps">
            \(rows)
            </tbody></table>
            <script>
            const tokensRequired = \(tokensRequired);
            const cells = ["name", "namespace", "status", "commit", "lastSync", "nextSync", "message", "error", "drift", "pin"];
            const tbody = document.getElementById("apps");
            function view(d) {
              let e = "";
              if (d.error) {
                const place = [d.error.file, d.error.line, d.error.column].filter(x => x !== undefined && x !== null).join(":");
                const first = (d.error.message || "").split("\\n")[0];
                e = !place || (d.error.file && first.startsWith(d.error.file)) ? first : place + ": " + first;
              }
              return { name: d.name, namespace: d.namespace, status: d.status, commit: ((d.source || {}).commit || "").slice(0, 12),
                       lastSync: d.lastSync || "", nextSync: d.nextSync || "", message: d.message || "", error: e,
                       drift: d.drift && d.drift.items.length ? d.drift.items.length + " drifted" + (d.drift.corrected ? ", " + d.drift.corrected + " corrected" : "") : "",
                       pin: d.pinned ? "pinned at " + d.pinned.commit.slice(0, 12) + (d.pinned.reason ? ": " + d.pinned.reason : "") : "" };
            }
            function upsert(d) {
              const v = view(d);
              let tr = document.getElementById("app-" + v.name);
              if (!tr) {
                tr = document.createElement("tr"); tr.id = "app-" + v.name;
                for (const c of cells) { const td = document.createElement("td"); td.className = c; tr.appendChild(td); }
                const after = Array.from(tbody.rows).find(r => r.id > tr.id);
                tbody.insertBefore(tr, after || null);
              }
              tr.dataset.namespace = v.namespace; tr.dataset.status = v.status;
              cells.forEach((c, i) => { tr.cells[i].textContent = v[c]; });
              tr.cells[2].className = "status s-" + v.status;
              refresh();
            }
            function refresh() {
              const ns = document.getElementById("f-namespace"), st = document.getElementById("f-status").value;
              const known = new Set(Array.from(ns.options).map(o => o.value));
              let shown = 0, total = 0;
              for (const tr of tbody.rows) {
                total++;
                if (!known.has(tr.dataset.namespace)) { ns.add(new Option(tr.dataset.namespace, tr.dataset.namespace)); known.add(tr.dataset.namespace); }
                const visible = (!ns.value || tr.dataset.namespace === ns.value) && (!st || tr.dataset.status === st);
                tr.hidden = !visible; if (visible) shown++;
              }
              document.getElementById("summary").textContent = shown + " of " + total + " applications";
            }
            document.getElementById("f-namespace").onchange = refresh;
            document.getElementById("f-status").onchange = refresh;
            function headers() { const t = sessionStorage.getItem("zg-token"); return t ? { Authorization: "Bearer " + t } : {}; }
            function ask() { document.getElementById("token").style.display = "block"; document.getElementById("live").textContent = "needs a token"; }
            document.getElementById("token").onsubmit = ev => {
              ev.preventDefault(); sessionStorage.setItem("zg-token", document.getElementById("token-value").value);
              document.getElementById("token").style.display = "none"; listen();
            };
            async function listen() {
              if (tokensRequired && !sessionStorage.getItem("zg-token")) { ask(); return; }
              const live = document.getElementById("live");
              try {
                const res = await fetch("/api/gitops/events", { headers: headers() });
                if (res.status === 401 || res.status === 403) { sessionStorage.removeItem("zg-token"); ask(); return; }
                live.textContent = "live";
                window.zgConnections = (window.zgConnections || 0) + 1;
                const reader = res.body.getReader(), decoder = new TextDecoder();
                let buffer = "";
                for (;;) {
                  const { value, done } = await reader.read();
                  if (done) break;
                  buffer += decoder.decode(value, { stream: true });
                  let end;
                  while ((end = buffer.indexOf("\\n\\n")) >= 0) {
                    const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
                    let type = "message"; const data = [];
                    for (const line of block.split("\\n")) {
                      if (line.startsWith("event: ")) type = line.slice(7);
                      else if (line.startsWith("data: ")) data.push(line.slice(6));
                    }
                    if (!data.length) continue;
                    const doc = JSON.parse(data.join("\\n"));
                    if (type === "status") upsert(doc);
                    if (type === "deleted") { const tr = document.getElementById("app-" + doc.name); if (tr) tr.remove(); refresh(); }
                  }
                }
              } catch (e) { }
              live.textContent = "reconnecting";
              setTimeout(listen, 2000);
            }
            refresh();
            listen();
            </script>
            </body></html>
            """
    }
}
