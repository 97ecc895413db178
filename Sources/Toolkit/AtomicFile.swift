import Foundation

/// Files written so that a reader sees the old document or the new one, never half:
/// a temporary file in the same folder, fsync, then rename over the target.
public enum AtomicFile {
    /// `durable: false` skips the fsync: the rename still makes the write atomic for every
    /// reader and across a crash of the process; only a power loss may bring back the
    /// previous version (used for documents whose loss costs nothing, like a new nextSync).
    ///
    /// `temporaryDirectory` (same file system) holds the temporary file instead of the
    /// target's folder: a crash between create and rename then leaves nothing beside the
    /// published files (the local target's static files are served as they are).
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true,
        temporaryDirectory: String? = nil
    ) throws {
        let target = (path as NSString).deletingLastPathComponent
        let dir = temporaryDirectory ?? target
        let temp = (dir as NSString).appendingPathComponent(
            ".\((path as NSString).lastPathComponent).tmp-\(String(UInt32.random(in: .min ... .max), radix: 16))")
        var fd = open(temp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 && errno == ENOENT {
            // The folder is made on first use only (a stat per write adds up at 1,000 writes a round).
            try makeFolder(dir)
            fd = open(temp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode)
        }
        guard fd >= 0 else { throw FileError("cannot create a file in \(dir): \(String(cString: strerror(errno)))") }
        var offset = 0
        var failure: String?
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            offset += n
        }
        if failure == nil && durable && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if let failure {
            unlink(temp)
            throw FileError("cannot write \(path): \(failure)")
        }
        var renamed = rename(temp, path) == 0
        if !renamed && errno == ENOENT && temporaryDirectory != nil {
            try? FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            renamed = rename(temp, path) == 0
        }
        if !renamed {
            let message = String(cString: strerror(errno))
            unlink(temp)
            throw FileError("cannot rename into \(path): \(message)")
        }
    }

    /// Creates `path` with `bytes` unless it exists (a temporary file, fsync, then `link`,
    /// which fails on an existing name): false when it existed.
    public static func create(_ bytes: [UInt8], at path: String, mode: mode_t = 0o644) throws -> Bool {
        let dir = (path as NSString).deletingLastPathComponent
        let temp = (dir as NSString).appendingPathComponent(
            ".\((path as NSString).lastPathComponent).tmp-\(String(UInt32.random(in: .min ... .max), radix: 16))")
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError("cannot create \(temp): \(String(cString: strerror(errno)))") }
        defer { unlink(temp) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                throw FileError("cannot write \(path): \(message)")
            }
            offset += n
        }
        fsync(fd)
        close(fd)
        if link(temp, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw FileError("cannot create \(path): \(String(cString: strerror(errno)))")
    }

    public static func writeJSON<T: Encodable>(
        _ value: T, to path: String, durable: Bool = true, temporaryDirectory: String? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try write(Array(try encoder.encode(value)), to: path, durable: durable, temporaryDirectory: temporaryDirectory)
    }

    /// The decoded document, or nil when the file does not exist.
    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        // Most of these files are usually absent (a suspension, a pin: looked for on every
        // poll); Foundation reports a missing file by building an error, access(2) does not.
        guard access(path, F_OK) == 0, let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw FileError("\(path) is not a valid document: \(error)")
        }
    }
}

public struct FileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The file or a folder on its way does not exist.
    public var missing = false
    /// A lock another process holds (`FileLock` with a timeout).
    public var busy = false
    /// Refused by a rule (an unsafe path or name, a symlink on the way): trying again
    /// changes nothing.
    public var refused = false
    public init(_ description: String) { self.description = description }
    public init(refused description: String) {
        self.description = description
        refused = true
    }
}

extension AtomicFile {
    /// Whether a name is one of this type's temporary files (`.NAME.tmp-XXXX`, XXXX hex).
    public static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let suffix = name[range.upperBound...]
        return !suffix.isEmpty && suffix.count <= 8 && suffix.allSatisfy(\.isHexDigit)
    }

    /// Removes the temporary files a crash left in `dir` (not recursive); returns how many.
    /// `olderThan` (seconds): only those not modified for that long (other processes, other
    /// shards, may be writing the rest right now).
    @discardableResult
    public static func removeTemporaries(in dir: String, olderThan age: TimeInterval? = nil) -> Int {
        var removed = 0
        let now = Date().timeIntervalSince1970
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where isTemporary(name) {
            let path = (dir as NSString).appendingPathComponent(name)
            if let age {
                var st = stat()
                guard lstat(path, &st) == 0, now - Double(st.st_mtim.tv_sec) > age else { continue }
            }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}

/// A private scratch folder (`mkdtemp`: mode 0700, a name nobody can guess or take first)
/// under the temporary directory, for build contexts and code under a syntax check.
public enum ScratchFolder {
    public static func make(_ prefix: String) throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileError(
                "cannot make a scratch folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))"
            )
        }
        return String(cString: made)
    }
}

extension AtomicFile {
    /// Makes `path` and its missing parents; the error names the folder that could not be
    /// made and why, in words (not Foundation's error codes).
    public static func makeFolder(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        var missing: [String] = []
        var current = path
        while !current.isEmpty && current != "/" && access(current, F_OK) != 0 {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            if mkdir(folder, mode) != 0 && errno != EEXIST {
                throw FileError("cannot create the folder \(folder): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// What says a file changed: its inode, size and modification time (empty when it cannot
/// be read).
public enum FileStamp {
    public static func of(_ path: String) -> [Int] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        return [Int(st.st_ino), Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec]
    }
}
