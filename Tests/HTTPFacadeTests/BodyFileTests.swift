import Foundation
import NIOCore
import Synchronization
import TestSupport
import Testing
import Toolkit

@testable import HTTPFacade

/// The whole list's file: an unnamed read-only file in the state dir (the page cache), a
/// sealed memory file where that cannot be made, and not used once idle.
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

    @Test func aListFileIdleForTenSecondsIsNotUsedAndIsMadeAgain() throws {
        let dir = try TempDir("zg-list-file")
        let list = ListFile()
        list.directory = dir.path
        let clock = MovedClock()
        list.now = { clock.instant.withLock { $0 } }
        // The first answer from memory; the second asks for the file.
        #expect(list.file(version: 1, body: body) == nil && list.file(version: 1, body: body) == nil)
        list.make()
        let made = try #require(list.file(version: 1, body: body))
        #expect(made.inPageCache && list.isKept)
        clock.instant.withLock { $0 += .seconds(9) }
        #expect(list.file(version: 1, body: body) === made, "answered within 10 s: still used")
        clock.instant.withLock { $0 += .seconds(10) }
        #expect(list.file(version: 1, body: body) == nil && !list.isKept, "idle 10 s: from memory")
        #expect(list.file(version: 1, body: body) == nil, "its second answer asks again")
        list.make()
        let again = try #require(list.file(version: 1, body: body))
        #expect(again !== made && contents(again) == Array(buffer: body))
        // The list moved on: the file goes.
        #expect(list.file(version: 2, body: body) == nil && !list.isKept)
    }
}

/// A clock the test moves.
final class MovedClock: Sendable {
    let instant = Mutex(ContinuousClock.now)
}
