import Foundation
import LocalServers

/// The daemon end to end (the release binary), against the git CLI in the same run:
///  (a) a registration file renamed into the apps dir -> status `synced`, for
///      examples/hello-app served by git daemon, vs `git clone` of the same repository;
///  (b) 1,000 registered, unchanged applications (ZG_BENCH_APPS), from one repository,
///      without shared head lookups, and from 100 repositories (ZG_BENCH_REPOS): the
///      daemon's CPU per poll round (median of ZG_BENCH_ROUNDS, 5), a restart round (CPU,
///      wall), peak and idle memory, vs `git ls-remote` once per application.
enum DaemonBenchmark {
    static func run() throws {
        let dir = try TempDir("zg-bench-daemon")
        let repos = dir.file("repos")
        try FileManager.default.createDirectory(atPath: repos, withIntermediateDirectories: true)
        let root = FileManager.default.currentDirectoryPath
        let hello = dir.file("hello-src")
        try FileManager.default.copyItem(atPath: root + "/examples/hello-app", toPath: hello)
        try git(["init", "-q", "-b", "main", hello])
        try git(["add", "-A"], cwd: hello)
        try git(["commit", "-q", "-m", "hello-app"], cwd: hello)
        try git(["clone", "-q", "--bare", hello, repos + "/hello.git"])
        let server = try startGitDaemon(base: repos, dir: dir.path)
        let helloURL = "git://127.0.0.1:\(server.port)/hello.git"
        print("binary \(Build.binary); git daemon on 127.0.0.1:\(server.port); peer: \(try git(["--version"]))")

        // (a) rename -> synced, a fresh state dir per run (so every run fetches), vs git clone.
        var ours: [Double] = []
        var peer: [Double] = []
        var syncMs: [Double] = []
        for n in 0..<7 {
            let apps = dir.file("a\(n)/apps.d")
            let state = dir.file("a\(n)/state")
            try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
            let daemon = try DaemonProcess(
                appsDir: apps, stateDir: state, logFile: dir.file("a\(n)/daemon.log"),
                arguments: ["--log-level", "info"])
            // A running daemon: started, its tools probed.
            try waitUntil(timeout: .seconds(30), "the daemon to start") { daemon.log.contains(" INFO tools ") }
            let temp = apps + "/.hello.yaml.tmp"
            try Data(registration(name: "hello-app", namespace: "demo", url: helloURL).utf8).write(
                to: URL(fileURLWithPath: temp))
            let status = state + "/apps/hello-app/status.json"
            let t0 = Date()
            guard rename(temp, apps + "/hello.yaml") == 0 else { throw CommandFailed(description: "rename failed") }
            try spin(timeout: 60, "hello-app synced") {
                guard let data = FileManager.default.contents(atPath: status) else { return false }
                return String(decoding: data, as: UTF8.self).contains("\"status\" : \"synced\"")
            }
            let elapsed = Date().timeIntervalSince(t0)
            let t1 = Date()
            _ = try git([
                "clone", "-q", "--single-branch", "--no-tags", "-b", "main", helloURL, dir.file("a\(n)/clone"),
            ])
            let cloned = Date().timeIntervalSince(t1)
            if n > 0 {  // the first run builds the Docker image of hello-app; the others find it
                ours.append(elapsed)
                peer.append(cloned)
                syncMs.append(Double(lastAttemptMs(state, "hello-app") ?? 0))
            }
            try daemon.stop()
        }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        print(
            pad("(a) rename -> synced, hello-app", 40) + pad(formatSeconds(median(ours)), 12)
                + pad(formatSeconds(median(peer)) + " clone", 18)
                + String(
                    format: "%.2fx  (<= 0.8x %@)", median(ours) / median(peer),
                    median(ours) / median(peer) <= 0.8 ? "met" : "NOT met"))
        print(
            "    of which the sync itself (history durationMs): \(Int(median(syncMs))) ms; the rest is inotify, the apps dir scan and the status write"
        )

        // (b) 1,000 unchanged applications (ZG_BENCH_APPS), from one repository and from
        // 100 repositories (ZG_BENCH_REPOS).
        let count = Int(ProcessInfo.processInfo.environment["ZG_BENCH_APPS"] ?? "") ?? 1000
        let repoCount = Int(ProcessInfo.processInfo.environment["ZG_BENCH_REPOS"] ?? "") ?? 100
        let rounds = Int(ProcessInfo.processInfo.environment["ZG_BENCH_ROUNDS"] ?? "") ?? 5
        guard count > 0 else { return }  // ZG_BENCH_APPS=0: (a) only
        let mono = dir.file("mono-src")
        try FileManager.default.createDirectory(atPath: mono, withIntermediateDirectories: true)
        for i in 0..<count {
            try staticApp(
                mono + "/apps/a\(i)", name: "a\(i)", namespace: "ns\(i)", file: "index.html", content: "app \(i)\n")
        }
        try git(["init", "-q", "-b", "main", mono])
        try git(["add", "-A"], cwd: mono)
        // No gc in the background while it is cloned.
        try git(["-c", "gc.auto=0", "commit", "-q", "-m", "mono"], cwd: mono)
        try git(["clone", "-q", "--bare", mono, repos + "/mono.git"])
        for r in 0..<repoCount { try git(["clone", "-q", "--bare", mono, repos + "/r\(r).git"]) }
        let monoURL = "git://127.0.0.1:\(server.port)/mono.git"
        let apps = dir.file("b/apps.d")
        let state = dir.file("b/state")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        func register(_ url: (Int) -> String) throws {
            for i in 0..<count {
                try Data(
                    registration(name: "a\(i)", namespace: "ns\(i)", url: url(i), path: "apps/a\(i)", poll: "20s").utf8
                )
                .write(to: URL(fileURLWithPath: apps + "/a\(i).yaml"))
            }
        }
        try register { _ in monoURL }
        let first = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("b/first.log"), arguments: ["--log-level", "info"])
        let t0 = Date()
        try spin(timeout: 900, "\(count) applications synced", interval: 0.2) {
            (0..<count).allSatisfy { phase(state, "a\($0)") == "synced" }
        }
        let setup = Date().timeIntervalSince(t0)
        print("    setup: \(count) applications synced from scratch in \(formatSeconds(setup))")

