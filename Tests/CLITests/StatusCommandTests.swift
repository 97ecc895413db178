import Foundation
import State
import TestSupport
import Testing
import Toolkit

@Test func statusReadsTheFilesAsATableAndAsJSON() throws {
    let dir = try TempDir("zg-status")
    let layout = StateLayout(root: dir.path)
    let synced = StatusDocument(
        name: "my-app", namespace: "myuser",
        source: .init(
            repoURL: "https://github.com/user/repo", branch: "main", path: ".",
            commit: "abc123def4567890abc123def4567890abc12345"),
        status: .synced, message: "3 functions, 12 static files",
        lastSync: Date(timeIntervalSince1970: 1_705_314_600),
        functions: [.init(path: "/api/hello", runtime: "lua", url: "/myuser/api/hello", state: .deployed)],
        static: .init(dir: "./static", files: 12, bytes: 40960), registrationFile: "/etc/zerverless/apps.d/my-app.yaml")
    let broken = StatusDocument(
        name: "blog", namespace: "web", source: .init(repoURL: "https://h/o/blog", branch: "main", path: "."),
        status: .invalid,
        error: .init(
            stage: .manifest, message: "spec.functions[0].runtime: unknown runtime \"node9\"", file: "zerverless.yaml",
            line: 9, column: 16))
    try layout.writeStatus(synced)
    try layout.writeStatus(broken)

    let table = try run(Build.binary, ["status", "--state-dir", dir.path])
    #expect(table.status == 0)
    let lines = table.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    #expect(lines[0].hasPrefix("NAME    NAMESPACE  STATUS   COMMIT    LAST SYNC  NEXT  MESSAGE"), "\(table.stdout)")
    // Worst first; empty cells are "-"; 100 columns at most.
    #expect(
        lines[1].hasPrefix("blog    web        invalid  -         -          -     manifest: spec.functions[0].runtime")
    )
    #expect(lines[2].hasPrefix("my-app  myuser     synced   abc123de  "))
    #expect(lines[2].contains("d ago"))
    #expect(lines.allSatisfy { $0.count <= 100 })
    #expect(lines[3] == "2 apps: 1 synced, 1 invalid")
    let wide = try run(Build.binary, ["status", "--wide", "--state-dir", dir.path])
    #expect(wide.stdout.contains("abc123def4567890abc123def4567890abc12345  2024-01-15T10:30:00Z"))
    // Scripts: fail when something is not synced.
    let check = try run(Build.binary, ["status", "--fail-unless-synced", "-q", "--state-dir", dir.path])
    #expect(check.status == 1)
    #expect(check.stdout.isEmpty)
    #expect(try run(Build.binary, ["status", "--fail-unless-synced", "--state-dir", dir.path, "my-app"]).status == 0)
    let noState = try run(Build.binary, ["status", "--state-dir", dir.file("nope")])
    #expect(noState.status == 1)
    #expect(noState.stderr.contains("no state dir at \(dir.file("nope"))"))

    let one = try run(Build.binary, ["status", "--json", "--state-dir", dir.path, "my-app"])
    #expect(one.status == 0)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
    #expect(doc["status"] as? String == "synced")
    #expect(doc["lastSync"] as? String == "2024-01-15T10:30:00Z")
    #expect((doc["source"] as? [String: Any])?["commit"] as? String == "abc123def4567890abc123def4567890abc12345")
    #expect((doc["static"] as? [String: Any])?["files"] as? Int == 12)

    let all = try run(Build.binary, ["status", "--json", "--state-dir", dir.path])
    let list = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
    #expect(list["total"] as? Int == 2)

    // The REST list's filters: a namespace, a status; a wrong status is a usage error.
    let web = try run(Build.binary, ["status", "--json", "--namespace", "web", "--state-dir", dir.path])
    let webList = try #require(try JSONSerialization.jsonObject(with: Data(web.stdout.utf8)) as? [String: Any])
    #expect((webList["applications"] as? [[String: Any]])?.map { $0["name"] as? String } == ["blog"])
    let syncedOnly = try run(
        Build.binary, ["status", "--status", "synced", "--fail-unless-synced", "--state-dir", dir.path])
    #expect(syncedOnly.status == 0)
    #expect(syncedOnly.stdout.contains("my-app") && !syncedOnly.stdout.contains("blog"))
    let badStatus = try run(Build.binary, ["status", "--status", "broken", "--state-dir", dir.path])
    #expect(badStatus.status == 2)
    #expect(badStatus.stderr.contains("\"broken\" is not a status; expected pending, syncing, synced"))

    let missing = try run(Build.binary, ["status", "--state-dir", dir.path, "nope"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("no status for application \"nope\""))
}

