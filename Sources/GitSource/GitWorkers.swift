import Dispatch

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
        await semaphore.signal()
        return try result.get()
    }
}

/// A counting semaphore for async code: waiters queue in order.
public actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(permits: Int) {
        self.permits = permits
    }

    public func wait() async {
        if permits > 0 {
            permits -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func signal() {
        if waiters.isEmpty {
            permits += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
