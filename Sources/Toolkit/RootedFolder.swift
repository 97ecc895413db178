import Foundation

/// A folder whose files are reached one component at a time with `openat`, never through a
/// symlink and never above the folder: the way to write names that come from a repository
/// (Kubernetes' AtomicWriter, git's checkout). Components are raw bytes; each must be a
/// plain name (not empty, `.`, `..`, and without `/` or NUL), else the call is refused.
public struct RootedFolder: Sendable {
    public let root: String
    /// The mode of folders made on the way (and of the root, when it is made).
    public var folderMode: mode_t

    public init(root: String, folderMode: mode_t = 0o755) {
        self.root = root
        self.folderMode = folderMode
    }

    /// Writes `bytes` at `path` (components under the root), atomically: a temporary file
    /// in `temporary` (components of a folder under the root, same file system), fsync
    /// unless `durable` is false, then `renameat` over the target. Missing folders are made.
    public func write(
        _ bytes: [UInt8], at path: [[UInt8]], temporary: [[UInt8]], mode: mode_t = 0o644, durable: Bool = true
    ) throws(FileError) {
        guard let leaf = path.last else { throw FileError("empty path under \(root)") }
        let rootFD = try openRoot()
        defer { close(rootFD) }
        let parent = try walk(rootFD, Array(path.dropLast()), create: true)
        defer { parent.fds.forEach { close($0) } }
        let tmp = try walk(rootFD, temporary, create: true)
        defer { tmp.fds.forEach { close($0) } }
        let tempName = Array(
            ".\(UInt32.random(in: .min ... .max)).tmp-\(String(UInt32.random(in: .min ... .max), radix: 16))".utf8)
        let fd = try cString(tempName) {
            openat(tmp.fd, $0, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        guard fd >= 0 else { throw failure("create a temporary file in", temporary) }
        var offset = 0
        var problem: Int32?
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                problem = errno
                break
            }
            offset += n
        }
        if problem == nil && durable && fsync(fd) != 0 { problem = errno }
        close(fd)
        if let problem {
            _ = try? cString(tempName) { unlinkat(tmp.fd, $0, 0) }
            throw FileError("cannot write \(shown(path)): \(String(cString: strerror(problem)))")
        }
        let renamed = try cString(tempName) { (t) throws(FileError) -> Int32 in
            try cString(leaf) { renameat(tmp.fd, t, parent.fd, $0) }
        }
        if renamed != 0 {
            let code = errno
            _ = try? cString(tempName) { unlinkat(tmp.fd, $0, 0) }
            throw FileError("cannot rename into \(shown(path)): \(String(cString: strerror(code)))")
        }
    }

    /// Removes the file at `path` (already gone is fine), then the folders it leaves empty,
    /// keeping the first `keep` components (a namespace's folder, say).
    public func remove(at path: [[UInt8]], keep: Int) throws(FileError) {
        guard let leaf = path.last else { return }
        let rootFD = try openRoot(missingOK: true)
        guard rootFD >= 0 else { return }
        defer { close(rootFD) }
        let parent: (fd: Int32, fds: [Int32])
        do {
            parent = try walk(rootFD, Array(path.dropLast()), create: false)
        } catch let e where e.missing {
            return
        }
        defer { parent.fds.forEach { close($0) } }
        if try cString(leaf, { unlinkat(parent.fd, $0, 0) }) != 0 && errno != ENOENT {
            throw failure("remove", path)
        }
        // Empty folders, deepest first; a folder that is not empty stops the climb.
        let chain = [rootFD] + parent.fds
        var depth = path.count - 1
        while depth > keep {
            let name = path[depth - 1]
            if try cString(name, { unlinkat(chain[depth - 1], $0, AT_REMOVEDIR) }) != 0 { break }
            depth -= 1
        }
    }

    /// The bytes of the file at `path`, or nil when it does not exist.
    public func read(at path: [[UInt8]]) throws(FileError) -> [UInt8]? {
        guard let leaf = path.last else { return nil }
        let rootFD = try openRoot(missingOK: true)
        guard rootFD >= 0 else { return nil }
        defer { close(rootFD) }
        let parent: (fd: Int32, fds: [Int32])
        do {
            parent = try walk(rootFD, Array(path.dropLast()), create: false)
        } catch let e where e.missing {
            return nil
        }
        defer { parent.fds.forEach { close($0) } }
        let fd = try cString(leaf) { openat(parent.fd, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// The problem with a path component, or nil.
    public static func componentProblem(_ name: [UInt8]) -> String? {
        if name.isEmpty { return "an empty name" }
        if name == [46] || name == [46, 46] { return "the name '\(String(decoding: name, as: UTF8.self))'" }
        if name.contains(0) || name.contains(47) { return "a name containing '/' or NUL" }
        return nil
    }

    private func openRoot(missingOK: Bool = false) throws(FileError) -> Int32 {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 && errno == ENOENT {
            if missingOK { return -1 }
            try? FileManager.default.createDirectory(
                atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(folderMode)])
            fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw FileError("cannot open \(root): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Opens each folder of `components` under `rootFD` (made when `create`), refusing
    /// symlinks and plain files in the way. Returns the last folder and every fd opened.
    private func walk(_ rootFD: Int32, _ components: [[UInt8]], create: Bool) throws(FileError) -> (
        fd: Int32, fds: [Int32]
    ) {
        var fds: [Int32] = []
        var current = rootFD
        for (i, name) in components.enumerated() {
            if let problem = Self.componentProblem(name) {
                fds.forEach { close($0) }
                throw FileError(refused: "refused unsafe path \(shown(components)): \(problem)")
            }
            var fd = try cString(name) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if fd < 0 && errno == ENOENT && create {
                _ = try cString(name) { mkdirat(current, $0, folderMode) }
                fd = try cString(name) { openat(current, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if fd < 0 {
                let code = errno
                fds.forEach { close($0) }
                let place = shown(Array(components[...i]))
                if code == ENOENT { throw FileError(missing: "\(place) does not exist") }
                if code == ELOOP || code == ENOTDIR {
                    throw FileError(
                        refused: "refused to write through \(place): it is a symlink or a file, not a folder")
                }
                throw FileError("cannot open \(place): \(String(cString: strerror(code)))")
            }
            fds.append(fd)
            current = fd
        }
        return (current, fds)
    }

    private func cString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws(FileError) -> T) throws(FileError)
        -> T
    {
        if let problem = Self.componentProblem(bytes) {
            throw FileError(refused: "refused unsafe name under \(root): \(problem)")
        }
        var copy = bytes
        copy.append(0)
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: copy.count)
        defer { pointer.deallocate() }
        for (i, b) in copy.enumerated() { pointer[i] = CChar(bitPattern: b) }
        return try body(pointer)
    }

    private func failure(_ what: String, _ path: [[UInt8]]) -> FileError {
        let code = errno
        return FileError("cannot \(what) \(shown(path)): \(String(cString: strerror(code)))")
    }

    private func shown(_ path: [[UInt8]]) -> String {
        root + "/" + path.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }
}

extension FileError {
    init(missing description: String) {
        self.init(description)
        self.missing = true
    }
}
