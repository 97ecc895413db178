extension StatusPage {
    /// The list's script: each `status` event redraws its application's row (as the server
    /// draws it, plus the fields the server does not know yet) and moves it to its place in
    /// the order; the counts, the filters and the title follow.
    static let script = #"""
        const tbody = document.getElementById("apps");
        const chipKinds = [["status:invalid", "invalid", "bad"], ["status:error", "error", "bad"],
          ["status:deleting", "deleting", "bad"], ["status:syncing", "syncing", "busy"], ["status:pending", "pending", "busy"],
          ["flag:drift", "drifted", "warn"], ["flag:degraded", "degraded", "bad"], ["flag:pinned", "pinned", "pin"],
          ["flag:suspended", "suspended", "muted"], ["status:synced", "synced", "ok"]];
        let filter = "";
        function row(d) {
          const src = d.source || {}, e = d.error ? errorLine(d.error) : null;
          const prefix = e && e.place ? e.place + ": " : "";
          const full = e ? prefix + (d.error.message || "") : (d.message || "");
          const tried = src.lastAttemptedCommit && src.lastAttemptedCommit !== src.commit ? src.lastAttemptedCommit : null;
          return el("tr", { id: "app-" + d.name, "data-namespace": d.namespace, "data-status": d.status,
              "data-rank": String(rank(d)), "data-flags": flags(d).join(" "),
              "data-labels": Object.entries(d.labels || {}).map(([k, v]) => k + "=" + v).sort().join(" ") },
            el("td", { class: "name", title: d.name }, el("a", { href: appLink(d.name), text: d.name }), labelChips(d)),
            el("td", { class: "namespace", title: d.namespace, text: d.namespace }),
            el("td", { class: "status" }, badges(d)),
            el("td", { class: "commit" }, commitEl(src.commit),
              tried ? el("span", { class: "tried", title: "last attempted " + tried, text: "tried " + tried.slice(0, 12) }) : ""),
            el("td", { class: "lastSync" }, timeEl(d.lastSync)),
            el("td", { class: "nextSync" }, timeEl(d.nextSync)),
            el("td", { class: "detail", title: full }, e ? el("span", { class: "err", text: prefix + e.first }) : (d.message || "")));
        }
        function before(a, b) {
          const ra = Number(a.dataset.rank), rb = Number(b.dataset.rank);
          return ra !== rb ? ra < rb : a.id < b.id;
        }
        function upsert(d) {
          const tr = row(d), old = document.getElementById(tr.id);
          if (old) old.remove();
          const next = Array.from(tbody.rows).find(x => before(tr, x));
          tbody.insertBefore(tr, next || null);
          refresh();
        }
        function matches(tr, text) {
          if (!text) return true;
          const hay = (tr.textContent + " " + tr.cells[6].title + " " + tr.querySelector("td.commit").innerHTML).toLowerCase();
          return hay.includes(text);
        }
        function refresh() {
          const ns = document.getElementById("f-namespace");
          const text = document.getElementById("f-text").value.trim().toLowerCase();
          const known = new Set(Array.from(ns.options).map(o => o.value));
          const lab = document.getElementById("f-label");
          const knownLabels = new Set(Array.from(lab.options).map(o => o.value));
          const counts = {};
          let shown = 0, total = 0, failing = 0;
          for (const tr of tbody.rows) {
            total++;
            const keys = ["status:" + tr.dataset.status].concat((tr.dataset.flags || "").split(" ").filter(Boolean).map(f => "flag:" + f));
            for (const k of keys) counts[k] = (counts[k] || 0) + 1;
            if (tr.dataset.rank === "0") failing++;
            if (tr.dataset.namespace && !known.has(tr.dataset.namespace)) { ns.add(new Option(tr.dataset.namespace, tr.dataset.namespace)); known.add(tr.dataset.namespace); }
            const pairs = (tr.dataset.labels || "").split(" ").filter(Boolean);
            for (const p of pairs) if (!knownLabels.has(p)) { lab.add(new Option(p, p)); knownLabels.add(p); }
            const visible = (!ns.value || tr.dataset.namespace === ns.value) && (!lab.value || pairs.includes(lab.value))
              && (!filter || keys.includes(filter)) && matches(tr, text);
            tr.hidden = !visible;
            if (visible) shown++;
          }
          const chips = [el("button", { type: "button", class: "count" + (filter ? "" : " on"), "data-filter": "", text: total + " applications" })];
          for (const [key, label, t] of chipKinds) {
            if (!counts[key]) continue;
            chips.push(" ", el("button", { type: "button", class: "count" + (filter === key ? " on" : ""), "data-filter": key },
              el("span", { class: "st st-" + t, text: String(counts[key]) }), " " + label));
          }
          document.getElementById("counts").replaceChildren(...chips);
          document.getElementById("summary").textContent = shown === total ? "" : "showing " + shown + " of " + total;
          document.title = (failing ? "(" + failing + " failing) " : "") + "zerverless-gitops";
        }
        document.getElementById("counts").addEventListener("click", ev => {
          const b = ev.target.closest("button[data-filter]");
          if (!b) return;
          filter = filter === b.dataset.filter ? "" : b.dataset.filter;
          refresh();
        });
        document.getElementById("f-namespace").onchange = refresh;
        document.getElementById("f-label").onchange = refresh;
        document.getElementById("f-text").oninput = refresh;
        function start() {
          listen((type, d) => {
            if (type === "status") upsert(d);
            if (type === "deleted") { const tr = document.getElementById("app-" + d.name); if (tr) tr.remove(); refresh(); }
          });
        }
        refresh();
        start();

        """#
}
