import Crypto
import Foundation
import LocalServers

/// Application sets (issue 27), the release binary against git daemon on loopback:
/// one set whose `gitDirectories` generator expands the 1,000 folders (ZG_BENCH_APPS) of
/// a monorepo, from the push's webhook to every application synced, against the peer:
/// the same 1,000 applications registered as 1,000 files in the apps dir, from the first
/// file written to every application synced. Same repository, namespace and daemon options.
enum SetsBenchmark {
    static func run() throws {
        let count = Int(ProcessInfo.processInfo.environment["ZG_BENCH_APPS"] ?? "") ?? 1000
        let dir = try TempDir("zg-bench-sets")
        let repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let src = dir.file("mono-src")
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        try Data("monorepo\n".utf8).write(to: URL(fileURLWithPath: src + "/README.md"))
        try git(["init", "-q", "-b", "main", src])
        try git(["add", "-A"], cwd: src)
        try git(["-c", "gc.auto=0", "commit", "-q", "-m", "empty"], cwd: src)
        try git(["clone", "-q", "--bare", src, repos + "/mono.git"])
        let server = try startGitDaemon(base: repos, dir: dir.path)
        let url = "git://127.0.0.1:\(server.port)/mono.git"
        print("binary \(Build.binary); git daemon on 127.0.0.1:\(server.port); \(count) folders")
        let options = [
            "--log-level", "info", "--max-apps-per-namespace", "\(count + 10)", "--max-apps-per-set", "\(count)",
            "--listen", "127.0.0.1:0", "--webhook-secret-file", try secret(dir),
        ]
        func allSynced(_ state: String) -> Bool {
            (0..<count).allSatisfy { DaemonBenchmark.phase(state, "a\($0)") == "synced" }
        }

        // (a) The set: listed once (no folders yet), then the push of 1,000 folders and its webhook.
        let setApps = dir.file("set/apps.d")
        let setState = dir.file("set/state")
        try FileManager.default.createDirectory(atPath: setApps, withIntermediateDirectories: true)
        try Data(setFile(url: url, count: count).utf8).write(to: URL(fileURLWithPath: setApps + "/mono.yaml"))
        let first = try DaemonProcess(
            appsDir: setApps, stateDir: setState, logFile: dir.file("set/daemon.log"), arguments: options)
        try DaemonBenchmark.spin(timeout: 60, "the set listed", interval: 0.01) {
            FileManager.default.fileExists(atPath: setState + "/sets/mono/status.json")
        }
        for i in 0..<count {
            try DaemonBenchmark.staticApp(
                src + "/apps/a\(i)", name: "a\(i)", namespace: "mono", file: "a\(i).html", content: "app \(i)\n")
        }
        try git(["add", "-A"], cwd: src)
        try git(["-c", "gc.auto=0", "commit", "-q", "-m", "\(count) services"], cwd: src)
        try git(["push", "-q", repos + "/mono.git", "main"], cwd: src)
        let port = try listening(first)
        let t0 = Date()
        try webhook(port: port, url: url, dir: dir)
        try DaemonBenchmark.spin(timeout: 900, "\(count) applications of the set synced", interval: 0.1) {
            allSynced(setState)
        }
        let bySet = Date().timeIntervalSince(t0)
        let setCPU = DaemonBenchmark.cpuSeconds(first.pid)
        let setPhases = phases(first.log, since: t0)
        try first.stop()

        // (b) The peer: the same applications as registration files.
        let fileApps = dir.file("files/apps.d")
        let fileState = dir.file("files/state")
        try FileManager.default.createDirectory(atPath: fileApps, withIntermediateDirectories: true)
        let second = try DaemonProcess(
            appsDir: fileApps, stateDir: fileState, logFile: dir.file("files/daemon.log"), arguments: options)
        _ = try listening(second)
        let t1 = Date()
        for i in 0..<count {
            let text = DaemonBenchmark.registration(name: "a\(i)", namespace: "mono", url: url, path: "apps/a\(i)")
            let temp = fileApps + "/.a\(i).yaml.tmp"
            try Data(text.utf8).write(to: URL(fileURLWithPath: temp))
            guard rename(temp, fileApps + "/a\(i).yaml") == 0 else { throw CommandFailed(description: "rename") }
        }
        try DaemonBenchmark.spin(timeout: 900, "\(count) registered applications synced", interval: 0.1) {
            allSynced(fileState)
        }
        let byFiles = Date().timeIntervalSince(t1)
        let fileCPU = DaemonBenchmark.cpuSeconds(second.pid)
        let filePhases = phases(second.log, since: t1)
        try second.stop()

        print(
            pad("(a) webhook -> \(count) apps of a set synced", 46) + pad(formatSeconds(bySet), 12)
                + pad(String(format: "cpu %.2f s", setCPU), 16))
        print(
            pad("(b) \(count) registration files -> synced", 46) + pad(formatSeconds(byFiles), 12)
                + pad(String(format: "cpu %.2f s", fileCPU), 16))
        print(String(format: "    set / files: %.2fx wall, %.2fx daemon CPU", bySet / byFiles, setCPU / fileCPU))
        print("    set:   \(setPhases)")
        print("    files: \(filePhases)")
    }

