import Agent
import ArgumentParser
import Daemon
import Foundation
import Logging
import Manifest
import State
import Sync
import Toolkit

/// The options of `run`, typed. Each is optional on the command line; `settings` takes the
/// flag, else its `ZG_*` variable (parsed the same way), else the default of
/// `AgentSettings`.
struct RunOptions: ParsableArguments {
    @Option(
        help: "REST facade, /metrics, /healthz: HOST:PORT, or none (default 127.0.0.1:8090). Env: ZG_LISTEN.",
        transform: Parse.listen)
    var listen: ListenAddress??

    @Option(
        help: "local[:DIR] (default DIR: STATE/published) or http(s)://HOST:PORT of the orchestrator. Env: ZG_TARGET.",
        transform: Parse.target)
    var target: TargetChoice?

    @Option(help: "Bearer token file for an HTTP target. Env: ZG_TARGET_TOKEN_FILE.")
    var targetTokenFile: String?

    @Option(
        help: "Poll interval of applications that set none, like 90s or 5m (default 5m). Env: ZG_POLL_INTERVAL.",
        transform: Parse.duration)
    var pollInterval: Duration?

    @Option(help: "Syncs running at once (default 4). Env: ZG_CONCURRENCY.", transform: Parse.number)
    var concurrency: Int?

    @Flag(help: "Permit file:// and local-path repository URLs. Env: ZG_ALLOW_FILE_URLS=1.")
    var allowFileUrls = false

    @Option(
        help:
            "auto, docker, podman or buildah: what builds runtime: docker functions (default auto). Env: ZG_DOCKER_BUILDER.",
        transform: Parse.builder)
    var dockerBuilder: DockerBuilderChoice?

    @Option(
        help:
            "Namespaces whose Docker functions may be built: *, none, or ns1,ns2 (default *). Env: ZG_DOCKER_BUILD_NAMESPACES."
    )
    var dockerBuildNamespaces: String?

    @Option(
        help:
            "Namespaces whose build steps get the host's network: *, none, or ns1,ns2 (default none). Env: ZG_BUILD_NETWORK_NAMESPACES."
    )
    var buildNetworkNamespaces: String?

    @Option(help: "Push built Docker images to HOST[:PORT]/PREFIX and deploy them by digest. Env: ZG_IMAGE_REGISTRY.")
    var imageRegistry: String?

    @Flag(
        help: "The image registry speaks plain HTTP or has no trusted certificate. Env: ZG_IMAGE_REGISTRY_INSECURE=1.")
    var imageRegistryInsecure = false

    @Option(help: "How long one image build may take (default 10m). Env: ZG_BUILD_TIMEOUT.", transform: Parse.duration)
    var buildTimeout: Duration?

    @Option(help: "text or json, on stderr (default text). Env: ZG_LOG_FORMAT.", transform: Parse.logFormat)
    var logFormat: StderrLogHandler.Format?

    @Option(help: "debug, info, warning or error (default info). Env: ZG_LOG_LEVEL.", transform: Parse.logLevel)
    var logLevel: Logger.Level?

    @Option(
        help: "How long a removed registration waits before it is undeployed (default 60s). Env: ZG_REMOVAL_GRACE.",
        transform: Parse.durationOrZero)
    var removalGrace: Duration?

    @Option(help: "HMAC secret for POST /api/gitops/webhook. Env: ZG_WEBHOOK_SECRET_FILE.")
    var webhookSecretFile: String?

    @Option(
        help: "The only place registrations' secret and key files come from: DIR/NAMESPACE/FILE. Env: ZG_SECRETS_DIR.")
    var secretsDir: String?

    @Option(
        help:
            "The most one repository's fetches and fetch cache may take on disk, like 500MiB or 2GiB (default 2GiB). Env: ZG_MAX_REPO_SIZE.",
        transform: Parse.size)
    var maxRepoSize: Int?

