import Foundation
import State
import TestSupport
import Testing
import Toolkit

/// The hand-written status JSON is the text JSONEncoder writes (pretty, sorted keys,
/// unescaped slashes, ISO 8601 dates): byte for byte, over documents with every field
/// present or absent, and strings that need escaping.
@Test(arguments: 0..<4) func statusJSONMatchesJSONEncoder(_ variant: Int) throws {
    var doc = StatusDocument(
        name: "my-app", namespace: "myuser",
        source: .init(repoURL: "https://github.com/user/repo", branch: "main", path: "."),
        status: .pending)
    if variant >= 1 {
        doc.source.commit = "abc123def4567890abc123def4567890abc12345"
        doc.lastSync = Date(timeIntervalSince1970: 1_705_314_600)
        doc.lastAttempt = Date(timeIntervalSince1970: 1_705_314_600.75)
        doc.nextSync = Date(timeIntervalSince1970: 1_705_314_900)
        doc.status = .synced
        doc.message = "3 functions, 12 static files"
        doc.functions = [
            .init(path: "/api/hello", runtime: "lua", url: "/myuser/api/hello", state: .deployed),
            .init(path: "/api/x", runtime: "js", url: "/myuser/api/x", state: .error, message: "syntax error"),
        ]
        doc.static = .init(dir: "./static", files: 12, bytes: 40960)
        doc.registrationFile = "/etc/zerverless/apps.d/my-app.yaml"
    }
    if variant >= 2 {
        doc.source.lastAttemptedCommit = "0123456789abcdef0123456789abcdef01234567"
        doc.status = .invalid
        doc.error = .init(
            stage: .manifest, message: "line one\n\t\"quoted\" \\ back/slash \u{1} é 日本", file: "zerverless.yaml",
            line: 12, column: 5)
        doc.suspended = .init(reason: "maintenance \"window\"", since: Date(timeIntervalSince1970: 1_705_314_000))
        doc.labels = ["team": "web", "app.kubernetes.io/part-of": "shop", "a": ""]
        doc.progress = .init(
            stage: .fetch, done: 120, total: 4096, unit: .objects, updatedAt: Date(timeIntervalSince1970: 1_705_314_601)
        )
        doc.pinned = .init(
            commit: "fedcba9876543210fedcba9876543210fedcba98", reason: "automatic rollback: /api: HTTP 500",
            since: Date(timeIntervalSince1970: 1_705_314_002), automatic: true)
        doc.health = .init(
            status: .degraded, checkedAt: Date(timeIntervalSince1970: 1_705_314_003),
            commit: "0123456789abcdef0123456789abcdef01234567",
            checks: [
                .init(
                    name: "/api", url: "http://h/web/api?probe=1", result: .fail, code: 500, latencyMs: 3,
                    message: "HTTP 500, expected 2xx"),
                .init(name: "static/index.html", url: "http://h/static/web/index.html", result: .pass, code: 200),
            ], message: "rolled back to fedcba987654")
    }
    if variant == 3 {
        doc.functions = []
        doc.static = .init(dir: "", files: 0, bytes: 0)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    let expected = String(decoding: try encoder.encode(doc), as: UTF8.self)
    let ours = String(decoding: doc.jsonBytes(), as: UTF8.self)
    #expect(ours == expected)
    // And it reads back.
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    let back = try decoder.decode(StatusDocument.self, from: Data(doc.jsonBytes()))
    #expect(back.name == doc.name && back.functions == doc.functions && back.error == doc.error)
}

/// An unchanged poll's write (not durable) that moves only nextSync rewrites those bytes
/// in place: same inode, a whole document; any other change replaces the file (a new
/// inode), and so does a durable write.
@Test func unchangedPollPatchesNextSyncInPlace() throws {
    let dir = try TempDir("zg-inplace")
    let layout = StateLayout(root: dir.path)
    var doc = StatusDocument(
        name: "a", namespace: "ns", source: .init(repoURL: "https://example.com/r.git", branch: "main", path: "."),
        status: .synced)
    doc.nextSync = Date(timeIntervalSince1970: 1_705_314_900)
    try layout.writeStatus(doc)
    func inode() throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: layout.statusFile("a"))[.systemFileNumber] as? NSNumber)?
            .uint64Value ?? 0
    }
    func stored() throws -> StatusDocument? { try layout.readStatus("a") }
    let first = try inode()

    doc.nextSync = Date(timeIntervalSince1970: 1_705_315_237)
    try layout.writeStatus(doc, durable: false)
    #expect(try inode() == first)
    #expect(try stored() == doc)

    doc.message = "changed"
    try layout.writeStatus(doc, durable: false)
    #expect(try inode() != first)
    #expect(try stored() == doc)

    let second = try inode()
    doc.nextSync = Date(timeIntervalSince1970: 1_705_316_000)
    try layout.writeStatus(doc, durable: true)
    #expect(try inode() != second)
    #expect(try stored() == doc)

    // The pattern matches the key only: a message quoting it is no key.
    #expect(
        InPlacePatch.stringValueRange(of: "nextSync", in: Array(#"{"message" : "\"nextSync\" : \"x\""}"#.utf8)) == nil)
}

/// The daemon's unchanged poll when it knows the file is the one it wrote: nextSync
/// patched in place, the result byte for byte the whole document's encoding; a file
/// written since (another version), or a value of another length, is not patched.
@Test func nextSyncPatchedOnTheFileLastWritten() throws {
    let dir = try TempDir("zg-patch-next")
    let layout = StateLayout(root: dir.path)
    var doc = StatusDocument(
        name: "a", namespace: "ns", source: .init(repoURL: "https://example.com/r.git", branch: "main", path: "."),
        status: .synced, message: "1 function")
    doc.nextSync = Date(timeIntervalSince1970: 1_705_314_900)
    // A tenant's label named like the key, its value a date's length, comes first in the
    // file (keys sorted): it is not what gets patched.
    doc.labels = ["nextSync": "aaaaaaaaaaaaaaaaaaaa"]
    try layout.writeStatus(doc)
    let written = try #require(layout.statusVersion("a"))
    let generation = StatusGeneration.current

    let next = Date(timeIntervalSince1970: 1_705_315_237)
    doc.nextSync = next
    let patched = try #require(layout.patchNextSync("a", to: next, expecting: written))
    let bytes = try #require(FileManager.default.contents(atPath: layout.statusFile("a")))
    #expect(Array(bytes) == doc.jsonBytes(), "the whole document's encoding (the label untouched)")
    #expect(patched.inode == written.inode && patched == layout.statusVersion("a"))
    #expect(StatusGeneration.current > generation, "the facade's feed is told")

    // The old version no longer names the file: nothing written.
    #expect(layout.patchNextSync("a", to: Date(timeIntervalSince1970: 1_705_316_000), expecting: written) == nil)
    #expect(try layout.readStatus("a") == doc)
    // Written by another (a new inode): not patched.
    doc.message = "changed"
    try layout.writeStatus(doc)
    #expect(layout.patchNextSync("a", to: Date(timeIntervalSince1970: 1_705_316_000), expecting: patched) == nil)
    #expect(try layout.readStatus("a") == doc)
    // A value of another length (a year past 9999): not patched.
    let now = try #require(layout.statusVersion("a"))
    #expect(layout.patchNextSync("a", to: Date(timeIntervalSince1970: 253_402_300_800), expecting: now) == nil)
    #expect(try layout.readStatus("a") == doc)
}

/// Dates written digit by digit: the text ISO8601DateFormatter writes (zero-padded fields,
/// whole seconds, UTC), years outside four digits included.
@Test func datesAreTheFormattersText() {
    let formatter = ISO8601DateFormatter()
    let seconds: [Double] = [
        0, 1_705_314_600.75, 946_684_799, 951_782_400, 1_000_000_000, 4_102_444_799.999, -1,
        253_402_300_799, 253_402_300_800,
    ]
    for s in seconds {
        let date = Date(timeIntervalSince1970: s)
        #expect(JSONText.date(date) == formatter.string(from: date), "\(s)")
    }
}
