import AsyncHTTPClient
import Foundation
import LocalServers
import State
import Sync
import Synchronization
import TestSupport
import Toolkit

/// Health (issue 26), the release binary against the contract server that runs functions:
///  (a) a webhook for a commit whose function answers 500 -> the previous healthy commit
///      deployed again and healthy (checks: 3 retries 1 s apart), against the same webhook
///      for a good commit -> `healthy`;
///  (b) one round of periodic checks of 1,000 unchanged applications (one function each,
///      the daemon's HTTP probe, 32 at a time as the daemon's looks) against 1,000 `curl`
///      runs of the same URLs: CPU (user + system), ours in this process, curl's in its
///      children; the URLs served by `python3 -m http.server` (its CPU counts for neither).
enum HealthBenchmark {
    static func manifest(status: Int, version: Int) -> String {
        """
        apiVersion: zerverless.io/v1
        kind: Application
        metadata: {name: shop, namespace: web}
        spec:
          health: {initialDelay: 0s, interval: 1s, retries: 3, deadline: 60s}
          functions:
            - path: /api/hello
              runtime: lua
              code: |
                function handle(req) return {status=\(status), body="v\(version)"} end
              health: {expect: 2xx}

        """
    }

    static func run() async throws {
        let dir = try TempDir("zg-bench-health")
        let server = try await ContractServer.start()
        guard server.state.withLock({ $0.interpreters["lua"] }) != nil else {
            throw BenchFailure("lua5.4 is missing: the contract server cannot run the function")
        }
        let repo = try GitRepo(
            root: dir.file("repos"), name: "shop", files: ["zerverless.yaml": manifest(status: 200, version: 0)])
        let gitd = try startGitDaemon(base: dir.file("repos"), dir: dir.path)
        let url = "git://127.0.0.1:\(gitd.port)/shop.git"
        let apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        let secret = "bench-webhook-secret"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: dir.file("hook.secret")))
        try Data(
            (DaemonBenchmark.registration(name: "shop", namespace: "web", url: url)
                + "  syncPolicy: {autoRollback: true}\n").utf8
        ).write(to: URL(fileURLWithPath: apps + "/shop.yaml"))
        let state = dir.file("state")
        let daemon = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("daemon.log"),
            arguments: [
                "--target", server.base, "--health-interval", "0", "--listen", "127.0.0.1:0",
                "--webhook-secret-file", dir.file("hook.secret"), "--log-level", "info",
            ])
        defer { _ = try? daemon.stop() }
        func health() -> [String: Any]? { DaemonBenchmark.status(state, "shop")?["health"] as? [String: Any] }
        func healthy(at commit: String) -> Bool {
            health()?["status"] as? String == "healthy" && health()?["commit"] as? String == commit
                && DaemonBenchmark.status(state, "shop")?["pinned"] == nil
        }
        var good = try repo.head()
        try DaemonBenchmark.spin(timeout: 60, "healthy at the first commit") { healthy(at: good) }
        var port = 0
        try DaemonBenchmark.spin(timeout: 30, "the daemon to listen") {
            for line in daemon.log.split(separator: "\n") where line.contains(" INFO listening ") {
                if let r = line.range(of: "address=127.0.0.1:") {
                    port = Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
                }
            }
            return port != 0
        }
        func webhook() throws {
            let body = "{\"repoURL\": \"\(url)\", \"branch\": \"main\"}"
            let bodyFile = dir.file("push.json")
            try Data(body.utf8).write(to: URL(fileURLWithPath: bodyFile))
            guard
                let digest = capture("/usr/bin/openssl", ["dgst", "-sha256", "-hmac", secret, bodyFile])?
                    .split(separator: " ").last.map({ String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
            else { throw BenchFailure("openssl failed") }
            guard
                capture(
                    "/usr/bin/curl",
                    [
                        "-sf", "-X", "POST", "http://127.0.0.1:\(port)/api/gitops/webhook", "-H",
                        "X-Zerverless-Signature: sha256=\(digest)", "-H", "Content-Type: application/json",
                        "--data-binary", "@" + bodyFile,
                    ]) != nil
            else { throw BenchFailure("the webhook was refused") }
        }
        print("health: the release binary, the contract server running lua (\(server.base)), git daemon")

        // (a) bad -> rolled back and healthy again; good -> healthy.
        var bad: [Double] = []
        var fine: [Double] = []
        for round in 1...3 {
            _ = try repo.commit(["zerverless.yaml": manifest(status: 500, version: round)], message: "bad \(round)")
            var t = Date()
            try webhook()
            try DaemonBenchmark.spin(timeout: 120, "rolled back (round \(round))") {
                let pinned = DaemonBenchmark.status(state, "shop")?["pinned"] as? [String: Any]
                return pinned?["automatic"] as? Bool == true && pinned?["commit"] as? String == good
                    && health()?["status"] as? String == "healthy" && health()?["commit"] as? String == good
            }
            bad.append(Date().timeIntervalSince(t))
            good = try repo.commit(["zerverless.yaml": manifest(status: 200, version: round)], message: "good \(round)")
            t = Date()
            try webhook()
            try DaemonBenchmark.spin(timeout: 120, "the fix healthy (round \(round))") { healthy(at: good) }
            fine.append(Date().timeIntervalSince(t))
        }
        func med(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        print("  webhook -> healthy, a good commit             \(formatSeconds(med(fine)))   (median of 3)")
        print(
            "  webhook -> rolled back and healthy, a bad one  \(formatSeconds(med(bad)))   ratio \(String(format: "%.1fx", med(bad) / med(fine)))   (a failing round and 3 retries 1 s apart, then the rollback's sync and its checks)"
        )

        // (b) one periodic round over 1,000 applications vs curl.
        let root = dir.file("www")
        let count = 1000
        var checks: [HealthPlan.Check] = []
        let www = try startStaticServer(root: root, count: count, dir: dir)
        defer { www.stop() }
        for i in 0..<count {
            checks.append(
                .init(name: "/api/hello", url: "http://127.0.0.1:\(www.port)/ns\(i)/api/hello", method: "GET"))
        }
        let probe = HTTPHealthProbe()
        _ = await probe.run(checks[0])  // connection pool warmed, as in a running daemon
        var oursCPU: [Double] = []
        var oursWall: [Double] = []
        var curlCPU: [Double] = []
        var curlWall: [Double] = []
        for _ in 0..<3 {
            let before = DriftBenchmark.cpu(RUSAGE_SELF.rawValue)
            let t = ContinuousClock.now
            let passed = await withTaskGroup(of: Bool.self) { group in
                var next = 0
                var ok = 0
                func add() {
                    let check = checks[next]
                    next += 1
                    group.addTask { await probe.run(check).result == .pass }
                }
                while next < min(32, checks.count) { add() }
                for await pass in group {
                    if pass { ok += 1 }
                    if next < checks.count { add() }
                }
                return ok
            }
            guard passed == count else { throw BenchFailure("only \(passed) of \(count) checks passed") }
            oursWall.append((ContinuousClock.now - t).seconds)
            oursCPU.append(DriftBenchmark.cpu(RUSAGE_SELF.rawValue) - before)

            let beforeCurl = DriftBenchmark.cpu(RUSAGE_CHILDREN.rawValue)
            let t2 = ContinuousClock.now
            let list = dir.file("urls")
            try Data(checks.map(\.url).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: list))
            guard
                let out = capture(
                    "/bin/sh",
                    [
                        "-c",
                        "xargs -P 32 -n 1 curl -s -o /dev/null -w '%{http_code}\\n' < \(list) | grep -c '^200$'",
                    ]),
                Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) == count
            else { throw BenchFailure("curl did not get 200 from every URL") }
            curlWall.append((ContinuousClock.now - t2).seconds)
            curlCPU.append(DriftBenchmark.cpu(RUSAGE_CHILDREN.rawValue) - beforeCurl)
        }
        print("  one periodic round, \(count) apps (one check each, 32 at a time):")
        print(
            "    curl, one run per URL (xargs -P 32)   CPU \(formatSeconds(med(curlCPU)))   wall \(formatSeconds(med(curlWall)))"
        )
        print(
            "    zerverless-gitops' probe              CPU \(formatSeconds(med(oursCPU)))   wall \(formatSeconds(med(oursWall)))   ratio \(String(format: "%.3fx", med(oursCPU) / med(curlCPU)))"
        )
        print("    (medians of 3; the probe's requests only, not the status writes of a round)")
        _ = server
    }

    /// `python3 -m http.server` over `count` files `ns{i}/api/hello` (answering 200).
    static func startStaticServer(root: String, count: Int, dir: TempDir) throws -> ServerProcess {
        for i in 0..<count {
            let folder = root + "/ns\(i)/api"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("ok\n".utf8).write(to: URL(fileURLWithPath: folder + "/hello"))
        }
        let port = freePort()
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let python else { throw BenchFailure("python3 is missing") }
        return try ServerProcess(
            "python3 http.server", executable: python,
            arguments: ["-m", "http.server", "--bind", "127.0.0.1", "--directory", root, "\(port)"], port: port,
            log: dir.file("http-server.log"))
    }
}
