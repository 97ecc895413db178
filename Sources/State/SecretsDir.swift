import Foundation
import Toolkit

/// `--secrets-dir` (default `/etc/zerverless/secrets`): the only place a registration's
/// secret and key files may come from. A tenant's registration names files of its own
/// namespace's folder, `SECRETS/NAMESPACE/`; a relative name is taken from there, and an
/// absolute one must lead there too. The rule is checked here, at the moment of use, and a
/// file outside is never opened (not even looked at: the decision for a path outside is
/// made on its text, so a tenant cannot probe the host's files).
public struct SecretsDir: Sendable, Hashable {
    public let root: String

    public static let defaultRoot = "/etc/zerverless/secrets"
    /// The largest secret file read or uploaded.
    public static let maxSize = 64 << 10
    /// The most files one namespace may upload.
    public static let maxFiles = 100

    public init(root: String) {
        self.root = Self.normalize(root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root)
    }

    public func namespaceDir(_ namespace: String) -> String { root + "/" + namespace }

    /// The real path of the file a registration of `namespace` names as `name` (the field,
    /// like `auth.tokenFile`, for messages); symlinks followed, it must be a regular file
    /// inside `SECRETS/NAMESPACE/`.
    public func resolve(_ name: String, namespace: String, field: String) throws(SecretError) -> String {
        if let problem = Self.nameProblem(name) { throw SecretError(field: field, message: problem) }
        let dir = namespaceDir(namespace)
        let candidate = Self.normalize(name.hasPrefix("/") ? name : dir + "/" + name)
        guard candidate.hasPrefix(dir + "/") else {
            throw SecretError(
                field: field,
                message:
                    "\"\(name)\" is outside \(dir)/; secret and key files of namespace \(namespace) come from that folder only (write a name relative to it)"
            )
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard let real = realpath(candidate, &buffer).map({ String(cString: $0) }) else {
            let reason = errno == ENOENT || errno == ENOTDIR ? "no such file" : String(cString: strerror(errno))
            throw SecretError(field: field, message: "cannot read \"\(name)\" in \(dir)/: \(reason)")
        }
        let realDir = realpath(dir, &buffer).map { String(cString: $0) } ?? dir
        guard real.hasPrefix(realDir + "/") else {
            throw SecretError(
                field: field, message: "\"\(name)\" is a symlink that leads out of \(dir)/; it is not read")
        }
        var st = stat()
        guard stat(real, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw SecretError(field: field, message: "\"\(name)\" in \(dir)/ is not a regular file")
        }
        return real
    }

    /// The bytes of a secret file of `namespace` (see `resolve`), at most `maxSize`.
    public func read(_ name: String, namespace: String, field: String) throws(SecretError) -> [UInt8] {
        let path = try resolve(name, namespace: namespace, field: field)
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw SecretError(
                field: field,
                message: "cannot read \"\(name)\" in \(namespaceDir(namespace))/: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw SecretError(field: field, message: "\"\(name)\" is not a regular file")
        }
        guard Int(st.st_size) <= Self.maxSize else {
            throw SecretError(
                field: field,
                message: "\"\(name)\" is \(st.st_size) bytes; secret files are at most \(Self.maxSize / 1024) KiB")
        }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        while offset < out.count {
            let n = out[offset...].withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        return Array(out[0..<offset])
    }

    /// What is wrong with how a registration names a secret file, judged on the text alone
    /// (for `validate` and the REST API), or nil.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "an empty file name" }
        if name.utf8.contains(0) { return "a file name containing NUL" }
        if !name.hasPrefix("/"), name.split(separator: "/").contains("..") {
            return "\"\(name)\" climbs out of the namespace's secrets folder with '..'"
        }
        return nil
    }

    /// Whether an absolute path leads inside `dir` by its text alone.
    public static func isInside(_ path: String, _ dir: String) -> Bool {
        normalize(path).hasPrefix(normalize(dir) + "/")
    }

    /// `/a/./b/../c` -> `/a/c` (text only; `..` above the root stays at the root).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    // MARK: Uploads (the REST API's write-only secrets)

    public struct Entry: Sendable, Hashable {
        public var name: String
        public var size: Int
        public var modified: Date
    }

    /// A name an upload may use: letters, digits, `.`, `_`, `-`, not starting with `.`, at
    /// most 128 characters.
    public static func uploadNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let allowed = bytes.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 95
                || $0 == 45
        }
        if bytes.isEmpty || bytes.count > 128 || !allowed || bytes.first == 46 {
            return
                "\"\(name)\" is not a secret file name; use letters, digits, '.', '_' and '-' (at most 128, not starting with '.')"
        }
        return nil
    }

    /// Writes an uploaded secret (mode 0600, its folder 0700), atomically; true when it
    /// replaced a file.
    @discardableResult
    public func write(_ bytes: [UInt8], name: String, namespace: String) throws(FileError) -> Bool {
        let existed = FileManager.default.fileExists(atPath: namespaceDir(namespace) + "/" + name)
        try RootedFolder(root: root, folderMode: 0o700).write(
            bytes, at: [Array(namespace.utf8), Array(name.utf8)],
            temporary: [Array(namespace.utf8)], mode: 0o600)
        return existed
    }

    /// Removes an uploaded secret; false when there was none.
    public func delete(name: String, namespace: String) throws(FileError) -> Bool {
        let path = namespaceDir(namespace) + "/" + name
        var st = stat()
        guard lstat(path, &st) == 0 else { return false }
        try RootedFolder(root: root).remove(at: [Array(namespace.utf8), Array(name.utf8)], keep: 1)
        return true
    }

    /// The namespace's secret files: names, sizes, times; never contents.
    public func list(namespace: String) -> [Entry] {
        let dir = namespaceDir(namespace)
        var out: [Entry] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append(
                Entry(
                    name: name, size: Int(st.st_size),
                    modified: Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9))
            )
        }
        return out.sorted { $0.name < $1.name }
    }
}

/// A secret file a registration may not use, or cannot: which field, and why.
public struct SecretError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
