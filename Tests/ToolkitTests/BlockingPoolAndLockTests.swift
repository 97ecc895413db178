import Dispatch
import Foundation
import Synchronization
import TestSupport
import Testing
import Toolkit

struct Cancelled: Error {}

@Suite(.timeLimit(.minutes(1))) struct BlockingPoolAndLockTests {
    /// Work still queued when its task is cancelled does not run: the call throws what the
    /// caller said, once a thread is free; work already running finishes.
    @Test func queuedWorkOfACancelledTaskDoesNotRun() async throws {
        let pool = BlockingPool(limit: 1, label: "test")
        let gate = DispatchSemaphore(value: 0)
        let ran = Atomic<Bool>(false)
        let started = Signal()
        let first = Task {
            await pool.run { () -> Int in
                started.signal()
                gate.wait()
                return 1
            }
        }
        await started.wait()
        let second = Task {
            try await pool.run(ifCancelled: Cancelled()) { () throws(Cancelled) -> Int in
                ran.store(true, ordering: .relaxed)
                return 2
            }
        }
        // A third call waits behind the second: the second's leaving does not lose its turn.
        let third = Task { await pool.run { 3 } }
        try await until { pool.waiting == 2 }
        second.cancel()
        await #expect(throws: Cancelled.self) { try await second.value }
        #expect(pool.waiting == 1, "the cancelled call left the line at once")
        gate.signal()
        #expect(await first.value == 1)
        #expect(await third.value == 3)
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
        // The pool goes on working.
        #expect(await pool.run { 4 } == 4)
        #expect(pool.waiting == 0)
    }

    @Test func errorsKeepTheirType() async {
        struct Boom: Error, Equatable {}
        await #expect(throws: Boom()) { try await BlockingPool.files.run { () throws(Boom) -> Int in throw Boom() } }
    }

    /// A lock held elsewhere: `acquire` waits without a thread and stops at its timeout,
    /// or at once when its task is cancelled; it gets the lock once it is free.
    @Test func fileLockWaitsHonourTimeoutAndCancellation() async throws {
        let dir = try TempDir("zg-lock")
        let path = dir.file("locks/a.lock")
        let held = try FileLock(path: path)
        await #expect(throws: FileError.self) { _ = try await FileLock.acquire(path: path, timeout: .milliseconds(50)) }
        let waiting = Task { try await FileLock.acquire(path: path, timeout: .seconds(3600)) }
        waiting.cancel()
        do {
            _ = try await waiting.value
            Issue.record("a cancelled wait got the lock")
        } catch {
            #expect("\(error)".contains("cancelled"))
        }
        held.unlock()
        let mine = try await FileLock.acquire(path: path, timeout: .seconds(5))
        mine.unlock()
    }
}
