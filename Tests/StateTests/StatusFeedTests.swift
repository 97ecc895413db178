import Foundation
import State
import TestSupport
import Testing
import Toolkit

@Suite(.timeLimit(.minutes(1))) struct StatusFeedTests {
    static func doc(_ name: String, _ message: String) -> StatusDocument {
        StatusDocument(
            name: name, namespace: "web",
            source: .init(repoURL: "https://git.example.com/web/\(name)", branch: "main", path: "."),
            status: .synced, message: message)
    }

    /// `subscribe` returns once every application's folder is watched: a status written
    /// right after it is in the stream (with 200 folders to watch, the last one's write
    /// came before its watch when `subscribe` returned at once); a new application's
    /// folder is watched as it appears, and its removal is told.
    @Test func aStatusWrittenRightAfterSubscribeIsInTheStream() async throws {
        let dir = try TempDir("zg-feed")
        let layout = StateLayout(root: dir.file("state"))
        for i in 0..<200 { try layout.writeStatus(Self.doc("app-\(i)", "before")) }
        // A stray file among the folders is not an application the feed failed to watch.
        try Data("stray".utf8).write(to: URL(fileURLWithPath: layout.appsDir + "/stray.txt"))
        let feed = StatusFeed(layout: layout, heartbeat: .seconds(3600))
        defer { feed.stop() }
        let changes = await feed.subscribe()
        try layout.writeStatus(Self.doc("app-199", "after"), durable: false)
        try layout.writeStatus(Self.doc("new-app", "created"), durable: false)
        try FileManager.default.removeItem(atPath: layout.appDir("app-0"))
        var seen: Set<String> = []
        for await change in changes {
            switch change {
            case .status(let name, _, let bytes):
                if name == "app-199", String(decoding: bytes, as: UTF8.self).contains("\"after\"") { seen.insert(name) }
                if name == "new-app" { seen.insert(name) }
            case .deleted(let name):
                seen.insert("deleted " + name)
            case .unwatched(let name):
                Issue.record("\(name)'s folder could not be watched")
            case .heartbeat:
                break
            }
            if seen == ["app-199", "new-app", "deleted app-0"] { break }
        }
        #expect(seen == ["app-199", "new-app", "deleted app-0"])
    }
}
