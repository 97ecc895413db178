import CMemFile
import Foundation
import NIOCore

/// An answer's body copied once into an anonymous, sealed memory file (memfd), so each
/// answer is a `sendfile` from it, as nginx serves a file, instead of a copy of the whole
/// body from user memory per request (the whole list: 6.9 MB at 10,000 applications).
/// Its pages are memory (never a disk read on the event loop). The descriptor is closed
/// when the last reference goes (the cache's, or a write still under way).
final class BodyFile: Sendable {
    let descriptor: CInt
    let count: Int

    /// Bodies below this size are written from memory (a copy costs less than a file).
    static let threshold = 256 << 10

    /// Nil when the memory file cannot be made (the body is then answered from memory).
    init?(_ body: ByteBuffer, name: String = "zerverless-gitops-list") {
        let fd = body.withUnsafeReadableBytes { zg_memfile(name, $0.baseAddress, $0.count) }
        guard fd >= 0 else { return nil }
        descriptor = fd
        count = body.readableBytes
    }

    deinit { close(descriptor) }

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
