import CGit2
import Foundation
import Manifest
import Toolkit

/// The agent's view of repositories: branch heads by one ls-remote round trip, fetches into
/// bare caches shared by every application of a repository, and reads of trees and blobs
/// straight from the object database.
///
/// Every method blocks (libgit2 is synchronous): call them off the cooperative pool (see
/// `BlockingPool.shared`).
public struct GitSource: Sendable {
    /// `STATE/cache`: one bare repository per normalized URL.
    public let cacheRoot: String
    /// Packs a cache may hold before a downloading fetch consolidates them
    /// (`defaultMaxPacks`; see `consolidatePacks`).
    public var maxPacks = GitSource.defaultMaxPacks

    public init(cacheRoot: String) {
        self.cacheRoot = cacheRoot
        Git.ensureInitialized()
    }

    /// Sets the PEM bundle of trusted CAs for https (replaces the system store).
    public static func setCAFile(_ path: String) { Git.setCAFile(path) }

    // MARK: Head lookup

    /// What a ref names now, as the server advertised it to the application's credentials in
    /// one lookup: the commit; for tag refs the tag (for semver, the tag the range chose) and
    /// the id advertised for it; for commit refs (and pins) the branch and tag tips the
    /// commit must be reachable from. Nothing in the shared cache counts as proof of access:
    /// only what this lookup advertised does.
    public struct Head: Sendable, Hashable {
        public var commit: String
        public var tag: String?
        /// The id advertised for `refs/tags/TAG`: the tag object of an annotated tag, the
        /// commit itself for a lightweight one. The one object `verify.mode: tag` checks.
        public var tagObject: String?
        /// Commit refs and pins: the commits the server advertised for its branches and
        /// tags (tags peeled).
        public var tips: [String]
        public init(commit: String, tag: String? = nil, tagObject: String? = nil, tips: [String] = []) {
            self.commit = commit
            self.tag = tag
            self.tagObject = tagObject
            self.tips = tips
        }
    }

    /// The commit `branch` points at, by one ls-remote round trip; no objects transferred.
    public func head(_ remote: Remote, branch: String) throws(GitError) -> String {
        try head(remote, ref: .branch(branch)).commit
    }

    /// The commit `ref` names, by one ls-remote round trip (the server lists heads and tags
    /// in it). A commit ref asks too: the listing proves the credentials reach the
    /// repository, and its tips are what the commit must be reachable from.
    public func head(_ remote: Remote, ref: Registration.Ref) throws(GitError) -> Head {
        try Session.run(remote) { (session, callbacks) throws(GitError) -> Head in
            var handle: OpaquePointer?
            let rc = git_remote_create_detached(&handle, remote.libgit2URL)
            guard rc == 0, let handle else { throw session.error("git_remote_create_detached", rc) }
            defer { git_remote_free(handle) }
            defer { git_remote_disconnect(handle) }
            let refs = try connectAndList(handle, &callbacks, session)
            return try Self.choose(
                ref, among: refs.map { ($0.name, withUnsafePointer(to: $0.oid) { Git.hex($0) }) }, url: remote.shown)
        }
    }

    /// Every branch the server advertises, with its commit, by one ls-remote round trip
    /// (an application set's `gitBranches`).
    public func branches(_ remote: Remote) throws(GitError) -> [String: String] {
        try Session.run(remote) { (session, callbacks) throws(GitError) -> [String: String] in
            var handle: OpaquePointer?
            let rc = git_remote_create_detached(&handle, remote.libgit2URL)
            guard rc == 0, let handle else { throw session.error("git_remote_create_detached", rc) }
            defer { git_remote_free(handle) }
            defer { git_remote_disconnect(handle) }
            var out: [String: String] = [:]
            for ref in try connectAndList(handle, &callbacks, session) where ref.name.hasPrefix("refs/heads/") {
                out[String(ref.name.dropFirst("refs/heads/".count))] = withUnsafePointer(to: ref.oid) { Git.hex($0) }
            }
            return out
        }
    }

