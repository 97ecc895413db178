import Foundation
import HTTPFacade
import Hummingbird
import HummingbirdTesting
import NIOCore
import State
import TestSupport
import Testing
import Toolkit

/// Every endpoint of the facade through the router (no network), over temporary folders.
@Suite struct FacadeRouterTests {
    let dir: TempDir
    let apps: String
    let layout: StateLayout
    let app: Application<RouterResponder<FacadeContext>>

    init() throws {
        dir = try TempDir("zg-facade")
        apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        layout = StateLayout(root: dir.file("state"))
        app = Application(router: Facade(appsDir: apps, layout: layout).router())
    }

    /// The original design's curl body.
    static let designBody = """
        {
          "name": "my-app",
          "namespace": "myuser",
          "source": {
            "repoURL": "https://github.com/myuser/my-repo",
            "branch": "main"
          }
        }
        """

    static let json: HTTPFields = [.contentType: "application/json"]

    func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
    }

    @Test func postWritesTheRegistrationFileAndAnswersItsStatus() async throws {
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: Self.json,
                body: ByteBuffer(string: Self.designBody)
            ) { response in
                #expect(response.status == .created)
                let doc = object(response.body)
                #expect(doc["name"] as? String == "my-app")
                #expect(doc["status"] as? String == "pending")
                #expect(doc["registrationFile"] as? String == apps + "/my-app.yaml")
            }
            let text = try String(contentsOfFile: apps + "/my-app.yaml", encoding: .utf8)
            #expect(text.contains("\"repoURL\": \"https://github.com/myuser/my-repo\""))
            // The file is a valid registration for validate (and the daemon).
            let validated = try run(Build.binary, ["validate", apps + "/my-app.yaml"])
            #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
            // Again: 409.
            try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: Self.json,
                body: ByteBuffer(string: Self.designBody)
            ) { response in
                #expect(response.status == .conflict)
                #expect((object(response.body)["error"] as? String)?.contains("use PUT") == true)
            }
        }
    }

    @Test func invalidBodiesAreRefusedWithEveryDiagnostic() async throws {
        try await app.test(.router) { client in
            let bad =
                #"{"name": "My_App", "namespace": "myuser", "source": {"repoURL": "https://h/o/r", "auth": {"token": "s3cret"}}, "pollInterval": "soon"}"#
            try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: Self.json, body: ByteBuffer(string: bad)
            ) { response in
                #expect(response.status == .badRequest)
                let doc = object(response.body)
                #expect(doc["error"] as? String == "invalid registration")
                let diagnostics = doc["diagnostics"] as? [[String: Any]] ?? []
                #expect(diagnostics.count >= 3)
                #expect(diagnostics.contains { ($0["field"] as? String) == "name" && ($0["line"] as? Int) == 1 })
                #expect(diagnostics.contains { ($0["field"] as? String)?.hasPrefix("source.auth") == true })
                #expect(!String(buffer: response.body).contains("s3cret"))
            }
            #expect((try FileManager.default.contentsOfDirectory(atPath: apps)).isEmpty)
            // Over 64 KiB: 413.
            let huge = String(repeating: " ", count: 70_000) + Self.designBody
            try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: Self.json, body: ByteBuffer(string: huge)
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
            // Not YAML at all.
            try await client.execute(
                uri: "/api/gitops/applications", method: .post, headers: Self.json, body: ByteBuffer(string: "{{{")
            ) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func putCreatesOrReplacesTheFileHoldingTheName() async throws {
        // A file with another name holds my-app: PUT replaces that one.
        try Data(Self.designBody.utf8).write(to: URL(fileURLWithPath: apps + "/by-hand.yaml"))
        try await app.test(.router) { client in
            let body = Self.designBody.replacingOccurrences(of: "\"main\"", with: "\"dev\"")
            try await client.execute(
                uri: "/api/gitops/applications/my-app", method: .put, headers: Self.json, body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(try String(contentsOfFile: apps + "/by-hand.yaml", encoding: .utf8).contains("\"dev\""))
            #expect(!FileManager.default.fileExists(atPath: apps + "/my-app.yaml"))
            // The path's name must be the body's.
            try await client.execute(
                uri: "/api/gitops/applications/other", method: .put, headers: Self.json, body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
            }
            let fresh = Self.designBody.replacingOccurrences(of: "my-app", with: "new-app")
            try await client.execute(
                uri: "/api/gitops/applications/new-app", method: .put, headers: Self.json,
                body: ByteBuffer(string: fresh)
            ) { response in
                #expect(response.status == .created)
            }
            #expect(FileManager.default.fileExists(atPath: apps + "/new-app.yaml"))
        }
    }

    @Test func getListsAndReadsTheStatusFiles() async throws {
        try layout.writeStatus(
            StatusDocument(
                name: "a", namespace: "n", source: .init(repoURL: "https://h/o/a", branch: "main", path: "."),
                status: .synced))
        try layout.writeStatus(
            StatusDocument(
                name: "b", namespace: "n", source: .init(repoURL: "https://h/o/b", branch: "main", path: "."),
                status: .error))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/gitops/applications", method: .get) { response in
                #expect(response.status == .ok)
                let doc = object(response.body)
                #expect(doc["total"] as? Int == 2)
                #expect((doc["applications"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a", "b"])
            }
            try await client.execute(uri: "/api/gitops/applications/b", method: .get) { response in
                #expect(response.status == .ok)
                #expect(object(response.body)["status"] as? String == "error")
            }
            try await client.execute(uri: "/api/gitops/applications/zzz", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(object(response.body)["error"] as? String == "no application named \"zzz\"")
            }
            try await client.execute(uri: "/api/gitops/applications/..", method: .get) { response in
                #expect(response.status != .ok)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func syncWritesTheRequestAndDeleteRemovesTheFile() async throws {
        try Data(Self.designBody.utf8).write(to: URL(fileURLWithPath: apps + "/my-app.yaml"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/gitops/applications/my-app/sync", method: .post) { response in
                #expect(response.status == .accepted)
            }
            #expect(FileManager.default.fileExists(atPath: layout.requestFile("my-app")))
            try await client.execute(uri: "/api/gitops/applications/nope/sync", method: .post) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/gitops/applications/my-app", method: .delete) { response in
                #expect(response.status == .accepted)
            }
            #expect(!FileManager.default.fileExists(atPath: apps + "/my-app.yaml"))
            try await client.execute(uri: "/api/gitops/applications/my-app", method: .delete) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func readinessAndMetricsComeFromTheFilesAndTheProcess() async throws {
        let readiness = Readiness()
        let process =
            "# TYPE zerverless_gitops_syncs_total counter\nzerverless_gitops_syncs_total{app=\"a\",result=\"synced\"} 1\n"
        try layout.writeStatus(
            StatusDocument(
                name: "a", namespace: "n", source: .init(repoURL: "https://h/o/a", branch: "main", path: "."),
                status: .synced, lastSync: Date(timeIntervalSince1970: 1_700_000_000)))
        let app = Application(
            router: Facade(appsDir: apps, layout: layout, processMetrics: { process }, readiness: readiness).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("first read of the apps dir"))
            }
            readiness.markScanned()
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(text.hasPrefix(process))
                #expect(text.contains("zerverless_gitops_applications{status=\"synced\"} 1"))
                #expect(text.contains("zerverless_gitops_applications{status=\"error\"} 0"))
                #expect(
                    text.contains(
                        "zerverless_gitops_last_successful_sync_timestamp_seconds{app=\"a\",namespace=\"n\"} 1700000000"
                    ))
            }
        }
        // Not ready when the apps dir cannot be read.
        try FileManager.default.removeItem(atPath: apps)
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }
}
