import Foundation
import State
import Testing
import TestSupport

@Test func statusReadsTheFilesAsATableAndAsJSON() throws {
    let dir = try TempDir("zg-status")
    let layout = StateLayout(root: dir.path)
    let synced = StatusDocument(
        name: "my-app", namespace: "myuser",
        source: .init(repoURL: "https://github.com/user/repo", branch: "main", path: ".", commit: "abc123def4567890abc123def4567890abc12345"),
        status: .synced, message: "3 functions, 12 static files",
        lastSync: Date(timeIntervalSince1970: 1_705_314_600),
        functions: [.init(path: "/api/hello", runtime: "lua", url: "/myuser/api/hello", state: .deployed)],
        static: .init(dir: "./static", files: 12, bytes: 40960), registrationFile: "/etc/zerverless/apps.d/my-app.yaml")
    let broken = StatusDocument(
        name: "blog", namespace: "web", source: .init(repoURL: "https://h/o/blog", branch: "main", path: "."),
        status: .invalid, error: .init(stage: .manifest, message: "spec.functions[0].runtime: unknown runtime \"node9\"", file: "zerverless.yaml", line: 9, column: 16))
    try layout.writeStatus(synced)
    try layout.writeStatus(broken)

    let table = try run(Build.binary, ["status", "--state-dir", dir.path])
    #expect(table.status == 0)
    let lines = table.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("NAME    NAMESPACE  STATUS   COMMIT        LAST SYNC"))
    #expect(lines[1].hasPrefix("blog    web        invalid  -             -"))
    #expect(lines[1].hasSuffix("manifest: spec.functions[0].runtime: unknown runtime \"node9\""))
    #expect(lines[2].contains("my-app  myuser     synced   abc123def456  2024-01-15T10:30:00Z"))

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

    let missing = try run(Build.binary, ["status", "--state-dir", dir.path, "nope"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("no status for application \"nope\""))
}
