import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// The REST API and /metrics as machines read them: schemathesis against the OpenAPI
/// document the daemon serves (every endpoint, every answer must match it, no 5xx), and
/// Prometheus's promtool over /metrics.
@Suite(.serialized) struct MachineClientsTests {
    static let admin = "admin-token-0123456789"

    func daemon(_ name: String) throws -> (World, DaemonProcess, Int) {
        let w = try World(name)
        let repo = try GitRepo(root: w.reposDir, name: "site", files: siteFiles(namespace: "web"))
        try w.write("site.yaml", registration("site", namespace: "web", url: w.url("site", port: try w.serve())))
        let tokens = try w.dir.write("tokens", "\(Self.admin) *\nweb-token-0123456789ab web\n")
        try FileManager.default.createDirectory(atPath: w.dir.file("secrets"), withIntermediateDirectories: true)
        let d = try w.daemon([
            "--listen", "127.0.0.1:0", "--api-tokens-file", tokens, "--secrets-dir", w.dir.file("secrets"),
            "--webhook-secret-file", try w.dir.write("hook.secret", "hook-secret-0123456789\n"),
        ])
        try d.waitFor("site", "synced", commit: try repo.head())
        return (w, d, try listeningPort(d))
    }

    @Test func theServedDocumentIsTheOneInEtc() async throws {
        let (w, d, port) = try daemon("openapi-doc")
        defer { withExtendedLifetime((w, d)) {} }
        let served = try await text("http://127.0.0.1:\(port)/api/gitops/openapi.json")
        let file = try String(contentsOfFile: Build.packageRoot + "/etc/zerverless/openapi.json", encoding: .utf8)
        #expect(served == file.trimmingCharacters(in: .newlines) + "\n" || served + "\n" == file || served == file)
    }

    @Test func schemathesisFindsEveryAnswerInTheDocument() throws {
        let tool = Build.packageRoot + "/.build/tools/bin/schemathesis"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            Issue.record("schemathesis is not installed: make deps-test installs it in .build/tools")
            return
        }
        let (w, d, port) = try daemon("schemathesis")
        let out = try run(
            tool,
            [
                "run", "http://127.0.0.1:\(port)/api/gitops/openapi.json",
                "--url", "http://127.0.0.1:\(port)",
                "-H", "Authorization: Bearer \(Self.admin)",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
                "--phases", "examples,coverage,fuzzing", "-n", "30", "--seed", "1",
                // The event stream never ends; EventStreamTests read it.
                "--exclude-path", "/api/gitops/events",
            ],
            environment: ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }, cwd: w.dir.path)
        #expect(out.status == 0, "\(out.stdout.suffix(6000))\n\(out.stderr.suffix(2000))")
        #expect(d.exited() == nil)
    }

    @Test func promtoolFindsNothingToSayAboutTheMetrics() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            Issue.record("promtool is not installed (Debian's prometheus package; make deps-test installs it)")
            return
        }
        let (w, d, port) = try daemon("promtool")
        defer { withExtendedLifetime((w, d)) {} }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(Self.admin)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let metrics = String(buffer: try await response.body.collect(upTo: 1 << 22))
        #expect(metrics.contains("zerverless_gitops_app_info{app=\"site\",namespace=\"web\",status=\"synced\""))
        #expect(metrics.contains("zerverless_gitops_build_info{version="))
        #expect(metrics.contains("process_resident_memory_bytes "))
        let out = try run("/usr/bin/promtool", ["check", "metrics"], input: Data(metrics.utf8))
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.isEmpty && out.stderr.isEmpty, "\(out.stdout)\(out.stderr)")
    }
}
