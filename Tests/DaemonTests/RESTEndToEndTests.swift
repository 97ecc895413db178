import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// The REST facade of the real daemon (listening on port 0): the original design's curl
/// flow, end to end.
@Suite struct RESTEndToEndTests {
    func port(_ d: DaemonProcess) throws -> Int {
        var found: Int?
        try waitUntil(timeout: .seconds(30), "the daemon to listen") {
            for line in d.log.split(separator: "\n") where line.contains(" INFO listening ") {
                if let range = line.range(of: "address=127.0.0.1:") { found = Int(line[range.upperBound...].prefix { $0.isNumber }) }
            }
            return found != nil
        }
        return found!
    }

    func call(_ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:])
    }

    @Test func theDesignsCurlFlow() async throws {
        let w = try World("rest")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "myuser"))
        let url = w.url("site", port: try w.serve())
        let d = try w.daemon(["--listen", "127.0.0.1:0", "--removal-grace", "1s"])
        let base = "http://127.0.0.1:\(try port(d))/api/gitops/applications"

        // POST the original design's body (with this test's repository).
        let body = #"{"name": "my-app", "namespace": "myuser", "source": {"repoURL": "\#(url)", "branch": "main"}}"#
        let (created, doc) = try await call(.POST, base, body)
        #expect(created == 201)
        #expect(doc["status"] as? String == "pending")
        #expect(FileManager.default.fileExists(atPath: w.app("my-app.yaml")))
        try d.waitFor("my-app", "synced", commit: try repo.head())

        let (listed, list) = try await call(.GET, base)
        #expect(listed == 200)
        #expect(list["total"] as? Int == 1)
        let (got, one) = try await call(.GET, base + "/my-app")
        #expect(got == 200)
        #expect((one["source"] as? [String: Any])?["commit"] as? String == (try repo.head()))

        // A push, then POST .../sync: synced at once (the poll interval is 5 minutes).
        let pushed = try repo.commit(["static/index.html": "pushed\n"], message: "push")
        let (accepted, _) = try await call(.POST, base + "/my-app/sync")
        #expect(accepted == 202)
        try d.waitFor("my-app", "synced", commit: pushed)

        let (conflict, _) = try await call(.POST, base, body)
        #expect(conflict == 409)
        let (bad, problem) = try await call(.POST, base, #"{"name": "x", "namespace": "myuser"}"#)
        #expect(bad == 400)
        #expect((problem["diagnostics"] as? [[String: Any]])?.isEmpty == false)

        // DELETE: the file goes, the application is undeployed after the grace.
        let (deleted, _) = try await call(.DELETE, base + "/my-app")
        #expect(deleted == 202)
        try waitUntil(timeout: .seconds(30), "my-app to be undeployed") { d.status("my-app") == nil }
        #expect(w.published("static/myuser/index.html") == nil)
        let (gone, _) = try await call(.GET, base + "/my-app")
        #expect(gone == 404)
        #expect(try d.stop() == 0)
    }
}
