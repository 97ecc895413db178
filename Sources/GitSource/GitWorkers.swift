import State

/// libgit2 work runs on `BlockingPool`s: the shared one for fetches and tree reads, the
/// daemon's own for head lookups.
public typealias GitWorkers = BlockingPool

extension BlockingPool {
    public static let shared = BlockingPool(limit: 8, label: "git")
}
