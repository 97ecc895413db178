import CGit2
import Foundation
import Manifest

extension Snapshot {
    /// Writes the `path` subtree of a commit into `dir` (created), for a Docker build
    /// context. Returns the number of files written.
    @discardableResult
    public func export(commit id: String, path: String, to dir: String) throws(GitError) -> Int {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return try write(commit: id, path: path, to: dir)
        } catch let error as GitError {
            throw error
        } catch {
            throw GitError(.local, call: "export", message: "\(error)")
        }
    }

    /// The error of the system call that just failed (errno is read before `path` is built).
    func posix(_ call: String, _ path: @autoclosure () -> String) -> GitError {
        let code = errno
        return GitError(.local, call: call, message: "\(path()): \(String(cString: strerror(code)))")
    }

    /// Writes the subtree in one walk, every name checked as git checks a working tree's
    /// and every file created relative to its open folder (`openat` / `mkdirat` /
    /// `symlinkat`, `O_NOFOLLOW`, `O_EXCL`): no entry can climb out of `dir` or write
    /// through a symlink, and a name twice in one tree is refused. Blobs are written straight
    /// from libgit2's buffer.
    private func write(commit id: String, path: String, to dir: String) throws -> Int {
        guard let top = try tree(commit: id, path: path) else {
            throw GitError(
                .pathNotFound, call: "git_tree_entry_bypath",
                message: "folder \"\(path)\" does not exist at commit \(id.prefix(12))",
                hint: "check spec.source.path")
        }
        let rootFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            git_tree_free(top)
            throw posix("open", dir)
        }
        var odbHandle: OpaquePointer?
        guard git_repository_odb(&odbHandle, repo) == 0, let odb = odbHandle else {
            git_tree_free(top)
            close(rootFD)
            throw fail("git_repository_odb")
        }
        defer { git_odb_free(odb) }
        var count = 0
        var visited = 0
        var stack: [(tree: OpaquePointer, fd: Int32, shown: String, depth: Int)] = [(top, rootFD, "", 0)]
        var owned: [OpaquePointer] = [top]
        var fds: [Int32] = [rootFD]
        defer {
            owned.forEach { git_tree_free($0) }
            fds.forEach { close($0) }
        }
        while let (tree, dirFD, prefix, depth) = stack.popLast() {
            visited += git_tree_entrycount(tree)
            try checkWalk(visited: visited, depth: depth, at: prefix, commit: id)
            for i in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, i) else { continue }
                let name = git_tree_entry_name(entry)!
                let shown = try checkedName(entry, in: prefix, commit: id)
                let rel = prefix.isEmpty ? shown : prefix + "/" + shown
                let oid = git_tree_entry_id(entry)!
                let mode = git_tree_entry_filemode(entry)
                switch mode {
                case GIT_FILEMODE_TREE:
                    guard mkdirat(dirFD, name, 0o755) == 0 else { throw posix("mkdir", dir + "/" + rel) }
                    let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard fd >= 0 else { throw posix("open", dir + "/" + rel) }
                    fds.append(fd)
                    var sub: OpaquePointer?
                    guard git_tree_lookup(&sub, repo, oid) == 0, let sub else { throw fail("git_tree_lookup") }
                    owned.append(sub)
                    stack.append((sub, fd, rel, depth + 1))
                case GIT_FILEMODE_COMMIT:
                    continue  // submodules are not fetched
                default:
                    if mode == GIT_FILEMODE_LINK {
                        // Its size from the header: a huge target is refused before it is inflated.
                        var linkSize = 0
                        var linkType = GIT_OBJECT_BLOB
                        guard git_odb_read_header(&linkSize, &linkType, odb, oid) == 0 else {
                            throw fail("git_odb_read_header")
                        }
                        if linkSize > limits.maxSymlinkTarget {
                            throw GitError(
                                .unsafePath, call: "tree",
                                message:
                                    "symlink \"\(rel)\" has a target of \(linkSize) bytes, over the limit of \(limits.maxSymlinkTarget)"
                            )
                        }
                    }
                    var blob: OpaquePointer?
                    guard git_blob_lookup(&blob, repo, oid) == 0, let blob else { throw fail("git_blob_lookup") }
                    defer { git_blob_free(blob) }
                    let size = Int(git_blob_rawsize(blob))
                    let raw = git_blob_rawcontent(blob)
                    if mode == GIT_FILEMODE_LINK {
                        var target = raw.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                        target.append(0)
                        let rc = target.withUnsafeBufferPointer {
                            symlinkat(
                                UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), dirFD, name)
                        }
                        if rc != 0 { throw posix("symlink", dir + "/" + rel) }
                    } else {
                        let fd = openat(
                            dirFD, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                            mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0o755 : 0o644)
                        guard fd >= 0 else { throw posix("open", dir + "/" + rel) }
                        defer { close(fd) }
                        var offset = 0
                        while offset < size, let raw {
                            let n = Foundation.write(fd, raw + offset, size - offset)
                            if n < 0 {
                                if errno == EINTR { continue }
                                throw posix("write", dir + "/" + rel)
                            }
                            offset += n
                        }
                    }
                    count += 1
                }
            }
        }
        return count
    }

    /// A tree entry's name in escaped form, refused (the sync stops, naming it) when git would
    /// refuse it in a working tree: `.`, `..`, `.git` in any case, empty, `/` or NUL inside.
    func checkedName(_ entry: OpaquePointer, in prefix: String, commit: String) throws(GitError) -> String {
        let cName = git_tree_entry_name(entry)!
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(cName).assumingMemoryBound(to: UInt8.self), count: strlen(cName))
        let name = RepoPath.escape(bytes)
        if let problem = RepoPath.entryNameProblem(bytes) {
            let shown = prefix.isEmpty ? name : prefix + "/" + name
            throw GitError(
                .unsafePath, call: "tree",
                message:
                    "tree entry \"\(shown)\" at commit \(commit.prefix(12)) has \(problem), which git refuses in a working tree; nothing of this commit is used",
                hint: "remove the entry from the repository (git fsck reports such entries)")
        }
        return name
    }
}
