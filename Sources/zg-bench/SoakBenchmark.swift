import Foundation
import LocalServers

/// The daemon left running, as an operator leaves it (issue 23): ZG_BENCH_APPS (1,000)
/// applications of one monorepo polled every 60 s, ten more on a hung repository (accepts,
/// never answers), an operator receiver that fails every other delivery, a push every
/// 30 s and a registration removed and another added every 20 s, for ZG_BENCH_MINUTES
/// (20). Prints, per poll round, the daemon's CPU, resident memory, open descriptors,
/// threads and outbox size; the figure is the drift between the first and the last
/// rounds (flat is the goal).
enum SoakBenchmark {
    static func run() throws {
        let minutes = Double(ProcessInfo.processInfo.environment["ZG_BENCH_MINUTES"] ?? "") ?? 20
        let count = Int(ProcessInfo.processInfo.environment["ZG_BENCH_APPS"] ?? "") ?? 1000
        let dir = try TempDir("zg-bench-soak")
        let repos = dir.file("repos")
        let mono = dir.file("mono")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        // One file name per application: apps of a namespace publish into one folder.
        for i in 0..<count {
            try DaemonBenchmark.staticApp(
                mono + "/apps/a\(i)", name: "a\(i)", namespace: "ns\(i % 50)", file: "a\(i).html", content: "app \(i)\n"
            )
        }
        // Folders for the registrations that come and go (each its own file name).
        for k in 0..<20 {
            try DaemonBenchmark.staticApp(
                mono + "/churn/c\(k)", name: "c\(k)", namespace: "churn", file: "c\(k).html", content: "churn \(k)\n")
        }
        try git(["init", "-q", "-b", "main", mono])
        try git(["add", "-A"], cwd: mono)
        try git(["-c", "gc.auto=0", "commit", "-q", "-m", "mono"], cwd: mono)
        try git(["clone", "-q", "--bare", mono, repos + "/mono.git"])
        try git(["remote", "add", "origin", repos + "/mono.git"], cwd: mono)
        let server = try startGitDaemon(base: repos, dir: dir.path)
        let hung = try SilentListener()
        let receiver = try FlakyReceiver()
        let apps = dir.file("apps.d")
        let state = dir.file("state")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        let url = "git://127.0.0.1:\(server.port)/mono.git"
        for i in 0..<count {
            try Data(
                DaemonBenchmark.registration(
                    name: "a\(i)", namespace: "ns\(i % 50)", url: url, path: "apps/a\(i)", poll: "60s"
                ).utf8
            )
            .write(to: URL(fileURLWithPath: apps + "/a\(i).yaml"))
        }
        for i in 0..<10 {
            try Data(
                DaemonBenchmark.registration(
                    name: "hung\(i)", namespace: "hung", url: "git://127.0.0.1:\(hung.port)/x.git", poll: "60s"
                ).utf8
            )
            .write(to: URL(fileURLWithPath: apps + "/hung\(i).yaml"))
        }
        let daemon = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("daemon.log"),
            arguments: [
                "--log-level", "info", "--notify-url", "http://127.0.0.1:\(receiver.port)/hook",
                "--git-timeout", "10s", "--drift-interval", "5m",
            ])
        say("binary \(Build.binary); \(count) applications + 10 on a hung repository, poll 60 s, \(Int(minutes)) min")
        try DaemonBenchmark.spin(timeout: 900, "\(count) applications synced", interval: 0.5) {
            (0..<count).allSatisfy { DaemonBenchmark.phase(state, "a\($0)") == "synced" }
        }
        say("    setup done; sampling every poll round (60 s)")
        say(
            "    "
                + ["min", "cpu s/round", "rss MB", "fds", "threads", "outbox", "delivered", "refused"].map {
                    pad($0, 12)
                }.joined())
        let start = Date()
        var samples: [(cpu: Double, rss: Int, fds: Int, threads: Int, outbox: Int)] = []
        var lastCPU = DaemonBenchmark.cpuSeconds(daemon.pid)
        var pushes = 0
        var churn = 0
        var nextPush = start.addingTimeInterval(30)
        var nextChurn = start.addingTimeInterval(20)
        var nextSample = start.addingTimeInterval(60)
        while Date().timeIntervalSince(start) < minutes * 60 {
            let now = Date()
            if now >= nextPush {
                pushes += 1
                let i = pushes % count
                try Data("app \(i) push \(pushes)\n".utf8).write(
                    to: URL(fileURLWithPath: mono + "/apps/a\(i)/static/a\(i).html"))
                try git(["-c", "gc.auto=0", "commit", "-q", "-am", "push \(pushes)"], cwd: mono)
                _ = try git(["push", "-q", "origin", "main"], cwd: mono)
                nextPush = now.addingTimeInterval(30)
            }
            if now >= nextChurn {
                churn += 1
                unlink(apps + "/churn\(churn - 1).yaml")
                try Data(
                    DaemonBenchmark.registration(
                        name: "churn\(churn)", namespace: "churn", url: url, path: "churn/c\(churn % 20)",
                        poll: "60s"
                    ).utf8
                )
                .write(to: URL(fileURLWithPath: apps + "/churn\(churn).yaml"))
                nextChurn = now.addingTimeInterval(20)
            }
            if now >= nextSample {
                let cpu = DaemonBenchmark.cpuSeconds(daemon.pid)
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/fd").count) ?? 0
                let threads =
                    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/task").count) ?? 0
                let outbox = ((try? FileManager.default.contentsOfDirectory(atPath: state + "/outbox")) ?? []).filter {
                    $0.hasSuffix(".json")
                }.count
                let sample = (cpu - lastCPU, DaemonBenchmark.memoryKB(daemon.pid, "VmRSS") / 1024, fds, threads, outbox)
                samples.append(sample)
                lastCPU = cpu
                say(
                    "    "
                        + [
                            String(samples.count), String(format: "%.2f", sample.0), String(sample.1), String(sample.2),
                            String(sample.3),
                            String(sample.4), String(receiver.delivered), String(receiver.refused),
                        ].map { pad($0, 12) }.joined())
                nextSample = now.addingTimeInterval(60)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        guard let first = samples.first, let last = samples.last else { return }
        say(
            "    first -> last round: cpu \(String(format: "%.2f -> %.2f s", first.cpu, last.cpu)), rss \(first.rss) -> \(last.rss) MB, fds \(first.fds) -> \(last.fds), threads \(first.threads) -> \(last.threads), outbox \(first.outbox) -> \(last.outbox)"
        )
        say(
            "    \(pushes) pushes, \(churn) registrations replaced, \(receiver.delivered) deliveries answered 200 and \(receiver.refused) answered 500; daemon alive: \(daemon.exited() == nil)"
        )
        _ = (server, hung)
    }
}

/// An HTTP receiver on loopback that answers 500 to every other request.
final class FlakyReceiver: Sendable {
    let port: Int
    private let process: ServerProcess
    private let counts: String
    private let dir: TempDir

    init() throws {
        dir = try TempDir("zg-bench-receiver")
        port = freePort()
        counts = dir.file("counts")
        let script = """
            import http.server, sys
            n = [0, 0]
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    ok = (n[0] + n[1]) % 2 == 0
                    n[0 if ok else 1] += 1
                    open(sys.argv[2], 'w').write(f'{n[0]} {n[1]}')
                    self.send_response(200 if ok else 500); self.end_headers()
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        let file = try dir.write("receiver.py", script)
        process = try ServerProcess(
            "receiver", executable: "/usr/bin/python3", arguments: [file, String(port), counts], port: port,
            log: dir.file("receiver.log"))
    }

    private var read: [Int] {
        ((try? String(contentsOfFile: counts, encoding: .utf8)) ?? "0 0").split(separator: " ").compactMap { Int($0) }
    }
    var delivered: Int { read.first ?? 0 }
    var refused: Int { read.dropFirst().first ?? 0 }
}

/// A line on standard output at once (print is buffered when the output is a file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
