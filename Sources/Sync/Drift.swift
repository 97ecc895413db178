import Foundation
import Manifest
import State
import Synchronization
import Toolkit

/// What a target holds of one application, compared with its inventory.
public struct DriftObservation: Sendable, Hashable {
    public var items: [StatusDocument.Drift.Item] = []
    /// Functions and files of the namespace that no application's inventory owns.
    public var unmanaged = 0

    public init(items: [StatusDocument.Drift.Item] = [], unmanaged: Int = 0) {
        self.items = items
        self.unmanaged = unmanaged
    }
}

/// A target that can say whether what an application deployed is still there as it was.
/// `pass` names one drift pass: what a target reads once per pass (the HTTP target's
/// deployment list, a namespace's storage listing or unmanaged count) is shared by the
/// applications looked at in that pass.
public protocol DriftProbe: Sendable {
    func observe(app: String, inventory: Inventory, peers: @Sendable () -> Ownership, pass: Int)
        async throws(TargetError) -> DriftObservation
}

/// Answers shared within one pass, by key; the previous pass's are dropped.
final class PassMemo<Value: Sendable>: Sendable {
    private let state = Mutex<(pass: Int, values: [String: Value])>((-1, [:]))

    func value(pass: Int, key: String, _ make: () async throws(TargetError) -> Value) async throws(TargetError) -> Value
    {
        if let hit = state.withLock({ s -> Value? in
            if s.pass != pass { s = (pass, [:]) }
            return s.values[key]
        }) {
            return hit
        }
        let made = try await make()
        state.withLock { s in if s.pass == pass { s.values[key] = made } }
        return made
    }
}

extension Inventory {
    /// Every path any application of the namespace owns (this one and its peers).
    func owned(with peers: Ownership) -> (functions: Set<String>, files: Set<String>) {
        (Set(functions.keys).union(peers.functions.keys), Set(files.keys).union(peers.files.keys))
    }
}

// MARK: The local target: each published file's content

/// Drift on the embedded target: each function document and static file is compared with
/// the inventory (code by git blob id, image, port, runtime; files by git blob id). A file
/// whose inode, size, mtime and ctime are the ones it had when it last matched is not read
/// again (ctime cannot be set back by a writer), so a pass over an unchanged tree costs an
/// `lstat` per file. Unmanaged: files under `functions/NS` and `static/NS` nobody owns,
/// counted again only when a folder there changed (its mtime) or what is owned changed.
public final class LocalDriftProbe: DriftProbe {
    public let target: LocalTarget
    struct Stamp: Hashable { var dev: UInt64, ino: UInt64, size: Int64, mtime: Int64, ctime: Int64 }

    /// One published file of an application, as the last pass left it.
    struct Entry {
        var item: StatusDocument.Drift.Item
        var components: [[UInt8]]
        var file: String
        var function: Inventory.Function?
        var id: String?
        /// When it last matched.
        var stamp: Stamp?
    }
    private let apps = Mutex<[String: (inventory: Inventory, entries: [Entry])]>([:])

    struct Census {
        var owned: (functions: Set<String>, files: Set<String>)
        var folders: [(String, Stamp)]
        var count: Int
    }
    private let censuses = Mutex<[String: Census]>([:])
    /// Where each application's stamps are kept between runs (nil: in memory only): the
    /// first pass after a restart reads only the files that moved.
    let stampsFile: (@Sendable (String) -> String)?
    /// Where each namespace's census (unmanaged files) is kept between runs.
    let censusFile: (@Sendable (String) -> String)?
    /// The stamps each application's file holds (written again only when they change).
    private let saved = Mutex<[String: [Stamp?]]>([:])
    /// The census each namespace's file holds.
    private let savedCensus = Mutex<[String: String]>([:])

    public init(
        target: LocalTarget, stampsFile: (@Sendable (String) -> String)? = nil,
        censusFile: (@Sendable (String) -> String)? = nil
    ) {
        self.target = target
        self.stampsFile = stampsFile
        self.censusFile = censusFile
    }

