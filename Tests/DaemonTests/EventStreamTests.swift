import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import State
import TestSupport
import Testing
import Toolkit

/// `GET /api/gitops/events` on the live daemon: the current documents first, then a
/// `status` event each time a status file changes, whoever wrote it.
@Suite(.serialized) struct EventStreamTests {
    /// Reads Server-Sent Events until `done` says so, or fails at the deadline.
    final class Reader: @unchecked Sendable {
        var events: [(type: String, data: String)] = []
        var buffer = ""

        func feed(_ chunk: String) {
            buffer += chunk
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer = String(buffer[end.upperBound...])
                var type = "message"
                var data: [String] = []
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if !data.isEmpty { events.append((type, data.joined(separator: "\n"))) }
            }
        }
    }

    @Test func statusChangesArriveAsTheyHappen() async throws {
        let w = try World("events")
        let repo = try GitRepo(
            root: w.reposDir, name: "site",
            files: [
                "zerverless.yaml":
                    "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: site, namespace: web}\nspec:\n  static: {dir: static}\n",
                "static/index.html": "one\n",
            ])
        try w.write(
            "site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve()), poll: "1s"))
        let d = try w.daemon(["--listen", "127.0.0.1:0"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        let port = try listeningPort(d)

        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/gitops/events")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        let reader = Reader()
        var iterator = response.body.makeAsyncIterator()
        func until(_ what: String, _ done: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !done() {
                guard ContinuousClock.now < deadline, let chunk = try await iterator.next() else {
                    Issue.record("no \(what) within 30 s: \(reader.events.map(\.type))")
                    return
                }
                reader.feed(String(buffer: chunk))
            }
        }
        let one = try repo.head()
        try await until("first document") { reader.events.contains { $0.type == "status" && $0.data.contains(one) } }

        // A push: the daemon's status writes arrive (syncing, then synced at the new commit).
        let two = try repo.commit(["static/index.html": "two\n"], message: "two")
        try await until("the new commit") {
            reader.events.contains {
                $0.type == "status" && $0.data.contains("\"commit\" : \"\(two)\"")
                    && $0.data.contains("\"status\" : \"synced\"")
            }
        }
        // A status file written by another process (here, the test) is an event too.
        let layout = StateLayout(root: w.stateDir)
        try FileManager.default.createDirectory(atPath: layout.appDir("by-hand"), withIntermediateDirectories: true)
        try layout.writeStatus(
            StatusDocument(
                name: "by-hand", namespace: "ops", source: .init(repoURL: "https://h/o/r", branch: "main", path: "."),
                status: .pending))
        try await until("the hand-written document") {
            reader.events.contains { $0.type == "status" && $0.data.contains("\"name\" : \"by-hand\"") }
        }
        // ... and its removal.
        try FileManager.default.removeItem(atPath: layout.appDir("by-hand"))
        try await until("the deletion") {
            reader.events.contains { $0.type == "deleted" && $0.data.contains("by-hand") }
        }
    }
}
