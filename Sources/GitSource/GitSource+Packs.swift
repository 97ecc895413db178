import CGit2
import Foundation

extension GitSource {
    /// Packs a cache may hold before a fetch consolidates them. Every fetch that downloads
    /// adds a pack, and every object lookup searches the index of every pack: without a
    /// bound, CPU per poll round and mapped memory grow for as long as the repository
    /// receives pushes (a soak run went from 5.2 to 8.8 s of CPU a round in six minutes).
    /// At 16 a lookup stays cheap, and a consolidation runs once every 16 or so downloading
    /// fetches. `GitSource.maxPacks` overrides it (tests).
    public static let defaultMaxPacks = 16

    /// After a fetch that downloaded, with the cache's lock held: when `objects/pack` holds
    /// more than `maxPacks` packs, they are rewritten into one pack (libgit2's
    /// `git_packbuilder`, deltas computed afresh) and removed, and so are loose objects.
    /// The largest pack (the first clone's, usually) is left as it is while the others
    /// together are smaller, so the work is that of the recent pushes, not of the whole
    /// history: rewriting libgit2's own history (39 MB) takes 23 s with the lock held, the
    /// packs of its last few releases beside it 5 s. Once the others are as large, all are
    /// rewritten into one: a full rewrite comes each time the cache has about doubled.
    /// Returns the failure, if any: the fetch itself succeeded, and the cache is valid
    /// whatever happened (the caller logs it; the next fetch tries again).
    ///
    /// **Every object is kept, reachable from a ref or not.** The cache would only need
    /// what its refs reach, but commits are read outside the lock: a fetch returns a
    /// commit, and the sync engine reads its trees and blobs afterwards, while another
    /// application's fetch of the same repository may move a ref away from it (a
    /// force-push) and consolidate. A commit ref or a rollback pin is answered from the
    /// cache when it is reachable from a tip the server advertised (`reachable`), and that
    /// tip need not be what a cached ref points at now; the last synced tree is compared
    /// against the new one (`Snapshot.changes`). Dropping unreachable objects would turn
    /// those reads into failures; what force-pushes leave behind is kept, as before, and
    /// counts against `--max-repo-size`, as before.
    ///
    /// **Crash safety.** The new pack and its index are written (by libgit2, under
    /// temporary names, index first) and flushed to disk before anything is removed; a
    /// pack is only visible with its index, and each old pack's index is removed before
    /// its data. A crash at any point leaves a valid repository, at worst with objects in
    /// two packs (a later consolidation removes the duplicates). Readers of this or
    /// another process that have an old pack open keep reading it (an open file outlives
    /// its name); one that finds an old pack gone looks again and finds the new one
    /// (libgit2 refreshes its pack list on a miss).
    ///
    /// **Size accounting.** `--max-repo-size` is measured on the whole cache folder by
    /// the fetch, under the same lock, before this runs: it never sees the old and the new
    /// pack side by side. The new pack has been smaller than the ones it replaced in every
    /// measurement (duplicates go, and blobs are named for the delta search, see
    /// `insertNamed`), but fresh deltas are not always better than a server's: a rewrite
    /// that would leave the cache over `sizeLimit` is thrown away and the old packs kept.
    /// What an interrupted fetch or consolidation left (a temporary `pack_git2_*`, a pack
    /// without its index or an index without its pack: no writer runs under the lock) is
    /// removed with the old packs, so it does not count for ever.
    func consolidatePacks(_ path: String, sizeLimit: Int? = nil) -> GitError? {
        let objects = path + "/objects"
        let packDir = objects + "/pack"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: packDir)) ?? []
        let files = Set(entries)
        // A pack counts (and may be replaced) when libgit2 would read it: data and index.
        // One with a `.keep` is left alone, as git's repack does.
        let packs = entries.filter { $0.hasPrefix("pack-") && $0.hasSuffix(".pack") }.map {
            String($0.dropLast(".pack".count))
        }
        .filter { files.contains($0 + ".idx") && !files.contains($0 + ".keep") }
        guard packs.count > maxPacks else { return nil }
        // The largest pack stays while the others together are smaller.
        let sized = packs.map { (name: $0, size: Self.fileSize(packDir + "/" + $0 + ".pack")) }.sorted {
            $0.size > $1.size
        }
        let rest = sized.dropFirst().reduce(0) { $0 + $1.size }
        let replaced = (rest >= sized[0].size ? sized[...] : sized.dropFirst()).map(\.name)
        let loose = looseObjects(objects)
        let before = sizeLimit == nil ? 0 : Self.diskUsage(path)

        var repo: OpaquePointer?
        guard git_repository_open_bare(&repo, path) == 0, let repo else { return packError("git_repository_open_bare") }
        defer { git_repository_free(repo) }
        // The objects to rewrite, as a database of their own: the replaced packs and the
        // loose objects.
        var odb: OpaquePointer?
        guard git_odb_new(&odb) == 0, let odb else { return packError("git_odb_new") }
        defer { git_odb_free(odb) }
        var backend: OpaquePointer?
        for pack in replaced {
            // Adding fails only out of memory (the backend then leaks: its `free` is in
            // libgit2's sys headers, which the shim does not include).
            guard git_odb_backend_one_pack(&backend, packDir + "/" + pack + ".idx") == 0, let backend,
                git_odb_add_backend(odb, backend, 2) == 0
            else { return packError("git_odb_backend_one_pack") }
        }
        guard git_odb_backend_loose(&backend, objects, -1, 0, 0, 0) == 0, let backend,
            git_odb_add_backend(odb, backend, 1) == 0
        else { return packError("git_odb_backend_loose") }

        var builder: OpaquePointer?
        guard git_packbuilder_new(&builder, repo) == 0, let builder else { return packError("git_packbuilder_new") }
        defer { git_packbuilder_free(builder) }
        // First what the refs reach, through libgit2's walk, which gives every blob its
        // file name: libgit2 chooses delta bases by name, and a pack built without them is
        // twice as large or more (libgit2's own history, 39 MB in 7 packs: 29 MB rewritten
        // with names, 92 MB without). Then every object of the replaced packs and every
        // loose one, unnamed, whatever reaches it (a second insert is a no-op).
        if let problem = insertNamed(builder, repo, odb, all: replaced.count == packs.count) { return problem }
        var ids: [git_oid] = []
        let listed = withUnsafeMutablePointer(to: &ids) { list in
            git_odb_foreach(
                odb,
                { oid, payload in
                    guard let oid, let payload else { return -1 }
                    payload.assumingMemoryBound(to: [git_oid].self).pointee.append(oid.pointee)
                    return 0
                }, list)
        }
        guard listed == 0 else { return packError("git_odb_foreach") }
        for var oid in ids {
            guard git_packbuilder_insert(builder, &oid, nil) == 0 else { return packError("git_packbuilder_insert") }
        }

        guard git_packbuilder_write(builder, packDir, 0, nil, nil) == 0 else {
            return packError("git_packbuilder_write")
        }
        guard let written = git_packbuilder_name(builder).map({ "pack-" + String(cString: $0) }) else {
            return GitError(.local, call: "git_packbuilder_name", message: "libgit2 wrote a pack and did not name it")
        }
        let old = replaced.filter { $0 != written }
        func discardNew() {
            guard !packs.contains(written) else { return }
            unlink(packDir + "/" + written + ".idx")
            unlink(packDir + "/" + written + ".pack")
        }
        guard git_packbuilder_written(builder) == git_packbuilder_object_count(builder) else {
            discardNew()
            return GitError(
                .local, call: "git_packbuilder_write",
                message:
                    "wrote \(git_packbuilder_written(builder)) of \(git_packbuilder_object_count(builder)) objects; the old packs are kept"
            )
        }
        // On disk before the only other copy of an object goes: libgit2 does not flush
        // unless told to for the whole process.
        for file in [written + ".pack", written + ".idx", ""] {
            if let problem = Self.flush(packDir + "/" + file) {
                discardNew()
                return GitError(.local, call: "fsync", message: "\(problem); the old packs are kept")
            }
        }

        // What goes, in this order: the multi-pack index (git writes one, libgit2 reads
        // it and never writes one: it would list packs that are gone); each old pack's
        // index, then its data and what git keeps beside them; leftovers; loose objects.
        var doomed = files.contains("multi-pack-index") ? [packDir + "/multi-pack-index"] : []
        for pack in old {
            doomed +=
                ([".idx", ".pack"] + [".rev", ".bitmap", ".mtimes", ".promisor"].filter { files.contains(pack + $0) })
                .map { packDir + "/" + pack + $0 }
        }
        for name in entries where name != written + ".pack" && name != written + ".idx" {
            let base = String(name.prefix { $0 != "." })
            let orphan =
                (name.hasSuffix(".pack") && !files.contains(base + ".idx"))
                || (name.hasSuffix(".idx") && !files.contains(base + ".pack"))
            if name.hasPrefix("pack_git2_") || (name.hasPrefix("pack-") && orphan) {
                doomed.append(packDir + "/" + name)
            }
        }
        doomed += loose.map { objects + "/" + $0 }
        // A rewrite that would take the cache over the limit the fetch measured it under
        // is not used.
        if let sizeLimit {
            let after =
                before - doomed.reduce(0) { $0 + Self.fileSize($1) }
                + Self.fileSize(packDir + "/" + written + ".pack") + Self.fileSize(packDir + "/" + written + ".idx")
            if after > sizeLimit {
                discardNew()
                return GitError(
                    .cacheTooLarge, call: "git_packbuilder_write",
                    message:
                        "the consolidated cache would be \(after) bytes, over the limit of \(sizeLimit); the old packs are kept"
                )
            }
        }
        var failures: [String] = []
        for file in doomed where unlink(file) != 0 && errno != ENOENT {
            failures.append("\(file): \(String(cString: strerror(errno)))")
        }
        for fanout in Set(loose.map { $0.prefix(2) }) { rmdir(objects + "/" + fanout) }
        guard failures.isEmpty else {
            return GitError(
                .local, call: "unlink",
                message:
                    "the packs were consolidated into \(written), but not all old files could be removed: \(failures.prefix(3).joined(separator: "; "))"
            )
        }
        return nil
    }

    /// Inserts, with their names, the objects of the commits the refs reach: all of them
    /// (`all`), or those of the commits in `rewritten` (the objects being rewritten),
    /// without what the trees of the commits they stand on hold (those stay where they are,
    /// as `git rev-list --objects NEW --not OLD` computes a fetch's pack).
    func insertNamed(_ builder: OpaquePointer, _ repo: OpaquePointer, _ rewritten: OpaquePointer, all: Bool)
        -> GitError?
    {
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repo) == 0, let walk else { return packError("git_revwalk_new") }
        defer { git_revwalk_free(walk) }
        if all {
            guard git_revwalk_push_glob(walk, "refs/*") == 0 else { return packError("git_revwalk_push_glob") }
        } else {
            var iterator: OpaquePointer?
            guard git_reference_iterator_glob_new(&iterator, repo, "refs/*") == 0, let iterator else {
                return packError("git_reference_iterator_glob_new")
            }
            defer { git_reference_iterator_free(iterator) }
            var queue: [git_oid] = []
            var ref: OpaquePointer?
            while git_reference_next(&ref, iterator) == 0, let current = ref {
                var commit: OpaquePointer?
                if git_reference_peel(&commit, current, GIT_OBJECT_COMMIT) == 0, let commit {
                    queue.append(git_object_id(commit).pointee)
                    git_object_free(commit)
                }
                git_reference_free(current)
            }
            // New commits are pushed, the first old one on each line of history is hidden.
            var seen = Set<String>()
            while var id = queue.popLast() {
                guard seen.insert(Git.hex(&id)).inserted else { continue }
                guard git_odb_exists(rewritten, &id) != 0 else {
                    guard git_revwalk_hide(walk, &id) == 0 else { return packError("git_revwalk_hide") }
                    continue
                }
                var commit: OpaquePointer?
                // Not a commit: a tag's object.
                guard git_commit_lookup(&commit, repo, &id) == 0, let commit else { continue }
                defer { git_commit_free(commit) }
                guard git_revwalk_push(walk, &id) == 0 else { return packError("git_revwalk_push") }
                for i in 0..<git_commit_parentcount(commit) {
                    if let parent = git_commit_parent_id(commit, i) { queue.append(parent.pointee) }
                }
            }
        }
        guard git_packbuilder_insert_walk(builder, walk) == 0 else { return packError("git_packbuilder_insert_walk") }
        return nil
    }

    /// Loose objects (`xx/yyyy…`, relative to `objects`): libgit2 fetches write packs,
    /// but a cache an older version or git itself wrote to may hold some.
    func looseObjects(_ objects: String) -> [String] {
        func isHex(_ name: String, _ count: Int) -> Bool {
            name.utf8.count == count && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        }
        let fanouts = ((try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? []).filter { isHex($0, 2) }
        return fanouts.flatMap { fanout in
            ((try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + fanout)) ?? []).filter {
                isHex($0, 38)
            }.map { fanout + "/" + $0 }
        }
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return lstat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Flushes a file (or, for a path ending in `/`, a folder's entries) to disk; the
    /// problem, or nil.
    static func flush(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        guard fsync(fd) == 0 else { return "cannot flush \(path): \(String(cString: strerror(errno)))" }
        return nil
    }

    func packError(_ call: String) -> GitError {
        let last = Git.lastError()
        return GitError(.local, call: call, errorClass: last.klass, message: last.message + "; the old packs are kept")
    }
}
