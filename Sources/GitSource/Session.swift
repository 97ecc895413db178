import CGit2
import CGitStream
import Foundation
import Manifest
import Toolkit

/// One network operation against a remote: its deadline, the libgit2 callbacks (credentials
/// capped, host keys checked, progress that stops at the deadline), and the translation of
/// libgit2's failures into `GitError`s.
final class Session {
    let remote: Remote
    private(set) var deadline: OpaquePointer?
    private var credentialCalls = 0
    private var keyAttempts = 0
    /// A failure the callbacks understood better than libgit2 will report it.
    var failure: GitError?

    init(remote: Remote) {
        self.remote = remote
    }

    /// Runs `body` on this thread with the deadline armed and callbacks ready.
    static func run<T>(_ remote: Remote, _ body: (Session, inout git_remote_callbacks) throws(GitError) -> T)
        throws(GitError) -> T
    {
        Git.ensureInitialized()
        try remote.refuseLocalUnlessAllowed()
        let session = Session(remote: remote)
        session.deadline = zg_deadline_new(Int64(remote.timeout.milliseconds))
        zg_deadline_enter(session.deadline)
        defer {
            zg_deadline_leave()
            zg_deadline_free(session.deadline)
        }
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.credentials = credentialsCallback
        callbacks.certificate_check = certificateCallback
        callbacks.transfer_progress = transferCallback
        callbacks.sideband_progress = sidebandCallback
        callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
        return try withExtendedLifetime(session) { () throws(GitError) -> T in
            try body(session, &callbacks)
        }
    }

    var expired: Bool { zg_deadline_expired(deadline) != 0 }

    /// How many TCP connections this operation opened.
    var connections: Int { Int(zg_deadline_connections(deadline)) }

    /// The error for a libgit2 call that returned `rc`.
    func error(_ call: String, _ rc: Int32) -> GitError {
        if let failure { return failure }
        let last = Git.lastError()
        let shown = remote.shown
        if expired {
            return GitError(
                .timeout, call: call, errorClass: last.klass,
                message: "no answer within \(shortDuration(remote.timeout)) (\(last.message))", url: shown,
                hint: "the server accepted the connection but did not answer in time; it is retried with backoff")
        }
        // libgit2 may quote the URL it was given, query included (where a forge token or a
        // presigned signature sits): shown redacted, like everything else.
        let message = Redact.urls(in: last.message.replacingOccurrences(of: remote.libgit2URL, with: shown))
        let lower = message.lowercased()
        func make(_ code: GitError.Code, _ hint: String? = nil) -> GitError {
            GitError(code, call: call, errorClass: last.klass, message: message, url: shown, hint: hint)
        }
        if rc == GIT_ECERTIFICATE.rawValue || lower.contains("certificate") {
            return make(
                .certificateInvalid,
                "the server's TLS certificate is not trusted; fix the certificate, or give the daemon the CA with --ca-file"
            )
        }
        // HTTP 401 / 403 as a number of its own (a port like 40329 is not one).
        let numbers = Set(lower.split { !$0.isNumber }.map(String.init))
        if rc == GIT_EAUTH.rawValue || numbers.contains("401") || numbers.contains("403")
            || lower.contains("authentication")
        {
            return make(.authenticationFailed, "check spec.source.auth")
        }
        if lower.contains("404") || lower.contains("not found") || lower.contains("no such repository")
            || lower.contains("not exported") || lower.contains("does not appear to be a git repository")
            || lower.contains("could not find repository") || lower.contains("not a git repository")
        {
            return make(.repositoryNotFound, "check spec.source.repoURL")
        }
        if lower.contains("status code: 5") || lower.contains("unexpected http status code: 5") {
            return make(.server, "the server failed; retried with backoff")
        }
        if lower.contains("failed to resolve") || lower.contains("failed to connect")
            || lower.contains("connection refused")
            || lower.contains("early eof") || lower.contains("receiving data") || lower.contains("sending data")
            || last.classCode == Int32(GIT_ERROR_NET.rawValue) || last.classCode == Int32(GIT_ERROR_SSL.rawValue)
            || last.classCode == Int32(GIT_ERROR_SSH.rawValue) || last.classCode == Int32(GIT_ERROR_HTTP.rawValue)
            || last.classCode == Int32(GIT_ERROR_OS.rawValue)
        {
            return make(.network, "retried with backoff")
        }
        return make(.local)
    }

