import Foundation

/// The write of an unchanged poll: the status document differs from the file only in the
/// value of `nextSync`, a timestamp of fixed length. Replacing the whole file (temporary
/// file, rename) costs the file system an inode created and one freed each time (at
/// 10,000 applications a round, most of the round's CPU); these few bytes are written in
/// place instead. Every other byte stays as it is, the length does not change, so a
/// reader always parses a whole document; one reading at the very instant of the write
/// may see the old and new digits of that one timestamp mixed, which need not be a valid
/// date (an advisory field; the next read has the new value).
public enum InPlacePatch {
    /// Writes `bytes` to `path` in place when the file has the same length and differs
    /// only inside the string value of `key`; false (nothing written) otherwise.
    public static func write(_ bytes: [UInt8], to path: String, onlyInsideValueOf key: String) -> Bool {
        guard let value = stringValueRange(of: key, in: bytes, prefix: "\n  ") else { return false }
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1,
            Int(info.st_size) == bytes.count
        else { return false }
        var old = [UInt8](repeating: 0, count: bytes.count)
        let read = old.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read == bytes.count else { return false }
        guard let first = old.indices.first(where: { old[$0] != bytes[$0] }) else {
            return futimens(fd, nil) == 0  // the same document: only the write time moves
        }
        let last = old.indices.last(where: { old[$0] != bytes[$0] })!
        guard value.contains(first), value.contains(last) else { return false }
        let written = bytes[first...last].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(first)) }
        return written == last - first + 1
    }

    /// Replaces the string value of `key` in the file at `path` by `value` of the same
    /// length, in place, when the file is still the one `expecting` names (inode, size,
    /// modification time: no one wrote it since), without comparing the rest: for a
    /// writer that knows which document that file holds and that only this value moved.
    /// The file's new version; nil (nothing written) when it is another file, has no such
    /// key, or the value's length differs. The same value: only the write time moves.
    public static func replaceValue(of key: String, with value: [UInt8], in path: String, expecting: FileVersion)
        -> FileVersion?
    {
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1,
            FileVersion(info) == expecting, (1...(1 << 20)).contains(Int(info.st_size))
        else { return nil }
        var old = [UInt8](repeating: 0, count: Int(info.st_size))
        let read = old.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        // A top-level key only (a line of its own at the first indent: a string value
        // holds no raw newline): a tenant's label named like it is no match.
        guard read == old.count, let range = stringValueRange(of: key, in: old, prefix: "\n  "),
            range.count == value.count
        else { return nil }
        if old[range].elementsEqual(value) {
            guard futimens(fd, nil) == 0 else { return nil }
        } else {
            let written = value.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(range.lowerBound)) }
            guard written == value.count else { return nil }
        }
        guard fstat(fd, &info) == 0 else { return nil }
        return FileVersion(info)
    }

    /// The bytes between the quotes of `"key" : "VALUE"` (the encoder's spacing). A
    /// quote inside a string value is escaped, so the pattern only matches a key.
    public static func stringValueRange(of key: String, in bytes: [UInt8], prefix: String = "") -> Range<Int>? {
        let pattern = Array("\(prefix)\"\(key)\" : \"".utf8)
        guard bytes.count >= pattern.count else { return nil }
        var i = 0
        while i <= bytes.count - pattern.count {
            if bytes[i] == pattern[0], bytes[i..<i + pattern.count].elementsEqual(pattern) {
                let start = i + pattern.count
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return start..<end
            }
            i += 1
        }
        return nil
    }
}

/// One version of a file: inode, size, modification and change times (a rename puts
/// another inode there; a write in place moves the times; the change time cannot be set
/// back from user space, as `touch -r` sets the modification time).
public struct FileVersion: Hashable, Sendable {
    public let inode: UInt64
    public let size: Int
    public let seconds: Int
    public let nanoseconds: Int
    public let changed: Int
    public let changedNanoseconds: Int

    public init(_ info: stat) {
        inode = UInt64(info.st_ino)
        size = Int(info.st_size)
        seconds = Int(info.st_mtim.tv_sec)
        nanoseconds = Int(info.st_mtim.tv_nsec)
        changed = Int(info.st_ctim.tv_sec)
        changedNanoseconds = Int(info.st_ctim.tv_nsec)
    }

    /// The version of the file at `path` (not following a symbolic link), or nil.
    public static func of(_ path: String) -> FileVersion? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileVersion(info)
    }
}
