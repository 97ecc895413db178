/// The failure vocabulary every layer shares (git, sync, targets), after Flux: a
/// *retryable* failure (network, server, a target down) backs off and tries again; a
/// *stalled* one (wrong input: an invalid manifest, a refused credential) waits for a
/// file, a commit or a secret to change.
public enum Retry: String, Sendable, Hashable, Codable {
    case retryable, stalled
}