    static func stamp(_ path: String, folder: Bool = false) -> Stamp? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == (folder ? S_IFDIR : S_IFREG) else { return nil }
        return Stamp(
            dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: Int64(st.st_size),
            mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    func entries(of inventory: Inventory) throws(TargetError) -> [Entry] {
        let ns = inventory.namespace
        var out: [Entry] = []
        func file(_ c: [[UInt8]]) -> String {
            target.root + "/" + c.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
        }
        for (path, fn) in inventory.functions.sorted(by: { $0.key < $1.key }) where fn.fingerprint != nil {
            let c = try LocalTarget.functionComponents(namespace: ns, path: path)
            out.append(
                Entry(
                    item: .init(kind: .function, path: path, change: .modified), components: c, file: file(c),
                    function: fn))
        }
        for (path, f) in inventory.files.sorted(by: { $0.key < $1.key }) {
            guard let id = f.id else { continue }
            let c = try LocalTarget.staticComponents(namespace: ns, path: path)
            out.append(
                Entry(
                    item: .init(kind: .static, path: RepoPath.display(path), change: .modified), components: c,
                    file: file(c), id: id))
        }
        return out
    }

    /// Whether the entry's file has the inventory's content (nil: missing).
    func check(_ e: inout Entry) -> Bool? {
        guard let before = Self.stamp(e.file) else { return nil }
        if before == e.stamp { return true }
        guard let bytes = try? RootedFolder(root: target.root).read(at: e.components) else { return nil }
        let ok: Bool
        if let fn = e.function {
            if let doc = try? JSONDecoder().decode(LocalTarget.FunctionDocument.self, from: Data(bytes)),
                doc.runtime == fn.runtime
            {
                ok =
                    fn.runtime == "docker"
                    ? doc.image == fn.image && doc.port == fn.port
                    : doc.code.map { GitHash.blobID(Array($0.utf8)) } == fn.codeID
            } else {
                ok = false
            }
        } else {
            ok = GitHash.blobID(bytes) == e.id
        }
        // Remembered only when the file did not move while it was read.
        e.stamp = ok && Self.stamp(e.file) == before ? before : nil
        return ok
    }

    public func observe(app: String, inventory: Inventory, peers: @Sendable () -> Ownership, pass: Int)
        async throws(TargetError) -> DriftObservation
    {
        var list: [Entry]
        if let cached = apps.withLock({ $0[app] }), cached.inventory == inventory {
            list = cached.entries
        } else {
            list = try entries(of: inventory)
            if let file = stampsFile?(app), saved.withLock({ $0[app] }) == nil {
                Self.restore(&list, from: file)
                let restored = list.map(\.stamp)
                saved.withLock { $0[app] = restored }
            }
        }
        var out = DriftObservation()
        for i in list.indices {
            guard let same = check(&list[i]) else {
                var item = list[i].item
                item.change = .missing
                out.items.append(item)
                continue
            }
            if !same { out.items.append(list[i].item) }
        }
        let kept = list
        apps.withLock { $0[app] = (inventory, kept) }
        let stamps = list.map(\.stamp)
        if let file = stampsFile?(app), saved.withLock({ $0[app] }) != stamps {
            Self.save(list, to: file)
            saved.withLock { $0[app] = stamps }
        }
        out.unmanaged = try census(inventory.namespace, owned: inventory.owned(with: peers()))
        return out
    }

    /// Files under `functions/NS` and `static/NS` that no inventory owns (never deleted).
    func census(_ namespace: String, owned: (functions: Set<String>, files: Set<String>)) throws(TargetError) -> Int {
        if let c = censuses.withLock({ $0[namespace] }), c.owned == owned,
            c.folders.allSatisfy({ Self.stamp($0.0, folder: true) == $0.1 })
        {
            return c.count
        }
        // After a restart: the census kept in the state dir, if its folders did not move
        // and what is owned is the same.
        let key = Self.ownedKey(owned)
        if censuses.withLock({ $0[namespace] }) == nil, let file = censusFile?(namespace),
            let kept = Self.restoreCensus(from: file, key: key),
            kept.folders.allSatisfy({ Self.stamp($0.0, folder: true) == $0.1 })
        {
            censuses.withLock { $0[namespace] = Census(owned: owned, folders: kept.folders, count: kept.count) }
            return kept.count
        }
        var expected = Set<String>()
        for path in owned.functions {
            let c = try LocalTarget.functionComponents(namespace: namespace, path: path)
            expected.insert(c.dropFirst(2).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/"))
        }
        let ownedFiles = Set(owned.files.map { String(decoding: RepoPath.unescape($0), as: UTF8.self) })
        var folders: [(String, Stamp)] = []
        let functions = Self.walk(target.root + "/functions/" + namespace, &folders)
        let files = Self.walk(target.root + "/static/" + namespace, &folders)
        let count = functions.filter { !expected.contains($0) }.count + files.filter { !ownedFiles.contains($0) }.count
        censuses.withLock { $0[namespace] = Census(owned: owned, folders: folders, count: count) }
        if let file = censusFile?(namespace) {
            // Written when it says something new (a namespace without a functions folder is
            // counted again every pass: its census is the same each time).
            let text = Self.censusText(folders: folders, count: count, key: key)
            if savedCensus.withLock({ $0[namespace] }) != text {
                try? AtomicFile.write(Array(text.utf8), to: file, durable: false)
                savedCensus.withLock { $0[namespace] = text }
            }
        }
        return count
    }

    /// Relative paths of the regular files under `dir` (symlinks not followed); the
    /// folders' stamps are noted (a missing `dir` too, as a missing stamp never matches).
    static func walk(_ dir: String, _ folders: inout [(String, Stamp)]) -> [String] {
        var out: [String] = []
        var stack = [""]
        while let rel = stack.popLast() {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            guard let stamp = stamp(full, folder: true), let d = opendir(full) else {
                folders.append((full, Stamp(dev: 0, ino: 0, size: -1, mtime: 0, ctime: 0)))
                continue
            }
            folders.append((full, stamp))
            defer { closedir(d) }
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) {
                    String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let child = rel.isEmpty ? name : rel + "/" + name
                switch Int32(e.pointee.d_type) {
                case Int32(DT_DIR): stack.append(child)
                case Int32(DT_REG): out.append(child)
                default: break
                }
            }
        }
        return out
    }
}

// MARK: The orchestrator: one GET /api/deploy, one storage listing per namespace

/// Drift on the orchestrator: one `GET /api/deploy` per pass (every namespace's code at
/// once: there is no per-namespace listing) and one storage listing per namespace (file
/// contents are not compared: that would be a GET per file).
public final class HTTPDriftProbe: DriftProbe {
    public let target: HTTPTarget
    private let deployments = PassMemo<[String: HTTPTarget.Deployment]>()
    private let listings = PassMemo<Set<String>>()
    private let unmanaged = PassMemo<Int>()

