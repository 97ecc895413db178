import Foundation

/// `git daemon` serving every repository under `base` (with --informative-errors, so a
/// missing repository is reported, not just a closed connection).
public func startGitDaemon(base: String, dir: String, port chosen: Int? = nil) throws -> ServerProcess {
    let port = chosen ?? freePort()
    // git-daemon itself, not the `git daemon` wrapper, which would outlive a SIGTERM.
    return try ServerProcess(
        "git daemon", executable: "/usr/lib/git-core/git-daemon",
        arguments: [
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

public func startHTTPGit(base: String, dir: String, options: HTTPGitOptions = HTTPGitOptions()) throws -> ServerProcess
{
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
    return try ServerProcess(
        "lighttpd", executable: "/usr/sbin/lighttpd", arguments: ["-D", "-f", confPath], port: port,
        log: (dir as NSString).appendingPathComponent("lighttpd.log"))
}

/// A self-signed certificate for `localhost` (mbedTLS ignores IP SANs), as one PEM with the
/// key (for lighttpd) and the certificate alone (to trust).
public func makeSelfSignedCertificate(dir: String) throws -> (pem: String, cert: String) {
    let key = (dir as NSString).appendingPathComponent("tls.key")
    let cert = (dir as NSString).appendingPathComponent("tls.crt")
    let out = try run(
        "/usr/bin/openssl",
        [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
    guard out.status == 0 else { throw CommandFailed(description: "openssl: \(out.stderr)") }
    let pem = (dir as NSString).appendingPathComponent("tls.pem")
    let both = try String(contentsOfFile: cert, encoding: .utf8) + String(contentsOfFile: key, encoding: .utf8)
    try Data(both.utf8).write(to: URL(fileURLWithPath: pem))
    return (pem, cert)
}

/// An sshd on 127.0.0.1 that lets `user` in with the test's client key.
public final class SSHServer: Sendable {
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
        try Data(
            """
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

            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        func hostLine(_ key: String) throws -> String {
            let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ")
            return "[127.0.0.1]:\(port) \(pub[0]) \(pub[1])\n"
        }
        knownHosts = (dir as NSString).appendingPathComponent("known_hosts")
        wrongKnownHosts = (dir as NSString).appendingPathComponent("known_hosts_wrong")
        try Data(try hostLine(hostKey).utf8).write(to: URL(fileURLWithPath: knownHosts))
        try Data(try hostLine(otherHostKey).utf8).write(to: URL(fileURLWithPath: wrongKnownHosts))
        server = try ServerProcess(
            "sshd", executable: "/usr/sbin/sshd", arguments: ["-D", "-e", "-f", config], port: port,
            log: (dir as NSString).appendingPathComponent("sshd.log"))
    }
}
