import Crypto
import Foundation
import GitSource
import Logging
import Manifest
import State
import Sync
import Synchronization
import Toolkit

/// What the daemon's looks share: where the state is, how to reach repositories, where
/// to deploy, and the pools and locks that keep them fair and off the cooperative threads.
public struct SyncContext: Sendable {
    public var layout: StateLayout
    public var git: GitSource
    public var target: any DeployTarget
    /// Names the target in the sync key: a different target means a full sync.
    public var targetID: String
    public var limits: SyncLimits
    public var checker: CodeChecker?
    public var builder: (any ImageBuilder)?
    public var gitTimeout: Duration
    public var allowLocal: Bool
    /// Where registrations' secret files come from (`--secrets-dir`).
    public var secrets: SecretsDir
    /// `--max-repo-size`: the most one repository's fetches and cache may take.
    public var repositorySizeLimit: Int?
    /// `--max-refs`: the most branches and tags one fetch may store in a cache.
    public var maxRefs: Int? = Remote.defaultMaxRefs
    public var defaultPollInterval: Int
    /// Fetches and tree reads (libgit2 blocks).
    public var workers: BlockingPool
    /// Head lookups, apart from fetches: a hung server holds a lookup thread, not a fetch
    /// worker nor a sync slot.
    public var lookupWorkers = BlockingPool(limit: 32, label: "lookups")
    /// `--concurrency` sync slots (fetch, plan, apply), shared fairly between namespaces.
    public var syncSlots: FairSlots
    /// What every wait and schedule takes its time from (tests: a manual clock).
    public var clock: DaemonClock
    public func now() -> Date { clock.now() }
    public var logger: Logger
    /// Heads shared by the applications of one repository and branch for a moment.
    public var heads: HeadCache
    public var metrics: DaemonMetrics
    /// Planning and claiming paths is atomic within a namespace.
    public let namespaceLocks = NamespaceLocks()
    /// What the other applications of a namespace own (their inventories).
    public let inventories: InventoryIndex
    /// Where transitions and commit statuses go (the outbox).
    public var notifications: Notifications
    /// How drift is looked for on the target (nil: the target cannot tell).
    public var driftProbe: (any DriftProbe)?
    /// Scale-out: this shard's index, written into every status document (nil: one shard).
    public var shard: Int?
    /// `--drift-interval` in seconds (0: no drift passes).
    public var driftInterval: Double = 600
    /// Health checks (interface section 8): the invoke base (`--invoke-url`, else the HTTP
    /// target's URL; nil on the local target: health is `unknown`), how a check is made,
    /// and `--health-interval` in seconds (0: no periodic re-checks).
    public var invokeBase: String?
    public var healthProbe: (any HealthProbing)?
    public var healthInterval: Double = 300
    /// `--public-url` (no trailing slash): the base of the URLs a preview's status and
    /// forge commit status show.
    public var publicURL: String?
    /// `/readyz`: a failed write into the state dir (a full disk) is reported there.
    public var readiness: Readiness?
    /// Status documents that could not be written (when, why), per application: the next
    /// one written says so.
    public let unwritten = UnwrittenStatuses()
    /// What each application's last status write left (see `WrittenStatuses`).
    let written = WrittenStatuses()

    public init(
        layout: StateLayout, target: any DeployTarget, targetID: String, limits: SyncLimits = SyncLimits(),
        checker: CodeChecker? = nil, builder: (any ImageBuilder)? = nil, gitTimeout: Duration = .seconds(60),
        allowLocal: Bool = false, secrets: SecretsDir = SecretsDir(root: SecretsDir.defaultRoot),
        defaultPollInterval: Int = 300,
        concurrency: Int = 4, workers: BlockingPool = .shared, clock: DaemonClock = .system,
        headMaxAge: Duration = .seconds(2), metrics: DaemonMetrics = DaemonMetrics(), logger: Logger
    ) {
        self.heads = HeadCache(maxAge: headMaxAge, uptime: clock.uptime)
        self.inventories = InventoryIndex(layout: layout)
        self.notifications = .disabled(layout: layout, logger: logger)
        self.syncSlots = FairSlots(total: concurrency)
        self.metrics = metrics
        self.layout = layout
        self.git = GitSource(cacheRoot: layout.cacheDir)
        self.target = target
        self.targetID = targetID
        self.limits = limits
        self.checker = checker
        self.builder = builder
        self.gitTimeout = gitTimeout
        self.allowLocal = allowLocal
        self.secrets = secrets
        self.defaultPollInterval = defaultPollInterval
        self.workers = workers
        self.clock = clock
        self.logger = logger
    }

