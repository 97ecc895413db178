import Foundation
import Synchronization
import Toolkit

/// Every change of a status file under `STATE/apps/`, from any process (the daemon, a
/// second daemon on the same state, a script), through the process's one folder watcher
/// (`FolderWatcher`) on the apps folder and on each application's folder: the REST API's
/// event stream and `status --watch` read it. Started by the first subscriber; subscribers
/// get changes through AsyncStreams, and a heartbeat every `heartbeat` on the given clock
/// so that idle streams stay open through proxies.
public final class StatusFeed: Sendable {
    public enum Change: Sendable {
        /// An application's status file was written: its bytes as they are now.
        case status(name: String, namespace: String, bytes: [UInt8])
        /// Its state folder went away (the application was undeployed and forgotten).
        case deleted(name: String)
        /// Its folder could not be watched (inotify's watch limit, say): its changes will not
        /// be reported (a cache that relies on the feed stops relying on it).
        case unwatched(name: String)
        case heartbeat
    }

    public let layout: StateLayout
    public let heartbeat: Duration
    private let clock: DaemonClock
    private struct Subscribers {
        var next = 0
        var all: [Int: AsyncStream<Change>.Continuation] = [:]
        var tasks: [Task<Void, Never>] = []
        var started = false
        /// The watch is in place (the apps folder and each application's folder, or the
        /// state dir until the apps folder appears); subscribers waiting for it.
        var ready = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let subscribers = Mutex(Subscribers())

    public init(layout: StateLayout, heartbeat: Duration = .seconds(15), clock: DaemonClock = .system) {
        self.layout = layout
        self.heartbeat = heartbeat
        self.clock = clock
    }

    /// A stream of changes from now on; ended by `cancel` or when the consumer stops.
    /// Returns once the feed's watches are in place: a status written after this call is
    /// in the stream (what was written before is the caller's to read).
    /// `buffering`: what a subscriber that falls behind loses (the newest 4,096 are kept;
    /// a cache that must see every change asks for `.unbounded`).
    public func subscribe(
        buffering: AsyncStream<Change>.Continuation.BufferingPolicy = .bufferingNewest(4096)
    ) async -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: buffering)
        let (id, start) = subscribers.withLock { s -> (Int, Bool) in
            s.next += 1
            s.all[s.next] = continuation
            defer { s.started = true }
            return (s.next, !s.started)
        }
        continuation.onTermination = { [weak self] _ in
            self?.subscribers.withLock { _ = $0.all.removeValue(forKey: id) }
        }
        if start {
            // Two tasks for the feed's life (until `stop`): the watch, and the heartbeat.
            let watch = Task<Void, Never> { [weak self] in await self?.watch() }
            let beat = Task { [weak self, clock, heartbeat] in
                while !Task.isCancelled {
                    do { try await clock.sleep(heartbeat) } catch { return }
                    self?.broadcast(.heartbeat)
                }
            }
            subscribers.withLock { $0.tasks = [watch, beat] }
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = subscribers.withLock { s -> Bool in
                if s.ready { return true }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
        return stream
    }

    /// The watch is in place (or cannot be, the feed being stopped): subscribers go on.
    private func markReady() {
        let waiting = subscribers.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.ready = true
            defer { s.waiting = [] }
            return s.waiting
        }
        waiting.forEach { $0.resume() }
    }

    /// Ends the feed's watch and heartbeat, and every subscriber's stream.
    public func stop() {
        markReady()
        let (tasks, all) = subscribers.withLock { s in
            defer {
                s.tasks = []
                s.all = [:]
            }
            return (s.tasks, Array(s.all.values))
        }
        tasks.forEach { $0.cancel() }
        all.forEach { $0.finish() }
    }

    private func broadcast(_ change: Change) {
        for c in subscribers.withLock({ Array($0.all.values) }) { c.yield(change) }
    }

    // MARK: The watch

    private func watch() async {
        let subscription = FolderWatcher.shared.subscribe()
        defer {
            subscription.cancel()
            markReady()
        }
        let appsDir = layout.appsDir
        var apps = Set<String>()
        /// Watches the apps folder and each application's folder; false when the apps
        /// folder is not there (yet: it appears with the daemon's first status).
        func watchAll() async -> Bool {
            do {
                try await subscription.watch(appsDir)
            } catch {
                return false
            }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: appsDir)) ?? []
            where !name.hasPrefix(".") && !apps.contains(name) {
                if (try? await subscription.watch(layout.appDir(name))) != nil {
                    apps.insert(name)
                } else if isFolder(layout.appDir(name)) {
                    broadcast(.unwatched(name: name))
                }
            }
            return true
        }
        /// Until the apps folder exists: its parent is watched, or looked at each second
        /// on the clock when even that is missing.
        func waitForAppsDir() async -> Bool {
            while !Task.isCancelled {
                if await watchAll() { return true }
                if (try? await subscription.watch(layout.root)) != nil {
                    // Created between the two calls: no event will say so.
                    _ = await watchAll()
                    return true
                }
                // Not even the state dir: nothing can be written there until it is made.
                markReady()
                do { try await clock.sleep(.seconds(1)) } catch { return false }
            }
            return false
        }
        guard await waitForAppsDir() else { return }
        markReady()
        let iterator = subscription.events
        for await event in iterator {
            guard !Task.isCancelled else { return }
            switch event {
            case .changed(let dir, let name), .created(let dir, let name):
                if dir == layout.root {
                    if name == "apps" { _ = await watchAll() }
                } else if dir == appsDir {
                    guard !name.hasPrefix("."), !apps.contains(name) else { continue }
                    var isDir: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: layout.appDir(name), isDirectory: &isDir),
                        isDir.boolValue
                    else { continue }
                    guard (try? await subscription.watch(layout.appDir(name))) != nil else {
                        if isFolder(layout.appDir(name)) { broadcast(.unwatched(name: name)) }
                        continue
                    }
                    apps.insert(name)
                    report(name)  // its status may be there already
                } else if name == "status.json", let app = application(of: dir) {
                    report(app)
                }
            case .rescan(let dir):
                if dir == appsDir {
                    if !(await watchAll()), !(await waitForAppsDir()) { return }
                    for app in apps.sorted() { report(app) }
                } else if dir == layout.root {
                    _ = await watchAll()
                } else if let app = application(of: dir) {
                    if (try? await subscription.watch(dir)) != nil {
                        report(app)
                    } else if isFolder(dir) {
                        broadcast(.unwatched(name: app))
                    } else {
                        apps.remove(app)
                        broadcast(.deleted(name: app))
                    }
                }
            }
        }
    }

    /// A folder that is there (a watch that failed on one is a watch that is missing).
    private func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    private func application(of dir: String) -> String? {
        let prefix = layout.appsDir + "/"
        guard dir.hasPrefix(prefix) else { return nil }
        let name = String(dir.dropFirst(prefix.count))
        return name.isEmpty || name.contains("/") ? nil : name
    }

    private func report(_ name: String) {
        guard let data = FileManager.default.contents(atPath: layout.statusFile(name)) else { return }
        let bytes = Array(data)
        guard
            let namespace = TopLevelJSON.fields(bytes, strings: ["namespace"])?.strings["namespace"]
                ?? (try? JSONDecoder().decode(NamespaceOnly.self, from: data))?.namespace
        else { return }
        broadcast(.status(name: name, namespace: namespace, bytes: bytes))
    }

    private struct NamespaceOnly: Decodable { var namespace: String }
}
