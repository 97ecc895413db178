import Foundation
import Logging
import Manifest
import State
import ServiceLifecycle
import UnixSignals
import Sync

/// The daemon's composition root: the apps dir and the requests dir watched through
/// inotify, one scheduling record per application, syncs run at most `concurrency` at
/// a time. Triggers (startup, registration change, sync request, poll timer, retry) set an
/// application due; a due application that is already syncing runs once more afterwards
/// (coalesced, never twice at once).
public actor Supervisor {
    public struct Configuration: Sendable {
        public var appsDir: String
        public var concurrency: Int
        public var removalGrace: Double
        /// The safety-net rescan of both folders (inotify is the fast path).
        public var rescanInterval: Double
        /// Events of the apps dir are collected this long before it is read.
        public var debounce: Double
        /// Looks (head lookup, then maybe a sync) running at once; the syncs themselves take
        /// one of `concurrency` slots after the lookup (SyncContext.syncSlots).
        public var looks: Int
        /// Looks of one namespace running at once: one tenant's hung repositories hold at
        /// most this many, whatever their number.
        public var namespaceLooks: Int

        public init(appsDir: String, concurrency: Int = 4, removalGrace: Double = 60, rescanInterval: Double = 30,
                    debounce: Double = 0.05) {
            self.appsDir = appsDir
            self.concurrency = max(1, concurrency)
            self.removalGrace = removalGrace
            self.rescanInterval = rescanInterval
            self.debounce = debounce
            self.looks = max(32, 4 * self.concurrency)
            self.namespaceLooks = 4
        }
    }

    struct App {
        var entry: AppEntry?
        /// When the application is looked at next (poll, retry, removal).
        var due: Date?
        /// Why it must be looked at as soon as a slot is free.
        var urgent: String?
        var running = false
        var failures = 0
        /// Set when the registration went away: undeploy at `due`.
        var removing = false
        /// The request file as it was when the running sync started.
        var request: FileIdentity?
        /// The sync key of the registration (computed once per change of the file).
        var key: String?
        /// What the last look wrote (status, history); nil: read the files.
        var memo: SyncMemo?
        /// The namespace the running look counts against.
        var lookNamespace: String?
    }

    struct FileIdentity: Equatable {
        var ino: UInt64
        var mtime: Int
        var mtimeNs: Int

        init?(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            ino = UInt64(st.st_ino)
            mtime = st.st_mtim.tv_sec
            mtimeNs = st.st_mtim.tv_nsec
        }
    }

    let configuration: Configuration
    let runner: SyncRunner
    let scanner: AppsDirScanner
    let wakeup = Wakeup()
    var apps: [String: App] = [:]
    var dueHeap = DueHeap()
    var urgentQueue: [String] = []
    var urgentSet = Set<String>()
    var running = 0
    var looksByNamespace: [String: Int] = [:]
    /// Due or urgent applications whose namespace had all its looks running: they go back
    /// to the queues, one per look of that namespace that ends.
    var parked: [String: [String]] = [:]
    var scanDue: Date?
    var nextRescan = Date.distantPast
    var watcher: DirectoryWatcher?
    var watchingAppsDir = false
    var appsDirProblem: String?
    var startedAt: Date?

    var logger: Logger { runner.context.logger }
    var layout: StateLayout { runner.context.layout }
    func now() -> Date { runner.context.now() }

    public let readiness: Readiness

    public init(configuration: Configuration, runner: SyncRunner, readiness: Readiness = Readiness()) {
        self.configuration = configuration
        self.runner = runner
        self.readiness = readiness
        self.scanner = AppsDirScanner(directory: configuration.appsDir)
    }

    /// Asks the loop to stop: no new syncs; running ones finish (within the grace).
    public nonisolated func stop() { wakeup.stop() }

    /// SIGHUP: every registration file is read again (and the requests dir scanned) at once.
    public func reload() {
        scanner.forget()
        nextRescan = now()
        logger.info("reloading: the apps dir is read again")
        wakeup.signal()
    }

    /// Runs until `stop()`.
    public func run() async {
        for dir in [layout.appsDir, layout.requestsDir] {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // Tenants' private repositories and the locks: the daemon's user alone.
        for dir in [layout.cacheDir, layout.root + "/locks"] {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(dir, 0o700)
        }
        startedAt = now()
        // What a crash left between a temporary file's creation and its rename.
        var stale = AtomicFile.removeTemporaries(in: layout.requestsDir) + AtomicFile.removeTemporaries(in: configuration.appsDir)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.appsDir)) ?? [] {
            stale += AtomicFile.removeTemporaries(in: layout.appDir(name))
        }
        if stale > 0 { logger.info("removed temporary files left by a crash", metadata: ["count": "\(stale)"]) }
        logger.info("starting", metadata: ["apps_dir": "\(configuration.appsDir)", "state_dir": "\(layout.root)",
                                           "concurrency": "\(configuration.concurrency)"])
        await restartWatcher()
        rescanAll(startup: true)
        readiness.markScanned()
        await withDiscardingTaskGroup { group in
            while !wakeup.stopping {
                if let due = scanDue, due <= now() {
                    scanDue = nil
                    reconcile(scanner.scan(), startup: false)
                }
                if nextRescan <= now() {
                    if !watchingAppsDir { await restartWatcher() }
                    rescanAll(startup: false)
                }
                launchDue(in: &group)
                let timeout = nextWake().map { max(0.001, $0.timeIntervalSince(now())) }
                await wakeup.wait(timeout: timeout.map { .milliseconds(Int64($0 * 1000)) })
            }
            logger.info("stopping", metadata: ["running_syncs": "\(running)"])
            watcher?.stop()
        }
        logger.info("stopped")
    }

    // MARK: Events

    func handle(_ event: DirectoryWatcher.Event) {
        switch event {
        case .changed(let directory, let name):
            if directory == configuration.appsDir {
                // Registration files, and the `..data` swap of a Kubernetes ConfigMap.
                if AppsDirScanner.isRegistrationName(name) || name.hasPrefix("..") { scheduleScan() }
            } else if directory == layout.requestsDir {
                requestArrived(name)
            }
        case .rescan(let directory):
            if directory == configuration.appsDir {
                scheduleScan()
                if !FileManager.default.fileExists(atPath: directory) { watchingAppsDir = false }
            } else {
                scanRequests()
            }
        }
        wakeup.signal()
    }

    func scheduleScan() {
        if scanDue == nil { scanDue = now().addingTimeInterval(configuration.debounce) }
    }

    func requestArrived(_ file: String) {
        guard !file.hasPrefix("."), file.hasSuffix(".sync") else { return }
        let name = String(file.dropLast(".sync".count))
        guard var app = apps[name], FileManager.default.fileExists(atPath: layout.requestFile(name)) else { return }
        switch app.entry {
        case .valid:
            app.urgent = "request"
            store(name, app)
        case .invalid, .duplicate, nil:
            // Nothing to sync: the status already says why; the request is handled.
            try? FileManager.default.removeItem(atPath: layout.requestFile(name))
        }
    }

    func scanRequests() {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: layout.requestsDir)) ?? [] {
            requestArrived(file)
        }
    }

    func rescanAll(startup: Bool) {
        // A missing apps dir is looked for more often: it may be mounted any moment.
        nextRescan = now().addingTimeInterval(watchingAppsDir ? configuration.rescanInterval : min(configuration.rescanInterval, 5))
        reconcile(scanner.scan(), startup: startup)
        scanRequests()
    }

    // MARK: Registrations

    func reconcile(_ scan: AppsDirScanner.Scan, startup: Bool) {
        guard scan.readable else {
            if appsDirProblem != scan.problem {
                logger.error("apps dir unreadable; nothing is undeployed while it is", metadata: ["problem": "\(scan.problem ?? "")"])
                appsDirProblem = scan.problem
            }
            if startup {
                // Resume what the state dir knows; the registrations come back with the folder.
                for name in layout.applications() where apps[name] == nil { apps[name] = App() }
            }
            return
        }
        if appsDirProblem != nil {
            logger.info("apps dir readable again", metadata: ["apps_dir": "\(configuration.appsDir)"])
            appsDirProblem = nil
        }
        let (entries, unnamed) = AppsDirScanner.resolve(scan.files)
        for file in unnamed {
            logger.error("registration file ignored: no usable application name in it or in its file name", metadata: ["file": "\(file.path)"])
        }
        for (name, entry) in entries {
            var app = apps[name] ?? App()
            if let old = app.entry, old.digest == entry.digest, !app.removing { continue }
            let wasRemoving = app.removing
            var previousNamespace: String?
            if case .valid(let old, _, _)? = app.entry { previousNamespace = old.namespace }
            app.entry = entry
            app.removing = false
            app.failures = 0
            app.memo = nil
            app.key = nil
            switch entry {
            case .valid(let registration, let file, _):
                app.key = runner.context.key(registration)
                app.urgent = startup ? "startup" : "registration"
                // A request written before the registration was read (POST, then sync).
                if FileManager.default.fileExists(atPath: layout.requestFile(name)) { app.urgent = "request" }
                if let previousNamespace, previousNamespace != registration.namespace {
                    // Another application under the same name: what the old one deployed is
                    // undeployed in its own namespace before this one deploys anything.
                    logger.info("the name now belongs to another namespace; the old deployments are undeployed there first",
                                metadata: ["app": "\(name)", "from": "\(previousNamespace)", "to": "\(registration.namespace)"])
                } else if wasRemoving {
                    logger.info("registration back within the grace period; nothing undeployed", metadata: ["app": "\(name)"])
                }
                if !FileManager.default.fileExists(atPath: layout.statusFile(name)) {
                    runner.writeStatus(name: name, phase: .pending, registration: registration, file: file,
                                       message: "registered; waiting for the first sync", failure: nil, nextSync: nil)
                }
                if !startup { logger.info("registration loaded", metadata: ["app": "\(name)", "file": "\(file)"]) }
            case .invalid(let file, let diagnostics, _):
                app.urgent = nil
                app.due = nil
                let first = diagnostics.first
                let more = diagnostics.count > 1 ? " (and \(diagnostics.count - 1) more)" : ""
                let message = (first.map { ($0.field.map { "\($0): " } ?? "") + $0.message } ?? "invalid") + more
                runner.writeStatus(name: name, phase: .invalid, registration: nil, file: file,
                                   message: "registration: \(message)",
                                   failure: .init(stage: "registration", message: diagnostics.map(\.description).joined(separator: "\n"),
                                                  file: file, line: first?.line, column: first?.column),
                                   nextSync: nil)
                logger.error("registration invalid; this application is not synced until the file changes",
                             metadata: ["app": "\(name)", "file": "\(file)", "error": "\(diagnostics.map(\.description).joined(separator: "; "))"])
            case .duplicate(let files):
                app.urgent = nil
                app.due = nil
                let message = "the name \"\(name)\" is claimed by \(files.count) files: \(files.joined(separator: ", ")); neither is synced until one is renamed or removed"
                runner.writeStatus(name: name, phase: .invalid, registration: nil, file: files.first,
                                   message: message, failure: .init(stage: "registration", message: message, file: files.first),
                                   nextSync: nil)
                logger.error("duplicate application name", metadata: ["app": "\(name)", "files": "\(files.joined(separator: ", "))"])
            }
            store(name, app)
        }
        // Registrations that went away (and, at startup, applications the state dir
        // knows that no file registers any more): undeployed after the grace.
        var gone = apps.keys.filter { entries[$0] == nil && !(apps[$0]?.removing ?? false) }
        if startup {
            gone += layout.applications().filter { entries[$0] == nil && apps[$0] == nil }
        }
        for name in Set(gone) {
            var app = apps[name] ?? App()
            app.removing = true
            app.urgent = nil
            app.failures = 0
            app.memo = nil
            // A deletion interrupted by a restart continues; its grace starts again.
            app.due = now().addingTimeInterval(configuration.removalGrace)
            store(name, app)
            runner.writeStatus(name: name, phase: .deleting, registration: nil, file: nil,
                               message: "registration file removed; undeployed at the time of nextSync unless it comes back",
                               failure: nil, nextSync: app.due)
            logger.info("registration removed; undeploying after the grace period",
                        metadata: ["app": "\(name)", "grace_s": "\(Int(configuration.removalGrace))"])
        }
    }

    // MARK: Scheduling

    /// Every change of an application's record goes through here, so that the due heap
    /// and the urgent queue know about it (entries there are checked when taken: a
    /// superseded one is dropped).
    func store(_ name: String, _ app: App?) {
        apps[name] = app
        guard let app, !app.running else { return }
        if app.urgent != nil, urgentSet.insert(name).inserted { urgentQueue.append(name) }
        if let due = app.due { dueHeap.push(due, name) }
    }

    /// The next urgent application that is still urgent and idle.
    func nextUrgent() -> String? {
        while let name = urgentQueue.first {
            if let app = apps[name], app.urgent != nil, !app.running { return name }
            urgentQueue.removeFirst()
            urgentSet.remove(name)
        }
        return nil
    }

    /// The earliest due entry that still describes its application.
    func nextDue() -> (due: Date, name: String)? {
        while let top = dueHeap.top {
            if let app = apps[top.name], !app.running, app.due == top.due { return top }
            dueHeap.pop()
        }
        return nil
    }

    /// How early a poll may run: up to 2% of its interval, at most 250 ms. Polls due close
    /// together then run on one wakeup instead of one timer each.
    func slack(_ name: String) -> Double {
        guard let app = apps[name], !app.removing, app.failures == 0, case .valid(let registration, _, _)? = app.entry else { return 0 }
        return min(0.25, Double(runner.context.pollInterval(registration)) * 0.02)
    }

    func nextWake() -> Date? {
        var next: Date = min(scanDue ?? nextRescan, nextRescan)
        if running < configuration.looks {
            if nextUrgent() != nil { return now() }
            if let top = nextDue() { next = min(next, top.due) }
        }
        return next
    }

    func launchDue(in group: inout DiscardingTaskGroup) {
        let t = now()
        while running < configuration.looks {
            let name: String
            if let urgent = nextUrgent() {
                urgentQueue.removeFirst()
                urgentSet.remove(urgent)
                name = urgent
            } else if let top = nextDue(), top.due <= t.addingTimeInterval(slack(top.name)) {
                dueHeap.pop()
                name = top.name
            } else {
                break
            }
            let namespace = namespaceKey(name)
            if looksByNamespace[namespace, default: 0] >= configuration.namespaceLooks {
                parked[namespace, default: []].append(name)
                continue
            }
            launch(name, in: &group)
        }
    }

    /// The namespace an application's looks count against ("" while it is being removed
    /// or has no valid registration).
    func namespaceKey(_ name: String) -> String {
        guard let app = apps[name], !app.removing, case .valid(let registration, _, _)? = app.entry else { return "" }
        return registration.namespace
    }

    /// A look of `namespace` ended: one application parked for it goes back to the queues.
    func lookEnded(_ namespace: String?) {
        guard let namespace else { return }
        let left = looksByNamespace[namespace, default: 1] - 1
        looksByNamespace[namespace] = left > 0 ? left : nil
        // The first parked application that still wants a look (one that was removed,
        // started meanwhile or is no longer due is passed over).
        while var waiting = parked[namespace], !waiting.isEmpty {
            let next = waiting.removeFirst()
            parked[namespace] = waiting.isEmpty ? nil : waiting
            guard let app = apps[next], !app.running else { continue }
            if app.urgent != nil {
                if urgentSet.insert(next).inserted { urgentQueue.append(next) }
                return
            } else if let due = app.due {
                dueHeap.push(due, next)
                return
            }
        }
    }

    func launch(_ name: String, in group: inout DiscardingTaskGroup) {
        guard var app = apps[name] else { return }
        let trigger = app.urgent ?? (app.removing ? "removal" : (app.failures > 0 ? "retry" : "poll"))
        let namespace = namespaceKey(name)
        if app.removing {
            app.running = true
            app.urgent = nil
            app.lookNamespace = namespace
            looksByNamespace[namespace, default: 0] += 1
            store(name, app)
            running += 1
            let runner = self.runner
            group.addTask {
                let result = await runner.undeploy(name: name, trigger: trigger)
                await self.undeployFinished(name, result)
            }
            return
        }
        guard case .valid(let registration, let file, _)? = app.entry else {
            app.urgent = nil
            app.due = nil
            store(name, app)
            return
        }
        // syncPolicy.automated false: only a request (and its retries) syncs.
        if !registration.syncPolicy.automated && !registration.syncPolicy.suspend && trigger != "request" && trigger != "retry" {
            app.urgent = nil
            app.due = nil
            store(name, app)
            if app.memo == nil, (try? layout.readStatus(name))?.status == .pending {
                runner.writeStatus(name: name, phase: .pending, registration: registration, file: file,
                                   message: "syncPolicy.automated is false: synced only on request (zerverless-gitops sync \(name))",
                                   failure: nil, nextSync: nil)
            }
            return
        }
        app.running = true
        app.urgent = nil
        app.request = FileIdentity(layout.requestFile(name))
        app.lookNamespace = namespace
        looksByNamespace[namespace, default: 0] += 1
        store(name, app)
        running += 1
        let runner = self.runner
        let failures = app.failures
        let force = trigger == "request"
        let key = app.key, memo = app.memo
        group.addTask {
            let result = await runner.sync(registration, file: file, key: key, memo: memo, trigger: trigger, force: force, failures: failures)
            await self.syncFinished(name, result)
        }

    }

    /// The applications whose inventories may hold things of `namespace`: those registered
    /// in it, and those whose registration is not valid or gone (their namespace is not
    /// known from a file).
    func peers(of name: String, namespace: String) -> [String] {
        var result: [String] = []
        for (other, app) in apps where other != name {
            if case .valid(let registration, _, _)? = app.entry, !app.removing, registration.namespace != namespace { continue }
            result.append(other)
        }
        return result
    }

    func syncFinished(_ name: String, _ result: SyncResult) {
        running -= 1
        lookEnded(apps[name]?.lookNamespace)
        guard var app = apps[name] else { return }
        app.running = false
        app.lookNamespace = nil
        switch result.kind {
        case .retryable: app.failures += 1
        default: app.failures = 0
        }
        app.due = result.nextSync
        app.memo = result.memo
        // The request this sync handled is removed, unless it was written again meanwhile.
        if let handled = app.request {
            let file = layout.requestFile(name)
            if FileIdentity(file) == handled {
                unlink(file)
            } else if FileIdentity(file) != nil {
                app.urgent = "request"
            }
            app.request = nil
        }
        store(name, app)
        wakeup.signal()
    }

    func undeployFinished(_ name: String, _ result: (done: Bool, message: String)) {
        running -= 1
        lookEnded(apps[name]?.lookNamespace)
        guard var app = apps[name] else { return }
        app.running = false
        app.lookNamespace = nil
        if !app.removing {
            // Registered again while undeploying: sync it back.
            app.urgent = app.urgent ?? "registration"
            store(name, app)
        } else if result.done {
            store(name, nil)
        } else {
            app.failures += 1
            let delay = runner.context.schedule.backoff(failures: app.failures, interval: Double(runner.context.defaultPollInterval),
                                                        random: runner.context.random())
            app.due = now().addingTimeInterval(delay)
            runner.writeStatus(name: name, phase: .deleting, registration: nil, file: nil,
                               message: "undeploy failed; retried at the time of nextSync",
                               failure: .init(stage: "prune", message: result.message), nextSync: app.due)
            store(name, app)
        }
        wakeup.signal()
    }

    // MARK: Watching

    func restartWatcher() async {
        watcher?.stop()
        watcher = nil
        var dirs = [layout.requestsDir]
        var isDir: ObjCBool = false
        let appsDirExists = FileManager.default.fileExists(atPath: configuration.appsDir, isDirectory: &isDir) && isDir.boolValue
        if appsDirExists { dirs.insert(configuration.appsDir, at: 0) }
        let watched = dirs
        // The watcher's init waits for its thread: not on the cooperative pool.
        let made: Result<DirectoryWatcher, WatchError> = await withCheckedContinuation { c in
            Thread.detachNewThread {
                do { c.resume(returning: .success(try DirectoryWatcher(directories: watched))) } catch let e as WatchError {
                    c.resume(returning: .failure(e))
                } catch {
                    c.resume(returning: .failure(WatchError(message: "\(error)")))
                }
            }
        }
        switch made {
        case .success(let w):
            watcher = w
            watchingAppsDir = appsDirExists
            Task { [weak self] in
                for await event in w.events { await self?.handle(event) }
            }
            if appsDirExists { scheduleScan() }
        case .failure(let e):
            watchingAppsDir = false
            logger.error("cannot watch; relying on the periodic rescan", metadata: ["error": "\(e.message)"])
        }
    }
}

