import Foundation
import HTTPFacade
import Manifest
import State
import Sync
import Toolkit

/// Everything `zerverless-gitops run` can be told, typed and with its defaults: what the
/// CLI parses (flags and `ZG_*` variables) and what a test fills in to build the daemon in
/// process. `problems()` checks what spans several settings or needs the file system.
public struct AgentSettings: Sendable {
    public var appsDir: String
    public var stateDir: String
    /// The REST facade, `/metrics` and the probes; nil: none.
    public var listen: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 8090)
    public var target: TargetChoice = .local(nil)
    /// Bearer token file of an HTTP target.
    public var targetTokenFile: String?
    public var pollInterval: Duration = .seconds(300)
    public var concurrency = 4
    public var allowFileURLs = false
    public var dockerBuilder: DockerBuilderChoice = .auto
    /// `*`, `none`, or `ns1,ns2`.
    public var dockerBuildNamespaces = "*"
    public var buildNetworkNamespaces = "none"
    public var imageRegistry: ImageRegistry?
    public var buildTimeout: Duration = .seconds(600)
    public var removalGrace: Duration = .seconds(60)
    public var webhookSecretFile: String?
    public var secretsDir = SecretsDir.defaultRoot
    public var maxRepoSize = 2 << 30
    /// nil: no limit.
    public var maxRefs: Int? = 10_000
    public var maxAppsPerNamespace = 200
    public var apiTokensFile: String?
    public var insecureAPI = false
    public var apiReadTimeout: Duration = .seconds(10)
    public var apiMaxConnections = 512
    /// nil: 64, or half of `apiMaxConnections` when that is lower.
    public var apiMaxStreams: Int?
    public var apiMaxStreamsPerToken = 8
    public var apiHostnames: [String] = []
    public var caFile: String?
    public var gitTimeout: Duration = .seconds(60)
    public var retryMin: Duration = .seconds(10)
    public var rescanInterval: Duration = .seconds(30)
    /// Zero: no shared head lookups.
    public var headCache: Duration = .seconds(2)
    public var shutdownGrace: Duration = .seconds(30)
    public var notifyURL: String?
    public var notifySecretFile: String?
    public var notifyAllowPrivate = false
    public var notifyRetry: Duration = .seconds(5)
    public var shards = 1
    public var shardIndex = 0
    /// Shards > 1: how long an application's lease lasts unless renewed (renewed every
    /// third of it).
    public var leaseDuration: Duration = .seconds(60)
    /// Shards > 1: the rescan runs at least this often (inotify does not see another
    /// host's writes on a network file system).
    public var shardRescanInterval: Duration = .seconds(2)
    /// How often the daemon checks that its state dir and lock are still its own.
    public var stateCheckInterval: Duration = .seconds(2)
    /// Zero: no drift passes.
    public var driftInterval: Duration = .seconds(600)
    /// Where deployed functions and static files are invoked, for health checks (nil: the
    /// HTTP target's URL; on the local target, health is `unknown`).
    public var invokeURL: String?
    /// Re-check of every application's health; zero: none.
    public var healthInterval: Duration = .seconds(300)
    /// The public base of the platform, for the URLs of previews (nil: paths from the root).
    public var publicURL: String?
    /// The most applications one application set may make (an operator's cap over
    /// `limits.maxApplications`).
    public var maxAppsPerSet = 100
    /// The shortest listing interval of an application set (a shorter one is raised).
    public var setMinInterval: Duration = .seconds(60)

    public init(appsDir: String, stateDir: String) {
        self.appsDir = appsDir
        self.stateDir = stateDir
    }

    /// The streams' budget stays below the connection cap, so probes, webhooks and other
    /// calls always find a connection.
    public var streamsTotal: Int { apiMaxStreams ?? min(64, max(1, apiMaxConnections / 2)) }

    /// What is wrong with these settings together, as `--option: why` lines; empty: none.
    public func problems() -> [SettingsProblem] {
        var found: [SettingsProblem] = []
        func problem(_ option: String, _ message: String) {
            found.append(SettingsProblem(option: option, message: message))
        }
        if !(1...256).contains(concurrency) {
            problem("concurrency", "\"\(concurrency)\" is not a number from 1 to 256")
        }
        if apiMaxConnections < 1 {
            problem("api-max-connections", "\"\(apiMaxConnections)\" is not a number of at least 1")
        }
        if let total = apiMaxStreams {
            if total < 1 { problem("api-max-streams", "\"\(total)\" is not a number of at least 1") }
            if total >= apiMaxConnections {
                problem(
                    "api-max-streams",
                    "\(total) must be below --api-max-connections \(apiMaxConnections): the other calls (probes, webhooks) need connections too"
                )
            }
        }
        if apiMaxStreamsPerToken < 1 {
            problem("api-max-streams-per-token", "\"\(apiMaxStreamsPerToken)\" is not a number of at least 1")
        }
        if maxAppsPerNamespace < 1 {
            problem("max-apps-per-namespace", "\"\(maxAppsPerNamespace)\" is not a number of at least 1")
        }
        if maxRepoSize < 1 { problem("max-repo-size", "\(maxRepoSize) is not a size of at least one byte") }
        if !(1...1024).contains(shards) { problem("shards", "\"\(shards)\" is not a number of shards from 1 to 1024") }
        if shardIndex < 0 || shardIndex >= shards {
            problem(
                "shard-index",
                "\(shardIndex) is not below --shards \(shards) (indexes are 0 to \(shards - 1)); with a StatefulSet, --shards must equal its replicas"
            )
        }
        for (option, value) in [
            ("poll-interval", pollInterval), ("git-timeout", gitTimeout), ("retry-min", retryMin),
            ("rescan-interval", rescanInterval), ("shutdown-grace", shutdownGrace), ("build-timeout", buildTimeout),
            ("api-read-timeout", apiReadTimeout), ("notify-retry", notifyRetry),
        ] where value <= .zero {
            problem(option, "must be longer than 0s")
        }
        for name in apiHostnames {
            if let why = HostPolicy.nameProblem(name) { problem("api-hostname", why) }
        }
        if let invokeURL {
            let url = URL(string: invokeURL)
            if !(invokeURL.hasPrefix("http://") || invokeURL.hasPrefix("https://")) || url?.host == nil {
                problem("invoke-url", "\"\(invokeURL)\" is not an http:// or https:// URL with a host")
            } else if url?.user != nil || url?.query != nil || url?.fragment != nil {
                // Copied into every check's URL, which tenants see in their status.
                problem("invoke-url", "takes no user, password, query or fragment (a base like http://host:8000)")
            }
        }
        if let publicURL {
            let url = URL(string: publicURL)
            if !(publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://")) || url?.host == nil {
                problem("public-url", "\"\(publicURL)\" is not an http:// or https:// URL with a host")
            } else if url?.user != nil || url?.query != nil || url?.fragment != nil {
                problem(
                    "public-url", "takes no user, password, query or fragment (a base like https://zerverless.example)")
            }
        }
        if maxAppsPerSet < 1 { problem("max-apps-per-set", "must be at least 1") }
        if setMinInterval < .seconds(1) { problem("set-min-interval", "must be at least 1s") }
        if let notifyURL, let why = Registration.endpointURLProblem(notifyURL) {
            problem("notify-url", "\"\(Registration.redactEndpoint(notifyURL))\" \(why)")
        }
        if let notifySecretFile {
            if notifyURL == nil {
                problem("notify-secret-file", "\(notifySecretFile) needs --notify-url")
            } else if !FileManager.default.isReadableFile(atPath: notifySecretFile) {
                problem("notify-secret-file", "cannot read \(notifySecretFile)")
            }
        }
        if let listen, !listen.isLoopback, apiTokensFile == nil, !insecureAPI {
            problem(
                "listen",
                "\(listen) is not a loopback address: give --api-tokens-file, or --insecure-api to allow it without")
        }
        if let webhookSecretFile {
            let text =
                FileManager.default.contents(atPath: webhookSecretFile).map { String(decoding: $0, as: UTF8.self) }
                ?? ""
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problem("webhook-secret-file", "cannot read \(webhookSecretFile), or it is empty")
            }
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            problem("ca-file", "cannot read \(caFile)")
        }
        if case .http = target, let targetTokenFile, FileManager.default.contents(atPath: targetTokenFile) == nil {
            problem("target-token-file", "cannot read \(targetTokenFile)")
        }
        if case .local(let dir?) = target, dir.isEmpty { problem("target", "local: needs a folder after the colon") }
        return found
    }
}

/// One problem of the settings: the option it is about (without dashes) and why.
public struct SettingsProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var option: String
    public var message: String
    public var description: String { "--\(option): \(message)" }

    public init(option: String, message: String) {
        self.option = option
        self.message = message
    }
}

/// `HOST:PORT` (an IPv6 host in brackets).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`; nil when it is not that.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            return nil
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Where deployments go: plain folders (`local`, `local:DIR`; default DIR: STATE/published)
/// or the orchestrator's HTTP API.
public enum TargetChoice: Sendable, Equatable {
    case local(String?)
    case http(String)

    /// `local`, `local:DIR`, or `http(s)://HOST:PORT`; nil when it is none of these.
    public init?(_ text: String) {
        if text == "local" {
            self = .local(nil)
        } else if text.hasPrefix("local:") {
            self = .local(String(text.dropFirst("local:".count)))
        } else if text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text)?.host != nil {
            self = .http(text)
        } else {
            return nil
        }
    }
}

/// What builds `runtime: docker` functions.
public enum DockerBuilderChoice: String, Sendable, CaseIterable {
    case auto, docker, podman, buildah
}
