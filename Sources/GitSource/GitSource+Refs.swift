import CGit2
import Foundation
import Manifest
import Toolkit

extension GitSource {
    /// The repository's cache folder, locked against other fetches of it (across processes
    /// too); refused for local URLs unless allowed.
    func lockCache(_ remote: Remote) throws(GitError) -> (path: String, lock: FileLock) {
        try remote.refuseLocalUnlessAllowed()
        let path = cachePath(for: remote.url)
        do {
            return (path, try FileLock(path: path + ".lock", timeout: remote.timeout))
        } catch {
            throw GitError(
                .timeout, call: "flock", message: error.description,
                hint: "another fetch of this repository holds its cache; retried with backoff")
        }
    }

    /// A tag or a semver range: only the chosen tag is fetched (with force, so a moved tag
    /// replaces the cached one), and the cached `refs/tags/TAG` is set to the object the
    /// lookup advertised. What the cache held before decides nothing.
    func fetchTag(_ remote: Remote, head: Head) throws(GitError) -> FetchResult {
        guard let tag = head.tag, let object = head.tagObject else {
            throw GitError(.local, call: "fetch", message: "the head lookup named no tag to fetch")
        }
        let (path, lock) = try lockCache(remote)
        defer { lock.unlock() }
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        // A semver range chose the tag among names the server advertised: a hostile server
        // may advertise names git refuses (`*`, `:`), which would change the refspec.
        if let problem = Rules.branchProblem(tag) {
            throw GitError(
                .branchNotFound, call: "git_remote_ls",
                message: "the tag name \"\(tag)\" is not a valid ref name (\(problem))",
                url: remote.shown, hint: "the server advertised a name git refuses")
        }
        let ref = "refs/tags/" + tag
        var transferred = false
        if peeledCommit(repo, object) != head.commit {
            try download(remote, repo, path, refspecs: ["+\(ref):\(ref)"]) { (refs) throws(GitError) -> Void in
                guard refs.contains(where: { $0.name == ref }) else {
                    throw GitError(
                        .branchNotFound, call: "git_remote_ls", message: "tag \"\(tag)\" not found", url: remote.shown,
                        hint: "the tag was deleted since the lookup; looked at again")
                }
            }
            transferred = true
        }
        guard peeledCommit(repo, object) == head.commit, var oid = Git.oid(object) else {
            throw GitError(
                .refMoved, call: "git_remote_fetch", message: "tag \"\(tag)\" moved between the lookup and the fetch",
                url: remote.shown,
                hint: "looked at again")
        }
        try setRef(repo, ref, &oid)
        return FetchResult(
            cache: path, commit: head.commit, transferred: transferred,
            consolidationError: transferred ? consolidatePacks(path, sizeLimit: remote.sizeLimit) : nil)
    }

