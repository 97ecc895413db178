import NIOPosix

/// Runs blocking work (libgit2, file walks, fsync) on the threads of a NIO thread pool,
/// never on Swift's cooperative pool (as many threads as cores: one slow disk or hung
/// server there stalls every task of the process). The pool's size bounds how many run at
/// once; the rest wait in its queue, in order. Awaited from async code.
public final class BlockingPool: Sendable {
    /// File-system work of the state dir (status, history, inventory writes).
    public static let files = BlockingPool(limit: 8, label: "files")
    /// libgit2 work (fetches and tree reads); the daemon has its own pool for head lookups.
    public static let shared = BlockingPool(limit: 8, label: "git")

    private let pool: NIOThreadPool
    public let limit: Int
    public let label: String

    public init(limit: Int, label: String = "blocking") {
        self.limit = max(1, limit)
        self.label = label
        pool = NIOThreadPool(numberOfThreads: self.limit)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Runs `body` on the pool and returns what it returned or threw. Once queued, the work
    /// runs even when the awaiting task is cancelled: a status or history write always ends.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            pool.submit { _ in
                // `.cancelled` means the pool is shutting down, which happens only after
                // its last owner let go of it: nobody awaits then; run it all the same.
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Like `run`, but work still waiting in the queue when the awaiting task is cancelled
    /// does not run: the call throws `cancelled()` instead (a shutdown does not wait for a
    /// queue of fetches behind a hung repository). Work already running finishes.
    public func run<T: Sendable, E: Error>(
        ifCancelled cancelled: @autoclosure @escaping @Sendable () -> E, _ body: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        do {
            return try await pool.runIfActive { () throws -> T in try body() }
        } catch let error as E {
            throw error
        } catch {
            throw cancelled()
        }
    }
}
