import Foundation
import LocalServers
import Toolkit

/// 100,000 applications on one host (ZG_BENCH_APPS, default 100,000), one repository per
/// 100 applications (each its namespace), served by git daemon; the release binary with
/// `--listen`:
///  - setup: the registration files already there, the daemon started -> every
///    application synced (wall, daemon CPU);
///  - a poll round (ZG_BENCH_POLL, 60 s per application): daemon CPU until every
///    application was looked at once, against `git ls-remote` once per application
///    (scaled from 200 runs);
///  - memory (resident in the steady state, peak), threads, fds, inotify watches;
///  - REST: one status, the whole list, a page of 100, against nginx serving the same
///    files in the same run (wrk);
///  - a restart: SIGTERM -> exited, then started -> /readyz, -> every application looked
///    at (wall, CPU).
enum ScaleBenchmark {
    static func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let count = Int(env["ZG_BENCH_APPS"] ?? "") ?? 100_000
        let poll = Int(env["ZG_BENCH_POLL"] ?? "") ?? 60
        let seconds = env["ZG_BENCH_SECONDS"] ?? "3"
        let perRepo = 100
        let repoCount = (count + perRepo - 1) / perRepo
        let dir = try TempDir("zg-bench-scale")
        let repos = dir.file("repos")
        let t0 = Date()
        // Repository r: folders apps/a0...a99, each a manifest of namespace ns<r> and one
        // static file (a working tree: git daemon serves its .git).
        for r in 0..<repoCount {
            let repo = repos + "/r\(r)"
            for j in 0..<perRepo {
                try DaemonBenchmark.staticApp(
                    repo + "/apps/a\(j)", name: "a\(j)", namespace: "ns\(r)", file: "a\(j).html",
                    content: "app \(r) \(j)\n")
            }
            try git(["init", "-q", "-b", "main", repo])
            try git(["add", "-A"], cwd: repo)
            try git(["-c", "gc.auto=0", "commit", "-q", "-m", "apps"], cwd: repo)
        }
        let server = try startGitDaemon(base: repos, dir: dir.path)
        let apps = dir.file("apps.d")
        let state = dir.file("state")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        for i in 0..<count {
            let (r, j) = (i / perRepo, i % perRepo)
            try Data(
                DaemonBenchmark.registration(
                    name: "a\(i)", namespace: "ns\(r)", url: "git://127.0.0.1:\(server.port)/r\(r)",
                    path: "apps/a\(j)", poll: "\(poll)s"
                ).utf8
            ).write(to: URL(fileURLWithPath: apps + "/a\(i).yaml"))
        }
        say(
            "\(count) applications in \(repoCount) repositories (git daemon on 127.0.0.1:\(server.port)); made in \(formatSeconds(Date().timeIntervalSince(t0))); poll interval \(poll) s"
        )
        let listen = freePort()
        let base = "http://127.0.0.1:\(listen)"
        let arguments = ["--log-level", "info", "--listen", "127.0.0.1:\(listen)"]