    /// A commit (a commit ref, a rollback pin, a drift correction): used only when it is
    /// reachable from a branch or tag tip that the server advertised to these credentials
    /// (the look's lookup, or the fetch's own listing). Every branch and tag is fetched
    /// when the cache does not show that already.
    func fetchCommit(_ remote: Remote, head: Head) throws(GitError) -> FetchResult {
        let (path, lock) = try lockCache(remote)
        defer { lock.unlock() }
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        if let commit = reachable(repo, head.commit, from: head.tips) {
            return FetchResult(cache: path, commit: commit, transferred: false)
        }
        var tips = head.tips
        try download(remote, repo, path, refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]) {
            (refs) throws(GitError) -> Void in
            tips = GitSource.tips(of: refs)
        }
        // One answer whether or not the cache holds the commit (from another application's
        // fetch): the message must not tell a tenant what others fetched.
        guard let commit = reachable(repo, head.commit, from: tips) else {
            throw GitError(
                .branchNotFound, call: "git_remote_fetch",
                message:
                    "commit \(head.commit.prefix(40)) is not in the repository: no branch or tag the server offers to this application's credentials contains it",
                url: remote.shown,
                hint:
                    "check spec.source.commit, or the commit of the pin (a commit force-pushed away cannot be fetched)")
        }
        return FetchResult(
            cache: path, commit: commit, transferred: true,
            consolidationError: consolidatePacks(path, sizeLimit: remote.sizeLimit))
    }

    /// Branch and tag tips among advertised refs, annotated tags peeled to their commits.
    static func tips(of refs: [(name: String, id: String)]) -> [String] {
        let byName = Dictionary(refs.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        let tips = refs.compactMap { ref -> String? in
            guard ref.name.hasPrefix("refs/heads/") || ref.name.hasPrefix("refs/tags/"), !ref.name.hasSuffix("^{}")
            else { return nil }
            return byName[ref.name + "^{}"] ?? ref.id
        }
        return Array(Set(tips)).sorted()
    }

    /// The full id of `want` (a commit id, or an abbreviation the cache resolves) when it is
    /// one of `tips` or an ancestor of one that is in the cache; nil otherwise.
    func reachable(_ repo: OpaquePointer, _ want: String, from tips: [String]) -> String? {
        guard let commit = peeledCommit(repo, want), var target = Git.oid(commit) else { return nil }
        let present = tips.compactMap { peeledCommit(repo, $0) }
        if present.contains(commit) { return commit }
        guard !present.isEmpty else { return nil }
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repo) == 0, let walk else { return nil }
        defer { git_revwalk_free(walk) }
        for tip in present {
            guard var oid = Git.oid(tip) else { continue }
            _ = git_revwalk_push(walk, &oid)
        }
        var oid = git_oid()
        while git_revwalk_next(&oid, walk) == 0 {
            if git_oid_equal(&oid, &target) != 0 { return commit }
        }
        return nil
    }

    /// Connects with the remote's credentials, lists its refs (refused over `--max-refs`
    /// before anything is downloaded: every ref becomes a file until packed), lets `check`
    /// judge the listing, downloads `refspecs` (forced) and packs the refs. Over the size
    /// limit, the cache is removed.
    func download(
        _ remote: Remote, _ repo: OpaquePointer, _ path: String, refspecs: [String],
        check: ([(name: String, id: String)]) throws(GitError) -> Void
    ) throws(GitError) {
        try Session.run(remote) { (session, callbacks) throws(GitError) -> Void in
            var handle: OpaquePointer?
            var rc = git_remote_create_anonymous(&handle, repo, remote.libgit2URL)
            guard rc == 0, let handle else { throw session.error("git_remote_create_anonymous", rc) }
            defer { git_remote_free(handle) }
            defer { git_remote_disconnect(handle) }
            let listed = try connectAndList(handle, &callbacks, session)
            let refs = listed.map { ref in (name: ref.name, id: withUnsafePointer(to: ref.oid) { Git.hex($0) }) }
            let wanted = refs.filter { ref in
                !ref.name.hasSuffix("^{}") && refspecs.contains { spec in Self.matches(spec, ref.name) }
            }.count
            if let limit = remote.maxRefs, wanted > limit {
                throw GitError(
                    .tooManyRefs, call: "git_remote_ls",
                    message:
                        "the fetch would store \(wanted) branches and tags, over the limit of \(limit) per repository; nothing was fetched",
                    url: remote.shown,
                    hint:
                        "delete old tags or branches, follow a branch or one tag, or ask the operator to raise --max-refs"
                )
            }
            try check(refs)
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            options.callbacks = callbacks
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.prune = GIT_FETCH_NO_PRUNE
            options.update_fetchhead = 0
            let specs = refspecs.map { strdup($0) }
            defer { specs.forEach { free($0) } }
            var array: [UnsafeMutablePointer<CChar>?] = specs
            rc = array.withUnsafeMutableBufferPointer { buffer in
                var strings = git_strarray(strings: buffer.baseAddress, count: buffer.count)
                return git_remote_download(handle, &strings, &options)
            }
            guard rc == 0 else { throw session.error("git_remote_download", rc) }
            rc = git_remote_update_tips(handle, &callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, nil)
            guard rc == 0 else { throw session.error("git_remote_update_tips", rc) }
        }
        packRefs(repo)
        if let limit = remote.sizeLimit, Self.diskUsage(path) > limit {
            try? FileManager.default.removeItem(atPath: path)
            throw Session(remote: remote).tooLarge(limit)
        }
    }

    /// Whether `name` is a source of the refspec `+refs/x/*:refs/x/*` or `+refs/x/y:...`.
    static func matches(_ spec: String, _ name: String) -> Bool {
        let source = spec.drop { $0 == "+" }.prefix { $0 != ":" }
        if source.hasSuffix("*") { return name.hasPrefix(source.dropLast()) }
        return name == source
    }

    /// Loose refs packed into `packed-refs`: one file however many branches and tags.
    func packRefs(_ repo: OpaquePointer) {
        var refdb: OpaquePointer?
        guard git_repository_refdb(&refdb, repo) == 0, let refdb else { return }
        defer { git_refdb_free(refdb) }
        _ = git_refdb_compress(refdb)
    }

    /// The commit `spec` (a commit id or a ref name) names in the cache, tags peeled; nil
    /// when the cache does not hold it.
    func peeledCommit(_ repo: OpaquePointer, _ spec: String) -> String? {
        var object: OpaquePointer?
        guard git_revparse_single(&object, repo, spec + "^{commit}") == 0, let object else { return nil }
        defer { git_object_free(object) }
        return Git.hex(git_object_id(object))
    }
}
