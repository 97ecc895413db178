import Foundation
import Synchronization

/// Every change of a status file under `STATE/apps/`, from any process (the daemon, a
/// second daemon on the same state, a script), through inotify on the apps folder and on
/// each application's folder: the REST API's event stream and `status --watch` read it.
/// One thread per feed blocks in poll(2); subscribers get changes through AsyncStreams,
/// and a heartbeat every `heartbeat` so that idle streams stay open through proxies.
public final class StatusFeed: Sendable {
    public enum Change: Sendable {
        /// An application's status file was written: its bytes as they are now.
        case status(name: String, namespace: String, bytes: [UInt8])
        /// Its state folder went away (the application was undeployed and forgotten).
        case deleted(name: String)
        case heartbeat
    }

    public let layout: StateLayout
    public let heartbeat: Duration
    private struct Subscribers {
        var next = 0
        var all: [Int: AsyncStream<Change>.Continuation] = [:]
    }
    private let subscribers = Mutex(Subscribers())
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)

    public init(layout: StateLayout, heartbeat: Duration = .seconds(15)) {
        self.layout = layout
        self.heartbeat = heartbeat
    }

    /// A stream of changes from now on; ended by `cancel` or when the consumer stops.
    public func subscribe() -> AsyncStream<Change> {
        startIfNeeded()
        let (stream, continuation) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: .bufferingNewest(4096))
        let id = subscribers.withLock { s -> Int in
            s.next += 1
            s.all[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { _ = $0.all.removeValue(forKey: id) }
        }
        return stream
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func broadcast(_ change: Change) {
        for c in subscribers.withLock({ Array($0.all.values) }) { c.yield(change) }
    }

    private func startIfNeeded() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        // Why a thread: the inotify loop blocks in poll(2) for the feed's whole life (to be
        // replaced by the one folder watcher the renovation plans).
        Thread.detachNewThread { [self] in self.loop() }
    }

    // MARK: The inotify thread

    private func loop() {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { return }
        defer { close(fd) }
        var folders: [Int32: String] = [:]  // watch descriptor -> application name ("" for apps/)
        var appsWatch: Int32 = -1
        let appMask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF)
        func watchApp(_ name: String) {
            let wd = inotify_add_watch(fd, layout.appDir(name), appMask)
            if wd >= 0 { folders[wd] = name }
        }
        var lastBeat = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !stopped.load(ordering: .relaxed) {
            if appsWatch < 0 {
                // The apps folder appears with the daemon's first status: looked for each second.
                appsWatch = inotify_add_watch(fd, layout.appsDir, UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR))
                if appsWatch >= 0 {
                    folders[appsWatch] = ""
                    for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? []
                    where !name.hasPrefix(".") { watchApp(name) }
                }
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 1000)
            if ContinuousClock.now - lastBeat >= heartbeat {
                lastBeat = ContinuousClock.now
                broadcast(.heartbeat)
            }
            guard ready > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { continue }
            var offset = 0
            var changed = Set<String>()
            while offset + MemoryLayout<inotify_event>.size <= n {
                let (wd, mask, length, name) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int, String) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let start = offset + MemoryLayout<inotify_event>.size
                    let bytes = raw[start..<(start + Int(event.len))].prefix { $0 != 0 }
                    return (event.wd, event.mask, Int(event.len), String(decoding: bytes, as: UTF8.self))
                }
                offset += MemoryLayout<inotify_event>.size + length
                guard let owner = folders[wd] else { continue }
                if owner.isEmpty {
                    if mask & UInt32(IN_ISDIR) != 0, !name.hasPrefix(".") {
                        watchApp(name)
                        changed.insert(name)  // its status may be there already
                    }
                } else if mask & UInt32(IN_DELETE_SELF) != 0 {
                    folders[wd] = nil
                    broadcast(.deleted(name: owner))
                } else if name == "status.json" {
                    changed.insert(owner)
                } else if mask & UInt32(IN_IGNORED) != 0 {
                    folders[wd] = nil
                }
            }
            for name in changed.sorted() {
                guard let data = FileManager.default.contents(atPath: layout.statusFile(name)),
                    let doc = try? JSONDecoder().decode(NamespaceOnly.self, from: data)
                else { continue }
                broadcast(.status(name: name, namespace: doc.namespace, bytes: Array(data)))
            }
        }
    }

    private struct NamespaceOnly: Decodable { var namespace: String }
}
