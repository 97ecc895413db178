import Synchronization

/// One lock per namespace, for async code: the syncs of one namespace plan and claim paths
/// one at a time (two applications of a namespace share its static storage and function
/// paths; without it both read each other's inventory before either is written, both
/// claim a path, and removing one deletes what the other declares). Waiters are served in
/// arrival order; a waiter whose task is cancelled leaves the queue and gets
/// `CancellationError` (the body does not run).
public final class NamespaceLocks: Sendable {
    private let state = Mutex<[String: [Waiter]]>([:])
    private let tickets = Atomic<Int>(0)

    private struct Waiter {
        var ticket: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    public init() {}

    public func withLock<T: Sendable>(_ namespace: String, _ body: () async throws -> T) async throws -> T {
        try await acquire(namespace)
        defer { release(namespace) }
        return try await body()
    }

    private func acquire(_ namespace: String) async throws(CancellationError) {
        let free = state.withLock { s -> Bool in
            if s[namespace] == nil {
                s[namespace] = []
                return true
            }
            return false
        }
        if free { return }
        let ticket = tickets.add(1, ordering: .relaxed).newValue
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                    enum Next { case run, wait, cancelled }
                    let next = state.withLock { s -> Next in
                        // Checked under the lock `onCancel` takes: never lost between the two.
                        if Task.isCancelled { return .cancelled }
                        if s[namespace] == nil {
                            s[namespace] = []
                            return .run
                        }
                        s[namespace]!.append(Waiter(ticket: ticket, continuation: c))
                        return .wait
                    }
                    switch next {
                    case .run: c.resume()
                    case .cancelled: c.resume(throwing: CancellationError())
                    case .wait: break
                    }
                }
            } onCancel: {
                let waiter = state.withLock { s -> Waiter? in
                    guard let i = s[namespace]?.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                    return s[namespace]!.remove(at: i)
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            throw CancellationError()
        }
    }

    private func release(_ namespace: String) {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard var waiters = s[namespace], !waiters.isEmpty else {
                s[namespace] = nil
                return nil
            }
            let first = waiters.removeFirst()
            s[namespace] = waiters
            return first.continuation
        }
        next?.resume()
    }
}
