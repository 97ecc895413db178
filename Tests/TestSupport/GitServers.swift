import Foundation

/// The environment for the git CLI in tests: no host configuration leaks in.
public let gitEnvironment: [String: String] = {
    var env = ProcessInfo.processInfo.environment
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "Test"
    env["GIT_AUTHOR_EMAIL"] = "test@example.com"
    env["GIT_COMMITTER_NAME"] = "Test"
    env["GIT_COMMITTER_EMAIL"] = "test@example.com"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env
}()

public struct CommandFailed: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

@discardableResult
public func git(_ args: [String], cwd: String? = nil) throws -> String {
    let out = try run("/usr/bin/git", args, environment: gitEnvironment, cwd: cwd)
    guard out.status == 0 else { throw CommandFailed(description: "git \(args.joined(separator: " ")): \(out.stderr)") }
    return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A bare repository with a work tree to commit from.
public final class GitRepo: @unchecked Sendable {
    public let bare: String
    public let work: String
    public let branch: String

    /// `ROOT/NAME.git` (bare) with a first commit of `files` on `branch`.
    public init(root: String, name: String = "repo", branch: String = "main", files: [String: String] = ["README.md": "hello\n"]) throws {
        bare = (root as NSString).appendingPathComponent("\(name).git")
        work = (root as NSString).appendingPathComponent(".work-\(name)")
        self.branch = branch
        try git(["init", "-q", "--bare", "-b", branch, bare])
        try git(["init", "-q", "-b", branch, work])
        try commit(files, message: "first commit")
    }

    /// Writes files (nil content deletes), commits and pushes; returns the commit id.
    @discardableResult
    public func commit(_ files: [String: String?], message: String, branch: String? = nil) throws -> String {
        let branch = branch ?? self.branch
        if (try? git(["rev-parse", "--abbrev-ref", "HEAD"], cwd: work)) != branch {
            if (try? git(["rev-parse", "--verify", "-q", branch], cwd: work)) != nil {
                try git(["checkout", "-q", branch], cwd: work)
            } else {
                try git(["checkout", "-q", "-b", branch], cwd: work)
            }
        }
        for (path, content) in files {
            let full = (work as NSString).appendingPathComponent(path)
            if let content {
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            } else {
                try? FileManager.default.removeItem(atPath: full)
            }
        }
        try git(["add", "-A"], cwd: work)
        try git(["commit", "-q", "--allow-empty", "-m", message], cwd: work)
        try git(["push", "-q", "-f", bare, "\(branch):\(branch)"], cwd: work)
        return try git(["rev-parse", "HEAD"], cwd: work)
    }

    /// Rewrites history: a new root commit force-pushed over the branch.
    @discardableResult
    public func forcePushNewHistory(_ files: [String: String], message: String) throws -> String {
        try git(["checkout", "-q", "--orphan", "rewrite-\(UUID().uuidString.prefix(6))"], cwd: work)
        try git(["rm", "-rq", "--cached", "."], cwd: work)
        for (path, content) in files {
            let full = (work as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            try git(["add", path], cwd: work)
        }
        try git(["commit", "-q", "-m", message], cwd: work)
        try git(["push", "-q", "-f", bare, "HEAD:\(branch)"], cwd: work)
        return try git(["rev-parse", "HEAD"], cwd: work)
    }

    /// A tree as git objects can hold it, names as raw bytes (`..`, `.git`, NFD...): what
    /// a hostile repository pushes, which `git add` would never make.
    public indirect enum Tree {
        case blob(String)
        case executable(String)
        case symlink(String)
        case tree([(name: [UInt8], tree: Tree)])
        /// A tree already in the repository, by id (trees shared by id: a "tree bomb").
        case treeID(String)

        public static func dir(_ entries: [(String, Tree)]) -> Tree { .tree(entries.map { (Array($0.0.utf8), $0.1) }) }
    }

    /// Writes `tree` with `git mktree` (which takes any name), commits it on top of the
    /// branch and pushes; returns the commit id.
    @discardableResult
    public func commitTree(_ tree: Tree, message: String) throws -> String {
        let id = try write(tree)
        let parent = try git(["rev-parse", "HEAD"], cwd: work)
        let commit = try git(["commit-tree", id, "-p", parent, "-m", message], cwd: work)
        try git(["update-ref", "refs/heads/\(branch)", commit], cwd: work)
        try git(["push", "-q", "-f", bare, "\(commit):refs/heads/\(branch)"], cwd: work)
        return commit
    }

    /// Writes a tree (and what it holds) into the work repository's objects; its id.
    public func writeTree(_ tree: Tree) throws -> String { try write(tree) }

    private func write(_ tree: Tree) throws -> String {
        func object(_ content: String) throws -> String {
            let out = try run("/usr/bin/git", ["hash-object", "-w", "--stdin"], input: Data(content.utf8), environment: gitEnvironment, cwd: work)
            guard out.status == 0 else { throw CommandFailed(description: "git hash-object: \(out.stderr)") }
            return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard case .tree(let entries) = tree else { throw CommandFailed(description: "the top of a tree must be a tree") }
        var listing: [UInt8] = []
        for (name, entry) in entries {
            let line: String
            switch entry {
            case .blob(let text): line = "100644 blob \(try object(text))\t"
            case .executable(let text): line = "100755 blob \(try object(text))\t"
            case .symlink(let target): line = "120000 blob \(try object(target))\t"
            case .tree: line = "040000 tree \(try write(entry))\t"
            case .treeID(let id): line = "040000 tree \(id)\t"
            }
            listing += Array(line.utf8) + name + [10]
        }
        let out = try run("/usr/bin/git", ["mktree"], input: Data(listing), environment: gitEnvironment, cwd: work)
        guard out.status == 0 else { throw CommandFailed(description: "git mktree: \(out.stderr)") }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func deleteBranch(_ name: String) throws {
        try git(["--git-dir", bare, "branch", "-D", name])
    }

    public func head(_ branch: String? = nil) throws -> String {
        try git(["--git-dir", bare, "rev-parse", "refs/heads/\(branch ?? self.branch)"])
    }
}

/// A port that was free a moment ago on 127.0.0.1.
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
public func portAcceptsConnections(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
}

/// Waits (polling, with a deadline) until `condition` holds.
public func waitUntil(timeout: Duration = .seconds(10), _ what: String, _ condition: () throws -> Bool) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var delay = Duration.milliseconds(5)
    while clock.now < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18)
        delay = min(delay * 2, .milliseconds(100))
    }
    throw CommandFailed(description: "timed out after \(timeout) waiting for \(what)")
}

/// A server process started for a test, stopped when released. Spawned with posix_spawn
/// and reaped here, not through Foundation's Process: Foundation watches a child through
/// an inherited socket, and a daemon that closes its inherited descriptors (sshd does)
/// makes it block in waitpid, which stalls the reaping of every other child.
public final class ServerProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    public let name: String
    let log: String
    private var exited = false

    public init(_ name: String, executable: String, arguments: [String], port: Int, log: String, environment: [String: String]? = nil) throws {
        self.name = name
        self.port = port
        self.log = log
        self.pid = try spawn(executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment, log: log,
                             append: false, name: name)
        do {
            try waitUntil("\(name) to listen on port \(port)") {
                if self.reap() {
                    throw CommandFailed(description: "\(name) exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
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
public func spawn(_ executable: String, _ arguments: [String], environment: [String: String], log: String, append: Bool,
                  name: String) throws -> pid_t {
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

/// `git daemon` serving every repository under `base` (with --informative-errors, so a
/// missing repository is reported, not just a closed connection).
public func startGitDaemon(base: String, dir: String, port chosen: Int? = nil) throws -> ServerProcess {
    let port = chosen ?? freePort()
    // git-daemon itself, not the `git daemon` wrapper, which would outlive a SIGTERM.
    return try ServerProcess("git daemon", executable: "/usr/lib/git-core/git-daemon", arguments: [
        "--reuseaddr", "--export-all", "--informative-errors", "--base-path=\(base)",
        "--listen=127.0.0.1", "--port=\(port)", base,
    ], port: port, log: (dir as NSString).appendingPathComponent("git-daemon.log"), environment: gitEnvironment)
}

/// lighttpd running git-http-backend (smart HTTP) for the repositories under `base`, at
/// `/git/NAME.git`, optionally behind basic auth and TLS.
public struct HTTPGitOptions {
    public var basicAuth: (user: String, password: String)?
    /// A PEM holding certificate and key for TLS.
    public var tlsPEM: String?
    public init(basicAuth: (user: String, password: String)? = nil, tlsPEM: String? = nil) {
        self.basicAuth = basicAuth
        self.tlsPEM = tlsPEM
    }
}

public func startHTTPGit(base: String, dir: String, options: HTTPGitOptions = HTTPGitOptions()) throws -> ServerProcess {
    let port = freePort()
    let www = (dir as NSString).appendingPathComponent("www")
    try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
    var conf = """
        server.document-root = "\(www)"
        server.bind = "127.0.0.1"
        server.port = \(port)
        server.errorlog = "\(dir)/lighttpd-error.log"
        server.modules = ("mod_alias", "mod_setenv", "mod_cgi", "mod_auth", "mod_authn_file"\(options.tlsPEM == nil ? "" : ", \"mod_openssl\""))
        alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend" )
        $HTTP["url"] =~ "^/git" {
          cgi.assign = ( "" => "" )
          setenv.add-environment = ( "GIT_PROJECT_ROOT" => "\(base)", "GIT_HTTP_EXPORT_ALL" => "", "GIT_CONFIG_NOSYSTEM" => "1" )
        }

        """
    if let auth = options.basicAuth {
        let users = (dir as NSString).appendingPathComponent("users")
        try Data("\(auth.user):\(auth.password)\n".utf8).write(to: URL(fileURLWithPath: users))
        conf += """
            auth.backend = "plain"
            auth.backend.plain.userfile = "\(users)"
            auth.require = ( "/git" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )

            """
    }
    if let pem = options.tlsPEM {
        conf += """
            ssl.engine = "enable"
            ssl.pemfile = "\(pem)"

            """
    }
    let confPath = (dir as NSString).appendingPathComponent("lighttpd-\(port).conf")
    try Data(conf.utf8).write(to: URL(fileURLWithPath: confPath))
    return try ServerProcess("lighttpd", executable: "/usr/sbin/lighttpd", arguments: ["-D", "-f", confPath], port: port,
                             log: (dir as NSString).appendingPathComponent("lighttpd.log"))
}

/// A self-signed certificate for `localhost` (mbedTLS ignores IP SANs), as one PEM with the
/// key (for lighttpd) and the certificate alone (to trust).
public func makeSelfSignedCertificate(dir: String) throws -> (pem: String, cert: String) {
    let key = (dir as NSString).appendingPathComponent("tls.key")
    let cert = (dir as NSString).appendingPathComponent("tls.crt")
    let out = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                           "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
    guard out.status == 0 else { throw CommandFailed(description: "openssl: \(out.stderr)") }
    let pem = (dir as NSString).appendingPathComponent("tls.pem")
    let both = try String(contentsOfFile: cert, encoding: .utf8) + String(contentsOfFile: key, encoding: .utf8)
    try Data(both.utf8).write(to: URL(fileURLWithPath: pem))
    return (pem, cert)
}

/// An sshd on 127.0.0.1 that lets `user` in with the test's client key.
public final class SSHServer: @unchecked Sendable {
    public let server: ServerProcess
    public let user: String
    /// The client's private key (ed25519) and a second, unauthorized one.
    public let clientKey: String
    public let otherKey: String
    /// A known_hosts file with this server's key, and one with a different key for it.
    public let knownHosts: String
    public let wrongKnownHosts: String
    public var port: Int { server.port }

    public init(dir: String) throws {
        let hostKey = (dir as NSString).appendingPathComponent("ssh_host_ed25519")
        let otherHostKey = (dir as NSString).appendingPathComponent("other_host_ed25519")
        clientKey = (dir as NSString).appendingPathComponent("client_ed25519")
        otherKey = (dir as NSString).appendingPathComponent("other_ed25519")
        for key in [hostKey, otherHostKey, clientKey, otherKey] {
            let out = try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", key])
            guard out.status == 0 else { throw CommandFailed(description: "ssh-keygen: \(out.stderr)") }
        }
        user = try run("/usr/bin/id", ["-un"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let authorized = (dir as NSString).appendingPathComponent("authorized_keys")
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: authorized)
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let port = freePort()
        let config = (dir as NSString).appendingPathComponent("sshd_config")
        try Data("""
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(dir)/sshd.pid
            AuthorizedKeysFile \(authorized)
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            LogLevel VERBOSE

            """.utf8).write(to: URL(fileURLWithPath: config))
        func hostLine(_ key: String) throws -> String {
            let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ")
            return "[127.0.0.1]:\(port) \(pub[0]) \(pub[1])\n"
        }
        knownHosts = (dir as NSString).appendingPathComponent("known_hosts")
        wrongKnownHosts = (dir as NSString).appendingPathComponent("known_hosts_wrong")
        try Data(try hostLine(hostKey).utf8).write(to: URL(fileURLWithPath: knownHosts))
        try Data(try hostLine(otherHostKey).utf8).write(to: URL(fileURLWithPath: wrongKnownHosts))
        server = try ServerProcess("sshd", executable: "/usr/sbin/sshd", arguments: ["-D", "-e", "-f", config], port: port,
                                   log: (dir as NSString).appendingPathComponent("sshd.log"))
    }
}

/// A TCP listener that accepts connections (the kernel completes the handshake) and never
/// answers: what a hung server looks like.
public final class SilentListener: @unchecked Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw CommandFailed(description: "silent listener: \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
    }

    /// How many connections arrived since the last call (accepted and closed here).
    public func acceptPending() -> Int {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var count = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { break }
            close(c)
            count += 1
        }
        return count
    }

    deinit { close(fd) }
}
