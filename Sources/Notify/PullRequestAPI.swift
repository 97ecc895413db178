import Foundation
import Manifest

/// Listing a project's open pull requests on GitHub, Gitea and GitLab, as each documents
/// it: the requests and the reading of the answers, pure (`PullRequestLister` sends them).
///
/// - GitHub: `GET {api}/repos/{owner}/{repo}/pulls?state=open&per_page=100&page=N`,
///   `Authorization: Bearer`; the next page by the `Link` header's `rel="next"`.
/// - Gitea: `GET {api}/repos/{owner}/{repo}/pulls?state=open&limit=50&page=N` (`{api}`
///   like `https://gitea.example/api/v1`), `Authorization: token`; `Link` (or
///   `X-Total-Count`).
/// - GitLab: `GET {api}/projects/{url-encoded path}/merge_requests?state=opened&per_page=100&page=N`,
///   `PRIVATE-TOKEN`; `X-Next-Page` (or `Link`).
///
/// Every page's URL is built here from the generator's `apiURL`; a `Link` header only
/// says whether another page follows (the token never goes where an answer points).
public enum PullRequestAPI {
    /// At most this many pages are read; a project with more is an error.
    public static let maxPages = 10
    /// The largest answer read, in bytes (4 MiB).
    public static let maxBody = 4 << 20
    /// At most this many open pull requests (before the label filter); more is an error.
    public static let maxPullRequests = 1000

    /// One open pull request as the forge lists it.
    public struct PullRequest: Sendable, Hashable {
        public var number: Int
        /// 40 lowercase hex digits; nil: the forge has no head commit for it yet (GitLab,
        /// while a merge request is being created).
        public var headSHA: String?
        /// The head (source) branch.
        public var branch: String
        public var labels: [String]
        /// Where the head branch lives when that is not the base repository; nil for a
        /// branch of the base repository itself.
        public var fork: Fork?

        public init(number: Int, headSHA: String?, branch: String, labels: [String], fork: Fork? = nil) {
            self.number = number
            self.headSHA = headSHA
            self.branch = branch
            self.labels = labels
            self.fork = fork
        }
    }

    /// The repository a fork's pull request comes from.
    public enum Fork: Sendable, Hashable, CustomStringConvertible {
        /// `bob/shop` (GitHub, Gitea: `head.repo.full_name`).
        case repository(String)
        /// GitLab: the source project's id.
        case project(Int)
        /// The head repository is gone (GitHub and Gitea: `head.repo` is null).
        case deleted

        public var description: String {
            switch self {
            case .repository(let name): "the fork \(name)"
            case .project(let id): "the fork with project id \(id)"
            case .deleted: "a fork that was deleted"
            }
        }
    }

    /// One page's reading: its pull requests and what it says of the next page.
    public struct Page: Sendable, Hashable {
        public var pullRequests: [PullRequest]
        /// `Link` `rel="next"` (GitLab: `X-Next-Page`) said whether another page follows;
        /// nil: the answer did not say.
        public var next: Bool?
        /// `X-Total-Count` (Gitea) / `X-Total` (GitLab), when given.
        public var total: Int?

        public init(pullRequests: [PullRequest], next: Bool?, total: Int? = nil) {
            self.pullRequests = pullRequests
            self.next = next
            self.total = total
        }
    }

    /// The page size asked for: the largest each forge allows by default.
    public static func pageSize(_ forge: Registration.Forge) -> Int { forge == .gitea ? 50 : 100 }

    /// The URL of page `page` (from 1).
    public static func url(_ g: ApplicationSet.Generator.PullRequests, page: Int) -> String {
        var api = g.apiURL
        while api.hasSuffix("/") { api.removeLast() }
        switch g.forge {
        case .github: return "\(api)/repos/\(g.repo)/pulls?state=open&per_page=100&page=\(page)"
        case .gitea: return "\(api)/repos/\(g.repo)/pulls?state=open&limit=50&page=\(page)"
        case .gitlab:
            let encoded =
                g.repo.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? g.repo
            return "\(api)/projects/\(encoded)/merge_requests?state=opened&per_page=100&page=\(page)"
        }
    }

