import GitSource
import Manifest
import State
import Toolkit

/// How a registration reaches its repository: its URL, and the credentials its `auth`
/// names, read under the secrets rule (every file from `SECRETS/NAMESPACE/`, checked when
/// it is used). The daemon, `check` and `plan` all come through here.
public struct SourceAccess: Sendable {
    public var secrets: SecretsDir
    public var timeout: Duration
    public var allowLocal: Bool
    /// `--max-repo-size`: what one repository's fetches and cache may take.
    public var sizeLimit: Int?
    /// `--max-refs`: the most branches and tags one fetch may store.
    public var maxRefs: Int?

    public init(
        secrets: SecretsDir, timeout: Duration = .seconds(60), allowLocal: Bool = false, sizeLimit: Int? = nil,
        maxRefs: Int? = Remote.defaultMaxRefs
    ) {
        self.secrets = secrets
        self.maxRefs = maxRefs
        self.timeout = timeout
        self.allowLocal = allowLocal
        self.sizeLimit = sizeLimit
    }

    /// Why a registration cannot reach its repository before any connection is made.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// A file the registration names breaks the secrets rule or cannot be read: the
        /// registration is invalid until it (or the file) changes.
        case secret(SecretError)
        case git(GitError)

        public var description: String {
            switch self {
            case .secret(let e): return "spec.source.\(e.description)"
            case .git(let e): return e.description
            }
        }
    }

    public func remote(for registration: Registration) throws(Failure) -> Remote {
        let source = registration.source
        let auth = source.auth
        func read(_ name: String?, _ field: String) throws(Failure) -> String? {
            guard let name else { return nil }
            do {
                return String(
                    decoding: try secrets.read(name, namespace: registration.namespace, field: field), as: UTF8.self)
            } catch {
                throw .secret(error)
            }
        }
        let token = try read(auth?.tokenFile, "auth.tokenFile")
        var sshKey: (file: String, text: String)?
        if let name = auth?.sshKeyFile {
            let file: String
            do { file = try secrets.resolve(name, namespace: registration.namespace, field: "auth.sshKeyFile") } catch {
                throw .secret(error)
            }
            sshKey = (file, try read(file, "auth.sshKeyFile") ?? "")
        }
        let knownHosts = try read(auth?.knownHostsFile, "auth.knownHostsFile").map { (auth!.knownHostsFile!, $0) }
        let ca = try read(auth?.caFile, "auth.caFile")
        // The application's own webhook secret is read by the REST facade only; its name
        // follows the secrets rule like the others (outside the folder: invalid).
        if let name = source.webhookSecretFile {
            do { _ = try secrets.resolve(name, namespace: registration.namespace, field: "webhookSecretFile") } catch {
                throw .secret(error)
            }
        }
        do {
            let credentials = try Credentials.make(
                url: source.repoURL, username: auth?.username, token: token, sshKey: sshKey,
                knownHosts: knownHosts, caPEM: ca)
            return Remote(
                url: source.repoURL, credentials: credentials, timeout: timeout, allowLocal: allowLocal,
                sizeLimit: sizeLimit,
                maxRefs: maxRefs)
        } catch {
            throw .git(error)
        }
    }

    /// The keys `verify.publicKeysFile` names (under the secrets rule), or nil when the
    /// registration verifies nothing. A file with no key is a secret problem too.
    public func verifier(for registration: Registration) throws(Failure) -> SignatureVerifier? {
        guard let verify = registration.source.verify else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try secrets.read(
                verify.publicKeysFile, namespace: registration.namespace, field: "verify.publicKeysFile")
        } catch {
            throw .secret(error)
        }
        switch SignatureVerifier.parse(String(decoding: bytes, as: UTF8.self)) {
        case .success(let verifier): return verifier
        case .failure(let problem):
            throw .secret(SecretError(field: "verify.publicKeysFile", message: problem.description))
        }
    }
}
