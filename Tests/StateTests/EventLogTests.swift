import Foundation
import State
import TestSupport
import Testing

/// The event feed `events` reads: appended lines, read back in order; rotated past its
/// limit with the latest kept; a reader following it across the rotation; a line still
/// being written is not read half.
@Suite struct EventLogTests {
    func event(_ i: Int, app: String = "shop") -> NotificationEvent {
        NotificationEvent(
            event: i % 2 == 0 ? "synced" : "error", app: app, namespace: "web", status: "synced",
            commit: String(repeating: "\(i % 10)", count: 40), message: "attempt \(i)",
            time: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)))
    }

    @Test func appendedEventsReadBackInOrder() throws {
        let dir = try TempDir("zg-events")
        let log = EventLog(layout: StateLayout(root: dir.path))
        #expect(log.read().isEmpty)
        for i in 0..<5 { try log.append(event(i)) }
        #expect(log.read() == (0..<5).map { event($0) })
        let line = String(decoding: EventLog.line(event(1)), as: UTF8.self)
        #expect(line.hasPrefix("{\"app\":\"shop\",\"commit\":\"1111") && line.hasSuffix("}\n"), "\(line)")
        #expect(line.contains("\"time\":\"2027-01-15T08:00:01Z\""), "\(line)")
    }

    @Test func pastItsLimitTheFeedKeepsTheLatest() throws {
        let dir = try TempDir("zg-events-rotate")
        let layout = StateLayout(root: dir.path)
        let size = EventLog.line(event(0)).count
        let log = EventLog(layout: layout, limit: size * 10)
        for i in 0..<35 { try log.append(event(i)) }
        let kept = log.read()
        // The current file and the one before: between 10 and 20 events, the latest last.
        #expect(kept.count >= 10 && kept.count <= 20, "\(kept.count)")
        #expect(kept == (35 - kept.count..<35).map { event($0) })
        #expect(FileManager.default.fileExists(atPath: log.previousFile))
        #expect(!FileManager.default.fileExists(atPath: log.previousFile + ".1"))
    }

    @Test func aReaderFollowsTheFeedAcrossItsRotation() throws {
        let dir = try TempDir("zg-events-tail")
        let size = EventLog.line(event(0)).count
        let log = EventLog(layout: StateLayout(root: dir.path), limit: size * 4)
        var tail = EventLog.Tail(path: log.file)
        #expect(tail.readNew().isEmpty)  // no file yet
        var seen: [NotificationEvent] = []
        for i in 0..<30 {
            try log.append(event(i))
            // Read after every other event: some reads span a rotation.
            if i % 2 == 1 { seen += tail.readNew() }
        }
        #expect(seen == (0..<30).map { event($0) })
        tail.close()
    }

    @Test func aLineBeingWrittenIsReadOnceWhole() throws {
        let dir = try TempDir("zg-events-partial")
        let log = EventLog(layout: StateLayout(root: dir.path))
        try log.append(event(0))
        var tail = EventLog.Tail(path: log.file)
        #expect(tail.readNew() == [event(0)])
        let line = EventLog.line(event(1))
        let handle = try #require(FileHandle(forWritingAtPath: log.file))
        handle.seekToEndOfFile()
        handle.write(Data(line.prefix(20)))
        #expect(tail.readNew().isEmpty)
        handle.write(Data(line.dropFirst(20)))
        try handle.close()
        #expect(tail.readNew() == [event(1)])
        // A line a crash cut is skipped by a full read, not fatal.
        let cut = try #require(FileHandle(forWritingAtPath: log.file))
        cut.seekToEndOfFile()
        cut.write(Data("{\"app\":\"cut\n".utf8))
        try cut.close()
        try log.append(event(2))
        #expect(log.read() == [event(0), event(1), event(2)])
    }
}
