import Agent
import ArgumentParser
import CoreMetrics
import Daemon
import Foundation
import Logging
import Manifest
import Prometheus
import State
import Sync
import Toolkit

/// `zerverless-gitops run`: the daemon. Every option also reads `ZG_<NAME>`; a flag wins.
/// The options are typed (`RunValue`): a bad value, from a flag or the environment, is a
/// usage error (exit 2) naming the option. The daemon itself is built by `Agent`.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the GitOps daemon: keep every registered application deployed as its repository says",
        discussion:
            "Watches the apps dir, looks at each application's repository at its poll interval (at once on a sync request or a webhook) and makes the target match the manifest of the commit it finds. Stops on SIGTERM or SIGINT: no new syncs, running ones get --shutdown-grace (30s) to finish, exit 0. Exit 2 on bad options."
    )

    @OptionGroup var apps: AppsDirOption
    @OptionGroup var state: StateDirOption
    @OptionGroup var options: RunOptions

    func run() async throws {
        let settings: AgentSettings
        let logging: (format: StderrLogHandler.Format, level: Logger.Level)
        do {
            (settings, logging) = try options.settings(appsDir: apps.appsDir, stateDir: state.stateDir)
        } catch {
            printErr("error: \(error)")
            throw ExitCode(2)
        }
        if let problem = settings.problems().first {
            printErr("error: \(problem)")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, format: logging.format, level: logging.level)
        }
        raiseDescriptorLimit()
        limitMallocArenas()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            .seconds(30), .seconds(60), .seconds(300),
        ]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "zerverless-gitops")
        let agent: Agent
        do {
            agent = try Agent(
                settings: settings, logger: logger,
                metricsText: {
                    var buffer: [UInt8] = []
                    registry.emit(into: &buffer)
                    return DaemonMetrics.annotate(String(decoding: buffer, as: UTF8.self))
                        + ProcessMetrics.text(version: ZerverlessGitops.configuration.version)
                },
                apiTokensReport: { problem in
                    if let problem {
                        logger.critical(
                            "the API tokens file cannot be used; every API call is refused until it is fixed",
                            metadata: ["problem": "\(problem)"])
                    } else {
                        logger.notice(
                            "the API tokens file is usable again", metadata: ["file": "\(settings.apiTokensFile ?? "")"]
                        )
                    }
                })
        } catch .settings(let problems) {
            printErr("error: \(problems.map(\.description).joined(separator: "\nerror: "))")
            throw ExitCode(2)
        } catch .start(let message) {
            printErr("error: \(message)")
            throw ExitCode(1)
        }
        // service-lifecycle's own messages under their own label, at info or above.
        var lifecycleLogger = Logger(label: "zerverless-gitops.lifecycle")
        lifecycleLogger.logLevel = max(logging.level, .info)
        try await agent.run(signals: true, lifecycleLogger: lifecycleLogger)
    }

    /// glibc gives each thread that meets a busy heap an arena of its own (up to 8 per
    /// core), and memory freed in one is not reused by another: at 10,000 applications two
    /// arenas kept 127 MB resident where the default kept 164 MB (peak 147 against 183),
    /// with no more CPU. `MALLOC_ARENA_MAX` in the environment, if set, is left to glibc.
    func limitMallocArenas() {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
            let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")  // RTLD_DEFAULT
        else { return }
        // mallopt(M_ARENA_MAX, 2): <malloc.h> is not in Swift's Glibc module.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mARENAMAX: Int32 = -8
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mARENAMAX, 2)
    }

    /// Descriptors: every connection, cache and spawned pipe takes some; the soft limit
    /// (often 1,024) is raised to the hard one.
    func raiseDescriptorLimit() {
        var files = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files) == 0, files.rlim_cur < files.rlim_max {
            files.rlim_cur = files.rlim_max
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &files)
        }
    }
}
