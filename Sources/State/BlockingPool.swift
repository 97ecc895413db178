import Dispatch
import Synchronization

/// Runs blocking work (libgit2, file walks, fsync, waiting on a lock) on threads of its
/// own, never on Swift's cooperative pool (as many threads as cores: one slow disk or
/// hung server there stalls every task of the process), with a bound on how many run at
/// once. Awaited from async code.
public final class BlockingPool: Sendable {
    /// File-system work of the state dir (status, history, inventory writes, locks).
    public static let files = BlockingPool(limit: 8, label: "files")

    private let semaphore: AsyncSemaphore
    /// Why a DispatchQueue: libgit2 and file-system calls block their thread; a concurrent
    /// queue runs them off the cooperative pool, `semaphore` bounds how many at once (NIO's
    /// thread pool is the planned replacement).
    private let queue: DispatchQueue

    public init(limit: Int, label: String = "blocking") {
        semaphore = AsyncSemaphore(permits: max(1, limit))
        queue = DispatchQueue(label: "zerverless-gitops.\(label)", attributes: .concurrent)
    }

    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        await semaphore.wait()
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
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
