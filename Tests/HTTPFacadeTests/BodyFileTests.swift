import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// The whole list's file: an unnamed read-only file in the state dir (the page cache), a
/// sealed memory file where that cannot be made, not used once idle or 20 s old.
@Suite struct BodyFileTests {
    let body = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    func contents(_ file: BodyFile) -> [UInt8] {
        var read = [UInt8](repeating: 0, count: file.count)
        #expect(pread(file.descriptor, &read, read.count, 0) == file.count)
        return read
    }

    func target(_ fd: CInt) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    @Test func aBodyFileInADirectoryIsUnnamedAndReadOnly() throws {
        let dir = try TempDir("zg-body-file")
        let file = try #require(BodyFile(body, directory: dir.path))
        #expect(file.inPageCache && contents(file) == Array(buffer: body))
        let link = try target(file.descriptor)
        #expect(link.hasPrefix(dir.path + "/#") && link.hasSuffix("(deleted)"), "\(link)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "never linked")
        #expect(pwrite(file.descriptor, "x", 1, 0) == -1 && errno == EBADF, "read-only")
    }

    @Test func withoutAUsableDirectoryItIsASealedMemoryFile() throws {
        for directory in [nil, "/nonexistent-zg-dir"] {
            let file = try #require(BodyFile(body, name: "zerverless-gitops-test", directory: directory))
            #expect(!file.inPageCache && contents(file) == Array(buffer: body))
            #expect(try target(file.descriptor).contains("memfd:zerverless-gitops-test"))
            #expect(pwrite(file.descriptor, "x", 1, 0) == -1 && errno == EPERM, "sealed against writes")
            #expect(ftruncate(file.descriptor, 10) == -1, "and size changes")
        }
    }

    @Test func aListFileIsUsedWhileAnsweredOftenAndNotPastTwentySeconds() throws {
        let dir = try TempDir("zg-list-file")
        let list = ListFile()
        list.directory = dir.path
        let clock = MovedClock()
        list.now = { clock.instant.withLock { $0 } }
        func move(_ seconds: Int) { clock.instant.withLock { $0 += .seconds(seconds) } }
        // The first answer from memory; the second asks for the file.
        #expect(list.file(version: 1, body: body) == nil && list.file(version: 1, body: body) == nil)
        list.make()
        let made = try #require(list.file(version: 1, body: body))
        #expect(made.inPageCache && list.isKept)
        move(9)
        #expect(list.file(version: 1, body: body) === made, "answered within 10 s: still used")
        move(10)
        #expect(list.file(version: 1, body: body) == nil && !list.isKept, "idle 10 s: from memory")
        #expect(list.file(version: 1, body: body) == nil, "the next answer asks again")
        list.make()
        let again = try #require(list.file(version: 1, body: body))
        #expect(again !== made && contents(again) == Array(buffer: body))

        // Not past 20 s, however often it is answered (closed before the kernel writes
        // it back: never read from the disk).
        move(9)
        #expect(list.file(version: 1, body: body) === again)
        move(9)
        #expect(list.file(version: 1, body: body) === again)
        move(3)
        #expect(list.file(version: 1, body: body) == nil && !list.isKept, "21 s old: from memory")
        #expect(list.file(version: 1, body: body) == nil)
        list.make()
        #expect(list.isKept, "made again")

        // Answered every 15 s: no file made for nothing.
        list.drop()
        for _ in 0..<4 {
            move(15)
            #expect(list.file(version: 2, body: body) == nil)
            list.make()
            #expect(!list.isKept)
        }
        // The list moved on: the file goes.
        #expect(list.file(version: 2, body: body) == nil)
        list.make()
        #expect(list.isKept && list.file(version: 3, body: body) == nil && !list.isKept)
    }

    @Test func noFileInADirectoryWithoutRoom() throws {
        let dir = try TempDir("zg-body-room")
        #expect(BodyFile.hasRoom(dir.path, for: 1 << 20))
        #expect(!BodyFile.hasRoom(dir.path, for: Int.max / 8), "not 4 times more than the disk")
        #expect(!BodyFile.hasRoom("/nonexistent-zg-dir", for: 1))
    }
}

/// A clock the test moves.
final class MovedClock: Sendable {
    let instant = Mutex(ContinuousClock.now)
}
