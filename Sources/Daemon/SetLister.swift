import Foundation
import GitSource
import Manifest
import Notify
import State
import Sync
import Toolkit

/// Where a set's `pullRequests` generator gets its listing (the forge's API; tests give
/// their own).
public protocol PullRequestSource: Sendable {
    /// The open pull requests as elements, and the ones made into none (forks) with why;
    /// an error message on any failure (never a partial list).
    func pullRequests(_ generator: ApplicationSet.Generator.PullRequests, namespace: String, field: String) async
        -> Result<PullRequestListing, SetLister.Failure>
}

extension PullRequestLister: PullRequestSource {
    public func pullRequests(_ generator: ApplicationSet.Generator.PullRequests, namespace: String, field: String)
        async -> Result<PullRequestListing, SetLister.Failure>
    {
        await list(generator, namespace: namespace, field: field).mapError { SetLister.Failure($0.message) }
    }
}

/// Lists one application set's generators: list elements as written, the branches of a
/// repository (one ls-remote), the folders of a branch holding a zerverless.yaml (a fetch
/// into the shared cache, then the tree), the open pull requests of a forge. Every
/// repository is reached with the set's own credentials under the secrets rule of the
/// set's namespace, like an application's.
public struct SetLister: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// One generator's answer.
    public struct Listing: Sendable {
        public var elements: [ApplicationSet.Element]
        /// Elements made into no application by the generator itself (a fork's pull request).
        public var skipped: [SetStatus.Skipped]
    }

    let context: SyncContext
    let pullRequests: (any PullRequestSource)?

    public init(context: SyncContext, pullRequests: (any PullRequestSource)?) {
        self.context = context
        self.pullRequests = pullRequests
    }

    /// Lists the generators at `indexes` of `set`, each on its own and at once: one failing
    /// never hides another's listing, and one hung (until its deadline) delays the set's
    /// listing by its own time, not the sum of all.
    func list(_ set: ApplicationSet, indexes: [Int]) async -> [Int: Result<Listing, Failure>] {
        await withTaskGroup(of: (Int, Result<Listing, Failure>).self) { group in
            for i in indexes where set.generators.indices.contains(i) {
                group.addTask { (i, await self.list(set, generator: i)) }
            }
            var out: [Int: Result<Listing, Failure>] = [:]
            for await (i, result) in group { out[i] = result }
            return out
        }
    }

    private func list(_ set: ApplicationSet, generator i: Int) async -> Result<Listing, Failure> {
        let generator = set.generators[i]
        let field = "spec.generators[\(i)].\(generator.kind)"
        switch generator {
        case .list(let elements): return .success(Listing(elements: elements, skipped: []))
        case .gitBranches(let g): return await branches(g, set: set, field: field)
        case .gitDirectories(let g): return await directories(g, set: set, field: field)
        case .pullRequests(let p):
            guard let pullRequests else { return .failure(Failure("\(field): this daemon lists no pull requests")) }
            return await pullRequests.pullRequests(p, namespace: set.namespace, field: "\(field).tokenFile").map {
                listing in
                Listing(
                    elements: listing.elements,
                    skipped: listing.skipped.map {
                        SetStatus.Skipped(element: "{pr.number: \($0.number)}", field: field, message: $0.reason)
                    })
            }
        }
    }

    /// The registration-shaped source a generator reaches its repository with.
    static func source(
        _ set: ApplicationSet, url: RepositoryURL, branch: String, auth: Registration.Auth?
    ) -> Registration {
        set.sourceRegistration(repoURL: url, branch: branch, auth: auth)
    }

    private func remote(_ registration: Registration, _ field: String) -> Result<Remote, Failure> {
        do throws(SourceAccess.Failure) {
            return .success(try context.access.remote(for: registration))
        } catch {
            let text = error.description.replacingOccurrences(of: "spec.source.", with: "")
            return .failure(Failure("\(field): \(text)"))
        }
    }

    private func branches(_ g: ApplicationSet.Generator.GitBranches, set: ApplicationSet, field: String) async
        -> Result<Listing, Failure>
    {
        let remote: Remote
        switch self.remote(Self.source(set, url: g.repoURL, branch: Registration.defaultBranch, auth: g.auth), field)
        {
        case .failure(let failure): return .failure(failure)
        case .success(let r): remote = r
        }
        let git = context.git
        do throws(GitError) {
            let heads = try await context.lookupWorkers.run(ifCancelled: .cancelled("branch listing")) {
                () throws(GitError) -> [String: String] in try git.branches(remote)
            }
            let names = heads.keys.filter { g.pattern.matches($0) && Rules.branchProblem($0) == nil }.sorted()
            return .success(Listing(elements: names.map { .branch($0) }, skipped: []))
        } catch {
            return .failure(Failure("\(field): \(error.description)"))
        }
    }

    private func directories(_ g: ApplicationSet.Generator.GitDirectories, set: ApplicationSet, field: String) async
        -> Result<Listing, Failure>
    {
        let remote: Remote
        switch self.remote(Self.source(set, url: g.repoURL, branch: g.branch, auth: g.auth), field) {
        case .failure(let failure): return .failure(failure)
        case .success(let r): remote = r
        }
        let git = context.git
        let branch = g.branch
        do throws(GitError) {
            let head = try await context.lookupWorkers.run(ifCancelled: .cancelled("head lookup")) {
                () throws(GitError) -> GitSource.Head in try git.head(remote, ref: .branch(branch))
            }
            let folders = try await context.workers.run(ifCancelled: .cancelled("fetch")) {
                () throws(GitError) -> [String] in
                let fetched = try git.fetch(remote, ref: .branch(branch), head: head)
                let snapshot = try git.open(path: fetched.cache)
                return try snapshot.list(commit: fetched.commit).compactMap { entry -> String? in
                    guard entry.kind == .file, entry.path.hasSuffix("/" + AppManifest.fileName) else { return nil }
                    return String(entry.path.dropLast(AppManifest.fileName.count + 1))
                }
            }
            let matching = folders.filter { folder in
                // Escaped names (bytes that are not plain UTF-8) are no folder a pattern names.
                RepoPath.display(folder) == folder && g.pattern.matches(folder)
            }.sorted()
            return .success(
                Listing(elements: matching.map { .directory(path: $0, branch: branch) }, skipped: []))
        } catch {
            return .failure(Failure("\(field): \(error.description)"))
        }
    }
}