        // Steady state: with a 20 s poll interval (±10%), every application is looked at
        // once in the next ~22 s (head lookup, unchanged, status rewritten: a write time
        // after the round began; not its inode: with 10,000 files a rewrite often gets an
        // earlier inode number back). A round ends when every application was seen; a
        // window that long sees a few applications twice, so the figure errs high.
        func round(_ daemon: DaemonProcess) throws -> Double {
            let start = nowNanoseconds()
            var pending = Set(0..<count)
            let cpu0 = cpuSeconds(daemon.pid)
            try spin(timeout: 120, "a poll round over \(count) applications", interval: 0.05) {
                pending = pending.filter { modifiedNanoseconds(state, "a\($0)") <= start }
                return pending.isEmpty
            }
            return cpuSeconds(daemon.pid) - cpu0
        }
        // The first round after setup still carries setup work (the last syncs, their
        // writes): it is not counted. Then the median of `rounds`.
        func steadyRounds(_ daemon: DaemonProcess) throws -> [Double] {
            _ = try round(daemon)
            return try (0..<rounds).map { _ in try round(daemon) }
        }
        func syncs(_ daemon: DaemonProcess) -> Int {
            daemon.log.split(separator: "\n").filter { $0.contains(" INFO sync ") }.count
        }
        let shared = try steadyRounds(first)
        let syncedInRounds = syncs(first) - count
        try first.stop()

