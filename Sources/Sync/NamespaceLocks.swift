import Synchronization

/// One lock per namespace, for async code: the syncs of one namespace plan and claim paths
/// one at a time (two applications of a namespace share its static storage and function
/// paths; without it both read each other's inventory before either is written, both
/// claim a path, and removing one deletes what the other declares). Waiters are served in
/// arrival order.
public final class NamespaceLocks: Sendable {
    private let state = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    public init() {}

    public func withLock<T: Sendable>(_ namespace: String, _ body: () async throws -> T) async rethrows -> T {
        await acquire(namespace)
        defer { release(namespace) }
        return try await body()
    }

    private func acquire(_ namespace: String) async {
        let free = state.withLock { s -> Bool in
            if s[namespace] == nil {
                s[namespace] = []
                return true
            }
            return false
        }
        if free { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s[namespace] == nil {
                    s[namespace] = []
                    return true
                }
                s[namespace]!.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release(_ namespace: String) {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard var waiters = s[namespace], !waiters.isEmpty else {
                s[namespace] = nil
                return nil
            }
            let first = waiters.removeFirst()
            s[namespace] = waiters
            return first
        }
        next?.resume()
    }
}
