import Foundation
import Toolkit

/// One daemon per state dir (per shard index, once there are shards): an exclusive `flock`
/// on `STATE/locks/daemon-INDEX.lock`, held for the life of the process, with who holds it
/// written inside for the message a second daemon prints.
public final class DaemonLock: Sendable {
    private let fd: Int32
    public let path: String
    public let root: String
    /// The identities (device, inode) of the state dir and of the lock file when the lock
    /// was taken: a dir deleted or replaced under the daemon takes its lock with it.
    private let rootIdentity: FileIdentity
    private let fileIdentity: FileIdentity

    /// Takes the lock, or throws naming its holder.
    public init(layout: StateLayout, shard: Int = 0) throws(FileError) {
        path = layout.root + "/locks/daemon-\(shard).lock"
        try AtomicFile.makeFolder(layout.root + "/locks", mode: 0o700)
        // The owner's alone: any user who can open it could hold it and keep the daemon out.
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileError("cannot open \(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var holder = [UInt8](repeating: 0, count: 512)
            let n = pread(fd, &holder, holder.count, 0)
            close(fd)
            if code == EWOULDBLOCK {
                var who =
                    n > 0
                    ? String(decoding: holder[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    : "another process"
                if let pid = who.split(separator: " ").dropFirst().first.flatMap({ Int32($0) }), kill(pid, 0) != 0,
                    errno == ESRCH
                {
                    who += " (that process is gone: another process holds the lock file; `fuser \(path)` names it)"
                }
                throw FileError(
                    "another zerverless-gitops holds the state dir \(layout.root) (shard \(shard)): \(who); two daemons on one state dir would deploy everything twice. Stop it, or give this one its own --state-dir"
                )
            }
            throw FileError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        let formatter = ISO8601DateFormatter()
        let text = "pid \(getpid()) on \(hostName()) since \(formatter.string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.fd = fd
        root = layout.root
        rootIdentity = FileIdentity(path: layout.root) ?? FileIdentity(device: 0, inode: 0)
        fileIdentity = FileIdentity(path: path) ?? FileIdentity(device: 0, inode: 0)
    }

    /// Why the lock no longer guards the state dir (the dir or the lock file was removed
    /// or replaced under the daemon), or nil while it does. Two `stat` calls.
    public func lost() -> String? {
        guard let now = FileIdentity(path: root) else { return "the state dir \(root) was removed" }
        if now != rootIdentity { return "the state dir \(root) was replaced (another folder is at its path now)" }
        guard let lock = FileIdentity(path: path) else { return "the daemon lock \(path) was removed" }
        if lock != fileIdentity { return "the daemon lock \(path) was replaced" }
        return nil
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// A file's device and inode, as `stat` (following links) reports them.
struct FileIdentity: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
