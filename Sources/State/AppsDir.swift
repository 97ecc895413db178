import Crypto
import Foundation
import Manifest
import Synchronization
import Toolkit

/// One registration file of the apps dir, as last read.
public struct RegistrationFile: Sendable {
    public var path: String
    /// The valid registration, or every diagnostic of the file.
    public var result: Result<Registration, Validator.Failure>
    /// The application the file is about: its name when valid; for an invalid file the
    /// name it declares (if that is a DNS label), else its file name without extension.
    public var name: String?
    /// SHA-256 of the file's bytes: what "the file changed" means.
    public var digest: String
}

/// One `kind: ApplicationSet` file of the apps dir, as last read.
public struct SetFile: Sendable {
    public var path: String
    public var result: Result<ApplicationSet, Validator.Failure>
    /// The set's name when valid; for an invalid file the name it declares, else its file
    /// name without extension (when a DNS label).
    public var name: String?
    public var digest: String
}

/// What the apps dir holds for one application name.
public enum AppEntry: Sendable {
    case valid(Registration, file: String, digest: String)
    /// `namespace`: the one the file declares, when that much is a DNS label.
    case invalid(file: String, diagnostics: [Diagnostic], digest: String, namespace: String?)
    /// Two or more files claim the name: neither is synced.
    case duplicate(files: [String])

    public var files: [String] {
        switch self {
        case .valid(_, let file, _), .invalid(let file, _, _, _): return [file]
        case .duplicate(let files): return files
        }
    }

    /// Changes when anything about the entry changes (file content, file set).
    public var digest: String {
        switch self {
        case .valid(_, let file, let digest), .invalid(let file, _, let digest, _): return file + "@" + digest
        case .duplicate(let files): return "duplicate:" + files.joined(separator: ",")
        }
    }
}

/// The apps dir, the one owner of its files: which names are registrations, reading and
/// grouping them, who holds a name, and writing one. `*.yaml` / `*.yml` whose name does
/// not start with `.` are read, followed through symlinks (a Kubernetes ConfigMap's files
/// are links into `..data`). A file is read again only when its identity (device, inode,
/// size, mtime, ctime) changed, so a rescan of a thousand unchanged files costs a thousand
/// `stat` calls.
public final class AppsDir: Sendable {
    public let directory: String

    fileprivate struct Stamp: Equatable {
        var dev: UInt64, ino: UInt64, size: Int64, mtime: Int, mtimeNs: Int, ctime: Int, ctimeNs: Int
    }

    /// Boxed: the cache's table holds one pointer per file, not a registration.
    fileprivate indirect enum Read: Sendable {
        case registration(RegistrationFile)
        case set(SetFile)
    }

    /// The files as last read, by path: one per apps dir, shared by the readers of the
    /// same folder in one process (the daemon's loop and the REST facade), so that each
    /// registration is parsed and kept once.
    public final class Reads: Sendable {
        fileprivate let table = Mutex<[String: (stamp: Stamp, file: Read)]>([:])
        public init() {}
    }

    private let reads: Reads

    /// The applications the sets made (the REST facade's view: `StateLayout.generatedApplications`).
    let generated: (@Sendable () -> [String: (registration: Registration, file: String)])?

    /// `sharing`: another reader of the same folder whose reads this one shares.
    public init(
        directory: String,
        generated: (@Sendable () -> [String: (registration: Registration, file: String)])? = nil,
        sharing other: AppsDir? = nil
    ) {
        self.directory = directory
        self.reads = other.flatMap { $0.directory == directory ? $0.reads : nil } ?? Reads()
        self.generated = generated
    }

    public struct Scan: Sendable {
        /// false: the folder is missing or unreadable (then nothing is undeployed).
        public var readable: Bool
        public var problem: String?
        public var files: [RegistrationFile]
        /// The application sets (`kind: ApplicationSet`), apart from the registrations.
        public var sets: [SetFile] = []
    }