    @Option(
        help:
            "The most branches and tags one fetch may store in a repository's cache (default 10000; 0: no limit). Env: ZG_MAX_REFS.",
        transform: Parse.count)
    var maxRefs: Int?

    @Option(
        help:
            "Registrations the REST API creates in one namespace, at most (default 200). Env: ZG_MAX_APPS_PER_NAMESPACE.",
        transform: Parse.number)
    var maxAppsPerNamespace: Int?

    @Option(help: "Bearer tokens of the REST API and their namespaces. Env: ZG_API_TOKENS_FILE.")
    var apiTokensFile: String?

    @Flag(help: "Allow --listen on a non-loopback address without --api-tokens-file. Env: ZG_INSECURE_API=1.")
    var insecureApi = false

    @Option(
        help:
            "How long a REST client may take to send a request's head, and keep an idle connection (default 10s). Env: ZG_API_READ_TIMEOUT.",
        transform: Parse.duration)
    var apiReadTimeout: Duration?

    @Option(
        help: "REST connections open at once; more are closed at once (default 512). Env: ZG_API_MAX_CONNECTIONS.",
        transform: Parse.number)
    var apiMaxConnections: Int?

    @Option(
        help:
            "Event streams (GET /api/gitops/events) open at once, in total, below --api-max-connections; more get 429. Default 64 (at most half of --api-max-connections). Env: ZG_API_MAX_STREAMS.",
        transform: Parse.number)
    var apiMaxStreams: Int?

    @Option(
        help: "Event streams one API token may hold open; more get 429 (default 8). Env: ZG_API_MAX_STREAMS_PER_TOKEN.",
        transform: Parse.number)
    var apiMaxStreamsPerToken: Int?

    @Option(
        help:
            "A name (NAME, or NAME:PORT) the REST API answers to besides localhost and the --listen address (Host check); repeatable. Env: ZG_API_HOSTNAME (comma-separated)."
    )
    var apiHostname: [String] = []

    @Option(help: "PEM bundle of CAs trusted for https repositories (replaces the system store). Env: ZG_CA_FILE.")
    var caFile: String?

    @Option(
        help: "Network deadline of one git operation (default 60s). Env: ZG_GIT_TIMEOUT.", transform: Parse.duration)
    var gitTimeout: Duration?

    @Option(
        help:
            "First retry after a retryable failure; doubled up to the poll interval (default 10s). Env: ZG_RETRY_MIN.",
        transform: Parse.duration)
    var retryMin: Duration?

    @Option(
        help:
            "Safety-net rescan of the apps and requests dirs; inotify is the fast path (default 30s). Env: ZG_RESCAN_INTERVAL.",
        transform: Parse.duration)
    var rescanInterval: Duration?

    @Option(
        help:
            "Applications of one repository and branch that look within this long share one head lookup; 0s turns it off (default 2s). Env: ZG_HEAD_CACHE.",
        transform: Parse.durationOrZero)
    var headCache: Duration?

    @Option(
        help: "After SIGTERM / SIGINT, how long running syncs get to finish (default 30s). Env: ZG_SHUTDOWN_GRACE.",
        transform: Parse.duration)
    var shutdownGrace: Duration?

    @Option(help: "A daemon-wide notification endpoint: every app's events, generic format. Env: ZG_NOTIFY_URL.")
    var notifyUrl: String?

    @Option(help: "HMAC-SHA256 key for --notify-url's X-Zerverless-Signature. Env: ZG_NOTIFY_SECRET_FILE.")
    var notifySecretFile: String?

    @Flag(
        help:
            "Let tenants' notification and forge URLs reach loopback, private and link-local addresses. Env: ZG_NOTIFY_ALLOW_PRIVATE=1."
    )
    var notifyAllowPrivate = false

    @Option(
        help: ArgumentHelp(
            "First retry of an undelivered notification, doubled up to 1h (default 5s). Env: ZG_NOTIFY_RETRY.",
            visibility: .hidden),
        transform: Parse.duration)
    var notifyRetry: Duration?