    /// The head `ref` names among advertised refs (name, id); annotated tags are peeled
    /// (`refs/tags/T^{}` is the commit).
    static func choose(_ ref: Registration.Ref, among refs: [(name: String, id: String)], url: String) throws(GitError)
        -> Head
    {
        let byName = Dictionary(refs.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        func id(_ name: String) -> String? { byName[name] }
        func tagCommit(_ tag: String) -> String? { id("refs/tags/\(tag)^{}") ?? id("refs/tags/\(tag)") }
        func tagged(_ tag: String, _ commit: String) -> Head {
            Head(commit: commit, tag: tag, tagObject: id("refs/tags/\(tag)"))
        }
        let tags = refs.compactMap {
            $0.name.hasPrefix("refs/tags/") && !$0.name.hasSuffix("^{}")
                ? String($0.name.dropFirst("refs/tags/".count)) : nil
        }
        func listing(_ names: [String], _ what: String) -> String {
            names.isEmpty ? "no \(what)" : names.sorted().suffix(8).joined(separator: ", ")
        }
        switch ref {
        case .branch(let branch):
            if let commit = id("refs/heads/" + branch) { return Head(commit: commit) }
            let branches = refs.compactMap {
                $0.name.hasPrefix("refs/heads/") ? String($0.name.dropFirst("refs/heads/".count)) : nil
            }
            throw GitError(
                .branchNotFound, call: "git_remote_ls", message: "branch \"\(branch)\" not found", url: url,
                hint: "check spec.source.branch (the repository has \(listing(branches, "branches")))")
        case .tag(let tag):
            if let commit = tagCommit(tag) { return tagged(tag, commit) }
            throw GitError(
                .branchNotFound, call: "git_remote_ls", message: "tag \"\(tag)\" not found", url: url,
                hint: "check spec.source.tag (the repository has \(listing(tags, "tags")))")
        case .semver(let text):
            guard case .success(let range) = SemverRange.parse(text) else {
                throw GitError(
                    .local, call: "semver", message: "\"\(text)\" is not a version range",
                    hint: "check spec.source.semver")
            }
            if let best = range.best(of: tags), let commit = tagCommit(best.tag) { return tagged(best.tag, commit) }
            let versions = tags.filter { SemanticVersion.parse($0) != nil }
            throw GitError(
                .branchNotFound, call: "git_remote_ls", message: "no tag matches semver \"\(text)\"", url: url,
                hint:
                    "push a matching tag or widen spec.source.semver (version tags: \(listing(versions, "version tags")))"
            )
        case .commit(let commit):
            let tips = refs.compactMap { ref -> String? in
                guard ref.name.hasPrefix("refs/heads/") || ref.name.hasPrefix("refs/tags/"), !ref.name.hasSuffix("^{}")
                else { return nil }
                return id(ref.name + "^{}") ?? ref.id
            }
            return Head(commit: commit, tips: Array(Set(tips)).sorted())
        }
    }

    /// Connects for fetching and lists the remote's refs (one round trip).
    func connectAndList(
        _ handle: OpaquePointer, _ callbacks: inout git_remote_callbacks,
        _ session: Session
    ) throws(GitError) -> [(name: String, oid: git_oid)] {
        var rc = git_remote_connect(handle, GIT_DIRECTION_FETCH, &callbacks, nil, nil)
        guard rc == 0 else { throw session.error("git_remote_connect", rc) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        rc = git_remote_ls(&heads, &count, handle)
        guard rc == 0, let heads else { throw session.error("git_remote_ls", rc) }
        return (0..<count).compactMap { i in heads[i].map { (String(cString: $0.pointee.name), $0.pointee.oid) } }
    }

    // MARK: Fetch

    public struct FetchResult: Sendable, Equatable {
        /// The bare cache repository.
        public var cache: String
        /// The commit the branch points at in the cache after the fetch.
        public var commit: String
        /// false when the wanted commit was already in the cache (no network at all).
        public var transferred: Bool
        /// Why the cache's packs could not be consolidated after this fetch, for the log:
        /// the fetch succeeded, the cache is valid, and the next fetch tries again.
        public var consolidationError: GitError? = nil
    }

    /// The cache folder of a repository: readable name plus a hash of the normalized URL.
    /// Applications of one repository share its cache (a monorepo of 1,000 applications is
    /// fetched once). A commit in it is used only after a head lookup made with the
    /// application's own credentials answered it (head answers are shared only within one
    /// namespace and one set of credentials), so another tenant's fetch never stands in
    /// for a tenant's own access.
    public func cachePath(for url: RepositoryURL) -> String {
        let key = url.cacheKey
        let readable = String(
            url.cacheKey.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }.suffix(60))
        return (cacheRoot as NSString).appendingPathComponent("\(readable)-\(fnv1a(key)).git")
    }

    /// Fetches only `branch` into the repository's shared bare cache. Fetches of one cache
    /// are serialized (across processes too, by a lock file); when `want` (a commit the
    /// caller's own head lookup answered) is already in the cache nothing is transferred.
    public func fetch(_ remote: Remote, branch: String, want: String? = nil) throws(GitError) -> FetchResult {
        try fetchBranch(remote, branch: branch, want: want)
    }

    /// Fetches what `ref` needs into the shared cache, given what this look's head lookup
    /// (made with the application's own credentials) advertised: the branch head; the tag,
    /// whose cached ref is set to the advertised object (a moved tag replaces the cached
    /// one); for a commit (a commit ref or a pin) every branch and tag when the commit is
    /// not already reachable from an advertised tip in the cache. The commit returned is
    /// the advertised one, or reachable from an advertised tip: never merely present in the
    /// cache because another application fetched it.
    public func fetch(_ remote: Remote, ref source: Registration.Ref, head: Head) throws(GitError) -> FetchResult {
        switch source {
        case .branch(let branch): return try fetchBranch(remote, branch: branch, want: head.commit)
        case .tag, .semver: return try fetchTag(remote, head: head)
        case .commit: return try fetchCommit(remote, head: head)
        }
    }

    func fetchBranch(_ remote: Remote, branch: String, want: String?) throws(GitError) -> FetchResult {
        let (path, lock) = try lockCache(remote)
        defer { lock.unlock() }
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        let ref = "refs/heads/" + branch
        if let want, var oid = Git.oid(want), hasCommit(repo, &oid) {
            try setRef(repo, ref, &oid)
            return FetchResult(cache: path, commit: want, transferred: false)
        }
        // Connect and list first: a branch the server no longer has must not be answered
        // from a stale ref in the cache, and a head the cache already holds (another
        // application fetched it) needs no download.
        let transferred = try Session.run(remote) { (session, callbacks) throws(GitError) -> Bool in
            var handle: OpaquePointer?
            var rc = git_remote_create_anonymous(&handle, repo, remote.libgit2URL)
            guard rc == 0, let handle else { throw session.error("git_remote_create_anonymous", rc) }
            defer { git_remote_free(handle) }
            defer { git_remote_disconnect(handle) }
            let refs = try connectAndList(handle, &callbacks, session)
            guard var advertised = refs.first(where: { $0.name == ref })?.oid else {
                throw GitError(
                    .branchNotFound, call: "git_remote_ls", message: "branch \"\(branch)\" not found",
                    url: remote.shown,
                    hint: "check spec.source.branch")
            }
            if hasCommit(repo, &advertised) {
                try setRef(repo, ref, &advertised)
                return false
            }
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            options.callbacks = callbacks
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.prune = GIT_FETCH_NO_PRUNE
            options.update_fetchhead = 0
            let refspec = strdup("+\(ref):\(ref)")
            defer { free(refspec) }
            var array: [UnsafeMutablePointer<CChar>?] = [refspec]
            rc = array.withUnsafeMutableBufferPointer { buffer in
                var specs = git_strarray(strings: buffer.baseAddress, count: 1)
                return git_remote_download(handle, &specs, &options)
            }
            guard rc == 0 else { throw session.error("git_remote_download", rc) }
            rc = git_remote_update_tips(handle, &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, nil)
            guard rc == 0 else { throw session.error("git_remote_update_tips", rc) }
            return true
        }
        // What the cache holds, history included, counts against the limit too: many
        // small pushes add up. Over it, the cache is removed (the disk is the host's).
        if transferred { packRefs(repo) }
        if transferred, let limit = remote.sizeLimit, Self.diskUsage(path) > limit {
            try? FileManager.default.removeItem(atPath: path)
            throw Session(remote: remote).tooLarge(limit)
        }
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, repo, ref) == 0 else {
            throw GitError(
                .branchNotFound, call: "git_remote_fetch", message: "branch \"\(branch)\" not found", url: remote.shown,
                hint: "check spec.source.branch")
        }
        return FetchResult(
            cache: path, commit: Git.hex(&oid), transferred: transferred,
            consolidationError: transferred ? consolidatePacks(path, sizeLimit: remote.sizeLimit) : nil)
    }

