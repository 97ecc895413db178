import Daemon
import Synchronization
import Testing
import Toolkit

@Suite(.timeLimit(.minutes(1))) struct FairSlotsTests {
    /// A free slot goes to the namespace that holds the fewest; a waiter whose task is
    /// cancelled leaves the queue (it gets no slot, and the next waiter gets the one freed).
    @Test func slotsGoToTheNamespaceHoldingFewestAndACancelledWaiterLeaves() async throws {
        let slots = FairSlots(total: 2, perNamespace: 2)
        try await slots.acquire("a")
        try await slots.acquire("a")
        let order = Order()
        let arrived = Signal()
        let cancelled = Task {
            arrived.signal()
            try await slots.acquire("c")
        }
        await arrived.wait()
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let moreA = Task {
            try await slots.acquire("a")
            order.names.withLock { $0.append("a") }
        }
        let b = Task {
            try await slots.acquire("b")
            order.names.withLock { $0.append("b") }
        }
        // Both wait (no slot is free, and the cancelled waiter is gone); one slot freed: b
        // holds none, a holds two, so b gets it.
        let deadline = ContinuousClock.now + .seconds(10)
        while slots.waiting != 2 {
            #expect(ContinuousClock.now < deadline, "two waiters within 10 s")
            if ContinuousClock.now >= deadline { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        slots.release("a")
        try await b.value
        #expect(order.names.withLock { $0 } == ["b"])
        slots.release("a")
        try await moreA.value
        #expect(order.names.withLock { $0 } == ["b", "a"])
    }
}

private final class Order: Sendable {
    let names = Mutex<[String]>([])
}
