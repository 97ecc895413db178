import CGit2
import Foundation
import Manifest

/// One entry of a tree listing, read from the object database without a checkout.
public struct TreeEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case file, executable, symlink, submodule
    }

    /// Relative to the listed folder, '/'-separated, in `RepoPath`'s escaped form (the
    /// bytes of every name exactly; compare and hash it, never the decoded text).
    public var path: String
    public var kind: Kind
    /// The blob id (for a submodule, the commit it pins).
    public var id: String
    /// Bytes (0 for submodules).
    public var size: Int
    /// For symlinks: the link's target as stored in git (escaped form).
    public var symlinkTarget: String?
}

/// How much of a tree a walk will look at: git trees are shared by id, so a repository of
/// a few kilobytes can name millions of paths ("tree bomb"), and a symlink's blob can be
/// 100 MB of zeros that compress to nothing. Past a limit the walk stops with an error
/// that names it, before the memory is spent.
public struct TreeLimits: Sendable, Hashable {
    /// Entries (files, folders, links, submodules) one walk visits.
    public var maxEntries = 100_000
    /// Folders nested in one another.
    public var maxDepth = 64
    /// Bytes of a symlink's target (git refuses longer ones in a working tree: PATH_MAX).
    public var maxSymlinkTarget = 4096

    public init() {}
}

/// A bare cache opened for reading: commits, trees and blobs, and build-context exports.
/// Not for concurrent use from several threads: open one per worker.
/// `@unchecked`: it holds a libgit2 handle (`OpaquePointer`) and a `var`; one thread at a time.
public final class Snapshot: @unchecked Sendable {
    let repo: OpaquePointer
    public let path: String
    public var limits = TreeLimits()

    init(path: String) throws(GitError) {
        var repo: OpaquePointer?
        let rc = git_repository_open_bare(&repo, path)
        guard rc == 0, let repo else {
            let last = Git.lastError()
            throw GitError(.local, call: "git_repository_open_bare", errorClass: last.klass, message: last.message)
        }
        self.repo = repo
        self.path = path
    }

    deinit { git_repository_free(repo) }

    func fail(_ call: String, code: GitError.Code = .local) -> GitError {
        let last = Git.lastError()
        return GitError(code, call: call, errorClass: last.klass, message: last.message)
    }