        // A restart is a round too: every application is looked at at once (startup with
        // `count` unchanged applications). This daemon shares no head lookups
        // (--head-cache 0s): one ls-remote per application, as if each had its own repository.
        let restartStart = nowNanoseconds()
        var restartPending = Set(0..<count)
        let second = try DaemonProcess(
            appsDir: apps, stateDir: state, logFile: dir.file("b/second.log"),
            arguments: ["--log-level", "info", "--head-cache", "0s"])
        let r0 = Date()
        try spin(timeout: 900, "the restart round over \(count) applications", interval: 0.05) {
            restartPending = restartPending.filter { modifiedNanoseconds(state, "a\($0)") <= restartStart }
            return restartPending.isEmpty
        }
        let restartWall = Date().timeIntervalSince(r0)
        let restartCPU = cpuSeconds(second.pid)
        let unshared = try steadyRounds(second)
        let peak = memoryKB(second.pid, "VmHWM")
        // Idle: measured once the CPU time stopped moving for a second (between rounds).
        var last = cpuSeconds(second.pid)
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 1)
            let now = cpuSeconds(second.pid)
            if now - last < 0.01 { break }
            last = now
        }
        let idle = memoryKB(second.pid, "VmRSS")
        let syncedInRestart = syncs(second)
        try second.stop()

        // The same applications spread over `repoCount` repositories (copies of the one):
        // each registration changes, so each application syncs once from its new
        // repository; then the steady rounds.
        var many: [Double] = []
        var syncedInMany = 0
        if repoCount > 0 {
            try register { "git://127.0.0.1:\(server.port)/r\($0 % repoCount).git" }
            let third = try DaemonProcess(
                appsDir: apps, stateDir: state, logFile: dir.file("b/third.log"), arguments: ["--log-level", "info"])
            try spin(timeout: 900, "\(count) applications moved to \(repoCount) repositories", interval: 0.2) {
                (0..<count).allSatisfy {
                    (status(state, "a\($0)")?["source"] as? [String: Any])?["repoURL"] as? String != monoURL
                        && phase(state, "a\($0)") == "synced"
                }
            }
            let moved = syncs(third)
            many = try steadyRounds(third)
            syncedInMany = syncs(third) - moved
            try third.stop()
        }

        // The peer: `git ls-remote` runs (at most 1,000, scaled to `count`: each run costs
        // the same; 10,000 of them would take ~9 minutes of wall time).
        let peerRuns = min(count, 1000)
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let childCPU0 = seconds(usage.ru_utime) + seconds(usage.ru_stime)
        let p0 = Date()
        for _ in 0..<peerRuns {
            _ = try git(["ls-remote", monoURL, "refs/heads/main"])
        }
        let scale = Double(count) / Double(peerRuns)
        let peerWall = Date().timeIntervalSince(p0) * scale
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let peerCPU = (seconds(usage.ru_utime) + seconds(usage.ru_stime) - childCPU0) * scale

        func mid(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.sorted()[xs.count / 2] }
        func list(_ xs: [Double]) -> String { xs.map { String(format: "%.2f", $0) }.joined(separator: " ") }
        let peerName = "\(count) x git ls-remote" + (scale > 1 ? " (\(peerRuns) run, x\(Int(scale)))" : "")
        print(pad("(b) \(count) unchanged apps", 40) + pad("ours (median of \(rounds))", 24) + pad(peerName, 24))
        for (name, xs) in [
            ("poll round CPU, one repository", shared), ("poll round CPU, \(repoCount) repositories", many),
            ("poll round CPU, no shared lookups", unshared),
        ] where !xs.isEmpty {
            let ratio = mid(xs) / peerCPU
            print(
                pad("    " + name, 40) + pad(formatSeconds(mid(xs)), 24) + pad(formatSeconds(peerCPU), 24)
                    + String(format: "%.2fx  (<= 0.2x %@)", ratio, ratio <= 0.2 ? "met" : "NOT met")
                    + "  rounds: \(list(xs)) s")
        }
        print(
            pad("    restart round CPU (incl. startup)", 40) + pad(formatSeconds(restartCPU), 24)
                + pad(formatSeconds(peerCPU), 24)
                + String(format: "%.2fx", restartCPU / peerCPU))
        print(
            pad("    restart round wall", 40) + pad(formatSeconds(restartWall), 24)
                + pad(formatSeconds(peerWall) + " (one at a time)", 24)
                + String(format: "%.2fx", restartWall / peerWall))
        print(pad("    peak memory (VmHWM)", 40) + "\(peak / 1024) MB")
        print(
            pad("    idle resident memory (VmRSS)", 40)
                + "\(idle / 1024) MB  (<= 200 MB \(idle / 1024 <= 200 ? "met" : "NOT met"))")
        print(
            pad("    syncs during the rounds", 40)
                + "\(syncedInRounds) + \(syncedInRestart) + \(syncedInMany) (0 expected: nothing changed)")
    }

    /// A folder with a manifest of one static file.
    static func staticApp(_ folder: String, name: String, namespace: String, file: String, content: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/static", withIntermediateDirectories: true)
        try Data(
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  static: {dir: static}\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: folder + "/zerverless.yaml"))
        try Data(content.utf8).write(to: URL(fileURLWithPath: folder + "/static/" + file))
    }

    static func registration(name: String, namespace: String, url: String, path: String = ".", poll: String = "1h")
        -> String
    {
        "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: \(name), namespace: \(namespace)}\nspec:\n  source: {repoURL: \"\(url)\", branch: main, path: \(path)}\n  pollInterval: \(poll)\n"
    }

    /// Polls a condition every `interval` seconds (1 ms by default: the measurement's
    /// resolution) until it holds.
    static func spin(timeout: Double, _ what: String, interval: Double = 0.001, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: interval)
        }
        throw CommandFailed(description: "timed out waiting for \(what)")
    }

    static func status(_ state: String, _ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(state)/apps/\(name)/status.json") else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func phase(_ state: String, _ name: String) -> String? { status(state, name)?["status"] as? String }
    static func modifiedNanoseconds(_ state: String, _ name: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: "\(state)/apps/\(name)/status.json")
        return Int64(((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1e9)
    }

    static func nowNanoseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    static func lastAttemptMs(_ state: String, _ name: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: "\(state)/apps/\(name)/history.json"),
            let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let attempts = doc["attempts"] as? [[String: Any]]
        else { return nil }
        return attempts.first?["durationMs"] as? Int
    }

    /// utime + stime of a process, from /proc/PID/stat.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
    }

    static func memoryKB(_ pid: pid_t, _ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
}
