import Logging
import ServiceLifecycle
import UnixSignals

/// The supervisor as a service of swift-service-lifecycle. SIGTERM / SIGINT: no new looks,
/// running ones finish; the service group's `maximumGracefulShutdownDuration` (the
/// daemon's `--shutdown-grace`) then cancels what is still running and the process exits
/// 0 (every state file is crash-safe). SIGHUP rereads the apps dir (and what `onReload`
/// names: the API tokens).
public struct DaemonService: Service {
    public let supervisor: Supervisor
    public let logger: Logger
    /// What else SIGHUP rereads (the API tokens file).
    public let onReload: @Sendable () -> Void

    public init(supervisor: Supervisor, logger: Logger, onReload: @escaping @Sendable () -> Void = {}) {
        self.supervisor = supervisor
        self.logger = logger
        self.onReload = onReload
    }

    public func run() async throws {
        let supervisor = self.supervisor
        let logger = self.logger
        let onReload = self.onReload
        // Trapped before anything runs: SIGHUP (logrotate, `systemctl reload`) must never
        // end the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await supervisor.run()
                    if let lost = await supervisor.lostStateDir { throw StateDirLost(problem: lost) }
                }
                group.addTask {
                    for await _ in hangups {
                        logger.info("SIGHUP: reloading the apps dir and the API tokens")
                        onReload()
                        await supervisor.reload()
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } onGracefulShutdown: {
            supervisor.stop()
        }
    }
}

/// The daemon's state dir was removed or replaced under it: the process ends with this
/// error (exit 1) so that its supervisor (systemd, Kubernetes) starts it over.
public struct StateDirLost: Error, CustomStringConvertible {
    public let problem: String
    public var description: String {
        "\(problem) under the running daemon; restart it to start over from what the state dir holds now"
    }
}
