import Foundation
import State
import TestSupport
import Testing

@testable import Daemon

@Suite struct ScheduleTests {
    @Test func backoffDoublesFromTheMinimumUpToThePollInterval() {
        let policy = SchedulePolicy(retryMin: 10, jitter: 0.1)
        // random 0.5 = no jitter
        let delays = (1...8).map { policy.backoff(failures: $0, interval: 300, random: 0.5) }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300, 300])
        // A huge failure count does not overflow.
        #expect(policy.backoff(failures: 10_000, interval: 300, random: 0.5) == 300)
    }

    @Test func jitterStaysWithinTenPercent() {
        let policy = SchedulePolicy()
        #expect(policy.poll(interval: 300, random: 0) == 270)
        #expect(policy.poll(interval: 300, random: 0.999_999) > 329.99)
        #expect(policy.poll(interval: 300, random: 0.999_999) < 330)
        #expect(policy.backoff(failures: 1, interval: 300, random: 0) == 9)
    }
}

@Suite struct AppsDirTests {
    func file(_ path: String, _ text: String) -> RegistrationFile {
        AppsDir.read(Array(text.utf8), path: path)
    }

    let good = "name: app-a\nnamespace: ns\nsource: {repoURL: https://example.com/a.git}\n"

    @Test func duplicatesAreReportedWithEveryFile() {
        let (entries, unnamed) = AppsDir.resolve([file("/d/a.yaml", good), file("/d/b.yml", good)])
        #expect(unnamed.isEmpty)
        guard case .duplicate(let files)? = entries["app-a"] else {
            Issue.record("not a duplicate")
            return
        }
        #expect(files == ["/d/a.yaml", "/d/b.yml"])
    }

    @Test func anInvalidFileIsNamedByItsDeclaredNameOrItsFileName() {
        let declared = file(
            "/d/x.yaml", "name: app-b\nnamespace: ns\npollInterval: soon\nsource: {repoURL: https://e.com/r}\n")
        #expect(declared.name == "app-b")
        let unparseable = file("/d/app-c.yaml", "name: [unclosed\n")
        #expect(unparseable.name == "app-c")
        let hopeless = file("/d/Not_A_Label.yaml", "{{{")
        #expect(hopeless.name == nil)
        let (entries, unnamed) = AppsDir.resolve([declared, unparseable, hopeless])
        #expect(unnamed.map(\.path) == ["/d/Not_A_Label.yaml"])
        guard case .invalid(let path, let diagnostics, _)? = entries["app-b"] else {
            Issue.record("not invalid")
            return
        }
        #expect(path == "/d/x.yaml")
        #expect(diagnostics.first?.line == 3)
    }

    @Test func scannerReadsOnlyRegistrationNamesAndRereadsOnlyChangedFiles() throws {
        let dir = try TempDir("zg-scan")
        _ = try dir.write("a.yaml", good)
        _ = try dir.write(".hidden.yaml", good)
        _ = try dir.write("a.yaml.swp", good)
        _ = try dir.write("notes.txt", good)
        try FileManager.default.createDirectory(atPath: dir.file("..data"), withIntermediateDirectories: true)
        let scanner = AppsDir(directory: dir.path)
        let first = scanner.scan()
        #expect(first.readable)
        #expect(first.files.map(\.path) == [dir.file("a.yaml")])
        let digest = first.files[0].digest
        // Same size, new content, written in place: read again (mtime/ctime changed).
        let fd = open(dir.file("a.yaml"), O_WRONLY | O_TRUNC)
        let changed = Array(good.replacingOccurrences(of: "app-a", with: "app-z").utf8)
        _ = write(fd, changed, changed.count)
        close(fd)
        let second = scanner.scan()
        #expect(second.files[0].digest != digest)
        #expect(second.files[0].name == "app-z")

        let missing = AppsDir(directory: dir.file("nope")).scan()
        #expect(!missing.readable)
        #expect(missing.problem?.contains("No such file") == true)
    }
}

@Suite struct SignalTests {
    @Test func aSignalBeforeTheWaitIsNotLost() async {
        let signal = Signal()
        signal.signal()
        // Returns at once: no timeout is given, so a lost signal would hang (and the
        // suite's time limit would fail the test).
        await signal.wait()
        #expect(signal.waiting == 0)
    }

    /// The notifier's spin: a wait that its timer ended left the signal finished, and every
    /// later wait returned at once. Here a timed-out wait leaves nothing behind, the next
    /// wait sleeps again, and a signal still wakes it.
    @Test(.timeLimit(.minutes(1))) func aTimedOutWaitLeavesTheSignalUsable() async throws {
        let signal = Signal()
        let clock = ManualClock()
        for round in 1...3 {
            let waiter = Task { await signal.wait(timeout: .seconds(60), clock: clock) }
            try await until { clock.sleepers == 1 && signal.waiting == 1 }
            clock.advance(by: .seconds(60))
            await waiter.value
            #expect(signal.waiting == 0, "round \(round)")
            #expect(clock.sleepers == 0, "round \(round)")
        }
        let woken = Task { await signal.wait(timeout: .seconds(60), clock: clock) }
        try await until { signal.waiting == 1 }
        signal.signal()
        await woken.value
        #expect(clock.sleepers == 0, "the signal ended the wait, and its timer with it")
    }

    @Test(.timeLimit(.minutes(1))) func cancellingAWaitEndsIt() async throws {
        let signal = Signal()
        let waiter = Task { await signal.wait() }
        try await until { signal.waiting == 1 }
        waiter.cancel()
        await waiter.value
        #expect(signal.waiting == 0)
    }

    /// Waits (real time, bounded) until `condition` holds.
    func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            await Task.yield()
        }
    }
}