    /// How registrations reach their repositories (credentials under the secrets rule).
    public var access: SourceAccess {
        SourceAccess(
            secrets: secrets, timeout: gitTimeout, allowLocal: allowLocal, sizeLimit: repositorySizeLimit,
            maxRefs: maxRefs)
    }

    public func pollInterval(_ registration: Registration) -> Int {
        registration.pollInterval ?? defaultPollInterval
    }

    /// What the scheduler needs of a registration.
    public func spec(_ registration: Registration) -> Scheduler.Spec {
        Scheduler.Spec(
            namespace: registration.namespace, pollInterval: Double(pollInterval(registration)),
            automated: registration.syncPolicy.automated, suspended: registration.syncPolicy.suspend,
            phase: heads.maxAge > .zero ? Self.phase(HeadCache.key(registration)) : nil)
    }

    /// Where in its interval an application polls: the same for every application of one
    /// head lookup (they share its answer), spread over the interval between lookups.
    static func phase(_ headKey: String) -> Double {
        let digest = Array(SHA256.hash(data: Array(headKey.utf8)))
        let bits = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bits >> 11) / Double(1 << 53)
    }

    /// Digest of everything a deployment depends on besides the commit: the registration
    /// (URL redacted), the limits, the target. Same key and same commit as the last
    /// successful sync: nothing to do.
    public func key(_ registration: Registration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Where events go and what a drift pass does change nothing deployed.
        var deployed = registration
        deployed.notify = []
        deployed.labels = [:]
        deployed.syncPolicy.selfHeal = .warn
        var text = (try? encoder.encode(deployed)).map { String(decoding: $0, as: UTF8.self) } ?? "\(registration)"
        text +=
            "|\(limits.codeFileBytes),\(limits.staticFileBytes),\(limits.staticTotalBytes),\(limits.staticFiles)|\(targetID)"
        return Insecure.SHA1.hash(data: Array(text.utf8)).hexString
    }
}

/// How a look at an application ended, and what it wrote (the next look of the same
/// application starts from it instead of reading the files again: the daemon is their
/// only writer).
public struct SyncResult: Sendable {
    public var ending: Scheduler.Ending
    public var message: String
    public var memo: SyncMemo?
    /// The application's next health round: as it was, at a time, or none.
    public var health: HealthNext = .keep
}

public enum HealthNext: Sendable, Equatable {
    case keep
    case at(Date)
    case off
}

/// What the last look wrote for one application.
public struct SyncMemo: Sendable {
    public var status: StatusDocument
    public var history: SyncHistory
}

/// The status writes that failed, per application, until one succeeds.
public final class UnwrittenStatuses: Sendable {
    private let state = Mutex<[String: (since: Date, error: String)]>([:])

    public init() {}

    func failed(_ name: String, at time: Date, _ error: String) {
        state.withLock { if $0[name] == nil { $0[name] = (time, error) } }
    }

    /// The first failure since the last status of `name` that ended a look was written;
    /// forgotten with `consume` (that status is being made now).
    func take(_ name: String, consume: Bool) -> (since: Date, error: String)? {
        state.withLock { consume ? $0.removeValue(forKey: name) : $0[name] }
    }

    /// Keeps the earliest failure of `name`.
    func restore(_ name: String, _ failure: (since: Date, error: String)) {
        state.withLock {
            if let kept = $0[name], kept.since <= failure.since { return }
            $0[name] = failure
        }
    }
}

/// Per application, the status document its last write left: a hash of the document but
/// for `nextSync`, and the file's version after the write. An unchanged poll whose
/// document hashes the same, on a file no one wrote since, patches `nextSync` in place
/// instead of encoding the document again.
final class WrittenStatuses: Sendable {
    private let state = Mutex<[String: (hash: Int, file: FileVersion)]>([:])

    subscript(name: String) -> (hash: Int, file: FileVersion)? {
        get { state.withLock { $0[name] } }
        set { state.withLock { $0[name] = newValue } }
    }

    /// The hash a document is remembered by (`nextSync` left out).
    static func hash(_ document: StatusDocument) -> Int {
        var rest = document
        rest.nextSync = nil
        return rest.hashValue
    }
}