    /// The request of page `page`, with the forge's auth header.
    public static func request(_ g: ApplicationSet.Generator.PullRequests, page: Int, token: String)
        -> OutgoingRequest
    {
        var headers = [("User-Agent", Rendering.userAgent)]
        switch g.forge {
        case .github:
            headers += [
                ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"),
                ("Authorization", "Bearer \(token)"),
            ]
        case .gitea: headers += [("Accept", "application/json"), ("Authorization", "token \(token)")]
        case .gitlab: headers += [("Accept", "application/json"), ("PRIVATE-TOKEN", token)]
        }
        return OutgoingRequest(method: "GET", url: url(g, page: page), headers: headers, body: [])
    }

    /// The pages of one listing, added in order: all of them or an error, never a part
    /// (a partial list would remove previews).
    public struct Collector: Sendable {
        public let generator: ApplicationSet.Generator.PullRequests
        /// Pages added so far.
        public private(set) var pages = 0
        public private(set) var pullRequests: [PullRequest] = []

        public init(_ generator: ApplicationSet.Generator.PullRequests) { self.generator = generator }

        /// Adds the next page: the number of the page to read next, nil when this was the
        /// last, or the limit it went past.
        public mutating func add(_ page: Page) -> Result<Int?, PullRequestListing.Failure> {
            pages += 1
            pullRequests += page.pullRequests
            let name = "\(generator.forge.rawValue) \(generator.repo)"
            if pullRequests.count > maxPullRequests {
                return .failure(
                    .init(
                        "\(name): more than \(maxPullRequests) open pull requests; the listing is refused rather than cut (a partial list would remove previews)"
                    ))
            }
            // Without a `Link`, Gitea's `X-Total-Count` says whether pull requests remain.
            let more =
                page.next ?? (page.total.map { $0 > pullRequests.count && !page.pullRequests.isEmpty } ?? false)
            guard more else { return .success(nil) }
            if pages >= maxPages {
                return .failure(
                    .init(
                        "\(name): more than \(maxPages) pages of open pull requests (\(pageSize(generator.forge)) a page asked); the listing is refused rather than cut (a partial list would remove previews)"
                    ))
            }
            return .success(pages + 1)
        }

        /// The listing: pull requests carrying every label of the generator, by number (a
        /// number listed twice, as pages shift under a listing, counts once).
        public func listing() -> PullRequestListing { PullRequestAPI.listing(pullRequests, generator) }
    }

    /// Pull requests into elements. The label filter is exact and case-sensitive: a pull
    /// request qualifies when it carries every label of `labels` spelled as the forge
    /// stores it (`Preview` is not `preview`); those that do not are left out silently.
    /// Of those that qualify, a fork's (its code is not the repository's, and its branch
    /// is not in it), one whose head branch git would refuse, or one without a head
    /// commit yet is skipped with why.
    public static func listing(_ pulls: [PullRequest], _ g: ApplicationSet.Generator.PullRequests)
        -> PullRequestListing
    {
        var seen = Set<Int>()
        var elements: [ApplicationSet.Element] = []
        var skipped: [PullRequestListing.Skipped] = []
        for pr in pulls.sorted(by: { $0.number < $1.number }) where seen.insert(pr.number).inserted {
            guard g.labels.allSatisfy(pr.labels.contains) else { continue }
            let name = "pull request #\(pr.number)"
            if let fork = pr.fork {
                skipped.append(
                    .init(
                        number: pr.number,
                        reason: "\(name) comes from \(fork); previews are made only of branches of \(g.repo) itself"))
            } else if let problem = Rules.branchProblem(pr.branch) {
                skipped.append(.init(number: pr.number, reason: "\(name): its head branch \(problem)"))
            } else if let sha = pr.headSHA {
                elements.append(.pullRequest(number: pr.number, headSHA: sha, branch: pr.branch))
            } else {
                skipped.append(.init(number: pr.number, reason: "\(name) has no head commit yet"))
            }
        }
        return PullRequestListing(elements: elements, skipped: skipped)
    }
}
