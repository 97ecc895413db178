import Foundation
import TestSupport
import Testing

/// Every transition is announced whichever layer it comes from (issue 25): a registration
/// that becomes invalid (a typo in the apps dir) sends `invalid` and is in the history,
/// and fixing it sends `synced`, on the built binary with a real receiver.
@Suite(.serialized) struct RegistrationTransitionsTests {
    static func app(_ url: String, hook: String, poll: String = "1h") -> String {
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: site, namespace: web}
        spec:
          source: {repoURL: "\(url)"}
          pollInterval: \(poll)
          notify:
            - url: \(hook)
        """
    }

    @Test func aRegistrationThatBecomesInvalidIsAnnouncedAndItsFixToo() async throws {
        let w = try World("registration-transitions")
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        let url = w.url("site", port: try w.serve())
        let hook = try await RecordingServer.start()
        let good = Self.app(url, hook: hook.base + "/hook")
        try w.write("site.yaml", good)
        let d = try w.daemon(["--notify-retry", "1s", "--notify-allow-private"])
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        func events() -> [String] { hook.requests.map { $0.headers["x-zerverless-event"] ?? "?" } }
        try waitUntil(timeout: .seconds(30), "the first sync's event") { events() == ["synced"] }

        // A typo: invalid, announced once (to the endpoints the app had), in the history.
        try w.write("site.yaml", good.replacingOccurrences(of: "pollInterval: 1h", with: "pollInterval: 1 hour"))
        try waitUntil(timeout: .seconds(30), "the invalid status") {
            d.status("site")?["status"] as? String == "invalid"
        }
        try waitUntil(timeout: .seconds(30), "the invalid event") { events() == ["synced", "invalid"] }
        let invalid = try #require(hook.requests.last?.json)
        #expect(invalid["status"] as? String == "invalid")
        #expect((invalid["message"] as? String ?? "").contains("pollInterval"), "\(invalid)")
        #expect(invalid["namespace"] as? String == "web")
        let attempt = try #require(d.attempts("site").first)
        #expect(attempt["result"] as? String == "invalid")
        #expect(attempt["trigger"] as? String == "registration")
        #expect((attempt["message"] as? String ?? "").contains("pollInterval"), "\(attempt)")
        #expect(d.status("site")?["namespace"] as? String == "web")

        // The same typo written again is no new transition; the fix is.
        try w.write("site.yaml", good.replacingOccurrences(of: "pollInterval: 1h", with: "pollInterval:  1 hour"))
        try w.write("site.yaml", good)
        try d.waitFor("site", "synced", commit: try repo.head(), timeout: .seconds(60))
        try waitUntil(timeout: .seconds(30), "the synced event after the fix") {
            events() == ["synced", "invalid", "synced"]
        }
        #expect(d.attempts("site").first?["result"] as? String == "synced")
        // Nothing more is sent (the outbox is empty and the receiver has three).
        try waitUntil(timeout: .seconds(30), "an empty outbox") {
            ((try? FileManager.default.contentsOfDirectory(atPath: w.stateDir + "/outbox")) ?? []).filter {
                $0.hasSuffix(".json")
            }.isEmpty
        }
        #expect(events() == ["synced", "invalid", "synced"])
    }
}
