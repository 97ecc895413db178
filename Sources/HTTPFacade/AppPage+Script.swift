extension AppPage {
    /// The application page's script: the status part redrawn from each of this
    /// application's `status` events (with the fields the server does not draw yet); the
    /// rest of `<main>` loaded again from the server (with the token) when the event's key
    /// differs from the one the page was drawn with; the buttons call the REST API, same
    /// origin, with the token.
    static let script = #"""
        const app = document.body.dataset.app;
        let lastKey = document.getElementById("main").dataset.key, lastDoc = null, loading = false, again = false;
        function key(d) {
          const s = d.source || {}, dr = d.drift;
          return [d.status, d.lastAttempt || "", s.commit || "", s.lastAttemptedCommit || "", d.pinned ? d.pinned.commit : "",
            dr ? String(dr.items.length) : "", dr ? String(dr.corrected) : ""].join("|");
        }
        function renderStatus(d) {
          const part = document.getElementById("status");
          if (!part) return;
          const kids = [el("div", { class: "badges" }, badges(d), labelChips(d))];
          if (d.error) {
            const e = d.error, place = [e.file, e.line, e.column].filter(x => x !== undefined && x !== null).join(":");
            kids.push(el("div", { class: "error-box" }, el("b", { class: "err", text: "Last error" }), " in stage ",
              el("code", { text: e.stage }), place ? [" at ", el("code", { class: "place", text: place })] : "",
              el("pre", { text: e.message })));
          } else if (d.message) kids.push(el("p", { class: "message", text: d.message }));
          if (d.suspended) {
            kids.push(el("p", { class: "message", text: "Suspended" + (d.suspended.reason ? ": " + d.suspended.reason : "") }, " ",
              d.suspended.since ? ["since ", timeEl(d.suspended.since)] : ""));
          }
          kids.push(el("p", { class: "times" }, "Last attempt ", timeEl(d.lastAttempt) || "\u2014", " \u00b7 last sync ",
            timeEl(d.lastSync) || "\u2014", " \u00b7 next sync ", timeEl(d.nextSync) || "\u2014"));
          if (d.health && (d.health.checks || []).length) {
            kids.push(el("table", { class: "wrap health" },
              el("thead", {}, el("tr", {}, ["Check", "URL", "Result", "Code", "Latency", "Message"].map(h => el("th", { text: h })))),
              el("tbody", {}, d.health.checks.map(c => el("tr", {}, el("td", { text: c.name }), el("td", {}, el("code", { text: c.url })),
                el("td", {}, el("span", { class: "st st-" + (c.result === "pass" ? "ok" : "bad"), text: c.result })),
                el("td", { text: c.code === undefined || c.code === null ? "" : String(c.code) }),
                el("td", { text: c.latencyMs === undefined || c.latencyMs === null ? "" : c.latencyMs + " ms" }),
                el("td", { text: c.message || "" }))))));
          }
          part.replaceChildren(...kids);
        }
        async function load() {
          if (loading) { again = true; return; }
          loading = true;
          try {
            const res = await fetch(location.pathname, { headers: authHeaders(), cache: "no-store" });
            if (res.status === 401) { ask(); return; }
            const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
            const next = fresh.getElementById("main"), current = document.getElementById("main");
            if (next && current) {
              const reason = document.getElementById("reason"), kept = reason ? reason.value : "";
              current.replaceWith(document.importNode(next, true));
              const input = document.getElementById("reason");
              if (input) input.value = kept;
              lastKey = next.dataset.key;
              if (lastDoc) renderStatus(lastDoc);
              document.title = fresh.title;
            }
          } catch (e) {
            console.error(e);
          } finally {
            loading = false;
            if (again) { again = false; load(); }
          }
        }
        function onEvent(type, d) {
          if (d.name !== app) return;
          if (type === "deleted") { live.textContent = "deleted"; return; }
          if (type !== "status") return;
          lastDoc = d;
          renderStatus(d);
          if (key(d) !== lastKey) { lastKey = key(d); load(); }
        }
        async function act(method, path, body, done) {
          const out = document.getElementById("action-result");
          out.className = "";
          out.textContent = "\u2026";
          try {
            const res = await fetch("/api/gitops/applications/" + encodeURIComponent(app) + path, {
              method, cache: "no-store", headers: authHeaders(body ? { "Content-Type": "application/json" } : {}),
              body: body ? JSON.stringify(body) : undefined });
            const answer = await res.json().catch(() => ({}));
            if (res.status === 401) ask();
            out.className = res.ok ? "ok" : "bad";
            out.textContent = res.ok ? done(answer) : "refused (" + res.status + "): " + (answer.error || res.statusText);
          } catch (e) {
            out.className = "bad";
            out.textContent = "failed: " + e.message;
          }
        }
        document.addEventListener("click", ev => {
          const b = ev.target.closest("button[data-action]");
          if (!b) return;
          const action = b.dataset.action;
          if (action === "sync") act("POST", "/sync", null, () => "sync requested");
          if (action === "unpin") act("DELETE", "/pin", null, () => "unpinned: the application follows its ref again");
          if (action === "rollback") {
            const reason = (document.getElementById("reason") || {}).value;
            act("POST", "/rollback", reason ? { commit: b.dataset.commit, reason } : { commit: b.dataset.commit },
              a => "pinned to " + String(a.pinned || "").slice(0, 12) + "; the daemon deploys it");
          }
        });
        function start() {
          if (tokensRequired && !token()) { ask(); return; }
          if (tokensRequired) load();
          listen(onEvent);
        }
        start();

        """#
}
