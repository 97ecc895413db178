import AsyncHTTPClient
import Foundation
import HTTPFacade
import Hummingbird
import LocalServers
import Logging
import NIOCore
import NIOHTTP1
import State
import Synchronization
import Toolkit

/// Events latency: from the start of a status file's write (temporary file, rename into
/// place, as the daemon writes it) to
/// the document arriving at a client of `GET /api/gitops/events` (the REST facade as
/// `run --listen` serves it), against `inotifywait -m -r` (inotify-tools) printing the same
/// renames: the floor any inotify-fed stream has. 100 applications; 300 writes, one at a
/// time (the next once the previous one arrived).
enum EventsBenchmark {
    static func run() async throws {
        let dir = try TempDir("zg-bench-events")
        let layout = StateLayout(root: dir.file("state"))
        let apps = dir.file("apps.d")
        try FileManager.default.createDirectory(atPath: apps, withIntermediateDirectories: true)
        func doc(_ i: Int, _ seq: Int) -> StatusDocument {
            StatusDocument(
                name: "app-\(i)", namespace: "ns\(i % 10)",
                source: .init(
                    repoURL: "https://git.example.com/ns/app-\(i)", branch: "main", path: ".",
                    commit: String(repeating: "ab", count: 20)),
                status: .synced, message: "seq \(seq)", lastSync: Date(), lastAttempt: Date(),
                nextSync: Date().addingTimeInterval(300),
                functions: [.init(path: "/api/hello", runtime: "lua", url: "/ns/api/hello", state: .deployed)])
        }
        for i in 0..<100 { try layout.writeStatus(doc(i, -1)) }
        let writes = 300

        // Ours.
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let app = Application(
            router: Facade(appsDir: apps, layout: layout).router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var port = 0
        for await p in ports {
            port = p
            break
        }
        let (seen, seenContinuation) = AsyncStream.makeStream(of: Int.self)
        let reader = Task {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/gitops/events")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
            var pending = ""
            for try await chunk in response.body {
                pending += String(buffer: chunk)
                while let end = pending.range(of: "\n\n") {
                    let event = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    if let r = event.range(of: "\"message\" : \"seq ") {
                        let digits = event[r.upperBound...].prefix(while: { $0.isNumber || $0 == "-" })
                        if let n = Int(digits) { seenContinuation.yield(n) }
                    }
                }
            }
        }
        defer { reader.cancel() }
        var iterator = seen.makeAsyncIterator()
        for _ in 0..<100 { _ = await iterator.next() }  // the initial documents (seq -1)
        var ours: [Double] = []
        for seq in 0..<writes {
            let t = ContinuousClock.now
            try layout.writeStatus(doc(seq % 100, seq), durable: false)
            while let n = await iterator.next(), n != seq {}
            ours.append((ContinuousClock.now - t).seconds)
        }

        // inotifywait on the same folder, its lines read as they come.
        guard
            let pipe = popen(
                "echo $$; exec stdbuf -oL inotifywait -m -r -q -e moved_to --format '%w%f' \(layout.appsDir) 2>/dev/null",
                "r")
        else {
            throw BenchFailure("cannot start inotifywait")
        }
        let lines = Mutex<[String]>([])
        let ready = DispatchSemaphore(value: 0)
        // `@unchecked`: a raw FILE pointer, handed to the one reader thread and used only there.
        struct Handle: @unchecked Sendable { let file: UnsafeMutablePointer<FILE> }
        let handle = Handle(file: pipe)
        let thread = Thread {
            let pipe = handle.file
            var line: UnsafeMutablePointer<CChar>?
            var size = 0
            while getline(&line, &size, pipe) > 0 {
                lines.withLock { $0.append(String(cString: line!)) }
                ready.signal()
            }
        }
        thread.start()
        guard ready.wait(timeout: .now() + .seconds(5)) == .success,
            let pid = lines.withLock({ $0.first.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } })
        else {
            throw BenchFailure("inotifywait did not start")
        }
        lines.withLock { $0.removeAll() }
        // Watches are set up once a first write is seen.
        var warmed = false
        for _ in 0..<50 where !warmed {
            try layout.writeStatus(doc(0, -2), durable: false)
            warmed = ready.wait(timeout: .now() + .milliseconds(200)) == .success
        }
        guard warmed else { throw BenchFailure("inotifywait printed nothing") }
        while ready.wait(timeout: .now() + .milliseconds(100)) == .success {}
        lines.withLock { $0.removeAll() }
        var peer: [Double] = []
        for seq in 0..<writes {
            let name = "app-\(seq % 100)"
            let t = ContinuousClock.now
            try layout.writeStatus(doc(seq % 100, seq), durable: false)
            var got = false
            while !got {
                guard ready.wait(timeout: .now() + .seconds(5)) == .success else {
                    throw BenchFailure("inotifywait stalled at write \(seq)")
                }
                got = lines.withLock { l in
                    let hit = l.contains { $0.contains("/\(name)/status.json") }
                    l.removeAll()
                    return hit
                }
            }
            peer.append((ContinuousClock.now - t).seconds)

        }
        // The reader thread holds the stream's lock in getline: the stream is left to the
        // process's exit, inotifywait is killed.
        kill(pid, SIGKILL)

        func pct(_ xs: [Double], _ p: Double) -> Double { xs.sorted()[min(xs.count - 1, Int(Double(xs.count) * p))] }
        print("events latency: status write begins -> seen by the client (\(writes) writes, 100 apps)")
        print(
            "  inotifywait -m -r          median \(formatSeconds(pct(peer, 0.5)))   p99 \(formatSeconds(pct(peer, 0.99)))"
        )
        print(
            "  GET /api/gitops/events     median \(formatSeconds(pct(ours, 0.5)))   p99 \(formatSeconds(pct(ours, 0.99)))   ratio \(String(format: "%.2fx", pct(ours, 0.5) / pct(peer, 0.5)))"
        )
    }
}