    private func commit(_ id: String) throws(GitError) -> OpaquePointer {
        guard var oid = Git.oid(id) else {
            throw GitError(.local, call: "git_oid_fromstr", message: "\"\(id)\" is not a commit id")
        }
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, repo, &oid) == 0, let commit else { throw fail("git_commit_lookup") }
        return commit
    }

    /// The first line of a commit's message.
    public func subject(of id: String) throws(GitError) -> String {
        let c = try commit(id)
        defer { git_commit_free(c) }
        return git_commit_summary(c).map { String(cString: $0) } ?? ""
    }

    /// The id of the tree at `path` in the commit (`.` for the root); nil when absent.
    public func treeID(commit id: String, path: String) throws(GitError) -> String? {
        guard let tree = try tree(commit: id, path: path) else { return nil }
        defer { git_tree_free(tree) }
        return Git.hex(git_tree_id(tree))
    }

    func tree(commit id: String, path: String) throws(GitError) -> OpaquePointer? {
        let c = try commit(id)
        defer { git_commit_free(c) }
        var root: OpaquePointer?
        guard git_commit_tree(&root, c) == 0, let root else { throw fail("git_commit_tree") }
        if path == "." || path.isEmpty { return root }
        defer { git_tree_free(root) }
        var entry: OpaquePointer?
        guard withCString(RepoPath.unescape(path), { git_tree_entry_bypath(&entry, root, $0) }) == 0, let entry else {
            return nil
        }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return nil }
        var sub: OpaquePointer?
        guard git_tree_lookup(&sub, repo, git_tree_entry_id(entry)) == 0 else { throw fail("git_tree_lookup") }
        return sub
    }

    /// Every file, symlink and submodule under `path` at the commit, recursively, with
    /// blob ids and sizes from the object database (no blob is inflated but symlinks').
    public func list(commit id: String, path: String = ".") throws(GitError) -> [TreeEntry] {
        guard let top = try tree(commit: id, path: path) else {
            throw GitError(
                .pathNotFound, call: "git_tree_entry_bypath",
                message: "folder \"\(path)\" does not exist at commit \(id.prefix(12))",
                hint: "check spec.source.path")
        }
        defer { git_tree_free(top) }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo) == 0, let odb else { throw fail("git_repository_odb") }
        defer { git_odb_free(odb) }
        var out: [TreeEntry] = []
        var stack: [(tree: OpaquePointer, prefix: String, depth: Int)] = [(top, "", 0)]
        var owned: [OpaquePointer] = []
        defer { owned.forEach { git_tree_free($0) } }
        var visited = 0
        while let (tree, prefix, depth) = stack.popLast() {
            let count = git_tree_entrycount(tree)
            visited += count
            try checkWalk(visited: visited, depth: depth, at: prefix, commit: id)
            for i in 0..<count {
                guard let entry = git_tree_entry_byindex(tree, i) else { continue }
                let name = try checkedName(entry, in: prefix, commit: id)
                let rel = prefix.isEmpty ? name : prefix + "/" + name
                let oid = git_tree_entry_id(entry)!
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE:
                    var sub: OpaquePointer?
                    guard git_tree_lookup(&sub, repo, oid) == 0, let sub else { throw fail("git_tree_lookup") }
                    owned.append(sub)
                    stack.append((sub, rel, depth + 1))
                case GIT_FILEMODE_COMMIT:
                    out.append(TreeEntry(path: rel, kind: .submodule, id: Git.hex(oid), size: 0))
                case GIT_FILEMODE_LINK:
                    var linkSize = 0
                    var linkType = GIT_OBJECT_BLOB
                    guard git_odb_read_header(&linkSize, &linkType, odb, oid) == 0 else {
                        throw fail("git_odb_read_header")
                    }
                    if linkSize > limits.maxSymlinkTarget {
                        throw GitError(
                            .unsafePath, call: "tree",
                            message:
                                "symlink \"\(rel)\" at commit \(id.prefix(12)) has a target of \(linkSize) bytes, over the limit of \(limits.maxSymlinkTarget); nothing of this commit is used"
                        )
                    }
                    let target = try blob(oid)
                    out.append(
                        TreeEntry(
                            path: rel, kind: .symlink, id: Git.hex(oid), size: target.count,
                            symlinkTarget: RepoPath.escape(target)))
                case let mode:
                    var size = 0
                    var type = GIT_OBJECT_BLOB
                    guard git_odb_read_header(&size, &type, odb, oid) == 0 else { throw fail("git_odb_read_header") }
                    out.append(
                        TreeEntry(
                            path: rel, kind: mode == GIT_FILEMODE_BLOB_EXECUTABLE ? .executable : .file,
                            id: Git.hex(oid), size: size))
                }
            }
        }
        out.sort { $0.path < $1.path }
        return out
    }

    /// Stops a walk past `limits` (a tree bomb costs nothing on disk and everything here).
    func checkWalk(visited: Int, depth: Int, at prefix: String, commit: String) throws(GitError) {
        if visited > limits.maxEntries {
            throw GitError(
                .unsafePath, call: "tree",
                message:
                    "the tree at commit \(commit.prefix(12)) has more than \(limits.maxEntries) entries; nothing of this commit is used",
                hint: "keep the application's folder under \(limits.maxEntries) files and folders")
        }
        if depth > limits.maxDepth {
            throw GitError(
                .unsafePath, call: "tree",
                message:
                    "\"\(prefix)\" at commit \(commit.prefix(12)) is nested more than \(limits.maxDepth) folders deep; nothing of this commit is used"
            )
        }
    }

    /// A blob's bytes by id.
    public func blob(_ id: String) throws(GitError) -> [UInt8] {
        guard var oid = Git.oid(id) else {
            throw GitError(.local, call: "git_oid_fromstr", message: "\"\(id)\" is not a blob id")
        }
        return try blob(&oid)
    }

    private func blob(_ oid: UnsafePointer<git_oid>) throws(GitError) -> [UInt8] {
        var blob: OpaquePointer?
        guard git_blob_lookup(&blob, repo, oid) == 0, let blob else { throw fail("git_blob_lookup") }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// One path that differs between two trees.
    public struct Change: Sendable, Hashable {
        public var path: String
        /// nil where the path does not exist on that side.
        public var oldKind: TreeEntry.Kind?
        public var newKind: TreeEntry.Kind?
        public var newID: String?
        public var newSize: Int
    }

    /// What differs between two trees (ids from `treeID`), by libgit2's tree-to-tree diff,
    /// which only descends into subtrees whose ids differ. No rename detection.
    public func changes(from oldTree: String, to newTree: String) throws(GitError) -> [Change] {
        guard var oldOID = Git.oid(oldTree), var newOID = Git.oid(newTree) else {
            throw GitError(.local, call: "git_oid_fromstr", message: "not tree ids: \(oldTree) \(newTree)")
        }
        var old: OpaquePointer?
        var new: OpaquePointer?
        guard git_tree_lookup(&old, repo, &oldOID) == 0, let old else { throw fail("git_tree_lookup") }
        defer { git_tree_free(old) }
        guard git_tree_lookup(&new, repo, &newOID) == 0, let new else { throw fail("git_tree_lookup") }
        defer { git_tree_free(new) }
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue | GIT_DIFF_INCLUDE_TYPECHANGE_TREES.rawValue
        var diff: OpaquePointer?
        guard git_diff_tree_to_tree(&diff, repo, old, new, &options) == 0, let diff else {
            throw fail("git_diff_tree_to_tree")
        }
        defer { git_diff_free(diff) }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo) == 0, let odb else { throw fail("git_repository_odb") }
        defer { git_odb_free(odb) }
        func kind(_ mode: UInt16) -> TreeEntry.Kind? {
            switch UInt32(mode) {
            case GIT_FILEMODE_BLOB.rawValue: return .file
            case GIT_FILEMODE_BLOB_EXECUTABLE.rawValue: return .executable
            case GIT_FILEMODE_LINK.rawValue: return .symlink
            case GIT_FILEMODE_COMMIT.rawValue: return .submodule
            default: return nil
            }
        }
        var out: [Change] = []
        let deltas = git_diff_num_deltas(diff)
        try checkWalk(visited: deltas, depth: 0, at: "", commit: newTree)
        for i in 0..<deltas {
            guard let delta = git_diff_get_delta(diff, i)?.pointee else { continue }
            let added = delta.status == GIT_DELTA_ADDED
            let deleted = delta.status == GIT_DELTA_DELETED
            let file = deleted ? delta.old_file : delta.new_file
            let raw = UnsafeBufferPointer(
                start: UnsafeRawPointer(file.path).assumingMemoryBound(to: UInt8.self), count: strlen(file.path))
            let path = RepoPath.escape(raw)
            if let problem = RepoPath.pathProblem(path) {
                throw GitError(
                    .unsafePath, call: "git_diff_tree_to_tree",
                    message: "tree entry \"\(path)\": \(problem), which git refuses in a working tree")
            }
            var newID: String?
            var size = 0
            if !deleted {
                var id = delta.new_file.id
                newID = Git.hex(&id)
                var type = GIT_OBJECT_BLOB
                if kind(delta.new_file.mode) != .submodule, git_odb_read_header(&size, &type, odb, &id) != 0 {
                    throw fail("git_odb_read_header")
                }
            }
            out.append(
                Change(
                    path: path, oldKind: added ? nil : kind(delta.old_file.mode),
                    newKind: deleted ? nil : kind(delta.new_file.mode), newID: newID, newSize: size))
        }
        return out
    }
}

/// Calls `body` with a NUL-terminated copy of `bytes`.
func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
    var copy = bytes
    copy.append(0)
    return try copy.withUnsafeBufferPointer {
        try body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self))
    }
}
