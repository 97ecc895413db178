import Daemon
import Foundation
import TestSupport
import Testing

/// Collects events until `condition` holds over what was seen (with a deadline: a missing
/// event fails the test instead of hanging it).
func collect(_ watcher: DirectoryWatcher, until condition: @escaping @Sendable ([DirectoryWatcher.Event]) -> Bool)
    async throws -> [DirectoryWatcher.Event]
{
    try await withThrowingTaskGroup(of: [DirectoryWatcher.Event]?.self) { group in
        group.addTask {
            var seen: [DirectoryWatcher.Event] = []
            for await event in watcher.events {
                seen.append(event)
                if condition(seen) { return seen }
            }
            return seen
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else { throw CommandFailed(description: "no matching events within 10 s") }
        return first
    }
}

@Suite(.serialized) struct DirectoryWatcherTests {
    @Test func reportsWritesRenamesAndDeletes() async throws {
        let dir = try TempDir("zg-watch")
        let watcher = try DirectoryWatcher(directories: [dir.path])
        defer { watcher.stop() }
        // Ansible style: a temporary name, then a rename into place.
        try dir.write(".ansible_tmp123", "name: a\n")
        try FileManager.default.moveItem(atPath: dir.file(".ansible_tmp123"), toPath: dir.file("a.yaml"))
        try dir.write("a.yaml", "name: b\n")  // in-place edit
        try FileManager.default.removeItem(atPath: dir.file("a.yaml"))
        let events = try await collect(watcher) { seen in
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
        let watcher = try DirectoryWatcher(directories: [dir.path])
        defer { watcher.stop() }
        try dir.write("..2026_11_27_2/app.yaml", "v2\n")
        try FileManager.default.createSymbolicLink(
            atPath: dir.file("..data_tmp"), withDestinationPath: "..2026_11_27_2")
        #expect(rename(dir.file("..data_tmp"), dir.file("..data")) == 0)
        let events = try await collect(watcher) { $0.contains(.changed(directory: dir.path, name: "..data")) }
        #expect(events.contains(.changed(directory: dir.path, name: "..data")))
        #expect(!events.contains(.changed(directory: dir.path, name: "app.yaml")))  // no event names the app's file
    }

    @Test func aDeletedFolderAsksForARescan() async throws {
        let parent = try TempDir("zg-watch")
        let dir = parent.file("apps.d")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let watcher = try DirectoryWatcher(directories: [dir])
        defer { watcher.stop() }
        try FileManager.default.removeItem(atPath: dir)
        let events = try await collect(watcher) { $0.contains(.rescan(directory: dir)) }
        #expect(events.contains(.rescan(directory: dir)))
    }

    @Test func aMissingFolderIsAnError() {
        #expect(throws: WatchError.self) { try DirectoryWatcher(directories: ["/nonexistent/zg-\(UUID().uuidString)"]) }
    }
}