@Test func statusWatchRedrawsWhenAStatusFileChanges() throws {
    let dir = try TempDir("zg-status-watch")
    let layout = StateLayout(root: dir.path)
    let source = StatusDocument.Source(repoURL: "https://h/o/r", branch: "main", path: ".")
    try FileManager.default.createDirectory(atPath: layout.appDir("shop"), withIntermediateDirectories: true)
    try layout.writeStatus(
        StatusDocument(name: "shop", namespace: "web", source: source, status: .syncing, message: "syncing abc"))
    let log = dir.file("watch.out")
    let pid = try spawn(
        Build.binary, ["status", "--watch", "--state-dir", dir.path], environment: ProcessInfo.processInfo.environment,
        log: log, append: false, name: "status --watch")
    defer {
        kill(pid, SIGKILL)
        var st: Int32 = 0
        waitpid(pid, &st, 0)
    }
    func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    try waitUntil(timeout: .seconds(10), "the first table") {
        output().contains("shop") && output().contains("syncing")
    }
    // Another process (here the test) writes the status: the table is drawn again with it.
    try layout.writeStatus(
        StatusDocument(name: "shop", namespace: "web", source: source, status: .error, message: "deploy: target down"))
    try waitUntil(timeout: .seconds(10), "the redrawn table") { output().contains("deploy: target down") }
    // Not a terminal (a file here): no escape sequences, one table per change under a
    // line with the time, none for the beat that moves relative times on a terminal.
    #expect(!output().contains("\u{1B}"), "\(output())")
    #expect(output().components(separatedBy: "--- ").count - 1 == 2, "\(output())")
    #expect(try run(Build.binary, ["status", "--watch", "--json", "--state-dir", dir.path]).status == 2)

    // On a terminal (script(1) gives it one): redrawn in place.
    let tty = dir.file("tty.out")
    let ttyPid = try spawn(
        "/usr/bin/script", ["-q", "-f", "-e", "-c", "\(Build.binary) status --watch --state-dir \(dir.path)", tty],
        environment: ProcessInfo.processInfo.environment, log: dir.file("script.log"), append: false, name: "script")
    defer {
        kill(ttyPid, SIGKILL)
        var st: Int32 = 0
        waitpid(ttyPid, &st, 0)
    }
    try waitUntil(timeout: .seconds(10), "the table on a terminal") {
        ((try? String(contentsOfFile: tty, encoding: .utf8)) ?? "").contains("\u{1B}[2J")
    }
}

/// Issue 25: a drifted app and a pinned app are not shown as plain `synced`: marked in the
/// status cell, counted in the summary, and with `--wide` in DRIFT and PIN columns.
@Test func statusShowsDriftAndPins() throws {
    let dir = try TempDir("zg-status")
    let layout = StateLayout(root: dir.path)
    let commit = "abc123def4567890abc123def4567890abc12345"
    func doc(_ name: String) -> StatusDocument {
        StatusDocument(
            name: name, namespace: "web",
            source: .init(repoURL: "https://h/o/\(name)", branch: "main", path: ".", commit: commit),
            status: .synced, lastSync: Date(timeIntervalSince1970: 1_705_314_600))
    }
    var drifted = doc("drifted")
    drifted.drift = .init(
        checkedAt: Date(timeIntervalSince1970: 1_705_314_700),
        items: [
            .init(kind: .function, path: "/api/a", change: .modified),
            .init(kind: .static, path: "x", change: .missing),
        ],
        corrected: 0, unmanaged: 0)
    drifted.source.lastAttemptedCommit = "fedcba9876543210fedcba9876543210fedcba98"
    var pinned = doc("pinned")
    pinned.pinned = .init(commit: "0123456789abcdef0123456789abcdef01234567", reason: "bad deploy", since: Date())
    var clean = doc("plain")
    clean.drift = .init(checkedAt: Date(timeIntervalSince1970: 1_705_314_700), items: [], corrected: 0, unmanaged: 0)
    for d in [drifted, pinned, clean] { try layout.writeStatus(d) }

    let table = try run(Build.binary, ["status", "--state-dir", dir.path])
    #expect(table.status == 0)
    let lines = table.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first { $0.hasPrefix("drifted ") }?.contains(" synced [drift] ") == true, "\(table.stdout)")
    #expect(lines.first { $0.hasPrefix("pinned ") }?.contains(" synced [pin] ") == true, "\(table.stdout)")
    #expect(lines.first { $0.hasPrefix("plain ") }?.contains(" synced ") == true, "\(table.stdout)")
    #expect(lines.first { $0.hasPrefix("plain ") }?.contains("[") == false, "a pass that found nothing is no drift")
    #expect(lines.last == "3 apps: 3 synced; 1 drifted, 1 pinned")

    let wide = try run(Build.binary, ["status", "--wide", "--state-dir", dir.path])
    let wideLines = wide.stdout.split(separator: "\n").map(String.init)
    #expect(
        wideLines[0].contains("STATUS          DRIFT  PIN           HEALTH  LAST ATTEMPTED  COMMIT"), "\(wide.stdout)")
    #expect(
        wideLines.first { $0.hasPrefix("drifted ") }?.contains("synced [drift]  2      -  ") == true, "\(wide.stdout)")
    #expect(wideLines.first { $0.hasPrefix("pinned ") }?.contains("synced [pin]    -      0123456789ab  ") == true)
    #expect(wideLines.first { $0.hasPrefix("plain ") }?.contains("synced          0      -  ") == true)
    #expect(wideLines.first { $0.hasPrefix("drifted ") }?.contains("  fedcba987654    abc123de") == true)
}

