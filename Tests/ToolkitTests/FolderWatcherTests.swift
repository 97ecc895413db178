import Foundation
import Synchronization
import TestSupport
import Testing
import Toolkit

/// Collects events until `condition` holds over what was seen (with a deadline: a missing
/// event fails the test instead of hanging it).
func collect(
    _ subscription: FolderWatcher.Subscription,
    until condition: @escaping @Sendable ([FolderWatcher.Event]) -> Bool
) async throws -> [FolderWatcher.Event] {
    let seen = Seen()
    return try await withThrowingTaskGroup(of: [FolderWatcher.Event]?.self) { group in
        group.addTask {
            for await event in subscription {
                let all = seen.events.withLock {
                    $0.append(event)
                    return $0
                }
                if condition(all) { return all }
            }
            return seen.events.withLock { $0 }
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else {
            throw CommandFailed(description: "no matching events within 10 s; seen: \(seen.events.withLock { $0 })")
        }
        return first
    }
}

private final class Seen: Sendable {
    let events = Mutex<[FolderWatcher.Event]>([])
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct FolderWatcherTests {
    @Test func reportsWritesRenamesAndDeletes() async throws {
        let dir = try TempDir("zg-watch")
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        try await subscription.watch(dir.path)
        // Ansible style: a temporary name, then a rename into place.
        try dir.write(".ansible_tmp123", "name: a\n")
        try FileManager.default.moveItem(atPath: dir.file(".ansible_tmp123"), toPath: dir.file("a.yaml"))
        try dir.write("a.yaml", "name: b\n")  // in-place edit
        try FileManager.default.removeItem(atPath: dir.file("a.yaml"))
        let events = try await collect(subscription) { seen in
            seen.filter { $0 == .changed(directory: dir.path, name: "a.yaml") }.count >= 3
        }
        #expect(events.contains(.changed(directory: dir.path, name: ".ansible_tmp123")))
        #expect(events.filter { $0 == .changed(directory: dir.path, name: "a.yaml") }.count >= 3)
    }

    @Test func configMapSwapIsVisibleAsDotDotData() async throws {
        let dir = try TempDir("zg-watch")
        // The layout kubelet writes: ..data -> ..2026_11_27_1; app.yaml -> ..data/app.yaml
        try dir.write("..2026_11_27_1/app.yaml", "v1\n")
        try FileManager.default.createSymbolicLink(atPath: dir.file("..data"), withDestinationPath: "..2026_11_27_1")
        try FileManager.default.createSymbolicLink(atPath: dir.file("app.yaml"), withDestinationPath: "..data/app.yaml")
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        try await subscription.watch(dir.path)
        try dir.write("..2026_11_27_2/app.yaml", "v2\n")
        try FileManager.default.createSymbolicLink(
            atPath: dir.file("..data_tmp"), withDestinationPath: "..2026_11_27_2")
        #expect(rename(dir.file("..data_tmp"), dir.file("..data")) == 0)
        let events = try await collect(subscription) { $0.contains(.changed(directory: dir.path, name: "..data")) }
        #expect(events.contains(.changed(directory: dir.path, name: "..data")))
        #expect(!events.contains(.changed(directory: dir.path, name: "app.yaml")))  // no event names the app's file
    }

    @Test func aDeletedFolderAsksForARescanAndCanBeWatchedAgain() async throws {
        let parent = try TempDir("zg-watch")
        let dir = parent.file("apps.d")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        try await subscription.watch(dir)
        try FileManager.default.removeItem(atPath: dir)
        _ = try await collect(subscription) { $0.contains(.rescan(directory: dir)) }
        // Back again: the watch went with the old folder; a new one reports the new folder.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try await subscription.watch(dir)
        try parent.write("apps.d/a.yaml", "name: a\n")
        _ = try await collect(subscription) { $0.contains(.changed(directory: dir, name: "a.yaml")) }
    }

    /// The kernel's late `IN_IGNORED` of a deleted folder's watch once dropped the new watch
    /// of the folder made again (libinotifytools kept the old watch under the same name);
    /// seen under load. A hundred rounds of delete, make, watch, write: each write is heard
    /// and no round leaves a second rescan behind.
    @Test func aFolderDeletedAndMadeAgainAHundredTimesIsHeardEachTime() async throws {
        let parent = try TempDir("zg-watch")
        let dir = parent.file("app")
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        for round in 0..<100 {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try await subscription.watch(dir)
            try parent.write("app/status.json", "\(round)\n")
            let heard = try await collect(subscription) { $0.contains(.changed(directory: dir, name: "status.json")) }
            #expect(!heard.contains(.rescan(directory: dir)), "round \(round): a rescan of the new folder")
            try FileManager.default.removeItem(atPath: dir)
            _ = try await collect(subscription) { $0.contains(.rescan(directory: dir)) }
        }
    }

    @Test func aMissingFolderIsAnError() async {
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        await #expect(throws: WatchError.self) { try await subscription.watch("/nonexistent/zg-\(UUID().uuidString)") }
    }

    /// Two subscribers of one folder both hear its events; one ending does not end the
    /// other's; a folder only one of them watches is reported to that one alone.
    @Test func everySubscriberHearsItsOwnFolders() async throws {
        let shared = try TempDir("zg-watch")
        let own = try TempDir("zg-watch")
        let first = FolderWatcher.shared.subscribe()
        let second = FolderWatcher.shared.subscribe()
        defer { second.cancel() }
        try await first.watch(shared.path)
        try await second.watch(shared.path)
        try await second.watch(own.path)
        try shared.write("one", "1")
        _ = try await collect(first) { $0.contains(.changed(directory: shared.path, name: "one")) }
        _ = try await collect(second) { $0.contains(.changed(directory: shared.path, name: "one")) }
        first.cancel()
        try shared.write("two", "2")
        try own.write("three", "3")
        let events = try await collect(second) { $0.contains(.changed(directory: own.path, name: "three")) }
        #expect(events.contains(.changed(directory: shared.path, name: "two")))
        // The first one's stream ended: iterating it reads what was buffered, then ends.
        for await _ in first {}
    }

    /// One thread for the process, whoever subscribes and ends: a subscriber that comes
    /// after all the others ended is served by the same thread.
    @Test func oneThreadServesSubscribersThatComeAndGo() async throws {
        let dir = try TempDir("zg-watch")
        do {
            let subscription = FolderWatcher.shared.subscribe()
            try await subscription.watch(dir.path)
            subscription.cancel()
        }
        let subscription = FolderWatcher.shared.subscribe()
        defer { subscription.cancel() }
        try await subscription.watch(dir.path)
        try dir.write("again", "1")
        _ = try await collect(subscription) { $0.contains(.changed(directory: dir.path, name: "again")) }
        #expect(FolderWatcher.shared.starts.load(ordering: .relaxed) == 1)
        #expect(FolderWatcher.shared.running)
    }
}