    public init(target: HTTPTarget) {
        self.target = target
    }

    public func observe(app: String, inventory: Inventory, peers: @Sendable () -> Ownership, pass: Int)
        async throws(TargetError) -> DriftObservation
    {
        let target = self.target
        let ns = inventory.namespace
        let all = try await deployments.value(pass: pass, key: "") { () throws(TargetError) in
            var map: [String: HTTPTarget.Deployment] = [:]
            for d in try await target.listDeployments() { map[d.user + d.path] = d }
            return map
        }
        let files = try await listings.value(pass: pass, key: ns) { () throws(TargetError) in
            Set(try await target.listFiles(namespace: ns))
        }
        var out = DriftObservation()
        for (path, fn) in inventory.functions.sorted(by: { $0.key < $1.key }) where fn.fingerprint != nil {
            guard let d = all[ns + path] else {
                out.items.append(.init(kind: .function, path: path, change: .missing))
                continue
            }
            let runtime = d.runtime.isEmpty ? "lua" : d.runtime
            let same =
                runtime == fn.runtime
                && (fn.runtime == "docker"
                    ? d.code == fn.image && (d.port ?? 80) == (fn.port ?? 80)
                    : GitHash.blobID(Array(d.code.utf8)) == fn.codeID)
            if !same { out.items.append(.init(kind: .function, path: path, change: .modified)) }
        }
        for (path, file) in inventory.files.sorted(by: { $0.key < $1.key }) where file.id != nil {
            if !files.contains(String(decoding: RepoPath.unescape(path), as: UTF8.self)) {
                out.items.append(.init(kind: .static, path: RepoPath.display(path), change: .missing))
            }
        }
        out.unmanaged = try await unmanaged.value(pass: pass, key: ns) { () throws(TargetError) -> Int in
            let owned = inventory.owned(with: peers())
            let ownedFiles = Set(owned.files.map { String(decoding: RepoPath.unescape($0), as: UTF8.self) })
            return all.values.filter { $0.user == ns && !owned.functions.contains($0.path) }.count
                + files.filter { !ownedFiles.contains($0) }.count
        }
        return out
    }
}

extension HTTPTarget {
    /// One deployment of `GET /api/deploy`.
    public struct Deployment: Sendable, Hashable, Decodable {
        public var user: String
        public var path: String
        public var runtime: String
        public var code: String
        public var port: Int?
    }
}