/// Issue 26: health in the table: a degraded app and an automatic pin are marked in the
/// status cell and counted; `--wide` has a HEALTH column.
@Test func statusShowsHealthAndAutomaticPins() throws {
    let dir = try TempDir("zg-status-health")
    let layout = StateLayout(root: dir.path)
    var sick = StatusDocument(
        name: "sick", namespace: "web",
        source: .init(
            repoURL: "https://h/o/sick", branch: "main", path: ".", commit: String(repeating: "a", count: 40)),
        status: .synced)
    sick.health = .init(status: .degraded, commit: String(repeating: "b", count: 40))
    sick.pinned = .init(
        commit: String(repeating: "a", count: 40), reason: "automatic rollback", since: Date(), automatic: true)
    var fine = sick
    fine.name = "fine"
    fine.pinned = nil
    fine.health = .init(status: .healthy, commit: String(repeating: "a", count: 40))
    for d in [sick, fine] { try layout.writeStatus(d) }
    let table = try run(Build.binary, ["status", "--state-dir", dir.path])
    #expect(table.stdout.contains("sick  web        synced [auto-pin,degraded]  "), "\(table.stdout)")
    #expect(table.stdout.hasSuffix("2 apps: 2 synced; 1 pinned, 1 degraded\n"), "\(table.stdout)")
    let wide = try run(Build.binary, ["status", "--wide", "--state-dir", dir.path])
    #expect(wide.stdout.contains("  HEALTH  "), "\(wide.stdout)")
    #expect(wide.stdout.split(separator: "\n").contains { $0.hasPrefix("fine ") && $0.contains("  healthy  ") })
}

/// Issue 25: an invalid registration's row names the file by its base name with the line,
/// column, field and message (the whole path left no room for the error), and the
/// namespace the file states.
@Test func anInvalidRegistrationsRowShowsItsError() throws {
    let dir = try TempDir("zg-status-invalid")
    let layout = StateLayout(root: dir.path)
    let file = "/etc/zerverless/apps.d/shop.yaml"
    var doc = StatusDocument(
        name: "shop", namespace: "web", source: .init(repoURL: "", branch: "", path: ""), status: .invalid,
        message: "registration: spec.pollInterval: not a duration")
    doc.error = .init(
        stage: .registration,
        message: "\(file):7:17: error: spec.pollInterval: \"1 hour\" is not a duration (use 90s, 5m, 1h, 1h30m)",
        file: file, line: 7, column: 17)
    try layout.writeStatus(doc)
    let table = try run(Build.binary, ["status", "--state-dir", dir.path])
    let row = table.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("shop ") } ?? ""
    #expect(row.contains(" web "), "\(table.stdout)")
    #expect(
        row.contains(
            "  shop.yaml:7:17: spec.pollInterval: \"1 hour\""
        ), "\(table.stdout)")
    let wide = try run(Build.binary, ["status", "--wide", "--state-dir", dir.path])
    #expect(wide.stdout.contains("registration: \(file):7:17: error: spec.pollInterval"), "\(wide.stdout)")
}
