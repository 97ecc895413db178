import Dispatch
import Synchronization

/// Runs blocking libgit2 work on its own threads, never on Swift's cooperative pool, with a
/// bound on how many run at once.
public final class GitWorkers: Sendable {
    public static let shared = GitWorkers(limit: 8)

    private let semaphore: AsyncSemaphore
    private let queue = DispatchQueue(label: "zerverless-gitops.git", attributes: .concurrent)

    public init(limit: Int) {
        semaphore = AsyncSemaphore(permits: max(1, limit))
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws(GitError) -> T) async throws(GitError) -> T {
        await semaphore.wait()
        let result: Result<T, GitError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(GitError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        semaphore.signal()
        return try result.get()
    }
}

/// A counting semaphore for async code: waiters queue in order. A lock, not an actor, so
/// that taking a free permit costs no hop between executors.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var permits: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(permits: Int) {
        state = Mutex(State(permits: permits))
    }

    public func wait() async {
        let acquired = state.withLock { s -> Bool in
            if s.permits > 0 {
                s.permits -= 1
                return true
            }
            return false
        }
        if acquired { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.permits > 0 {
                    s.permits -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.permits += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.resume()
    }
}
