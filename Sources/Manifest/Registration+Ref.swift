extension Registration {
    /// What of the repository is deployed: exactly one of these (default: branch main).
    public enum Ref: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The branch head, moving with every push.
        case branch(String)
        /// A fixed tag (lightweight or annotated).
        case tag(String)
        /// The highest tag whose version is in the range; moves when a higher one is pushed.
        case semver(String)
        /// A fixed commit (40 hex).
        case commit(String)

        /// The registration's field name: branch, tag, semver or commit.
        public var kind: String {
            switch self {
            case .branch: "branch"
            case .tag: "tag"
            case .semver: "semver"
            case .commit: "commit"
            }
        }

        public var value: String {
            switch self {
            case .branch(let v), .tag(let v), .semver(let v), .commit(let v): v
            }
        }

        /// `branch main`, `tag v1.4.0`, `semver ">=1.2.0 <2.0.0"`, `commit 4f1c...`.
        public var description: String { kind == "semver" ? "semver \"\(value)\"" : "\(kind) \(value)" }

        /// Whether following it needs the remote's tags.
        public var followsTags: Bool {
            switch self {
            case .tag, .semver: true
            case .branch, .commit: false
            }
        }
    }

    /// Signature verification of what is deployed (`spec.source.verify`).
    public struct Verify: Sendable, Hashable, Codable {
        public enum Mode: String, Sendable, Hashable, Codable {
            /// The commit deployed must carry a valid signature by one of the keys.
            case commit
            /// The tag must be annotated and signed by one of the keys (tag and semver refs).
            case tag
        }
        public var mode: Mode
        /// SSH public keys and/or ASCII-armored OpenPGP keys, under the secrets rule.
        public var publicKeysFile: String
    }
}