        // Setup: every application synced from scratch.
        let first = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("first.log"), arguments: arguments)
        let log = LogCounter(dir.file("first.log"), " INFO sync ")
        let s0 = Date()
        try DaemonBenchmark.spin(timeout: 3600, "\(count) applications synced", interval: 1) {
            if first.exited() != nil {
                throw CommandFailed(description: "the daemon exited: \(first.log.suffix(2000))")
            }
            return log.count() >= count
        }
        let setupWall = Date().timeIntervalSince(s0)
        let setupCPU = DaemonBenchmark.cpuSeconds(first.pid)
        let notSynced = (0..<count).filter { DaemonBenchmark.phase(state, "a\($0)") != "synced" }
        guard notSynced.isEmpty else {
            throw CommandFailed(description: "\(notSynced.count) applications not synced, e.g. a\(notSynced[0])")
        }
        say(
            pad("setup: all synced", 44) + pad(formatSeconds(setupWall), 12)
                + "daemon CPU \(formatSeconds(setupCPU)), peak memory \(DaemonBenchmark.memoryKB(first.pid, "VmHWM") / 1024) MB"
        )

        // A poll round: until every status file was rewritten after the round began (the
        // first round after setup is not counted: it still carries setup's last writes).
        func round(_ daemon: DaemonProcess) throws -> (cpu: Double, wall: Double) {
            let start = DaemonBenchmark.nowNanoseconds()
            let w0 = Date()
            let cpu0 = DaemonBenchmark.cpuSeconds(daemon.pid)
            var pending = Array(0..<count)
            try DaemonBenchmark.spin(timeout: Double(poll) * 5 + 600, "a poll round", interval: 1) {
                pending = pending.filter { modified(state, "a\($0)") <= start }
                return pending.isEmpty
            }
            return (DaemonBenchmark.cpuSeconds(daemon.pid) - cpu0, Date().timeIntervalSince(w0))
        }
        let syncsBefore = log.count()
        _ = try round(first)
        let steady = try round(first)
        let syncsInRounds = log.count() - syncsBefore
        let resident = DaemonBenchmark.memoryKB(first.pid, "VmRSS")
        let peak = DaemonBenchmark.memoryKB(first.pid, "VmHWM")
        let (fds, watches) = descriptors(first.pid)
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(first.pid)/task").count) ?? 0

        // The peer: git ls-remote per application (200 runs, scaled).
        let peerRuns = min(count, 200)
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let child0 = DaemonBenchmark.seconds(usage.ru_utime) + DaemonBenchmark.seconds(usage.ru_stime)
        for k in 0..<peerRuns {
            _ = try git(["ls-remote", "git://127.0.0.1:\(server.port)/r\(k % repoCount)", "refs/heads/main"])
        }
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let peerCPU =
            (DaemonBenchmark.seconds(usage.ru_utime) + DaemonBenchmark.seconds(usage.ru_stime) - child0)
            * Double(count) / Double(peerRuns)
        let ratio = steady.cpu / peerCPU
        say(
            pad("poll round CPU (shared head lookups)", 44) + pad(formatSeconds(steady.cpu), 12)
                + pad("\(count) x git ls-remote \(formatSeconds(peerCPU))", 34)
                + String(format: "%.3fx  (<= 0.1x %@)", ratio, ratio <= 0.1 ? "met" : "NOT met")
                + "  round wall \(formatSeconds(steady.wall)); syncs \(syncsInRounds) (0 expected)")
        say(
            pad("memory resident / peak", 44) + "\(resident / 1024) MB / \(peak / 1024) MB  (<= 1 GB "
                + (resident <= 1 << 20 ? "met" : "NOT met") + "); threads \(threads), fds \(fds), inotify watches "
                + "\(watches) of \(limit("/proc/sys/fs/inotify/max_user_watches"))")

        // REST against nginx serving the same files.
        try await rest(dir: dir, state: state, base: base, seconds: seconds)

        // A restart.
        let stop0 = Date()
        try first.stop(SIGTERM, timeout: .seconds(600))
        let stopWall = Date().timeIntervalSince(stop0)
        let restartStart = DaemonBenchmark.nowNanoseconds()
        let r0 = Date()
        let second = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("second.log"), arguments: arguments)
        try DaemonBenchmark.spin(timeout: 600, "/readyz", interval: 0.05) {
            if second.exited() != nil {
                throw CommandFailed(description: "the daemon exited: \(second.log.suffix(2000))")
            }
            return (try? LocalServers.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", base + "/readyz"]).status) == 0
        }
        let ready = Date().timeIntervalSince(r0)
        var pending = Array(0..<count)
        try DaemonBenchmark.spin(timeout: 3600, "the restart round", interval: 1) {
            pending = pending.filter { modified(state, "a\($0)") <= restartStart }
            return pending.isEmpty
        }
        let restartWall = Date().timeIntervalSince(r0)
        let restartCPU = DaemonBenchmark.cpuSeconds(second.pid)
        let restartSyncs = LogCounter(dir.file("second.log"), " INFO sync ").count()
        say(
            pad("restart: SIGTERM -> exited", 44) + formatSeconds(stopWall) + "; started -> /readyz "
                + formatSeconds(ready) + "; -> every application looked at " + formatSeconds(restartWall)
                + " (CPU \(formatSeconds(restartCPU)), syncs \(restartSyncs), 0 expected)")
        try second.stop(SIGTERM, timeout: .seconds(600))
    }

    static func rest(dir: TempDir, state: String, base: String, seconds: String) async throws {
        let ours = base + "/api/gitops/applications"
        let listBody = try await APIBenchmark.fetch(ours)
        let docroot = dir.file("docroot")
        try FileManager.default.createDirectory(atPath: docroot, withIntermediateDirectories: true)
        try Data(listBody).write(to: URL(fileURLWithPath: docroot + "/list.json"))
        let page = try await APIBenchmark.fetch(ours + "?limit=100")
        try Data(page).write(to: URL(fileURLWithPath: docroot + "/page0.json"))
        // nginx's workers cannot read the state dir (0700): a copy of the one status file.
        try FileManager.default.createDirectory(atPath: docroot + "/apps/a7", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: state + "/apps/a7/status.json", toPath: docroot + "/apps/a7/status.json")
        let (nginx, nginxPort) = try APIBenchmark.startNginx(dir: dir, docroot: docroot, stateRoot: docroot)
        defer { nginx.stop() }
        let theirs = "http://127.0.0.1:\(nginxPort)"
        let list = try? JSONSerialization.jsonObject(with: Data(listBody))
        let listed = (list as? [String: Any])?["applications"] as? [Any]
        say(
            "REST: list \(listBody.count >> 20) MiB, \(listed?.count ?? -1) items; wrk -t2 -d\(seconds)s (-c32, the list -c4); nginx (sendfile, 2 workers), the daemon polling meanwhile"
        )
        for (name, mine, peer, connections, target) in [
            ("GET /api/gitops/applications/NAME", ours + "/a7", theirs + "/api/gitops/applications/a7", 32, 0.5),
            ("GET /api/gitops/applications?limit=100", ours + "?limit=100", theirs + "/page0", 32, 0.5),
            ("GET /api/gitops/applications", ours, theirs + "/api/gitops/applications", 4, 0.5),
        ] {
            let o = try APIBenchmark.wrk(mine, seconds, connections: connections)
            let n = try APIBenchmark.wrk(peer, seconds, connections: connections)
            say(
                pad(name, 44) + pad(String(format: "%.1f req/s", o), 16) + pad(String(format: "nginx %.1f", n), 18)
                    + String(format: "%.2fx  (>= %.1fx %@)", o / n, target, o / n >= target ? "met" : "NOT met"))
        }
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The status file's modification time (ns), by stat(2).
    static func modified(_ state: String, _ name: String) -> Int64 {
        let stamp = FileStamp.of("\(state)/apps/\(name)/status.json")
        return stamp.count == 4 ? Int64(stamp[2]) * 1_000_000_000 + Int64(stamp[3]) : 0
    }

    static func limit(_ file: String) -> String {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Open descriptors and inotify watches of a process (/proc/PID/fd, fdinfo).
    static func descriptors(_ pid: pid_t) -> (fds: Int, watches: Int) {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        var watches = 0
        for fd in fds {
            guard let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { continue }
            watches += info.split(separator: "\n").count { $0.hasPrefix("inotify wd:") }
        }
        return (fds.count, watches)
    }
}

/// Counts lines holding a text in a growing log, reading only what was appended.
final class LogCounter {
    let path: String
    let text: String
    private var offset: UInt64 = 0
    private var counted = 0
    private var rest = Data()

    init(_ path: String, _ text: String) {
        self.path = path
        self.text = text
    }

    func count() -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return counted }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = handle.readDataToEndOfFile()
        offset += UInt64(data.count)
        rest.append(data)
        guard let last = rest.lastIndex(of: UInt8(ascii: "\n")) else { return counted }
        let whole = String(decoding: rest[rest.startIndex...last], as: UTF8.self)
        rest = Data(rest[rest.index(after: last)...])
        counted += whole.split(separator: "\n").count { $0.contains(text) }
        return counted
    }
}
