import Foundation

/// An exclusive `flock` on a file: serializes threads and processes alike (each open file
/// description is locked separately). The file is the owner's alone (0600, in a 0700
/// folder): any user who can open a file can `flock` it, and a lock another user holds
/// would freeze the daemon. The wait is bounded.
public final class FileLock: Sendable {
    private let fd: Int32

    /// Waits at most `timeout` for the lock (nil: for ever), polling every 10 ms. Blocks
    /// the calling thread: call it off the cooperative pool (`BlockingPool`).
    public init(path: String, timeout: Duration? = nil) throws(StateError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: dir) {
            try? FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StateError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(fd, 0o600)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK, deadline.map({ ContinuousClock.now < $0 }) ?? true {
                usleep(10_000)
                continue
            }
            close(fd)
            if code == EWOULDBLOCK {
                throw StateError("\(path) is locked by another process for longer than \(timeout!)")
            }
            throw StateError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
    }

    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Waits for the lock on a thread of its own (never a pool's: a long wait must not
    /// hold a permit other work needs), awaited from async code.
    public static func acquire(path: String, timeout: Duration) async throws(StateError) -> FileLock {
        let result: Result<FileLock, StateError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(StateError) {
                    continuation.resume(returning: .success(try FileLock(path: path, timeout: timeout)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