    @Option(
        help:
            "Scale-out: daemons sharing the apps dir and the state dir, each owning the namespaces its index wins (default 1). Env: ZG_SHARDS.",
        transform: Parse.shards)
    var shards: Int?

    @Option(
        help:
            "This daemon's shard, 0 to N-1, or auto (the trailing -K of the host name: a StatefulSet pod) (default 0). Env: ZG_SHARD_INDEX.",
        transform: Parse.shardIndex)
    var shardIndex: Int?

    @Option(
        help:
            "How often each app's deployments are compared with the target (selfHeal); 0 turns it off (default 10m). Env: ZG_DRIFT_INTERVAL.",
        transform: Parse.durationOrZero)
    var driftInterval: Duration?

    @Option(
        help:
            "Where deployed functions and static files are invoked, for health checks (default: the HTTP target's URL; on the local target health is unknown without it). Env: ZG_INVOKE_URL."
    )
    var invokeUrl: String?

    @Option(
        help:
            "How often every application's health checks run again after they settled; 0 turns it off (default 5m). Env: ZG_HEALTH_INTERVAL.",
        transform: Parse.durationOrZero)
    var healthInterval: Duration?

    @Option(
        help:
            "The public base of the platform (https://zerverless.example), for the URLs of previews in statuses and forge commit statuses (default: none; paths from the root). Env: ZG_PUBLIC_URL."
    )
    var publicUrl: String?

    @Option(
        help:
            "The most applications one application set may make, whatever its limits.maxApplications says (default 100). Env: ZG_MAX_APPS_PER_SET."
    )
    var maxAppsPerSet: Int?

    @Option(
        help:
            "The shortest interval an application set may list its generators at; a shorter spec.interval is raised to it (default 1m). Env: ZG_SET_MIN_INTERVAL.",
        transform: Parse.duration)
    var setMinInterval: Duration?

    /// The flag, else `ZG_<NAME>` parsed like the flag, else nil (the default).
    func pick<T>(_ flag: T?, _ option: String, _ parse: (String) throws -> T) throws -> T? {
        if let flag { return flag }
        let variable = "ZG_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let text = env(variable) else { return nil }
        do { return try parse(text) } catch {
            throw SettingsProblem(option: option, message: "\(variable)=\"\(text)\": \(error)")
        }
    }

    func pickFlag(_ flag: Bool, _ option: String) -> Bool {
        flag || envFlag("ZG_" + option.uppercased().replacingOccurrences(of: "-", with: "_"))
    }

