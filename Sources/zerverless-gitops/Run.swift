import ArgumentParser
import Daemon
import Foundation
import GitSource
import HTTPFacade
import Hummingbird
import Logging
import Manifest
import Notify
import CoreMetrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import State
import Sync

/// `zerverless-gitops run`: the daemon. Every option also reads `ZG_<NAME>`; a flag wins.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent: watch the apps dir, keep every registered application deployed as its repository says.",
        discussion: "Stops on SIGTERM or SIGINT: no new syncs, running ones get --shutdown-grace (30s) to finish, exit 0. Exit 2 on bad options."
    )

    @OptionGroup var apps: AppsDirOption
    var appsDir: String { apps.appsDir }

    @OptionGroup var state: StateDirOption
    var stateDir: String { state.stateDir }

    @Option(help: "REST facade, /metrics, /healthz: HOST:PORT, or none. Env: ZG_LISTEN.")
    var listen: String = env("ZG_LISTEN") ?? "127.0.0.1:8090"

    @Option(help: "local[:DIR] (default DIR: STATE/published) or http(s)://HOST:PORT of the orchestrator. Env: ZG_TARGET.")
    var target: String = env("ZG_TARGET") ?? "local"

    @Option(help: "Bearer token file for an HTTP target. Env: ZG_TARGET_TOKEN_FILE.")
    var targetTokenFile: String? = env("ZG_TARGET_TOKEN_FILE")

    @Option(help: "Poll interval of applications that set none, like 90s or 5m. Env: ZG_POLL_INTERVAL.")
    var pollInterval: String = env("ZG_POLL_INTERVAL") ?? "5m"

    @Option(help: "Syncs running at once. Env: ZG_CONCURRENCY.")
    var concurrency: String = env("ZG_CONCURRENCY") ?? "4"

    @Flag(help: "Permit file:// and local-path repository URLs. Env: ZG_ALLOW_FILE_URLS=1.")
    var allowFileUrls = envFlag("ZG_ALLOW_FILE_URLS")

    @Option(help: "auto, docker, podman or buildah: what builds runtime: docker functions. Env: ZG_DOCKER_BUILDER.")
    var dockerBuilder: String = env("ZG_DOCKER_BUILDER") ?? "auto"

    @Option(help: "Namespaces whose Docker functions may be built: *, none, or ns1,ns2. Env: ZG_DOCKER_BUILD_NAMESPACES.")
    var dockerBuildNamespaces: String = env("ZG_DOCKER_BUILD_NAMESPACES") ?? "*"

    @Option(help: "Namespaces whose build steps get the host's network (none by default): *, none, or ns1,ns2. Env: ZG_BUILD_NETWORK_NAMESPACES.")
    var buildNetworkNamespaces: String = env("ZG_BUILD_NETWORK_NAMESPACES") ?? "none"

    @Option(help: "Push built Docker images to HOST[:PORT]/PREFIX and deploy them by digest. Env: ZG_IMAGE_REGISTRY.")
    var imageRegistry: String? = env("ZG_IMAGE_REGISTRY")

    @Flag(help: "The image registry speaks plain HTTP or has no trusted certificate. Env: ZG_IMAGE_REGISTRY_INSECURE=1.")
    var imageRegistryInsecure = envFlag("ZG_IMAGE_REGISTRY_INSECURE")

    @Option(help: "How long one image build may take. Env: ZG_BUILD_TIMEOUT.")
    var buildTimeout: String = env("ZG_BUILD_TIMEOUT") ?? "10m"

    @Option(help: "text or json, on stderr. Env: ZG_LOG_FORMAT.")
    var logFormat: String = env("ZG_LOG_FORMAT") ?? "text"

    @Option(help: "debug, info, warning or error. Env: ZG_LOG_LEVEL.")
    var logLevel: String = env("ZG_LOG_LEVEL") ?? "info"

    @Option(help: "How long a removed registration waits before it is undeployed. Env: ZG_REMOVAL_GRACE.")
    var removalGrace: String = env("ZG_REMOVAL_GRACE") ?? "60s"

    @Option(help: "HMAC secret for POST /api/gitops/webhook. Env: ZG_WEBHOOK_SECRET_FILE.")
    var webhookSecretFile: String? = env("ZG_WEBHOOK_SECRET_FILE")

    @Option(help: "The only place registrations' secret and key files come from: DIR/NAMESPACE/FILE. Env: ZG_SECRETS_DIR.")
    var secretsDir: String = env("ZG_SECRETS_DIR") ?? SecretsDir.defaultRoot

    @Option(help: "The most one repository's fetches and fetch cache may take on disk, like 500MiB or 2GiB. Env: ZG_MAX_REPO_SIZE.")
    var maxRepoSize: String = env("ZG_MAX_REPO_SIZE") ?? "2GiB"

    @Option(help: "The most branches and tags one fetch may store in a repository's cache (0: no limit). Env: ZG_MAX_REFS.")
    var maxRefs: String = env("ZG_MAX_REFS") ?? "10000"

    @Option(help: "Registrations the REST API creates in one namespace, at most. Env: ZG_MAX_APPS_PER_NAMESPACE.")
    var maxAppsPerNamespace: String = env("ZG_MAX_APPS_PER_NAMESPACE") ?? "200"

    @Option(help: "Bearer tokens of the REST API and their namespaces. Env: ZG_API_TOKENS_FILE.")
    var apiTokensFile: String? = env("ZG_API_TOKENS_FILE")

    @Flag(help: "Allow --listen on a non-loopback address without --api-tokens-file. Env: ZG_INSECURE_API=1.")
    var insecureApi = envFlag("ZG_INSECURE_API")

    @Option(help: "How long a REST client may take to send a request's head (and keep an idle connection). Env: ZG_API_READ_TIMEOUT.")
    var apiReadTimeout: String = env("ZG_API_READ_TIMEOUT") ?? "10s"

    @Option(help: "REST connections open at once; more are closed at once. Env: ZG_API_MAX_CONNECTIONS.")
    var apiMaxConnections: String = env("ZG_API_MAX_CONNECTIONS") ?? "512"

    @Option(help: "Event streams (GET /api/gitops/events) open at once, in total, below --api-max-connections; more get 429. Default 64 (at most half of --api-max-connections). Env: ZG_API_MAX_STREAMS.")
    var apiMaxStreams: String? = env("ZG_API_MAX_STREAMS")

    @Option(help: "Event streams one API token may hold open; more get 429. Env: ZG_API_MAX_STREAMS_PER_TOKEN.")
    var apiMaxStreamsPerToken: String = env("ZG_API_MAX_STREAMS_PER_TOKEN") ?? "8"

    @Option(help: "A name (NAME, or NAME:PORT) the REST API answers to besides localhost and the --listen address (Host check); repeatable. Env: ZG_API_HOSTNAME (comma-separated).")
    var apiHostname: [String] = env("ZG_API_HOSTNAME").map { [$0] } ?? []

    @Option(help: "PEM bundle of CAs trusted for https repositories (replaces the system store). Env: ZG_CA_FILE.")
    var caFile: String? = env("ZG_CA_FILE")

    @Option(help: "Network deadline of one git operation. Env: ZG_GIT_TIMEOUT.")
    var gitTimeout: String = env("ZG_GIT_TIMEOUT") ?? "60s"

    @Option(help: "First retry after a retryable failure; doubled up to the poll interval. Env: ZG_RETRY_MIN.")
    var retryMin: String = env("ZG_RETRY_MIN") ?? "10s"

    @Option(help: "Safety-net rescan of the apps and requests dirs (inotify is the fast path). Env: ZG_RESCAN_INTERVAL.")
    var rescanInterval: String = env("ZG_RESCAN_INTERVAL") ?? "30s"

    @Option(help: "Applications of one repository and branch that look within this long share one head lookup; 0s turns it off. Env: ZG_HEAD_CACHE.")
    var headCache: String = env("ZG_HEAD_CACHE") ?? "2s"

    @Option(help: "After SIGTERM / SIGINT, how long running syncs get to finish. Env: ZG_SHUTDOWN_GRACE.")
    var shutdownGrace: String = env("ZG_SHUTDOWN_GRACE") ?? "30s"

    @Option(help: "A daemon-wide notification endpoint: every app's events, generic format. Env: ZG_NOTIFY_URL.")
    var notifyUrl: String? = env("ZG_NOTIFY_URL")

    @Option(help: "HMAC-SHA256 key for --notify-url's X-Zerverless-Signature. Env: ZG_NOTIFY_SECRET_FILE.")
    var notifySecretFile: String? = env("ZG_NOTIFY_SECRET_FILE")

    @Flag(help: "Let tenants' notification and forge URLs reach loopback, private and link-local addresses. Env: ZG_NOTIFY_ALLOW_PRIVATE=1.")
    var notifyAllowPrivate = envFlag("ZG_NOTIFY_ALLOW_PRIVATE")

    @Option(help: ArgumentHelp("First retry of an undelivered notification, doubled up to 1h. Env: ZG_NOTIFY_RETRY.", visibility: .hidden))
    var notifyRetry: String = env("ZG_NOTIFY_RETRY") ?? "5s"

    @Option(help: "Scale-out: daemons sharing the apps dir and the state dir, each owning the namespaces its index wins. Env: ZG_SHARDS.")
    var shards: String = env("ZG_SHARDS") ?? "1"

    @Option(help: "This daemon's shard, 0 to N-1, or auto (the trailing -K of the host name: a StatefulSet pod). Env: ZG_SHARD_INDEX.")
    var shardIndex: String = env("ZG_SHARD_INDEX") ?? "0"

    @Option(help: "How often each app's deployments are compared with the target (selfHeal); 0 turns it off. Env: ZG_DRIFT_INTERVAL.")
    var driftInterval: String = env("ZG_DRIFT_INTERVAL") ?? "10m"

    func duration(_ text: String, _ option: String, allowZero: Bool = false) throws -> Int {
        if allowZero && text == "0" { return 0 }
        guard let seconds = Rules.parseDuration(text), seconds > 0 || (allowZero && seconds == 0) else {
            printErr("error: --\(option): \"\(text)\" is not a duration; write it like 90s, 5m, 1h or 1h30m")
            throw ExitCode(2)
        }
        return seconds
    }

    func usage(_ message: String) -> ExitCode {
        printErr("error: \(message)")
        return ExitCode(2)
    }

    func run() async throws {
        let poll = try duration(pollInterval, "poll-interval")
        let grace = try duration(removalGrace, "removal-grace", allowZero: true)
        let gitDeadline = try duration(gitTimeout, "git-timeout")
        let retry = try duration(retryMin, "retry-min")
        let rescan = try duration(rescanInterval, "rescan-interval")
        let shutdown = try duration(shutdownGrace, "shutdown-grace")
        let headAge = try duration(headCache, "head-cache", allowZero: true)
        let buildSeconds = try duration(buildTimeout, "build-timeout")
        let apiHeadTimeout = try duration(apiReadTimeout, "api-read-timeout")
        let drift = try duration(driftInterval, "drift-interval", allowZero: true)
        let sharding = try ShardSettings.parse(shards: shards, index: shardIndex)
        let notifyRetrySeconds = try duration(notifyRetry, "notify-retry")
        if let notifyUrl, let problem = Registration.endpointURLProblem(notifyUrl) {
            throw usage("--notify-url: \"\(Registration.redactEndpoint(notifyUrl))\" \(problem)")
        }
        if let notifySecretFile, notifyUrl == nil { throw usage("--notify-secret-file \(notifySecretFile) needs --notify-url") }
        if let notifySecretFile, !FileManager.default.isReadableFile(atPath: notifySecretFile) {
            throw usage("--notify-secret-file: cannot read \(notifySecretFile)")
        }
        guard let maxConnections = Int(apiMaxConnections), maxConnections >= 1 else {
            throw usage("--api-max-connections: \"\(apiMaxConnections)\" is not a number of at least 1")
        }
        let api = try apiSettings(maxConnections: maxConnections)
        guard let repoSizeLimit = Rules.parseSize(maxRepoSize), repoSizeLimit > 0 else {
            throw usage("--max-repo-size: \"\(maxRepoSize)\" is not a size; write it like 500MiB or 2GiB")
        }
        guard let refsLimit = Int(maxRefs), refsLimit >= 0 else {
            throw usage("--max-refs: \"\(maxRefs)\" is not a number (0 for no limit)")
        }
        guard let appsPerNamespace = Int(maxAppsPerNamespace), appsPerNamespace >= 1 else {
            throw usage("--max-apps-per-namespace: \"\(maxAppsPerNamespace)\" is not a number of at least 1")
        }
        guard let workers = Int(concurrency), workers >= 1, workers <= 256 else {
            throw usage("--concurrency: \"\(concurrency)\" is not a number from 1 to 256")
        }
        guard let format = StderrLogHandler.Format(rawValue: logFormat) else {
            throw usage("--log-format: \"\(logFormat)\"; expected text or json")
        }
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw usage("--log-level: \"\(logLevel)\"; expected trace, debug, info, notice, warning, error or critical")
        }
        guard ["auto", "docker", "podman", "buildah"].contains(dockerBuilder) else {
            throw usage("--docker-builder: \"\(dockerBuilder)\"; expected auto, docker, podman or buildah")
        }
        var imageRegistryValue: ImageRegistry?
        if let imageRegistry {
            switch ImageRegistry.parse(imageRegistry, insecure: imageRegistryInsecure) {
            case .success(let value): imageRegistryValue = value
            case .failure(let error): throw usage("--image-registry: \(error)")
            }
        } else if imageRegistryInsecure {
            throw usage("--image-registry-insecure needs --image-registry")
        }
        if listen != "none" {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw usage("--listen: \"\(listen)\"; expected HOST:PORT or none")
            }
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if !["127.0.0.1", "::1", "localhost"].contains(host) && apiTokensFile == nil && !insecureApi {
                throw usage("--listen \(listen) is not a loopback address: give --api-tokens-file, or --insecure-api to allow it without")
            }
        }
        var tokens: APITokens?
        if let apiTokensFile {
            do {
                tokens = try APITokens(file: apiTokensFile) { problem in
                    let tokensLogger = Logger(label: "zerverless-gitops")
                    if let problem {
                        tokensLogger.critical("the API tokens file cannot be used; every API call is refused until it is fixed",
                                              metadata: ["problem": "\(problem)"])
                    } else {
                        tokensLogger.notice("the API tokens file is usable again", metadata: ["file": "\(apiTokensFile)"])
                    }
                }
            } catch { throw usage("--api-tokens-file: \(error)") }
        }
        if let webhookSecretFile {
            guard let data = FileManager.default.contents(atPath: webhookSecretFile),
                  !String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw usage("--webhook-secret-file: cannot read \(webhookSecretFile), or it is empty")
            }
        }
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else { throw usage("--ca-file: cannot read \(caFile)") }
            GitSource.setCAFile(caFile)
        }
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, format: format, level: level) }
        // Descriptors: every connection, cache and spawned pipe takes some; the soft limit
        // (often 1,024) is raised to the hard one.
        var files = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files) == 0, files.rlim_cur < files.rlim_max {
            files.rlim_cur = files.rlim_max
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
        }
        var connectionLimits = ConnectionGuard.Limits()
        connectionLimits.headTimeout = .seconds(Int64(apiHeadTimeout))
        connectionLimits.maxConnections = maxConnections
        let logger = Logger(label: "zerverless-gitops")

        let layout = StateLayout(root: stateDir)
        let (deployTarget, targetID) = try makeTarget(layout)
        // One daemon per state dir: a second one would deploy everything twice. Nothing is
        // written before this (not even a stale temporary removed).
        let daemonLock: DaemonLock
        do {
            daemonLock = try DaemonLock(layout: layout, shard: sharding.index)
        } catch {
            printErr("error: \(error)")
            throw ExitCode(1)
        }
        // Other shards may be writing into the same folder: only a lone daemon sweeps it.
        if sharding.shards == 1 { (deployTarget as? LocalTarget)?.removeStaleTemporaries() }
        let limits = SyncLimits()
        // Found on first use: no probe at all when no application has a Docker function.
        let buildPolicy = BuildPolicy(buildNamespaces: BuildPolicy.namespaces(dockerBuildNamespaces),
                                      networkNamespaces: BuildPolicy.namespaces(buildNetworkNamespaces), timeout: .seconds(buildSeconds))
        let builder = DetectingImageBuilder(choice: dockerBuilder, policy: buildPolicy, registry: imageRegistryValue)
        let checker = CodeChecker.detect()
        // Probing the tools takes a few hundred milliseconds: done beside the first syncs,
        // not before them.
        Thread.detachNewThread {
            let checkers = checker.warmUp()
            let found = builder.builder
            logger.info("tools", metadata: ["docker_builder": "\(found.map { $0.tool.rawValue } ?? "none")",
                                            "code_checkers": "\(checkers.isEmpty ? "none" : checkers.joined(separator: ","))"])
        }
        // Metrics through swift-metrics, Prometheus as the backend.
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
                                                   .seconds(30), .seconds(60), .seconds(300)]
        MetricsSystem.bootstrap(factory)
        let metrics = DaemonMetrics()
        let readiness = Readiness()
        var context = SyncContext(layout: layout, target: MeteredTarget(deployTarget, metrics: metrics), targetID: targetID, limits: limits,
                                  checker: checker, builder: builder, gitTimeout: .seconds(gitDeadline),
                                  allowLocal: allowFileUrls, secrets: SecretsDir(root: secretsDir), defaultPollInterval: poll,
                                  concurrency: workers, headMaxAge: .seconds(headAge), metrics: metrics, logger: logger)
        context.repositorySizeLimit = repoSizeLimit
        context.readiness = readiness
        context.maxRefs = refsLimit == 0 ? nil : refsLimit
        context.driftInterval = Double(drift)
        context.shard = sharding.shards > 1 ? sharding.index : nil
        context.driftProbe = (deployTarget as? LocalTarget).map { LocalDriftProbe(target: $0) } ?? (deployTarget as? HTTPTarget).map { HTTPDriftProbe(target: $0) }
        var notifierConfiguration = Notifier.Configuration(operatorURL: notifyUrl, operatorSecretFile: notifySecretFile, secrets: SecretsDir(root: secretsDir))
        notifierConfiguration.retryBase = Double(notifyRetrySeconds)
        notifierConfiguration.allowPrivate = notifyAllowPrivate
        let notifier = Notifier(outbox: Outbox(layout: layout), configuration: notifierConfiguration, logger: logger)
        context.notifications = Notifications(layout: layout, notifier: notifier, operatorEndpoint: notifyUrl != nil, logger: logger)
        let scheduling = Scheduler.Configuration(looks: max(32, 4 * workers), namespaceLooks: 4, removalGrace: Double(grace),
                                                 policy: SchedulePolicy(retryMin: Double(retry)), defaultPollInterval: Double(poll))
        var supervising = supervisorConfiguration(scheduling, rescan: rescan, sharding: sharding)
        supervising.stateDirLost = { daemonLock.lost() }
        let supervisor = Supervisor(configuration: supervising, runner: SyncRunner(context: context), readiness: readiness)
        let reloadTokens = tokens
        var services: [any Service] = [DaemonService(supervisor: supervisor, logger: logger, onReload: { reloadTokens?.reload() }),
                                       NotifierService(notifier: notifier)]
        if listen != "none" {
            let colon = listen.lastIndex(of: ":")!
            let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let port = Int(listen[listen.index(after: colon)...])!
            var facade = Facade(appsDir: (appsDir as NSString).standardizingPath, layout: layout, tokens: tokens,
                                webhookSecretFile: webhookSecretFile,
                                processMetrics: {
                                    var buffer: [UInt8] = []
                                    registry.emit(into: &buffer)
                                    return DaemonMetrics.annotate(String(decoding: buffer, as: UTF8.self))
                                        + ProcessMetrics.text(version: ZerverlessGitops.configuration.version)
                                },
                                readiness: readiness, secrets: SecretsDir(root: secretsDir))
            facade.maxAppsPerNamespace = appsPerNamespace
            facade.hosts = HostPolicy(listenHost: host, names: api.hostnames)
            facade.streams = api.streams
            var httpLogger = Logger(label: "zerverless-gitops.http")
            httpLogger.logLevel = .warning
            let connectionGuard = ConnectionGuard(limits: connectionLimits)
            let app = Application(router: facade.router(),
                                  server: .http1(configuration: .init(additionalChannelHandlers: [connectionGuard.handler()])),
                                  configuration: .init(address: .hostname(host, port: port)),
                                  onServerRunning: { channel in
                                      logger.info("listening", metadata: ["address": "\(host):\(channel.localAddress?.port ?? port)"])
                                  }, logger: httpLogger)
            services.append(app)
        }
        // SIGTERM / SIGINT: graceful shutdown; what still runs after --shutdown-grace is
        // cancelled (a look stuck in a network call is left behind: the files are crash-safe).
        // service-lifecycle's own messages under their own label, at info or above.
        var lifecycleLogger = Logger(label: "zerverless-gitops.lifecycle")
        lifecycleLogger.logLevel = level > .info ? level : .info
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: lifecycleLogger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(shutdown)
        let group = ServiceGroup(configuration: groupConfiguration)
        defer { withExtendedLifetime(daemonLock) {} }
        try await group.run()
    }
}
