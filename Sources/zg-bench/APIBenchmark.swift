import AsyncHTTPClient
import Foundation
import HTTPFacade
import Hummingbird
import LocalServers
import Logging
import NIOCore
import NIOHTTP1
import State
import Toolkit

/// The REST facade with 1,000 applications: requests per second of
/// `GET /api/gitops/applications` and of one application's status, measured with wrk,
/// against nginx serving the same status files (and the same list, as one static JSON
/// file) in the same run.
enum APIBenchmark {
    static func run() async throws {
        let count = Int(ProcessInfo.processInfo.environment["ZG_BENCH_APPS"] ?? "") ?? 1000
        let seconds = ProcessInfo.processInfo.environment["ZG_BENCH_SECONDS"] ?? "5"
        let dir = try TempDir("zg-bench-api")
        let layout = StateLayout(root: dir.file("state"))
        let apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        for i in 0..<count {
            try layout.writeStatus(
                StatusDocument(
                    name: "app-\(i)", namespace: "ns\(i % 50)",
                    source: .init(
                        repoURL: "https://git.example.com/ns\(i % 50)/app-\(i)", branch: "main", path: ".",
                        commit: String(repeating: "0123456789abcdef", count: 3).prefix(40).description),
                    status: .synced, message: "1 function, 12 static files", lastSync: Date(), lastAttempt: Date(),
                    nextSync: Date().addingTimeInterval(300),
                    functions: [
                        .init(path: "/api/hello", runtime: "lua", url: "/ns\(i % 50)/api/hello", state: .deployed)
                    ],
                    static: .init(dir: "./static", files: 12, bytes: 40960),
                    registrationFile: "/etc/zerverless/apps.d/app-\(i).yaml"))
        }

        // Ours: the facade on Hummingbird, as `run --listen` serves it.
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let facade = Facade(appsDir: apps, layout: layout)
        let router = facade.router()
        // As the daemon runs it: the list kept live from the status feed.
        let following = Task { await facade.followStatus() }
        defer { following.cancel() }
        let liveBy = ContinuousClock.now + .seconds(60)
        while !facade.listIsLive && ContinuousClock.now < liveBy { try await Task.sleep(for: .milliseconds(10)) }
        let constant = ByteBuffer(string: "{}")
        router.get("/constant") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: constant))
        }
        let hot = HotReads(facade: facade)
        let guarded = ConnectionGuard()
        let app = Application(
            router: router,
            // As the daemon serves it: the connection guard behind the hot path.
            server: hot.server(.init(additionalChannelHandlers: [guarded.handler()])),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var port = 0
        for await p in ports {
            port = p
            break
        }
        let ours = "http://127.0.0.1:\(port)/api/gitops/applications"

        // nginx: the list as one static file (exactly our answer), the status files as they are.
        let listBody = try await fetch(ours)
        let docroot = dir.file("docroot")
        try FileManager.default.createDirectory(atPath: docroot, withIntermediateDirectories: true)
        try Data(listBody).write(to: URL(fileURLWithPath: docroot + "/list.json"))
        let (nginx, nginxPort) = try startNginx(dir: dir, docroot: docroot, stateRoot: layout.root)
        defer { nginx.stop() }
        let theirs = "http://127.0.0.1:\(nginxPort)/api/gitops/applications"
        // Same bytes from both.
        guard try await fetch(theirs) == listBody,
            try await fetch(theirs + "/app-7") == (try await fetch(ours + "/app-7"))
        else {
            throw CommandFailed(description: "nginx and the facade do not answer the same bytes")
        }
        // Paged (100 a page): the first page, and one in the middle of a walk (its continue
        // token taken from the walk); nginx serves each page as a file.
        var pages: [(String, String)] = [("GET ...applications?limit=100", "?limit=100")]
        var query = "?limit=100"
        for n in 1...max(1, count / 200) {
            let page = try JSONSerialization.jsonObject(with: Data(try await fetch(ours + query))) as? [String: Any]
            guard let token = page?["continue"] as? String else { break }
            query =
                "?limit=100&continue=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
            if n == max(1, count / 200) { pages.append(("GET ...?limit=100&continue=(middle)", query)) }
        }
        for (i, page) in pages.enumerated() {
            try Data(try await fetch(ours + page.1)).write(to: URL(fileURLWithPath: docroot + "/page\(i).json"))
        }

        // `ZG_BENCH_HOLD=SECONDS`: both servers left up that long, their addresses on stderr
        // (to profile or trace them by hand).
        if let hold = Double(ProcessInfo.processInfo.environment["ZG_BENCH_HOLD"] ?? "") {
            FileHandle.standardError.write(Data("ours: \(ours)\nnginx: \(theirs)\n".utf8))
            try await Task.sleep(for: .seconds(hold))
            return
        }
        print(
            "\(count) applications; list \(listBody.count / 1024) KiB; wrk -t2 -c32 -d\(seconds)s, best of \(ProcessInfo.processInfo.environment["ZG_BENCH_ROUNDS"] ?? "3") alternating runs; peer: nginx 1.22 (sendfile, 2 workers)"
        )
        print(pad("request", 40) + pad("ours req/s", 14) + pad("nginx req/s", 14) + "ratio  (target)")
        if ProcessInfo.processInfo.environment["ZG_BENCH_HEALTHZ"] != nil {
            print(
                "constant route (framework ceiling): "
                    + String(
                        format: "%.0f",
                        try wrk(ours.replacingOccurrences(of: "/api/gitops/applications", with: "/constant"), seconds)))
        }
        let nginxRoot = "http://127.0.0.1:\(nginxPort)"
        var cases = [
            ("GET /api/gitops/applications", ours, theirs),
            ("GET /api/gitops/applications/NAME", ours + "/app-7", theirs + "/app-7"),
        ]
        for (i, page) in pages.enumerated() {
            guard try await fetch(nginxRoot + "/page\(i)") == (try await fetch(ours + page.1)) else {
                throw CommandFailed(description: "nginx and the facade do not answer the same bytes for \(page.1)")
            }
            cases.append((page.0, ours + page.1, nginxRoot + "/page\(i)"))
        }
        let targets = [1.0, 0.8, 0.8, 0.8]
        // `ZG_BENCH_ONLY`: only the cases whose name contains it (to profile one).
        let only = ProcessInfo.processInfo.environment["ZG_BENCH_ONLY"]
        for (k, (name, mine, peer)) in cases.enumerated() where only.map({ name.contains($0) }) ?? true {
            let p = try pair(mine, peer, seconds, nginx: nginx.pid)
            let (o, n) = (p.ours, p.peer)
            let target = targets[min(k, targets.count - 1)]
            print(
                pad(name, 40) + pad(String(format: "%.0f", o), 14) + pad(String(format: "%.0f", n), 14)
                    + String(format: "%.2fx  (>= %.1fx %@)  ", o / n, target, o / n >= target ? "met" : "NOT met")
                    + p.cpuText)
        }

        // Under a live daemon: every status file rewritten once per poll interval
        // (`ZG_BENCH_POLL`, 60 s) by a writer thread, as polls do, while wrk runs; nginx
        // serves the same files (and the list and pages as they were).
        let poll = Double(ProcessInfo.processInfo.environment["ZG_BENCH_POLL"] ?? "") ?? 60
        if only != nil { return }
        let writer = StatusWriter(layout: layout, count: count, every: poll / Double(count))
        writer.start()
        defer { writer.stop() }
        print("under writes: every status file rewritten every \(Int(poll)) s (\(Int(Double(count) / poll)) writes/s)")
        for (name, mine, peer) in [cases[0]] + cases.dropFirst(2) {
            let before = writer.written
            let p = try pair(mine, peer, seconds, nginx: nginx.pid)
            let (o, n) = (p.ours, p.peer)
            print(
                pad(name, 40) + pad(String(format: "%.0f", o), 14) + pad(String(format: "%.0f", n), 14)
                    + String(
                        format: "%.2fx  (>= 0.5x %@; %d files written meanwhile)", o / n,
                        o / n >= 0.5 ? "met" : "NOT met",
                        writer.written - before) + "  " + p.cpuText)
        }
    }

    /// nginx serving `docroot/list.json` at /api/gitops/applications, `docroot/pageN.json`
    /// at /pageN and `stateRoot/apps/NAME/status.json` at /api/gitops/applications/NAME.
    static func startNginx(dir: TempDir, docroot: String, stateRoot: String) throws -> (ServerProcess, Int) {
        let nginxPort = freePort()
        let conf = dir.file("nginx.conf")
        try """
        worker_processes auto;
        pid \(dir.file("nginx.pid"));
        error_log \(dir.file("nginx-error.log"));
        events { worker_connections 1024; }
        http {
          access_log off;
          default_type application/json;
          sendfile on;
          client_body_temp_path \(dir.path); proxy_temp_path \(dir.path); fastcgi_temp_path \(dir.path);
          uwsgi_temp_path \(dir.path); scgi_temp_path \(dir.path);
          server {
            listen 127.0.0.1:\(nginxPort);
            location = /api/gitops/applications { root \(docroot); rewrite ^ /list.json break; }
            location ~ ^/page([0-9])$ { root \(docroot); rewrite ^/page([0-9])$ /page$1.json break; }
            location /api/gitops/applications/ { root \(stateRoot); rewrite ^/api/gitops/applications/([a-z0-9-]+)$ /apps/$1/status.json break; }
          }
        }
        """.write(toFile: conf, atomically: true, encoding: .utf8)
        let nginx = try ServerProcess(
            "nginx", executable: "/usr/sbin/nginx", arguments: ["-c", conf, "-p", dir.path, "-g", "daemon off;"],
            port: nginxPort, log: dir.file("nginx.log"))
        return (nginx, nginxPort)
    }

    static func fetch(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        guard response.status == .ok else { throw CommandFailed(description: "GET \(url): \(response.status)") }
        return Array(buffer: try await response.body.collect(upTo: 512 << 20))
    }

    /// Requests per second of ours and of the peer: the best of `ZG_BENCH_ROUNDS` (3)
    /// alternating runs each (one run of each, one after the other, moved by whatever else
    /// the machine did meanwhile by 10-30% on this 2-core machine); and each server's CPU
    /// time per answer over all the runs (µs: this process's, every nginx process's), which
    /// the client sharing the 2 cores does not blur.
    static func pair(_ mine: String, _ peer: String, _ seconds: String, nginx: pid_t) throws -> Pair {
        let rounds = Int(ProcessInfo.processInfo.environment["ZG_BENCH_ROUNDS"] ?? "") ?? 3
        let duration = Double(seconds) ?? 5
        var result = Pair()
        var cpu = (0.0, 0.0)
        var answers = (0.0, 0.0)
        for _ in 0..<max(1, rounds) {
            var before = DaemonBenchmark.cpuSeconds(getpid())
            let o = try wrk(mine, seconds)
            cpu.0 += DaemonBenchmark.cpuSeconds(getpid()) - before
            answers.0 += o * duration
            let group = [nginx] + children(of: nginx)
            before = group.map(DaemonBenchmark.cpuSeconds).reduce(0, +)
            let n = try wrk(peer, seconds)
            cpu.1 += group.map(DaemonBenchmark.cpuSeconds).reduce(0, +) - before
            answers.1 += n * duration
            result.ours = max(result.ours, o)
            result.peer = max(result.peer, n)
        }
        result.oursCPU = cpu.0 / max(answers.0, 1) * 1e6
        result.peerCPU = cpu.1 / max(answers.1, 1) * 1e6
        return result
    }

    struct Pair {
        var ours = 0.0
        var peer = 0.0
        /// CPU µs per answer.
        var oursCPU = 0.0
        var peerCPU = 0.0
        var cpuText: String { String(format: "CPU/answer %.1f vs %.1f us", oursCPU, peerCPU) }
    }

    static func children(of parent: pid_t) -> [pid_t] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return pids.filter { pid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return false }
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent
        }
    }

    static func wrk(_ url: String, _ seconds: String, connections: Int = 32) throws -> Double {
        let out = try LocalServers.run("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", url])
        guard out.status == 0,
            let line = out.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let value = Double(line.split(separator: " ").last ?? "")
        else {
            throw CommandFailed(description: "wrk \(url): \(out.stdout) \(out.stderr)")
        }
        if out.stdout.contains("Non-2xx") {
            throw CommandFailed(description: "wrk \(url): non-2xx answers\n\(out.stdout)")
        }
        return value
    }
}

/// Rewrites the status files one after the other at a steady rate, on a thread of its own
/// (the daemon's polls, as far as the facade can tell).
final class StatusWriter: @unchecked Sendable {
    let layout: StateLayout
    let count: Int
    let every: Double
    private let lock = NSLock()
    private var running = true
    private var done = 0
    var written: Int { lock.withLock { done } }

    init(layout: StateLayout, count: Int, every: Double) {
        self.layout = layout
        self.count = count
        self.every = every
    }

    func start() {
        Thread { [self] in
            var i = 0
            let start = Date()
            while lock.withLock({ running }) {
                let name = "app-\(i % count)"
                if var doc = try? layout.readStatus(name) {
                    doc.lastAttempt = Date()
                    try? layout.writeStatus(doc)
                }
                i += 1
                lock.withLock { done = i }
                let due = start.addingTimeInterval(Double(i) * every)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }.start()
    }

    func stop() { lock.withLock { running = false } }
}