    /// Whether a name in the apps dir is a registration file.
    public static func isRegistrationName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
    }

    /// Whether this reader and `other` keep one table of reads.
    public func sharesReads(with other: AppsDir) -> Bool { reads === other.reads }

    /// Forgets what was read: the next scan reads every file again (SIGHUP).
    public func forget() { reads.table.withLock { $0.removeAll() } }

    public func scan() -> Scan {
        guard let dir = opendir(directory) else {
            let problem = "cannot read the apps dir \(directory): \(String(cString: strerror(errno)))"
            return Scan(readable: false, problem: problem, files: [])
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if Self.isRegistrationName(name) { names.append(name) }
        }
        closedir(dir)
        names.sort()
        var files: [RegistrationFile] = []
        var sets: [SetFile] = []
        func add(_ read: Read) {
            switch read {
            case .registration(let file): files.append(file)
            case .set(let file): sets.append(file)
            }
        }
        var seen = Set<String>()
        for name in names {
            let path = directory + "/" + name
            var st = stat()
            // Through symlinks: a ConfigMap swap changes what the link resolves to.
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            seen.insert(path)
            let stamp = Stamp(
                dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: Int64(st.st_size),
                mtime: st.st_mtim.tv_sec, mtimeNs: st.st_mtim.tv_nsec,
                ctime: st.st_ctim.tv_sec, ctimeNs: st.st_ctim.tv_nsec)
            if let cached = reads.table.withLock({ $0[path] }), cached.stamp == stamp {
                add(cached.file)
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = Array(data)
            let read: Read =
                Validator.isApplicationSet(bytes)
                ? .set(Self.readSet(bytes, path: path)) : .registration(Self.read(bytes, path: path))
            reads.table.withLock { $0[path] = (stamp, read) }
            add(read)
        }
        reads.table.withLock { c in for path in c.keys where !seen.contains(path) { c[path] = nil } }
        return Scan(readable: true, problem: nil, files: files, sets: sets)
    }

    /// Decodes one application set file (pure).
    public static func readSet(_ bytes: [UInt8], path: String) -> SetFile {
        let result = Validator.applicationSet(bytes, file: path)
        return SetFile(
            path: path, result: result, name: name(result.map(\.name), path: path),
            digest: SHA256.hash(data: bytes).hexString)
    }

    /// The name a decoded file is about: its own when valid, else the one it declares (a
    /// DNS label), else its file name's.
    static func name(_ result: Result<String, Validator.Failure>, path: String) -> String? {
        switch result {
        case .success(let name): return name
        case .failure(let failure): return failure.declaredName ?? nameFromFile(path)
        }
    }

    /// Decodes one registration file (pure). An invalid file is about the name it declares
    /// when that is a DNS label, else its file name without extension when that is one.
    public static func read(_ bytes: [UInt8], path: String) -> RegistrationFile {
        let result = Validator.registration(bytes, file: path)
        return RegistrationFile(
            path: path, result: result, name: name(result.map(\.name), path: path),
            digest: SHA256.hash(data: bytes).hexString)
    }

    /// `my-app.yaml` -> `my-app`, when that is a DNS label.
    static func nameFromFile(_ path: String) -> String? {
        var stem = (path as NSString).lastPathComponent
        for ext in [".yaml", ".yml"] where stem.hasSuffix(ext) { stem = String(stem.dropLast(ext.count)) }
        return Rules.dnsLabelProblem(stem) == nil ? stem : nil
    }

    /// The files grouped by application name (pure). A name claimed by several files is a
    /// duplicate; files with no usable name are returned apart.
    public static func resolve(_ files: [RegistrationFile]) -> (
        entries: [String: AppEntry], unnamed: [RegistrationFile]
    ) {
        var byName: [String: [RegistrationFile]] = [:]
        var unnamed: [RegistrationFile] = []
        for file in files {
            guard let name = file.name else {
                unnamed.append(file)
                continue
            }
            byName[name, default: []].append(file)
        }
        var entries: [String: AppEntry] = [:]
        for (name, group) in byName {
            if group.count > 1 {
                entries[name] = .duplicate(files: group.map(\.path).sorted())
                continue
            }
            let file = group[0]
            switch file.result {
            case .success(let registration): entries[name] = .valid(registration, file: file.path, digest: file.digest)
            case .failure(let failure):
                entries[name] = .invalid(
                    file: file.path, diagnostics: failure.diagnostics, digest: file.digest,
                    namespace: failure.declaredNamespace)
            }
        }
        return (entries, unnamed)
    }
}

extension AppsDir {
    /// The files holding `name`, and the namespaces they establish. A file that is not a
    /// valid registration establishes none (`unknown`): only a token allowed every
    /// namespace may change such an application.
    public struct Holders: Sendable {
        public var files: [String] = []
        public var namespaces: Set<String> = []
        public var unknown = false
        /// The application set that made the application (its file is in `files`).
        public var generatedBy: String?
    }

    public func holders(of name: String) -> Holders {
        var h = Holders()
        if let made = generated?()[name] {
            h.files.append(made.file)
            h.namespaces.insert(made.registration.namespace)
            h.generatedBy = made.registration.generatedBy
        }
        for file in scan().files where file.name == name {
            h.files.append(file.path)
            switch file.result {
            case .success(let r): h.namespaces.insert(r.namespace)
            case .failure: h.unknown = true
            }
        }
        return h
    }

    /// The valid registrations of `namespace`.
    public func count(in namespace: String) -> Int {
        scan().files.filter { if case .success(let r) = $0.result { r.namespace == namespace } else { false } }.count
            + (generated?().values.filter { $0.registration.namespace == namespace }.count ?? 0)
    }

    /// The file a new registration of `name` goes to.
    public func newFile(for name: String) -> String { (directory as NSString).appendingPathComponent(name + ".yaml") }

    /// Writes a registration: exclusively (false when the file appeared meanwhile), or
    /// replacing `file`. Mode 0600: a body may hold URL credentials.
    @discardableResult
    public func write(_ bytes: [UInt8], to file: String, exclusive: Bool) throws -> Bool {
        if exclusive { return try AtomicFile.create(bytes, at: file, mode: 0o600) }
        try AtomicFile.write(bytes, to: file, mode: 0o600)
        return true
    }

    /// The valid registration named `name`, with its file and bytes, or nil.
    public func registration(named name: String) -> (registration: Registration, file: String)? {
        for file in scan().files where file.name == name {
            if case .success(let r) = file.result { return (r, file.path) }
        }
        return nil
    }
}
