import Foundation
import Logging
import Manifest
import State
import Sync
import Synchronization
import Toolkit

/// The daemon's loop: it turns what happens (files in the apps dir and the requests dir,
/// looks that end, time passing) into events for the `Scheduler`, starts the looks it
/// asks for, and writes the status of registrations it cannot sync. Every scheduling
/// decision is the scheduler's.
public actor Supervisor {
    public struct Configuration: Sendable {
        public var appsDir: String
        public var scheduler: Scheduler.Configuration
        /// The safety-net rescan of both folders (inotify is the fast path).
        public var rescanInterval: Double
        /// Events of the apps dir are collected this long before it is read.
        public var debounce: Double
        /// Scale-out: this daemon owns the namespaces whose rendezvous hash over
        /// `0..<shards` picks `shardIndex`.
        public var shards = 1
        public var shardIndex = 0
        /// How long an application's lease lasts unless renewed (shards > 1).
        public var leaseDuration: Double = 60
        /// Why the state dir no longer belongs to this daemon (removed or replaced under
        /// it: the daemon lock went with it), checked every few seconds; nil: never lost.
        public var stateDirLost: (@Sendable () -> String?)?
        /// How often `stateDirLost` is asked.
        public var stateCheckInterval: Double = 2
        /// Application sets: the operator's limits and the public URL of previews.
        var sets = SetController.Settings()

        public init(
            appsDir: String, scheduler: Scheduler.Configuration = Scheduler.Configuration(),
            rescanInterval: Double = 30,
            debounce: Double = 0.05
        ) {
            self.appsDir = appsDir
            self.scheduler = scheduler
            self.rescanInterval = rescanInterval
            self.debounce = debounce
        }
    }

    /// What the supervisor remembers of an application besides its schedule; registration
    /// and memo boxed (inline they took 1.3 KB a table slot, empty slots included).
    struct App {
        private final class Boxed<Value: Sendable>: Sendable {
            let value: Value
            init(_ value: Value) { self.value = value }
        }
        private var boxedEntry: Boxed<AppEntry>?
        private var boxedMemo: Boxed<SyncMemo>?
        var entry: AppEntry? {
            get { boxedEntry?.value }
            set { boxedEntry = newValue.map(Boxed.init) }
        }
        /// The sync key of the registration (computed once per change of the file).
        var key: String?
        /// What the last look wrote (status, history); nil: read the files.
        var memo: SyncMemo? {
            get { boxedMemo?.value }
            set { boxedMemo = newValue.map(Boxed.init) }
        }
        /// The request file as it was when the running look started.
        var request: SyncRequests.Identity?
    }

    let configuration: Configuration
    let runner: SyncRunner
    /// The apps dir's reader (the REST facade shares its reads: `AppsDir(sharing:)`).
    public nonisolated let appsDir: AppsDir
    let requests: SyncRequests
    /// Wakes the loop: a file event, a look that ended, a reload, a stop.
    let wakeup = Signal()
    /// Rings `wakeup` at the loop's next timer (one timer across turns: see `Alarm`).
    let alarm: Alarm
    private let stopping = Atomic<Bool>(false)
    /// Turns of the loop since the start: proportional to the work (events, due looks,
    /// timers), never to the time spent idle.
    public private(set) var wakeups = 0
    /// The loop is waiting (for a signal or its next timer) with nothing running.
    public var idle: Bool { loopWaiting && scheduler.running == 0 && wakeup.asleep && alarm.settled }
    private var loopWaiting = false
    var scheduler: Scheduler
    var apps: [String: App] = [:]
    var scanDue: Date?
    var lastEventScan = Date.distantPast
    var nextRescan = Date.distantPast
    var subscription: FolderWatcher.Subscription?
    /// The running looks and undeploys, by application (one at a time each: the scheduler).
    var lookTasks: [String: Task<Void, Never>] = [:]
    var watchingAppsDir = false
    var watchingRequestsDir = false
    var appsDirProblem: String?
    /// The next drift pass, and the number of the last one.
    var nextDrift: Date?
    var driftPass = 0
    /// Shards > 1: the leases this shard takes, renews and releases.
    let leases: Leases?
    var nextRenewal: Date?
    /// Apps this shard stopped owning while a look of theirs ran: let go when it ends.
    var disowning = Set<String>()
    /// Request files that were handled but could not be removed: not acted on again until
    /// they change.
    var stuckRequests: [String: SyncRequests.Identity] = [:]
    /// The foreign lease last said to block each application (logged once each).
    var blockedBy: [String: (lease: Lease, shown: Bool)] = [:]
    /// The state dir was lost under the daemon: why. The loop stops; the daemon exits 1.
    public internal(set) var lostStateDir: String?
    var nextStateCheck = Date.distantPast
    /// The application sets, and their running listings.
    var sets: SetController
    var listTasks: [String: Task<Void, Never>] = [:]
    let lister: SetLister

    var logger: Logger { runner.context.logger }
    var layout: StateLayout { runner.context.layout }
    func now() -> Date { runner.context.now() }

    public let readiness: Readiness

    public init(
        configuration: Configuration, runner: SyncRunner, readiness: Readiness = Readiness(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        pullRequests: (any PullRequestSource)? = nil
    ) {
        self.configuration = configuration
        var setSettings = configuration.sets
        setSettings.removalGrace = configuration.scheduler.removalGrace
        self.sets = SetController(settings: setSettings)
        self.lister = SetLister(context: runner.context, pullRequests: pullRequests)
        self.runner = runner
        self.readiness = readiness
        self.appsDir = AppsDir(directory: configuration.appsDir)
        self.requests = SyncRequests(layout: runner.context.layout)
        self.scheduler = Scheduler(configuration: configuration.scheduler, random: random)
        self.alarm = Alarm(ringing: wakeup, clock: runner.context.clock)
        self.leases =
            configuration.shards > 1
            ? Leases(
                layout: runner.context.layout, shard: configuration.shardIndex,
                holder: Leases.defaultHolder(shard: configuration.shardIndex),
                duration: configuration.leaseDuration)
            : nil
    }

    /// Asks the loop to stop: no new looks; running ones finish.
    public nonisolated func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        wakeup.signal()
    }

    /// SIGHUP: every registration file is read again (and the requests dir scanned) at once.
    public func reload() {
        appsDir.forget()
        nextRescan = now()
        logger.info("reloading: the apps dir is read again")
        wakeup.signal()
    }

    /// Runs until `stop()`, then waits for the running looks, or returns at once when its
    /// task is cancelled (service-lifecycle's graceful-shutdown deadline passed: a look
    /// stuck in a network call is left behind; every state file is crash-safe).
    public func run() async {
        prepareStateDir()
        // What the folder watcher reports is heard by a child task; it ends when the
        // subscription is cancelled below. The alarm's timer is the other child.
        let subscription = FolderWatcher.shared.subscribe()
        self.subscription = subscription
        await withDiscardingTaskGroup { group in
            group.addTask { [weak self] in
                for await event in subscription { await self?.handle(event) }
            }
            group.addTask { [alarm] in await alarm.run() }
            await loop()
            subscription.cancel()
            group.cancelAll()
        }
    }

    private func loop() async {
        await restartWatcher()
        await rescanAll(startup: true)
        readiness.markScanned()
        let driftInterval = runner.context.driftInterval
        if driftInterval > 0 { nextDrift = now().addingTimeInterval(driftInterval) }
        while !stopping.load(ordering: .sequentiallyConsistent) && !Task.isCancelled {
            wakeups += 1
            if let check = configuration.stateDirLost, nextStateCheck <= now() {
                nextStateCheck = now().addingTimeInterval(configuration.stateCheckInterval)
                if let problem = check() {
                    stateDirLost(problem)
                    break
                }
            }
            if leases != nil, nextRenewal.map({ $0 <= now() }) ?? true {
                renewLeases()
                nextRenewal = now().addingTimeInterval(configuration.leaseDuration / 3)
            }
            if let due = nextDrift, due <= now() {
                driftPass += 1
                let asked = scheduler.names.filter { scheduler.requestDrift($0) }.count
                logger.debug("drift pass", metadata: ["pass": "\(driftPass)", "apps": "\(asked)"])
                nextDrift = now().addingTimeInterval(driftInterval)
            }
            if let due = scanDue, due <= now() {
                scanDue = nil
                lastEventScan = now()
                await reconcile(appsDir.scan(), startup: false)
            }
            if nextRescan <= now() {
                if !watchingAppsDir || !watchingRequestsDir { await restartWatcher() }
                await rescanAll(startup: false)
            }
            for launch in scheduler.next(now: now()) { start(launch) }
            for job in sets.due(now: now()) { startListing(job) }
            let stateCheck = configuration.stateDirLost == nil ? nil : nextStateCheck
            alarm.set(
                [scanDue, nextRescan, nextDrift, nextRenewal, stateCheck, scheduler.wake(now: now()), sets.wake()]
                    .compactMap { $0 }.min())
            loopWaiting = true
            await wakeup.wait()
            loopWaiting = false
        }
        logger.info("stopping", metadata: ["running_syncs": "\(scheduler.running)"])
        subscription?.cancel()
        // A listing changes nothing deployed: it is let go at once.
        for task in listTasks.values { task.cancel() }
        // Each look that ends signals; a cancelled task's wait returns at once.
        while scheduler.running > 0 && !Task.isCancelled { await wakeup.wait() }
        if scheduler.running > 0 {
            // The grace ended: what still waits (a slot, a lock, queued git work) stops now.
            for task in lookTasks.values { task.cancel() }
            logger.warning(
                "syncs still running after the shutdown grace; leaving them",
                metadata: ["running_syncs": "\(scheduler.running)"])
        } else if let leases {
            // Handed over at once (a scale-down): the next owner need not wait for expiry.
            for name in scheduler.names { leases.release(name) }
        }
        logger.info("stopped")
    }

    // MARK: Looks

    /// Starts a look as a task of its own, kept in `lookTasks` until it ends. Not a child of
    /// the loop's task group, on purpose: a group waits for every child, and a look inside
    /// a libgit2 call that is already running (a hung repository) ends only at that call's
    /// deadline, which would hold the daemon past `--shutdown-grace`. Cancellation still
    /// reaches the looks: when the grace ends, `run` cancels each one (a wait for a slot or
    /// a lock ends, queued git work is dropped). The scheduler counts the running looks,
    /// and each one's end comes back through `lookFinished`.
    func start(_ launch: Scheduler.Launch) {
        let name = launch.name
        let runner = self.runner
        switch launch.kind {
        case .undeploy:
            lookTasks[name] = Task {
                let result = await runner.undeploy(name: name, trigger: launch.trigger)
                await self.undeployFinished(name, result)
            }
        case .look:
            guard case .valid(let registration, let file, _)? = apps[name]?.entry else {
                scheduler.finished(name, .stalled)
                return
            }
            var app = apps[name] ?? App()
            app.request = requests.identity(name)
            apps[name] = app
            let key = app.key
            let memo = app.memo
            lookTasks[name] = Task {
                let result = await runner.sync(registration, file: file, launch: launch, key: key, memo: memo)
                await self.lookFinished(name, result)
            }
        case .drift:
            guard case .valid(let registration, let file, _)? = apps[name]?.entry else {
                scheduler.finished(name, .unchanged)
                return
            }
            let key = apps[name]?.key
            let memo = apps[name]?.memo
            let pass = driftPass
            lookTasks[name] = Task {
                let result = await runner.drift(
                    registration, file: file, launch: launch, key: key, memo: memo, pass: pass)
                await self.lookFinished(name, result)
            }
        case .health:
            guard case .valid(let registration, _, _)? = apps[name]?.entry else {
                scheduler.finished(name, .unchanged)
                return
            }
            let memo = apps[name]?.memo
            lookTasks[name] = Task {
                let result = await runner.health(registration, memo: memo)
                await self.lookFinished(name, result)
            }
        }
    }

    func lookFinished(_ name: String, _ result: SyncResult) async {
        lookTasks[name] = nil
        scheduler.finished(name, result.ending)
        switch result.health {
        case .keep: break
        case .at(let due): scheduler.scheduleHealth(name, at: due)
        case .off: scheduler.scheduleHealth(name, at: nil)
        }
        if disowning.contains(name) {
            disown(name)
            wakeup.signal()
            return
        }
        apps[name]?.memo = result.memo
        // The request this look handled is removed, unless it was written again meanwhile.
        if let handled = apps[name]?.request {
            apps[name]?.request = nil
            switch requests.acknowledge(name, handled: handled) {
            case .removed: break
            case .again: _ = scheduler.request(name, trigger: requests.kind(name).trigger)
            case .stuck(let reason): requestStuck(name, handled, reason)
            }
        }
        wakeup.signal()
    }

    func undeployFinished(_ name: String, _ result: (done: Bool, message: String)) async {
        lookTasks[name] = nil
        scheduler.undeployFinished(name, done: result.done, now: now())
        if disowning.contains(name) {
            disown(name)
            wakeup.signal()
            return
        }
        if result.done && !scheduler.knows(name) {
            apps[name] = nil
            runner.forget(name)
        } else if !result.done {
            let status = StatusDocument.deleting(
                name: name, previous: runner.status(name), at: scheduler.due(name),
                failure: .init(stage: .prune, message: result.message))
            await runner.publish(status)
        }
        wakeup.signal()
    }
}
