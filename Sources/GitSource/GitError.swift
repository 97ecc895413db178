import Manifest

/// A failed git operation: which call, libgit2's error class and message, the repository
/// (credentials redacted), whether to retry, and what to do about it.
public struct GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, as far as the agent is concerned. Extensible.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let authenticationFailed = Code("authentication-failed")
        public static let authenticationRequired = Code("authentication-required")
        public static let hostKeyUnknown = Code("host-key-unknown")
        public static let hostKeyChanged = Code("host-key-changed")
        public static let certificateInvalid = Code("certificate-invalid")
        public static let repositoryNotFound = Code("repository-not-found")
        public static let branchNotFound = Code("branch-not-found")
        public static let pathNotFound = Code("path-not-found")
        public static let localURLRefused = Code("local-url-refused")
        public static let credentialFile = Code("credential-file")
        public static let timeout = Code("timeout")
        public static let network = Code("network")
        public static let server = Code("server-error")
        public static let local = Code("local")
        /// A tree entry whose name git refuses in a working tree (`..`, `.git`, `/`...).
        public static let unsafePath = Code("unsafe-path")
        /// A fetch cache over its size limit.
        public static let cacheTooLarge = Code("cache-too-large")
        /// A fetch that would store more branches and tags than `--max-refs`.
        public static let tooManyRefs = Code("too-many-refs")
        /// A ref that moved between the head lookup and the fetch (looked at again).
        public static let refMoved = Code("ref-moved")
        /// Work still queued when its task was cancelled (the daemon is stopping).
        public static let cancelled = Code("cancelled")
    }

    /// Flux's split: stalled failures wait for an input to change; retryable ones back off.
    public typealias Retry = Manifest.Retry

    public var code: Code
    /// The libgit2 call that failed (`git_remote_fetch`), or the agent's step.
    public var call: String
    /// libgit2's error class (`net`, `ssh`, `http`...), when libgit2 reported one.
    public var errorClass: String?
    public var message: String
    /// The repository URL, credentials redacted.
    public var url: String?
    public var hint: String?

    public init(
        _ code: Code, call: String, errorClass: String? = nil, message: String, url: String? = nil, hint: String? = nil
    ) {
        self.code = code
        self.call = call
        self.errorClass = errorClass
        self.message = message
        self.url = url
        self.hint = hint
    }

    /// What queued git work throws when its task is cancelled before it started.
    public static func cancelled(_ call: String) -> GitError {
        GitError(.cancelled, call: call, message: "cancelled before it started: the daemon is stopping")
    }

    public var retry: Retry {
        switch code {
        case .timeout, .network, .server, .local, .refMoved, .cancelled: return .retryable
        default: return .stalled
        }
    }

    public var description: String {
        var text = "\(call)"
        if let errorClass { text += " (\(errorClass))" }
        text += ": \(message)"
        if let url, !message.contains(url) { text += " [\(url)]" }
        if let hint { text += "; \(hint)" }
        return text
    }
}
