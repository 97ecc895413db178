/// The script both pages start with: nodes built with `textContent` (a tenant's string is
/// never parsed as HTML), relative times kept current, the status badges drawn from a
/// status document as the event stream sends it (with the fields the server does not draw
/// yet: `progress`, `suspended`, `labels`, `health`), the token kept in the tab's session
/// storage, and the event stream read with `fetch` (so that it can send the token).
/// Each page's own script defines `start()`, called once a token is given.
enum PageScript {
    static let common = #"""
        "use strict";
        const tokensRequired = document.body.dataset.tokens === "1";
        const live = document.getElementById("live");
        function el(tag, attrs, ...kids) {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) {
            if (v === undefined || v === null || v === false) continue;
            if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, String(v));
          }
          for (const k of kids.flat()) if (k !== undefined && k !== null && k !== "") e.append(k);
          return e;
        }
        function rel(t) {
          const s = Math.round((Date.now() - Date.parse(t)) / 1000), a = Math.abs(s);
          if (isNaN(s)) return t;
          if (a < 5) return "just now";
          const v = a < 60 ? a + " s" : a < 3600 ? Math.floor(a / 60) + " min"
            : a < 86400 ? Math.floor(a / 3600) + " h" : Math.floor(a / 86400) + " d";
          return s >= 0 ? v + " ago" : "in " + v;
        }
        function timeEl(t) { return t ? el("time", { datetime: t, title: t, text: rel(t) }) : ""; }
        setInterval(() => {
          for (const t of document.querySelectorAll("time[datetime]")) t.textContent = rel(t.getAttribute("datetime"));
        }, 10000);
        function commitEl(c) { return c ? el("code", { title: c, text: c.slice(0, 12) }) : ""; }
        function appLink(name) { return "/apps/" + encodeURIComponent(name); }
        function errorLine(e) {
          const place = [e.file, e.line, e.column].filter(x => x !== undefined && x !== null).join(":");
          const first = (e.message || "").split("\n")[0];
          return e.file && first.startsWith(e.file) ? { place: "", first } : { place, first };
        }
        const badStates = ["invalid", "error", "deleting"], busyStates = ["syncing", "pending"];
        function drifted(d) { return !!(d.drift && d.drift.items && d.drift.items.length); }
        function rank(d) {
          if (badStates.includes(d.status)) return 0;
          if (busyStates.includes(d.status)) return 1;
          if (drifted(d) || (d.health && d.health.status === "degraded")) return 2;
          return d.pinned || d.suspended || d.status === "suspended" ? 3 : 4;
        }
        function tone(d) {
          if (badStates.includes(d.status)) return "bad";
          if (busyStates.includes(d.status)) return "busy";
          if (d.status === "synced") return drifted(d) ? "warn" : "ok";
          return "muted";
        }
        function flags(d) {
          const f = [];
          if (drifted(d)) f.push("drift");
          if (d.health && d.health.status === "degraded") f.push("degraded");
          if (d.pinned) f.push("pinned");
          if (d.suspended || d.status === "suspended") f.push("suspended");
          return f;
        }
        function badges(d) {
          const out = [el("span", { class: "st st-" + tone(d), text: d.status })];
          if (drifted(d)) {
            const items = d.drift.items.map(i => i.kind + " " + i.path + " " + i.change);
            const title = d.drift.items.length + " drifted" + (d.drift.corrected > 0 ? ", " + d.drift.corrected + " corrected" : "");
            out.push(" ", el("span", { class: "badge b-drift", title: title + ": " + items.join(", "), text: "drift " + d.drift.items.length }));
          }
          if (d.pinned) {
            const p = d.pinned;
            const title = "pinned at " + p.commit.slice(0, 12) + (p.reason ? ": " + p.reason : "") + " (since " + p.since + ")";
            out.push(" ", el("span", { class: "badge b-pin", title, text: "pinned" }));
          }
          if (d.suspended && d.status !== "suspended") {
            const s = d.suspended;
            out.push(" ", el("span", { class: "badge b-suspended", text: "suspended",
              title: "suspended" + (s.reason ? ": " + s.reason : "") + (s.since ? " (since " + s.since + ")" : "") }));
          }
          if (d.health && d.health.status) {
            const h = d.health, failing = (h.checks || []).filter(c => c.result === "fail")
              .map(c => c.name + (c.message ? ": " + c.message : ""));
            out.push(" ", el("span", { class: "badge h-" + h.status, text: h.status,
              title: "health " + h.status + (failing.length ? ": " + failing.join(", ") : "") + (h.checkedAt ? " (checked " + h.checkedAt + ")" : "") }));
          }
          if (d.status === "syncing" && d.progress) {
            const p = d.progress, total = Number(p.total) || 0, done = Number(p.done) || 0;
            const text = (p.stage || "") + (total ? " " + done + "/" + total + (p.unit ? " " + p.unit : "") : "");
            out.push(" ", el("progress", { max: total || 1, value: total ? Math.min(done, total) : 0, title: text }),
              el("span", { class: "progress", text }));
          }
          return out;
        }
        function labelChips(d) {
          return Object.entries(d.labels || {}).map(([k, v]) => el("span", { class: "chip", title: k + "=" + v, text: k + "=" + v }));
        }
        function token() { return sessionStorage.getItem("zg-token"); }
        function authHeaders(extra) {
          const h = Object.assign({}, extra || {}), t = token();
          if (t) h.Authorization = "Bearer " + t;
          return h;
        }
        function ask() {
          sessionStorage.removeItem("zg-token");
          document.getElementById("token").hidden = false;
          live.textContent = "needs a token";
        }
        document.getElementById("token").addEventListener("submit", ev => {
          ev.preventDefault();
          const input = document.getElementById("token-value");
          sessionStorage.setItem("zg-token", input.value);
          input.value = "";
          document.getElementById("token").hidden = true;
          start();
        });
        async function listen(onEvent) {
          if (tokensRequired && !token()) { ask(); return; }
          try {
            const res = await fetch("/api/gitops/events", { headers: authHeaders(), cache: "no-store" });
            if (res.status === 401 || res.status === 403) { ask(); return; }
            if (!res.ok) throw new Error("HTTP " + res.status);
            live.textContent = "live";
            window.zgConnections = (window.zgConnections || 0) + 1;
            const reader = res.body.getReader(), decoder = new TextDecoder();
            let buffer = "";
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              buffer += decoder.decode(value, { stream: true });
              let end;
              while ((end = buffer.indexOf("\n\n")) >= 0) {
                const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
                let type = "message"; const data = [];
                for (const line of block.split("\n")) {
                  if (line.startsWith("event: ")) type = line.slice(7);
                  else if (line.startsWith("data: ")) data.push(line.slice(6));
                }
                if (!data.length) continue;
                try { onEvent(type, JSON.parse(data.join("\n"))); } catch (e) { console.error(e); }
              }
            }
          } catch (e) { }
          live.textContent = "reconnecting";
          setTimeout(() => listen(onEvent), 2000);
        }

        """#
}
