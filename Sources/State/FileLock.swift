import Foundation

/// An exclusive `flock` on a file: serializes threads and processes alike (each open file
/// description is locked separately). Blocks until it is held.
public final class FileLock {
    private let fd: Int32

    public init(path: String) throws(StateError) {
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StateError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                let message = String(cString: strerror(errno))
                close(fd)
                throw StateError("cannot lock \(path): \(message)")
            }
        }
    }

    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
