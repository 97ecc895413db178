import Daemon
import Foundation
import GitSource
import HTTPFacade
import Hummingbird
import Logging
import Manifest
import Notify
import ServiceLifecycle
import State
import Sync
import Synchronization
import Toolkit
import UnixSignals

/// The whole daemon built from typed settings: the supervisor and its looks, the notifier,
/// and the REST facade, run as one service group. `zerverless-gitops run` makes one from
/// its options; a test makes one in process, on a manual clock, without a listener.
///
/// What is process-wide stays with the caller: the logging and metrics back ends, the
/// descriptor limit.
public final class Agent: Sendable {
    public let settings: AgentSettings
    public let layout: StateLayout
    public let supervisor: Supervisor
    public let notifier: Notifier
    public let readiness: Readiness
    /// The facade's port once it listens (0 before, or without a listener).
    public var port: Int { bound.port.load(ordering: .relaxed) }

    private let services: [any Service]
    private let daemonLock: DaemonLock
    private let logger: Logger
    private let warmUp: @Sendable () -> Void
    private let bound = Bound()
    private let group = Mutex<ServiceGroup?>(nil)

    /// Builds the daemon and takes the state dir's lock (one daemon per state dir; nothing
    /// is written before it). Throws `AgentError.settings` for settings that cannot work
    /// together (exit 2 in the CLI) and `.start` when the state dir is another daemon's.
    public init(
        settings: AgentSettings, clock: DaemonClock = .system, logger: Logger = Logger(label: "zerverless-gitops"),
        metricsText: @escaping @Sendable () -> String = { "" },
        apiTokensReport: @escaping @Sendable (String?) -> Void = { _ in }
    )
        throws(AgentError)
    {
        let problems = settings.problems()
        guard problems.isEmpty else { throw .settings(problems) }
        self.settings = settings
        self.logger = logger
        let layout = StateLayout(root: settings.stateDir)
        self.layout = layout
        let tokens: APITokens?
        if let file = settings.apiTokensFile {
            do { tokens = try APITokens(file: file, report: apiTokensReport) } catch {
                throw .settings([SettingsProblem(option: "api-tokens-file", message: "\(error)")])
            }
        } else {
            tokens = nil
        }
        if let caFile = settings.caFile { GitSource.setCAFile(caFile) }
        let (deployTarget, targetID) = Self.target(settings, layout, clock: clock)
        do {
            daemonLock = try DaemonLock(layout: layout, shard: settings.shardIndex)
        } catch {
            throw .start("\(error)")
        }
        // Other shards may be writing into the same folder: only a lone daemon sweeps it.
        if settings.shards == 1 { (deployTarget as? LocalTarget)?.removeStaleTemporaries() }

        let buildPolicy = BuildPolicy(
            buildNamespaces: BuildPolicy.namespaces(settings.dockerBuildNamespaces),
            networkNamespaces: BuildPolicy.namespaces(settings.buildNetworkNamespaces),
            timeout: settings.buildTimeout)
        // Found on first use: no probe at all when no application has a Docker function.
        let builder = DetectingImageBuilder(
            choice: settings.dockerBuilder.rawValue, policy: buildPolicy, registry: settings.imageRegistry)
        let checker = CodeChecker.detect()
        warmUp = {
            let checkers = checker.warmUp()
            let found = builder.builder
            logger.info(
                "tools",
                metadata: [
                    "docker_builder": "\(found.map { $0.tool.rawValue } ?? "none")",
                    "code_checkers": "\(checkers.isEmpty ? "none" : checkers.joined(separator: ","))",
                ])
        }
        let metrics = DaemonMetrics()
        let readiness = Readiness()
        self.readiness = readiness
        let secrets = SecretsDir(root: settings.secretsDir)
        var context = SyncContext(
            layout: layout, target: MeteredTarget(deployTarget, metrics: metrics), targetID: targetID,
            limits: SyncLimits(), checker: checker, builder: builder, gitTimeout: settings.gitTimeout,
            allowLocal: settings.allowFileURLs, secrets: secrets,
            defaultPollInterval: Int(settings.pollInterval.seconds), concurrency: settings.concurrency,
            clock: clock, headMaxAge: settings.headCache, metrics: metrics, logger: logger)
        context.repositorySizeLimit = settings.maxRepoSize
        context.readiness = readiness
        context.maxRefs = settings.maxRefs
        context.driftInterval = settings.driftInterval.seconds
        context.healthInterval = settings.healthInterval.seconds
        if case .http(let base) = settings.target {
            context.invokeBase = settings.invokeURL ?? base
        } else {
            context.invokeBase = settings.invokeURL
        }
        context.invokeBase = context.invokeBase.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        context.healthProbe = HTTPHealthProbe(sleep: clock.sleep)
        context.publicURL = settings.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        context.shard = settings.shards > 1 ? settings.shardIndex : nil
        context.driftProbe =
            (deployTarget as? LocalTarget).map {
                LocalDriftProbe(
                    target: $0, stampsFile: { [layout] in layout.appDir($0) + "/drift-stamps" },
                    censusFile: { [layout] in layout.root + "/drift/census-" + $0 })
            }
            ?? (deployTarget as? HTTPTarget).map { HTTPDriftProbe(target: $0) }
        var notifying = Notifier.Configuration(
            operatorURL: settings.notifyURL, operatorSecretFile: settings.notifySecretFile, secrets: secrets)
        notifying.retryBase = settings.notifyRetry.seconds
        notifying.allowPrivate = settings.notifyAllowPrivate
        let notifier = Notifier(outbox: Outbox(layout: layout), configuration: notifying, logger: logger, clock: clock)
        self.notifier = notifier
        context.notifications = Notifications(
            layout: layout, notifier: notifier, operatorEndpoint: settings.notifyURL != nil, logger: logger)
        let scheduling = Scheduler.Configuration(
            looks: max(32, 4 * settings.concurrency), namespaceLooks: 4,
            removalGrace: settings.removalGrace.seconds,
            policy: SchedulePolicy(retryMin: settings.retryMin.seconds),
            defaultPollInterval: settings.pollInterval.seconds)
        let appsDir = (settings.appsDir as NSString).standardizingPath
        // With shards, a rescan every 2 s at most: inotify does not see another host's
        // writes on a network file system.
        let rescan =
            settings.shards > 1 ? min(settings.rescanInterval, settings.shardRescanInterval) : settings.rescanInterval
        var supervising = Supervisor.Configuration(
            appsDir: appsDir, scheduler: scheduling, rescanInterval: rescan.seconds)
        supervising.shards = settings.shards
        supervising.shardIndex = settings.shardIndex
        supervising.leaseDuration = settings.leaseDuration.seconds
        supervising.stateCheckInterval = settings.stateCheckInterval.seconds
        supervising.setMinInterval = settings.setMinInterval.seconds
        supervising.maxAppsPerSet = settings.maxAppsPerSet
        supervising.maxAppsPerNamespace = settings.maxAppsPerNamespace
        supervising.publicURL = context.publicURL
        let lock = daemonLock
        supervising.stateDirLost = { lock.lost() }
        let pullRequests = PullRequestLister(
            secrets: secrets, allowPrivate: settings.notifyAllowPrivate, sleep: clock.sleep)
        let supervisor = Supervisor(
            configuration: supervising, runner: SyncRunner(context: context), readiness: readiness,
            pullRequests: pullRequests)
        self.supervisor = supervisor
        var services: [any Service] = [
            DaemonService(supervisor: supervisor, logger: logger, onReload: { tokens?.reload() }),
            NotifierService(notifier: notifier),
        ]
        if let listen = settings.listen {
            var facade = Facade(
                appsDir: appsDir, layout: layout, tokens: tokens, webhookSecretFile: settings.webhookSecretFile,
                processMetrics: {
                    let base = metricsText()
                    return base + (base.isEmpty || base.hasSuffix("\n") ? "" : "\n") + metrics.apps.text()
                }, readiness: readiness, secrets: secrets, sharingReadsWith: supervisor.appsDir)
            facade.maxAppsPerNamespace = settings.maxAppsPerNamespace
            facade.hosts = HostPolicy(listenHost: listen.host, names: settings.apiHostnames)
            facade.streams = StreamBudget(total: settings.streamsTotal, perKey: settings.apiMaxStreamsPerToken)
            var limits = ConnectionGuard.Limits()
            limits.headTimeout = .nanoseconds(settings.apiReadTimeout.nanoseconds)
            limits.maxConnections = settings.apiMaxConnections
            var httpLogger = Logger(label: "zerverless-gitops.http")
            httpLogger.logLevel = .warning
            let bound = self.bound
            let guarded = ConnectionGuard(limits: limits)
            let hot = HotReads(facade: facade)
            let app = Application(
                router: facade.router(),
                server: hot.server(.init(additionalChannelHandlers: [guarded.handler()])),
                configuration: .init(address: .hostname(listen.host, port: listen.port)),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? listen.port
                    bound.port.store(port, ordering: .relaxed)
                    logger.info("listening", metadata: ["address": "\(ListenAddress(host: listen.host, port: port))"])
                }, logger: httpLogger)
            services.append(app)
            services.append(StatusCacheService(facade: facade))
        }
        self.services = services
    }

    /// Runs until `shutdown()` (or SIGTERM / SIGINT with `signals`), then gives running
    /// syncs `shutdownGrace` to finish. Throws `StateDirLost` when the state dir went away
    /// under it.
    public func run(signals: Bool = true, lifecycleLogger: Logger = Logger(label: "zerverless-gitops.lifecycle"))
        async throws
    {
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [],
            logger: lifecycleLogger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownGrace
        let group = ServiceGroup(configuration: configuration)
        self.group.withLock { $0 = group }
        let warmUp = self.warmUp
        // Probing the tools takes a few hundred milliseconds: beside the first syncs, on
        // the blocking pool (the one way blocking work runs here).
        async let probed: Void = BlockingPool.shared.run { warmUp() }
        try await group.run()
        _ = await probed
    }

    /// A graceful shutdown: no new syncs, running ones finish within the grace.
    public func shutdown() async {
        if let group = group.withLock({ $0 }) { await group.triggerGracefulShutdown() }
    }

    /// The target `settings` name, and how it is shown (`local:ROOT`, or the URL): the
    /// daemon's, and the one `diff` reads back.
    public static func target(_ settings: AgentSettings, _ layout: StateLayout, clock: DaemonClock) -> (
        any DeployTarget, String
    ) {
        switch settings.target {
        case .local(let dir):
            let root = ((dir ?? layout.publishedDir) as NSString).standardizingPath
            return (LocalTarget(root: root), "local:" + root)
        case .http(let base):
            let token = settings.targetTokenFile.flatMap { FileManager.default.contents(atPath: $0) }
                .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            var options = HTTPTarget.Options()
            options.sleep = clock.sleep
            return (HTTPTarget(base: base, token: token, options: options), base)
        }
    }
}

/// Why an agent could not be built.
public enum AgentError: Error, CustomStringConvertible {
    /// Settings that cannot work (the CLI exits 2).
    case settings([SettingsProblem])
    /// The state dir is another daemon's, or cannot be locked (exit 1).
    case start(String)

    public var description: String {
        switch self {
        case .settings(let problems): problems.map(\.description).joined(separator: "\n")
        case .start(let message): message
        }
    }
}

/// The port the facade listens on, set once it does.
private final class Bound: Sendable {
    let port = Atomic<Int>(0)
}
