import Crypto
import Foundation
import GitSource
import Manifest
import State
import Synchronization
import Toolkit

/// Branch heads answered by one ls-remote for every application of the same repository,
/// branch and credentials that asks within `maxAge` (a monorepo of many applications costs
/// one round trip per poll window, not one per application). Concurrent askers of one key
/// wait for the lookup in flight instead of starting their own. A sync request never uses
/// it (it asks the server), and a failed lookup is not kept.
public final class HeadCache: Sendable {
    public let maxAge: Duration

    private struct Entry {
        var head: GitSource.Head
        var at: Duration
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var inFlight: [String: [CheckedContinuation<Result<GitSource.Head, GitError>, Never>]] = [:]
    }

    private let state = Mutex(State())

    /// The daemon clock's uptime: how old an answer is.
    let uptime: @Sendable () -> Duration

    public init(maxAge: Duration, uptime: @escaping @Sendable () -> Duration = DaemonClock.system.uptime) {
        self.maxAge = maxAge
        self.uptime = uptime
    }

    /// The key: normalized URL, ref, and who asks: the namespace when credentials are
    /// involved (a relative secret name is a different file in each), the user, the
    /// credential files and a digest of a password inside the URL. Only lookups made with
    /// the same credentials share an answer.
    public static func key(_ registration: Registration) -> String {
        let source = registration.source
        let auth = source.auth
        let inURL = source.repoURL.password.map { Insecure.SHA1.hash(data: Array($0.utf8)).hexString } ?? ""
        // Without credentials the answer is what the daemon's host may see, the same for
        // every tenant: shared across namespaces (a public monorepo costs one lookup). A CA
        // or known-hosts file vouches for the server: it is a namespace's file too.
        let credentialed =
            auth?.tokenFile != nil || auth?.sshKeyFile != nil || auth?.caFile != nil || auth?.knownHostsFile != nil
            || source.repoURL.user != nil || source.repoURL.password != nil
        // The URL as written (credentials redacted), not the fetch cache's normalized key:
        // `/r` and `/r.git` may be two repositories on one server, and an answer for one
        // is not the other's.
        return [
            credentialed ? registration.namespace : "", source.repoURL.redacted, source.repoURL.user ?? "", inURL,
            source.ref.description, auth?.username ?? "",
            auth?.tokenFile ?? "", auth?.sshKeyFile ?? "", auth?.knownHostsFile ?? "", auth?.caFile ?? "",
        ].joined(separator: "\u{0}")
    }

    public func head(
        _ key: String, fresh: Bool, lookup: @escaping @Sendable () async throws(GitError) -> GitSource.Head
    ) async throws(GitError) -> GitSource.Head {
        let now = uptime()
        enum Step {
            case cached(GitSource.Head)
            case wait, lookup
        }
        if maxAge > .zero && !fresh {
            let step = state.withLock { s -> Step in
                if let e = s.entries[key], now - e.at <= maxAge { return .cached(e.head) }
                if s.inFlight[key] != nil { return .wait }
                s.inFlight[key] = []
                return .lookup
            }
            switch step {
            case .cached(let commit):
                return commit
            case .wait:
                let result = await withCheckedContinuation {
                    (c: CheckedContinuation<Result<GitSource.Head, GitError>, Never>) in
                    let immediate: Result<GitSource.Head, GitError>? = state.withLock { s in
                        if let e = s.entries[key], uptime() - e.at <= maxAge { return .success(e.head) }
                        if s.inFlight[key] == nil {
                            return .failure(GitError(.local, call: "head cache", message: "retry"))
                        }
                        s.inFlight[key]!.append(c)
                        return nil
                    }
                    if let immediate { c.resume(returning: immediate) }
                }
                if case .success(let commit) = result { return commit }
                // The lookup in flight failed (or finished unseen): ask ourselves.
                return try await lookup()
            case .lookup:
                break
            }
        }
        let result: Result<GitSource.Head, GitError>
        do throws(GitError) {
            result = .success(try await lookup())
        } catch {
            result = .failure(error)
        }
        let waiters = state.withLock { s -> [CheckedContinuation<Result<GitSource.Head, GitError>, Never>] in
            // A fresh answer (a sync request's) refreshes the cache for the others too.
            if case .success(let head) = result { s.entries[key] = Entry(head: head, at: uptime()) }
            return s.inFlight.removeValue(forKey: key) ?? []
        }
        for w in waiters { w.resume(returning: result) }
        return try result.get()
    }
}