    static func setFile(url: String, count: Int) -> String {
        """
        apiVersion: zerverless.io/v1
        kind: ApplicationSet
        metadata: {name: mono, namespace: mono}
        spec:
          interval: 1h
          limits: {maxApplications: \(min(count, 1000))}
          generators:
            - gitDirectories: {repoURL: "\(url)", branch: main, pattern: "apps/*"}
          template:
            name: "{{path.basename}}"
            source: {repoURL: "\(url)", branch: main, path: "{{path}}"}
            pollInterval: 1h

        """
    }

    /// From the log: when the first application was registered, the first and the last
    /// sync ended, after `start`.
    static func phases(_ log: String, since start: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func time(_ line: Substring) -> Double? {
            guard let stamp = line.split(separator: " ").first, let date = formatter.date(from: String(stamp)) else {
                return nil
            }
            return date.timeIntervalSince(start)
        }
        let lines = log.split(separator: "\n")
        let registered = lines.compactMap { $0.contains("registration loaded") ? time($0) : nil }.filter { $0 >= 0 }
        let synced = lines.compactMap { $0.contains(" INFO sync ") ? time($0) : nil }.filter { $0 >= 0 }
        func f(_ x: Double?) -> String { x.map { String(format: "%.2f s", $0) } ?? "-" }
        return
            "first registered \(f(registered.first)), last registered \(f(registered.last)), first sync \(f(synced.first)), last sync \(f(synced.last))"
    }

    static let secretText = "bench-webhook-secret"

    /// The port the daemon listens on, from its log.
    static func listening(_ daemon: DaemonProcess) throws -> Int {
        var port = 0
        try DaemonBenchmark.spin(timeout: 30, "the daemon to listen", interval: 0.01) {
            for line in daemon.log.split(separator: "\n") where line.contains(" INFO listening ") {
                if let r = line.range(of: "address=127.0.0.1:") {
                    port = Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
                }
            }
            return port != 0
        }
        return port
    }

    static func secret(_ dir: TempDir) throws -> String {
        let path = dir.file("webhook.secret")
        try Data((secretText + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A GitHub push delivery for the repository, signed with the operator's secret.
    static func webhook(port: Int, url: String, dir: TempDir) throws {
        let payload = #"{"ref": "refs/heads/main", "repository": {"clone_url": "\#(url)"}}"#
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(payload.utf8), using: SymmetricKey(data: Array(secretText.utf8))
        ).map { String(format: "%02x", $0) }.joined()
        let out = try LocalServers.run(
            "/usr/bin/curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                "-H", "X-Hub-Signature-256: sha256=\(mac)", "--data-binary", payload,
                "http://127.0.0.1:\(port)/api/gitops/webhook",
            ])
        guard out.stdout == "202" else { throw CommandFailed(description: "webhook answered \(out.stdout)") }
    }
}
