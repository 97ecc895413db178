import CMemFile
import Foundation
import NIOCore

/// An answer's body copied once into a file, so each answer is a `sendfile` from it, as
/// nginx serves a file, instead of a copy of the whole body from user memory per request
/// (the whole list: 6.9 MB at 10,000 applications).
///
/// Where a directory is given (the state dir), an unnamed file there (`O_TMPFILE`: never
/// linked, gone with its last descriptor; read-only): the file system's page cache holds
/// it in large folios, which `sendfile` reads in batches (measured: 30% less CPU an answer
/// than a memory file's page-by-page reads). Its pages are dirty memory until written
/// back (after ~30 s by default); `ListFile` stops using a file idle for 10 s or made
/// 20 s ago, so it is closed before that. Made there only while the file system has room
/// (4 times the body and 64 MiB free).
/// Otherwise (no directory, or a file system without `O_TMPFILE`) an anonymous memory
/// file (memfd) sealed against writes: memory only. The descriptor is closed when the
/// last reference goes (the cache's, or a write still under way).
final class BodyFile: Sendable {
    let descriptor: CInt
    let count: Int
    /// In the page cache of a directory's file system (not a memfd).
    let inPageCache: Bool

    /// Bodies below this size are written from memory (a copy costs less than a file).
    static let threshold = 256 << 10

    /// Nil when no file can be made (the body is then answered from memory).
    init?(_ body: ByteBuffer, name: String = "zerverless-gitops-list", directory: String? = nil) {
        let unnamed = directory.flatMap { dir in
            Self.hasRoom(dir, for: body.readableBytes)
                ? body.withUnsafeReadableBytes { zg_tmpfile(dir, $0.baseAddress, $0.count) } : nil
        }
        if let unnamed, unnamed >= 0 {
            descriptor = unnamed
            inPageCache = true
        } else {
            let fd = body.withUnsafeReadableBytes { zg_memfile(name, $0.baseAddress, $0.count) }
            guard fd >= 0 else { return nil }
            descriptor = fd
            inPageCache = false
        }
        count = body.readableBytes
    }

    deinit { close(descriptor) }

    /// Whether `directory`'s file system has room for a file of `count` bytes and then
    /// some (4 times it and 64 MiB: old files still being sent to slow readers, and the
    /// status writes of the state dir come first).
    static func hasRoom(_ directory: String, for count: Int) -> Bool {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return false }
        return Int(info.f_bavail) * Int(info.f_frsize) >= count * 4 + (64 << 20)
    }

    /// Writes the whole file as an answer's body; the descriptor stays open until the
    /// write is done (or failed).
    func write(_ context: ChannelHandlerContext, _ wrap: (IOData) -> NIOAny) {
        // A handle per answer (NIO's handles take one access at a time), handed back
        // without closing the shared descriptor.
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(
            wrap(.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: count))), promise: promise)
        promise.futureResult.whenComplete { _ in
            _ = try? handle.takeDescriptorOwnership()
            withExtendedLifetime(self) {}
        }
    }
}
