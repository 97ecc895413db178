import CGit2
import Foundation
import Manifest
import State

extension GitSource {
    /// The repository's cache folder, locked against other fetches of it (across processes
    /// too); refused for local URLs unless allowed.
    func lockCache(_ remote: Remote) throws(GitError) -> (path: String, lock: FileLock) {
        try remote.refuseLocalUnlessAllowed()
        let path = cachePath(for: remote.url)
        do {
            return (path, try FileLock(path: path + ".lock", timeout: remote.timeout))
        } catch {
            throw GitError(.timeout, call: "flock", message: error.description, hint: "another fetch of this repository holds its cache; retried with backoff")
        }
    }

    /// The fetch of a tag, a semver range or a commit (see `fetch(_:ref:want:)`).
    func fetchAny(_ remote: Remote, ref source: Registration.Ref, want: String?) throws(GitError) -> FetchResult {
        let (path, lock) = try lockCache(remote)
        defer { lock.unlock() }
        let repo = try openOrInitCache(path)
        defer { git_repository_free(repo) }
        if let want, let commit = peeledCommit(repo, want) {
            return FetchResult(cache: path, commit: commit, transferred: false)
        }
        let refspecs: [String]
        switch source {
        case .tag(let tag): refspecs = ["+refs/tags/\(tag):refs/tags/\(tag)"]
        case .semver: refspecs = ["+refs/tags/*:refs/tags/*"]
        case .branch, .commit: refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        }
        try Session.run(remote) { (session, callbacks) throws(GitError) -> Void in
            var handle: OpaquePointer?
            var rc = git_remote_create_anonymous(&handle, repo, remote.libgit2URL)
            guard rc == 0, let handle else { throw session.error("git_remote_create_anonymous", rc) }
            defer { git_remote_free(handle) }
            defer { git_remote_disconnect(handle) }
            rc = git_remote_connect(handle, GIT_DIRECTION_FETCH, &callbacks, nil, nil)
            guard rc == 0 else { throw session.error("git_remote_connect", rc) }
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
        if let limit = remote.sizeLimit, Self.diskUsage(path) > limit {
            try? FileManager.default.removeItem(atPath: path)
            throw Session(remote: remote).tooLarge(limit)
        }
        let wanted: String
        switch (want, source) {
        case (let want?, _): wanted = want
        case (nil, .tag(let tag)): wanted = "refs/tags/\(tag)"
        case (nil, .commit(let commit)): wanted = commit
        default: throw GitError(.local, call: "fetch", message: "no commit to fetch for \(source)")
        }
        guard let commit = peeledCommit(repo, wanted) else {
            throw GitError(.branchNotFound, call: "git_remote_fetch", message: "commit \(wanted.prefix(40)) is not in the repository", url: remote.shown,
                           hint: "the server has no branch or tag that contains it (check spec.source.\(source.kind), or the commit of the pin)")
        }
        return FetchResult(cache: path, commit: commit, transferred: true)
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