    /// Bytes of the files under `path` (a cache folder).
    static func diskUsage(_ path: String) -> Int {
        var total = 0
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        while let rel = walker.nextObject() as? String {
            var st = stat()
            if lstat(path + "/" + rel, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { total += Int(st.st_size) }
        }
        return total
    }

    func openOrInitCache(_ path: String) throws(GitError) -> OpaquePointer {
        var repo: OpaquePointer?
        if FileManager.default.fileExists(atPath: path + "/HEAD"), git_repository_open_bare(&repo, path) == 0, let repo
        {
            return repo
        }
        do {
            // Tenants' private repositories: the daemon's user alone reads them.
            try FileManager.default.createDirectory(
                atPath: cacheRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw GitError(.local, call: "mkdir", message: "cannot create \(cacheRoot): \(error.localizedDescription)")
        }
        let rc = git_repository_init(&repo, path, 1)
        guard rc == 0, let repo else {
            let last = Git.lastError()
            throw GitError(.local, call: "git_repository_init", errorClass: last.klass, message: last.message)
        }
        return repo
    }

    func hasCommit(_ repo: OpaquePointer, _ oid: inout git_oid) -> Bool {
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, repo, &oid) == 0 else { return false }
        git_commit_free(commit)
        return true
    }

    func setRef(_ repo: OpaquePointer, _ name: String, _ oid: inout git_oid) throws(GitError) {
        var ref: OpaquePointer?
        let rc = git_reference_create(&ref, repo, name, &oid, 1, nil)
        guard rc == 0 else {
            let last = Git.lastError()
            throw GitError(.local, call: "git_reference_create", errorClass: last.klass, message: last.message)
        }
        git_reference_free(ref)
    }

    // MARK: Reading a commit without checking it out

    /// Opens the cache of `url` for reading commits, trees and blobs.
    public func open(_ url: RepositoryURL) throws(GitError) -> Snapshot {
        try Snapshot(path: cachePath(for: url))
    }

    /// Opens a bare cache by path.
    public func open(path: String) throws(GitError) -> Snapshot {
        try Snapshot(path: path)
    }
}

/// 64-bit FNV-1a, hex: a stable short hash for folder names.
func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 {
        hash ^= UInt64(b)
        hash = hash &* 0x100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