/// The supervisor as a service of swift-service-lifecycle: SIGTERM / SIGINT stop new syncs,
/// let running ones finish within the grace, and the process exits 0.
public struct DaemonService: Service {
    public let supervisor: Supervisor
    public let shutdownGrace: Duration
    public let logger: Logger

    /// What else SIGHUP rereads (the API tokens file).
    public let onReload: @Sendable () -> Void

    public init(supervisor: Supervisor, shutdownGrace: Duration, logger: Logger, onReload: @escaping @Sendable () -> Void = {}) {
        self.supervisor = supervisor
        self.shutdownGrace = shutdownGrace
        self.logger = logger
        self.onReload = onReload
    }

    public func run() async throws {
        let supervisor = self.supervisor
        let grace = shutdownGrace
        let logger = self.logger
        let onReload = self.onReload
        // Trapped before anything runs: SIGHUP (logrotate, `systemctl reload`) must never
        // end the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await supervisor.run() }
                group.addTask {
                    for await _ in hangups {
                        logger.info("SIGHUP: reloading the apps dir and the API tokens")
                        onReload()
                        await supervisor.reload()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            supervisor.stop()
            // A sync stuck in a network call past its deadline must not hold the exit:
            // the state files are crash-safe, so leaving then is safe.
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: Double(grace.components.seconds))
                logger.warning("syncs still running after the shutdown grace; exiting", metadata: ["grace_s": "\(grace.components.seconds)"])
                exit(0)
            }
        }
    }
}

/// A binary min-heap of (due, name): the scheduler's next wakeup in O(log n).
struct DueHeap {
    private var items: [(due: Date, name: String)] = []

    var top: (due: Date, name: String)? { items.first }
    var count: Int { items.count }

    mutating func push(_ due: Date, _ name: String) {
        items.append((due, name))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].due < items[parent].due else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].due < items[smallest].due { smallest = l }
            if r < items.count && items[r].due < items[smallest].due { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
