@testable import Daemon
import Foundation
import GitSource
import Synchronization
import Testing

@Suite struct HeadCacheTests {
    final class Counter: Sendable {
        let calls = Mutex(0)
        func lookup(_ answer: String, failing: Bool = false, gate: AsyncStream<Void>? = nil) -> @Sendable () async throws(GitError) -> GitSource.Head {
            { () async throws(GitError) -> GitSource.Head in
                self.calls.withLock { $0 += 1 }
                if let gate { for await _ in gate { break } }
                if failing { throw GitError(.network, call: "test", message: "down") }
                return GitSource.Head(commit: answer)
            }
        }
    }

    @Test func askersWithinTheAgeShareOneLookup() async throws {
        let cache = HeadCache(maxAge: .seconds(60))
        let counter = Counter()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        // Ten concurrent askers while the first lookup is held open: one lookup.
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await cache.head("k", fresh: false, lookup: counter.lookup("abc", gate: gate)).commit }
            // The first lookup is in flight (with a deadline, not a guess of time).
            let deadline = ContinuousClock.now + .seconds(10)
            while counter.calls.withLock({ $0 }) == 0 && ContinuousClock.now < deadline { await Task.yield() }
            // Whether these arrive while it is in flight or after it: they share its answer.
            for _ in 0..<9 { group.addTask { try await cache.head("k", fresh: false, lookup: counter.lookup("other")).commit } }
            open.yield()
            open.finish()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers == Array(repeating: "abc", count: 10))
        #expect(counter.calls.withLock { $0 } == 1)
        // Later askers get the cached answer; a fresh one asks.
        #expect(try await cache.head("k", fresh: false, lookup: counter.lookup("new")).commit == "abc")
        #expect(try await cache.head("k", fresh: true, lookup: counter.lookup("new")).commit == "new")
        #expect(counter.calls.withLock { $0 } == 2)
        // Another key is another lookup.
        #expect(try await cache.head("k2", fresh: false, lookup: counter.lookup("two")).commit == "two")
    }

    @Test func failuresAreNotKeptAndZeroAgeNeverShares() async throws {
        let cache = HeadCache(maxAge: .seconds(60))
        let counter = Counter()
        await #expect(throws: GitError.self) { try await cache.head("k", fresh: false, lookup: counter.lookup("x", failing: true)) }
        #expect(try await cache.head("k", fresh: false, lookup: counter.lookup("y")).commit == "y")
        #expect(counter.calls.withLock { $0 } == 2)

        let off = HeadCache(maxAge: .zero)
        _ = try await off.head("k", fresh: false, lookup: counter.lookup("a"))
        _ = try await off.head("k", fresh: false, lookup: counter.lookup("b"))
        #expect(counter.calls.withLock { $0 } == 4)
    }
}
