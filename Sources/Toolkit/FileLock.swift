import Foundation

/// An exclusive `flock` on a file: serializes threads and processes alike (each open file
/// description is locked separately). The file is the owner's alone (0600, in a 0700
/// folder): any user who can open a file can `flock` it, and a lock another user holds
/// would freeze the daemon. The wait is bounded.
public final class FileLock: Sendable {
    private let fd: Int32

    /// Waits at most `timeout` for the lock (nil: for ever), polling every 10 ms. Blocks
    /// the calling thread: call it off the cooperative pool (`BlockingPool`).
    public init(path: String, timeout: Duration? = nil) throws(FileError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: dir) {
            try? FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw FileError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
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
                var busy = FileError("\(path) is locked by another process for longer than \(timeout!)")
                busy.busy = true
                throw busy
            }
            throw FileError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
    }

    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Waits for the lock from async code without holding a thread: one non-blocking try
    /// each 10 ms on `sleep` (the daemon's clock), for at most `timeout`. A cancelled task
    /// stops waiting and gets a `FileError` saying so.
    public static func acquire(
        path: String, timeout: Duration,
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws(FileError) -> FileLock {
        var waited = Duration.zero
        while true {
            do throws(FileError) {
                return try FileLock(path: path, timeout: .zero)
            } catch  where error.busy {
                guard waited < timeout else {
                    var busy = FileError("\(path) is locked by another process for longer than \(timeout)")
                    busy.busy = true
                    throw busy
                }
                do {
                    try await sleep(.milliseconds(10))
                } catch {
                    throw FileError("stopped waiting for the lock \(path): the task was cancelled")
                }
                waited += .milliseconds(10)
            }
        }
    }
}