    func settings(appsDir: String, stateDir: String) throws -> (
        AgentSettings, (format: StderrLogHandler.Format, level: Logger.Level)
    ) {
        var s = AgentSettings(appsDir: appsDir, stateDir: stateDir)
        if let v = try pick(listen, "listen", Parse.listen) { s.listen = v }
        if let v = try pick(target, "target", Parse.target) { s.target = v }
        s.targetTokenFile = try pick(targetTokenFile, "target-token-file", { $0 })
        if let v = try pick(pollInterval, "poll-interval", Parse.duration) { s.pollInterval = v }
        if let v = try pick(concurrency, "concurrency", Parse.number) { s.concurrency = v }
        s.allowFileURLs = pickFlag(allowFileUrls, "allow-file-urls")
        if let v = try pick(dockerBuilder, "docker-builder", Parse.builder) { s.dockerBuilder = v }
        if let v = try pick(dockerBuildNamespaces, "docker-build-namespaces", { $0 }) { s.dockerBuildNamespaces = v }
        if let v = try pick(buildNetworkNamespaces, "build-network-namespaces", { $0 }) { s.buildNetworkNamespaces = v }
        let insecureRegistry = pickFlag(imageRegistryInsecure, "image-registry-insecure")
        if let text = try pick(imageRegistry, "image-registry", { $0 }) {
            switch ImageRegistry.parse(text, insecure: insecureRegistry) {
            case .success(let value): s.imageRegistry = value
            case .failure(let error): throw SettingsProblem(option: "image-registry", message: "\(error)")
            }
        } else if insecureRegistry {
            throw SettingsProblem(option: "image-registry-insecure", message: "needs --image-registry")
        }
        if let v = try pick(buildTimeout, "build-timeout", Parse.duration) { s.buildTimeout = v }
        if let v = try pick(removalGrace, "removal-grace", Parse.durationOrZero) { s.removalGrace = v }
        s.webhookSecretFile = try pick(webhookSecretFile, "webhook-secret-file", { $0 })
        if let v = try pick(secretsDir, "secrets-dir", { $0 }) { s.secretsDir = v }
        if let v = try pick(maxRepoSize, "max-repo-size", Parse.size) { s.maxRepoSize = v }
        if let v = try pick(maxRefs, "max-refs", Parse.count) { s.maxRefs = v == 0 ? nil : v }
        if let v = try pick(maxAppsPerNamespace, "max-apps-per-namespace", Parse.number) { s.maxAppsPerNamespace = v }
        s.apiTokensFile = try pick(apiTokensFile, "api-tokens-file", { $0 })
        s.insecureAPI = pickFlag(insecureApi, "insecure-api")
        if let v = try pick(apiReadTimeout, "api-read-timeout", Parse.duration) { s.apiReadTimeout = v }
        if let v = try pick(apiMaxConnections, "api-max-connections", Parse.number) { s.apiMaxConnections = v }
        s.apiMaxStreams = try pick(apiMaxStreams, "api-max-streams", Parse.number)
        if let v = try pick(apiMaxStreamsPerToken, "api-max-streams-per-token", Parse.number) {
            s.apiMaxStreamsPerToken = v
        }
        let names = apiHostname.isEmpty ? (env("ZG_API_HOSTNAME").map { [$0] } ?? []) : apiHostname
        s.apiHostnames = names.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        s.caFile = try pick(caFile, "ca-file", { $0 })
        if let v = try pick(gitTimeout, "git-timeout", Parse.duration) { s.gitTimeout = v }
        if let v = try pick(retryMin, "retry-min", Parse.duration) { s.retryMin = v }
        if let v = try pick(rescanInterval, "rescan-interval", Parse.duration) { s.rescanInterval = v }
        if let v = try pick(headCache, "head-cache", Parse.durationOrZero) { s.headCache = v }
        if let v = try pick(shutdownGrace, "shutdown-grace", Parse.duration) { s.shutdownGrace = v }
        s.notifyURL = try pick(notifyUrl, "notify-url", { $0 })
        s.notifySecretFile = try pick(notifySecretFile, "notify-secret-file", { $0 })
        s.notifyAllowPrivate = pickFlag(notifyAllowPrivate, "notify-allow-private")
        if let v = try pick(notifyRetry, "notify-retry", Parse.duration) { s.notifyRetry = v }
        if let v = try pick(shards, "shards", Parse.shards) { s.shards = v }
        if let v = try pick(shardIndex, "shard-index", Parse.shardIndex) { s.shardIndex = v }
        if let v = try pick(driftInterval, "drift-interval", Parse.durationOrZero) { s.driftInterval = v }
        s.invokeURL = try pick(invokeUrl, "invoke-url", { $0 })
        if let v = try pick(healthInterval, "health-interval", Parse.durationOrZero) { s.healthInterval = v }
        s.publicURL = try pick(publicUrl, "public-url", { $0 })
        if let v = try pick(maxAppsPerSet, "max-apps-per-set", Parse.number) { s.maxAppsPerSet = v }
        if let v = try pick(setMinInterval, "set-min-interval", Parse.duration) { s.setMinInterval = v }
        let format = try pick(logFormat, "log-format", Parse.logFormat) ?? .text
        let level = try pick(logLevel, "log-level", Parse.logLevel) ?? .info
        return (s, (format, level))
    }
}
