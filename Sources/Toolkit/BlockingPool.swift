import Dispatch
import Synchronization

/// Runs blocking work (libgit2, file walks, fsync) off Swift's cooperative pool (as many
/// threads as cores: one slow disk or hung server there stalls every task of the
/// process), at most `limit` at once; the rest wait their turn, in order. Awaited from
/// async code.
///
/// On a concurrent `DispatchQueue` (a comment is owed for each in Sources: this is it).
/// The renovation first put this on NIO's `NIOThreadPool`; measured (issue 24, 1,000
/// looks per poll round), every call then cost two thread switches (to a pool thread and
/// back to the cooperative pool): twice the daemon's context switches and a fifth more
/// CPU per round than before. On Linux, the cooperative pool's threads are libdispatch's
/// own, so work sent to a dispatch queue usually runs on the thread that sent it, right
/// after the sending task suspends; libdispatch adds threads when its workers block (a
/// hung repository), which is what blocking work needs.
public final class BlockingPool: Sendable {
    /// File-system work of the state dir (status, history, inventory writes).
    public static let files = BlockingPool(limit: 8, label: "files")
    /// libgit2 work (fetches and tree reads); the daemon has its own pool for head lookups.
    public static let shared = BlockingPool(limit: 8, label: "git")
    /// Name lookups of tenants' URLs (notification receivers, forges): a delivery's
    /// deadline must not be spent waiting behind the state dir's file work.
    public static let lookups = BlockingPool(limit: 4, label: "lookups")

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>?
        var cancelled = false
    }

    private struct State {
        var free: Int
        var next: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state: Mutex<State>
    private let queue: DispatchQueue
    public let limit: Int
    public let label: String

    public init(limit: Int, label: String = "blocking") {
        self.limit = max(1, limit)
        self.label = label
        state = Mutex(State(free: self.limit))
        queue = DispatchQueue(label: "zerverless-gitops.\(label)", attributes: .concurrent)
    }

    /// Runs `body` on the pool and returns what it returned or threw. The work runs even
    /// when the awaiting task is cancelled: a status or history write always ends.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        _ = await acquire(leavingWhenCancelled: false)
        defer { release() }
        return try await dispatch(body)
    }

    /// Like `run`, but work still waiting its turn when the awaiting task is cancelled does
    /// not run: the call throws `cancelled()` instead (a shutdown does not wait for a queue
    /// of fetches behind a hung repository). Work already running finishes.
    public func run<T: Sendable, E: Error>(
        ifCancelled cancelled: @autoclosure @escaping @Sendable () -> E, _ body: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        guard await acquire(leavingWhenCancelled: true) else { throw cancelled() }
        defer { release() }
        return try await dispatch(body)
    }

    /// Calls waiting their turn now (tests).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    private func dispatch<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Takes a turn: true once it is this call's; false when the task was cancelled while
    /// it waited (only if `leavingWhenCancelled`; the waiter has left then).
    private func acquire(leavingWhenCancelled: Bool) async -> Bool {
        if leavingWhenCancelled && Task.isCancelled { return false }
        let id = state.withLock { s -> UInt64? in
            if s.free > 0 && s.waiters.isEmpty {
                s.free -= 1
                return nil
            }
            s.next &+= 1
            s.waiters.append(Waiter(id: s.next))
            return s.next
        }
        guard let id else { return true }
        let wait = {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now = self.state.withLock { s -> Bool? in
                    guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return true }
                    if s.waiters[i].cancelled {
                        s.waiters.remove(at: i)
                        return false
                    }
                    s.waiters[i].continuation = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        }
        guard leavingWhenCancelled else { return await wait() }
        return await withTaskCancellationHandler(operation: wait) {
            let c = self.state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                guard let c = s.waiters[i].continuation else {
                    s.waiters[i].cancelled = true
                    return nil
                }
                s.waiters.remove(at: i)
                return c
            }
            c?.resume(returning: false)
        }
    }

    /// Ends a turn: the first waiter takes it (its turn was granted when it left the
    /// list), or it goes back to the free count.
    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Bool, Never>?? in
            guard let i = s.waiters.firstIndex(where: { !$0.cancelled }) else {
                s.free += 1
                return nil
            }
            return .some(s.waiters.remove(at: i).continuation)
        }
        // A waiter whose continuation is not installed yet finds itself gone from the
        // list and returns at once (its turn taken).
        if case .some(let c?) = next { c.resume(returning: true) }
    }
}