    fileprivate func acquire(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, _ userFromURL: String?, _ allowed: UInt32
    ) -> Int32 {
        credentialCalls += 1
        let c = remote.credentials
        let shown = remote.shown
        // The credential callback's failures: refused credentials or none configured.
        func refuse(_ code: GitError.Code, _ message: String, hint: String?) -> Int32 {
            failure = GitError(code, call: "credentials", message: message, url: shown, hint: hint)
            return GIT_EAUTH.rawValue
        }
        if credentialCalls > 5 {
            return refuse(.authenticationFailed, "authentication failed for \(shown)", hint: "check spec.source.auth")
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            guard let token = c.token else {
                return refuse(
                    .authenticationRequired, "\(shown) asks for credentials and none are configured",
                    hint: "set spec.source.auth.tokenFile")
            }
            if credentialCalls > 1 {
                return refuse(
                    .authenticationFailed, "authentication failed for \(shown)",
                    hint: "the server refused the token; check the token in tokenFile and auth.username")
            }
            return git_credential_userpass_plaintext_new(out, c.username ?? "git", token)
        }
        let sshUser = userFromURL ?? c.username ?? "git"
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            guard let key = c.sshKeyFile else {
                return refuse(
                    .authenticationRequired, "\(shown) asks for an ssh key and none is configured",
                    hint: "set spec.source.auth.sshKeyFile")
            }
            keyAttempts += 1
            if keyAttempts > 1 {
                failure = authFailedForKey(key)
                return GIT_EAUTH.rawValue
            }
            return git_credential_ssh_key_new(out, sshUser, nil, key, nil)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, sshUser)
        }
        return refuse(
            .authenticationRequired, "\(shown) asks for a kind of credentials the agent does not support", hint: nil)
    }

    /// A fetch or cache over `--max-repo-size`.
    func tooLarge(_ limit: Int) -> GitError {
        GitError(
            .cacheTooLarge, call: "git_remote_download",
            message:
                "the repository is larger than the limit of \(formatBytes(limit)) per repository; nothing of it is kept",
            url: remote.shown,
            hint: "make the repository smaller (history included), or ask the operator to raise --max-repo-size")
    }

    func authFailedForKey(_ key: String) -> GitError {
        let shown = remote.shown
        if remote.credentials.sshKeyIsRSA {
            return GitError(
                .authenticationFailed, call: "credentials",
                message: "authentication failed for \(shown) with the RSA key \(key)",
                url: shown,
                hint:
                    "libssh2 1.10 cannot sign with RSA SHA-2 (rsa-sha2-256/512), which current servers require; use an ed25519 key"
            )
        }
        return GitError(
            .authenticationFailed, call: "credentials",
            message: "authentication failed for \(shown) with the key \(key)",
            url: shown, hint: "the server refused the key; check that its public half is authorized for this user")
    }

    fileprivate func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Int32, host: String) -> Int32 {
        guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // x509: libgit2 applies its own verification, against the system's CAs (or
            // --ca-file). A registration's own CA (auth.caFile) is tried when that fails,
            // for this registration only.
            guard cert.pointee.cert_type == GIT_CERT_X509, valid == 0, let ca = remote.credentials.caPEM else {
                return GIT_PASSTHROUGH.rawValue
            }
            let x509 = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_x509.self).pointee
            guard let data = x509.data else { return GIT_PASSTHROUGH.rawValue }
            let der = Array(UnsafeRawBufferPointer(start: data, count: x509.len))
            if let problem = CertificateCheck.verify(leafDER: der, caPEM: ca, host: host) {
                failure = GitError(
                    .certificateInvalid, call: "certificate_check",
                    message: "the server's certificate is not signed by auth.caFile for \(host): \(problem)",
                    url: remote.shown,
                    hint: "check spec.source.auth.caFile (the CA that signed the server's certificate, PEM)")
                return GIT_ECERTIFICATE.rawValue
            }
            return 0
        }
        let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        let shown = remote.shown
        var sha256 = hostkey.hash_sha256
        let fingerprint = withUnsafeBytes(of: &sha256) { KnownHosts.fingerprint(sha256: Array($0)) }
        guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey else {
            failure = GitError(
                .hostKeyUnknown, call: "certificate_check", message: "no raw host key from \(host) to compare",
                url: shown)
            return GIT_ECERTIFICATE.rawValue
        }
        let key = Array(UnsafeRawBufferPointer(start: raw, count: hostkey.hostkey_len))
        let port = remote.url.port
        let name = KnownHosts.name(host: host, port: port)
        let source = remote.credentials.knownHostsSource ?? "known_hosts"
        switch remote.credentials.knownHosts?.verdict(host: host, port: port, key: key) ?? .unknown {
        case .trusted:
            return 0
        case .unknown:
            failure = GitError(
                .hostKeyUnknown, call: "certificate_check",
                message: "host key of \(name) (\(fingerprint)) is not in \(source)", url: shown,
                hint:
                    "check the fingerprint with the server's owner, then add the output of `ssh-keyscan\(port.map { " -p \($0)" } ?? "") \(host)` to spec.source.auth.knownHostsFile"
            )
        case .changed:
            failure = GitError(
                .hostKeyChanged, call: "certificate_check",
                message:
                    "host key of \(name) changed: the server offered \(fingerprint), which does not match \(source)",
                url: shown,
                hint:
                    "if the server's key was rotated, replace its line in the known hosts file; otherwise someone may be intercepting the connection"
            )
        case .revoked:
            failure = GitError(
                .hostKeyChanged, call: "certificate_check",
                message: "host key of \(name) (\(fingerprint)) is marked @revoked in \(source)", url: shown)
        }
        return GIT_ECERTIFICATE.rawValue
    }
}

