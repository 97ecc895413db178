import Synchronization

/// The daemon's sync slots (`--concurrency`), shared fairly between namespaces: a free
/// slot goes to the waiting namespace that holds the fewest (ties: the one that waited
/// longest), and no namespace holds more than `perNamespace` while another waits, so one
/// tenant's slow or hung repositories never keep another tenant's syncs from starting.
/// A waiter whose task is cancelled leaves the queue and gets `CancellationError`.
public final class FairSlots: Sendable {
    private struct Waiter {
        var namespace: String
        var ticket: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var free: Int
        var held: [String: Int] = [:]
        var waiting: [Waiter] = []
        var nextTicket = 0
    }

    public let total: Int
    public let perNamespace: Int
    private let state: Mutex<State>

    /// `perNamespace` defaults to half the slots (at least one): one namespace never holds
    /// them all while another waits, and two cannot take the lot either when there are more
    /// than two.
    public init(total: Int, perNamespace: Int? = nil) {
        self.total = max(1, total)
        self.perNamespace = max(1, perNamespace ?? max(1, total / 2))
        state = Mutex(State(free: max(1, total)))
    }

    public func acquire(_ namespace: String) async throws(CancellationError) {
        let granted = state.withLock { s -> Bool in
            if s.free > 0, s.waiting.isEmpty, s.held[namespace, default: 0] < perNamespace {
                s.free -= 1
                s.held[namespace, default: 0] += 1
                return true
            }
            return false
        }
        if granted { return }
        let ticket = state.withLock { s -> Int in
            s.nextTicket += 1
            return s.nextTicket
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                    let (cancelled, resume) = state.withLock { s -> (Bool, [CheckedContinuation<Void, any Error>]) in
                        // Checked under the lock `onCancel` takes: a cancellation is seen
                        // either here or there, never lost between the two.
                        if Task.isCancelled { return (true, []) }
                        s.waiting.append(Waiter(namespace: namespace, ticket: ticket, continuation: c))
                        return (false, Self.grant(&s, perNamespace: perNamespace))
                    }
                    if cancelled { c.resume(throwing: CancellationError()) }
                    resume.forEach { $0.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { s -> Waiter? in
                    guard let i = s.waiting.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                    return s.waiting.remove(at: i)
                }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            throw CancellationError()
        }
    }

    /// Waiters now (tests).
    public var waiting: Int { state.withLock { $0.waiting.count } }

    public func release(_ namespace: String) {
        let resume = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.free += 1
            let held = s.held[namespace, default: 1] - 1
            s.held[namespace] = held > 0 ? held : nil
            return Self.grant(&s, perNamespace: perNamespace)
        }
        resume.forEach { $0.resume() }
    }

    /// Hands free slots to waiters: fewest held first, then the longest waiting; a
    /// namespace at its cap waits even when a slot is free.
    private static func grant(_ s: inout State, perNamespace: Int) -> [CheckedContinuation<Void, any Error>] {
        var out: [CheckedContinuation<Void, any Error>] = []
        while s.free > 0 {
            var best: Int?
            for (i, w) in s.waiting.enumerated() {
                let held = s.held[w.namespace, default: 0]
                guard held < perNamespace else { continue }
                if let b = best {
                    let bh = s.held[s.waiting[b].namespace, default: 0]
                    if held < bh || (held == bh && w.ticket < s.waiting[b].ticket) { best = i }
                } else {
                    best = i
                }
            }
            guard let chosen = best else { break }
            let w = s.waiting.remove(at: chosen)
            s.free -= 1
            s.held[w.namespace, default: 0] += 1
            out.append(w.continuation)
        }
        return out
    }
}
