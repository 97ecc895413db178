import Foundation

/// `zerverless-gitops run` (the built binary) started by a test, with its own apps dir
/// and state dir, its log in a file; stopped (SIGKILL) when released.
/// `@unchecked`: `exitStatus` is a plain `var`; a test drives one daemon from one task at a time.
public final class DaemonProcess: @unchecked Sendable {
    public let pid: pid_t
    public let appsDir: String
    public let stateDir: String
    public let logFile: String
    private var exitStatus: Int32?

    /// `launcher`: a program and its arguments the daemon is started through (`prlimit ...`).
    public init(
        appsDir: String, stateDir: String, logFile: String, arguments: [String] = [],
        environment: [String: String] = [:],
        launcher: [String] = []
    ) throws {
        self.appsDir = appsDir
        self.stateDir = stateDir
        self.logFile = logFile
        let args =
            [
                "run", "--apps-dir", appsDir, "--state-dir", stateDir, "--listen", "none",
                "--allow-file-urls", "--log-level", "debug",
            ] + arguments
        var env = gitEnvironment
        for (k, v) in environment { env[k] = v }
        if let program = launcher.first {
            pid = try spawn(
                program, Array(launcher.dropFirst()) + [Build.binary] + args, environment: env, log: logFile,
                append: true, name: "zerverless-gitops run")
        } else {
            pid = try spawn(
                Build.binary, args, environment: env, log: logFile, append: true, name: "zerverless-gitops run")
        }
    }

    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// The exit status once the process has exited (reaped here), else nil.
    public func exited() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            // WIFEXITED ? WEXITSTATUS : 128 + signal
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
        return exitStatus
    }

    public func signal(_ sig: Int32) { if exited() == nil { kill(pid, sig) } }

    /// Sends `sig` and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(_ sig: Int32 = SIGTERM, timeout: Duration = .seconds(40)) throws -> Int32 {
        signal(sig)
        try waitUntil(timeout: timeout, "the daemon to exit after signal \(sig)") { exited() != nil }
        return exited()!
    }

    deinit {
        if exited() == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    // MARK: State files

    public func statusFile(_ name: String) -> String { "\(stateDir)/apps/\(name)/status.json" }

    /// The status document of `name` as JSON, or nil.
    public func status(_ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: statusFile(name)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    public func phase(_ name: String) -> String? { status(name)?["status"] as? String }
    public func commit(_ name: String) -> String? { (status(name)?["source"] as? [String: Any])?["commit"] as? String }

    /// Waits until `name`'s status is `phase` (and at `commit` when given); the log and
    /// the status are in the error.
    public func waitFor(_ name: String, _ phase: String, commit: String? = nil, timeout: Duration = .seconds(30)) throws
    {
        do {
            try waitUntil(timeout: timeout, "\(name) to be \(phase)\(commit.map { " at \($0.prefix(12))" } ?? "")") {
                if let code = exited() { throw CommandFailed(description: "the daemon exited with \(code)") }
                return self.phase(name) == phase && (commit == nil || self.commit(name) == commit)
            }
        } catch {
            let status =
                (FileManager.default.contents(atPath: statusFile(name))).map { String(decoding: $0, as: UTF8.self) }
                ?? "(no status)"
            throw CommandFailed(description: "\(error)\nstatus: \(status)\nlog:\n\(log.suffix(6000))")
        }
    }

    /// The attempts of `history.json`, newest first.
    public func attempts(_ name: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: "\(stateDir)/apps/\(name)/history.json"),
            let doc = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [] }
        return doc["attempts"] as? [[String: Any]] ?? []
    }
}

/// Writes a file through a temporary name and a rename, as Ansible and editors do.
public func writeByRename(_ text: String, to path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let temp = (dir as NSString).appendingPathComponent(
        ".\((path as NSString).lastPathComponent).ansible-tmp-\(UUID().uuidString.prefix(6))")
    try Data(text.utf8).write(to: URL(fileURLWithPath: temp))
    guard rename(temp, path) == 0 else {
        throw CommandFailed(description: "rename \(temp): \(String(cString: strerror(errno)))")
    }
}
