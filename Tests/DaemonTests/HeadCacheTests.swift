import Foundation
import GitSource
import Manifest
import Synchronization
import Testing

@testable import Daemon

@Suite struct HeadCacheTests {
    final class Counter: Sendable {
        let calls = Mutex(0)
        func lookup(_ answer: String, failing: Bool = false, gate: AsyncStream<Void>? = nil)
            -> @Sendable () async throws(GitError) -> GitSource.Head
        {
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
            for _ in 0..<9 {
                group.addTask { try await cache.head("k", fresh: false, lookup: counter.lookup("other")).commit }
            }
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
        await #expect(throws: GitError.self) {
            try await cache.head("k", fresh: false, lookup: counter.lookup("x", failing: true))
        }
        #expect(try await cache.head("k", fresh: false, lookup: counter.lookup("y")).commit == "y")
        #expect(counter.calls.withLock { $0 } == 2)

        let off = HeadCache(maxAge: .zero)
        _ = try await off.head("k", fresh: false, lookup: counter.lookup("a"))
        _ = try await off.head("k", fresh: false, lookup: counter.lookup("b"))
        #expect(counter.calls.withLock { $0 } == 4)
    }
}

/// Which lookups may share an answer (issue 22's review): the URL as written, and the
/// namespace whenever a file of the namespace's secrets vouches for the server.
@Suite struct HeadCacheKeyTests {
    func registration(_ namespace: String, _ url: String, auth: String = "") -> Registration {
        let text =
            "apiVersion: zerverless.io/v1\nkind: Application\nmetadata: {name: app, namespace: \(namespace)}\nspec:\n  source:\n    repoURL: \"\(url)\"\n\(auth)"
        guard case .success(let r) = Validator.registration(Array(text.utf8), file: "app.yaml") else {
            fatalError("invalid: \(text)")
        }
        return r
    }

    @Test func twoSpellingsThatMayBeTwoRepositoriesDoNotShare() {
        #expect(HeadCache.key(registration("a", "git://h/r")) != HeadCache.key(registration("b", "git://h/r.git")))
        #expect(
            HeadCache.key(registration("a", "git://h/r.git")) == HeadCache.key(registration("b", "git://h/r.git")),
            "public: shared")
    }

    @Test func aCAOrKnownHostsFileMakesTheAnswerTheNamespaces() {
        let ca = "    auth: {caFile: ca.pem}\n"
        #expect(
            HeadCache.key(registration("a", "https://h/r", auth: ca))
                != HeadCache.key(registration("b", "https://h/r", auth: ca)))
        let hosts = "    auth: {knownHostsFile: known_hosts}\n"
        #expect(
            HeadCache.key(registration("a", "git@h:r", auth: hosts))
                != HeadCache.key(registration("b", "git@h:r", auth: hosts)))
    }
}
