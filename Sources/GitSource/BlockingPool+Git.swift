import State

extension BlockingPool {
    /// libgit2 work (fetches and tree reads); the daemon has its own pool for head lookups.
    public static let shared = BlockingPool(limit: 8, label: "git")
}
