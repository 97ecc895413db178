import Foundation

/// A server process started for a test, stopped when released. Spawned with posix_spawn
/// and reaped here, not through Foundation's Process: Foundation watches a child through
/// an inherited socket, and a daemon that closes its inherited descriptors (sshd does)
/// makes it block in waitpid, which stalls the reaping of every other child.
/// `@unchecked`: `exited` is a plain `var`; a test starts and stops a server from one task at a time.
public final class ServerProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    public let name: String
    let log: String
    private var exited = false

    public init(
        _ name: String, executable: String, arguments: [String], port: Int, log: String,
        environment: [String: String]? = nil
    ) throws {
        self.name = name
        self.port = port
        self.log = log
        self.pid = try spawn(
            executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment, log: log,
            append: false, name: name)
        do {
            try waitUntil("\(name) to listen on port \(port)") {
                if self.reap() {
                    throw CommandFailed(
                        description: "\(name) exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                }
                return portAcceptsConnections(port)
            }
        } catch {
            stop()
            throw error
        }
    }

    /// true once the process has exited (and was reaped).
    private func reap() -> Bool {
        if exited { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return exited
    }

    /// SIGTERM, then SIGKILL if it is still there half a second later.
    public func stop() {
        guard !reap() else { return }
        kill(pid, SIGTERM)
        if (try? waitUntil(timeout: .milliseconds(500), "\(name) to exit", { self.reap() })) == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            exited = true
        }
    }

    deinit { stop() }
}

/// Starts a process with stdin from /dev/null and stdout and stderr into `log`.
public func spawn(
    _ executable: String, _ arguments: [String], environment: [String: String], log: String, append: Bool,
    name: String
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { env.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, env)
    guard rc == 0 else { throw CommandFailed(description: "\(name): posix_spawn: \(String(cString: strerror(rc)))") }
    return pid
}
