import Foundation
import TestSupport
import Testing

/// `zerverless-gitops events` on the built binary: the transitions of a real daemon, one
/// line each, as they happen (`--watch`) and afterwards (`--json`, a name, `--limit`),
/// whether or not any notification endpoint is configured (none is here).
@Suite(.serialized) struct EventsCommandTests {
    @Test func everyTransitionIsALineAsItHappens() async throws {
        let w = try World("events")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        try w.write("site.yaml", registration("site", namespace: "web", url: url, poll: "1s"))
        let d = try w.daemon(["--removal-grace", "0s"])
        let first = try repo.head()
        try d.waitFor("site", "synced", commit: first, timeout: .seconds(60))

        let log = w.dir.file("events.out")
        let pid = try spawn(
            Build.binary, ["events", "--watch", "--state-dir", w.stateDir],
            environment: ProcessInfo.processInfo.environment, log: log, append: false, name: "events --watch")
        defer {
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
        func lines() -> [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        // What happened before it started: the first sync.
        try waitUntil(timeout: .seconds(10), "the first sync's line") { lines().count == 1 }
        #expect(lines()[0].contains("site (web)") && lines()[0].contains("synced"), "\(lines())")
        #expect(lines()[0].contains(String(first.prefix(12))), "\(lines())")

        // A broken manifest: `invalid`, naming the commit tried; then fixed: `synced`.
        let broken = try repo.commit(["zerverless.yaml": "apiVersion: zerverless.io/v1\nkind: [\n"], message: "broken")
        try waitUntil(timeout: .seconds(60), "the invalid commit's line") { lines().count == 2 }
        #expect(lines()[1].contains("invalid") && lines()[1].contains(String(broken.prefix(12))), "\(lines())")
        let fixed = try repo.commit(siteFiles(namespace: "web", index: "fixed\n"), message: "fixed")
        try d.waitFor("site", "synced", commit: fixed, timeout: .seconds(60))
        try waitUntil(timeout: .seconds(10), "the fix's line") { lines().count == 3 }
        #expect(lines()[2].contains("synced") && lines()[2].contains(String(fixed.prefix(12))), "\(lines())")

        // A typo in the registration: `invalid` from that layer too; and the removal.
        try w.write(
            "site.yaml",
            registration("site", namespace: "web", url: url, poll: "1s").replacingOccurrences(
                of: "pollInterval", with: "pollIntervall"))
        try waitUntil(timeout: .seconds(30), "the registration's line") { lines().count == 4 }
        #expect(lines()[3].contains("invalid") && lines()[3].contains("pollIntervall"), "\(lines())")
        try FileManager.default.removeItem(atPath: w.app("site.yaml"))
        try waitUntil(timeout: .seconds(30), "the removal's line") { lines().count == 5 }
        #expect(lines()[4].contains("deleted"), "\(lines())")

        // Afterwards: the same five, as JSON documents, for one app, the latest N.
        let dirs = ["--state-dir", w.stateDir]
        let json = try run(Build.binary, ["events", "site", "--json"] + dirs)
        #expect(json.status == 0, "\(json.stderr)")
        let documents = json.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(documents.map { $0["event"] as? String } == ["synced", "invalid", "synced", "invalid", "deleted"])
        #expect(documents[1]["commit"] as? String == broken)
        #expect(documents[1]["previousCommit"] as? String == first)
        let error = documents[1]["error"] as? [String: Any]
        #expect(error?["file"] as? String == "zerverless.yaml" && error?["line"] as? Int == 3, "\(documents[1])")
        #expect(documents.allSatisfy { $0["app"] as? String == "site" && $0["namespace"] as? String == "web" })
        #expect(try run(Build.binary, ["events", "other"] + dirs).stdout.isEmpty)
        let latest = try run(Build.binary, ["events", "-n", "1"] + dirs)
        #expect(
            latest.stdout.split(separator: "\n").count == 1 && latest.stdout.contains("deleted"),
            "\(latest.stdout)\(latest.stderr)")
        let bad = try run(Build.binary, ["events", "Not_A_Name"] + dirs)
        #expect(bad.status == 2 && bad.stderr.contains("not an application name"), "\(bad.stderr)")
        let none = try run(Build.binary, ["events", "--state-dir", w.dir.file("nowhere")])
        #expect(none.status == 1 && none.stderr.contains("no state dir"), "\(none.stderr)")
        _ = d
    }
}