func shortDuration(_ d: Duration) -> String {
    let s = d.components.seconds
    if s >= 60 && s % 60 == 0 { return "\(s / 60)m" }
    if s >= 1 { return "\(s)s" }
    return "\(d.milliseconds)ms"
}

private func session(_ payload: UnsafeMutableRawPointer?) -> Session? {
    payload.map { Unmanaged<Session>.fromOpaque($0).takeUnretainedValue() }
}

private let credentialsCallback: git_credential_acquire_cb = { out, _, userFromURL, allowed, payload in
    guard let out, let s = session(payload) else { return -1 }
    return s.acquire(out, userFromURL.map { String(cString: $0) }, allowed)
}

private let certificateCallback: git_transport_certificate_check_cb = { cert, valid, host, payload in
    guard let cert, let s = session(payload) else { return -1 }
    return s.checkCertificate(cert, valid: valid, host: host.map { String(cString: $0) } ?? "")
}

private let transferCallback: git_indexer_progress_cb = { stats, payload in
    guard let s = session(payload) else { return 0 }
    if let stats, let limit = s.remote.sizeLimit, Int(stats.pointee.received_bytes) > limit {
        s.failure = s.tooLarge(limit)
        return -1
    }
    if let stats, let progress = s.remote.progress {
        progress(Int(stats.pointee.received_objects), Int(stats.pointee.total_objects))
    }
    return s.expired ? -1 : 0
}

private let sidebandCallback: git_transport_message_cb = { _, _, payload in
    guard let s = session(payload) else { return 0 }
    return s.expired ? -1 : 0
}

/// `2 GiB`, `512 MiB`, `900 KiB`, `12 B`.
func formatBytes(_ n: Int) -> String {
    for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where n >= size {
        let value = Double(n) / Double(size)
        return value == value.rounded() ? "\(Int(value)) \(unit)" : String(format: "%.1f %@", value, unit)
    }
    return "\(n) B"
}
