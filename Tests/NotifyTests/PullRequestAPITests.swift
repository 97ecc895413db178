import Foundation
import Notify
import Testing

@testable import Manifest

/// The pure part of pull-request listings: the requests each forge documents, the reading
/// of their answers, the label filter, forks, branch names, the limits and the errors.
@Suite struct PullRequestAPITests {
    typealias F = PullRequestFixtures

    @Test func requestsAreTheForgesDocumentedOnes() {
        let gh = PullRequestAPI.request(
            F.generator(.github, api: "https://api.github.com/", repo: "alice/shop"), page: 2, token: "T")
        #expect(gh.method == "GET")
        #expect(gh.url == "https://api.github.com/repos/alice/shop/pulls?state=open&per_page=100&page=2")
        #expect(gh.headers.contains { $0 == ("Authorization", "Bearer T") })
        #expect(gh.headers.contains { $0 == ("Accept", "application/vnd.github+json") })
        let gitea = PullRequestAPI.request(
            F.generator(.gitea, api: "https://gitea.example/api/v1", repo: "alice/shop"), page: 1, token: "T")
        #expect(gitea.url == "https://gitea.example/api/v1/repos/alice/shop/pulls?state=open&limit=50&page=1")
        #expect(gitea.headers.contains { $0 == ("Authorization", "token T") })
        let gl = PullRequestAPI.request(
            F.generator(.gitlab, api: "https://gitlab.com/api/v4", repo: "group/sub/shop"), page: 3, token: "T")
        #expect(
            gl.url
                == "https://gitlab.com/api/v4/projects/group%2Fsub%2Fshop/merge_requests?state=opened&per_page=100&page=3"
        )
        #expect(gl.headers.contains { $0 == ("PRIVATE-TOKEN", "T") })
        #expect(!gl.headers.contains { $0.0 == "Authorization" })
    }

    func parse(
        _ g: ApplicationSet.Generator.PullRequests, _ body: String, status: Int = 200, headers: [(String, String)] = []
    )
        -> Result<PullRequestAPI.Page, PullRequestListing.Failure>
    {
        PullRequestAPI.parse(
            g, url: PullRequestAPI.url(g, page: 1), status: status, headers: headers, body: Array(body.utf8))
    }

    func listing(_ g: ApplicationSet.Generator.PullRequests, _ body: String) throws -> PullRequestListing {
        var collector = PullRequestAPI.Collector(g)
        #expect(try collector.add(parse(g, body).get()).get() == nil)
        return collector.listing()
    }

    @Test func gitHubsAnswerRead() throws {
        let g = F.generator(.github, api: "https://api.github.com", repo: "octocat/Hello-World")
        let page = try parse(g, F.github).get()
        #expect(page.pullRequests.map(\.number) == [1347, 1348, 1346])
        #expect(page.pullRequests[0].labels == ["bug", "preview"])
        #expect(page.pullRequests[1].fork == .repository("hubot/Hello-World"))
        #expect(page.pullRequests[1].headSHA == String(repeating: "a", count: 40))
        #expect(page.pullRequests[2].fork == .deleted)
        #expect(page.next == nil)
        let listing = try listing(g, F.github)
        #expect(
            listing.elements == [
                .pullRequest(number: 1347, headSHA: "6dcb09b5b57875f334f61aebed695e2e4193db5e", branch: "new-topic")
            ])
        #expect(
            listing.skipped.map(\.reason) == [
                "pull request #1346 comes from a fork that was deleted; previews are made only of branches of octocat/Hello-World itself",
                "pull request #1348 comes from the fork hubot/Hello-World; previews are made only of branches of octocat/Hello-World itself",
            ])
        #expect(listing.skipped.map(\.number) == [1346, 1348])
    }

    @Test func giteasAnswerRead() throws {
        let g = F.generator(.gitea, api: "https://gitea.example/api/v1", repo: "alice/shop")
        let listing = try listing(g, F.gitea)
        #expect(
            listing.elements == [
                .pullRequest(
                    number: 3, headSHA: "9f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b", branch: "feature/checkout"),
                .pullRequest(number: 4, headSHA: String(repeating: "2", count: 40), branch: "typo"),
            ])
        #expect(listing.elements[0][.branchSlug] == "feature-checkout")
        #expect(listing.skipped.isEmpty)
    }

    @Test func gitLabsAnswerRead() throws {
        let g = F.generator(.gitlab, api: "https://gitlab.example.com/api/v4", repo: "my-group/my-project")
        let listing = try listing(g, F.gitlab)
        #expect(
            listing.elements == [.pullRequest(number: 1, headSHA: String(repeating: "8", count: 40), branch: "test1")])
        #expect(
            listing.skipped.map(\.reason) == [
                "pull request #2 comes from the fork with project id 9; previews are made only of branches of my-group/my-project itself",
                "pull request #3 has no head commit yet",
            ])
    }

    /// Exact and case-sensitive: every label listed must be there as the forge stores it.
    @Test func theLabelFilterWantsEveryLabelExactly() throws {
        let api = "https://gitlab.example.com/api/v4"
        let both = F.generator(.gitlab, api: api, repo: "g/p", labels: ["Manage", "Community contribution"])
        #expect(try listing(both, F.gitlab).elements.map { $0[.prNumber] } == ["1"])
        #expect(try listing(both, F.gitlab).skipped.count == 2, "the fork and the one without a head carry both")
        let lower = F.generator(.gitlab, api: api, repo: "g/p", labels: ["manage"])
        #expect(try listing(lower, F.gitlab) == PullRequestListing(elements: [], skipped: []))
        let more = F.generator(.gitlab, api: api, repo: "g/p", labels: ["Manage", "preview"])
        #expect(try listing(more, F.gitlab).elements.isEmpty)
        let gh = F.generator(.github, api: "https://api.github.com", repo: "octocat/Hello-World", labels: ["bug"])
        #expect(try listing(gh, F.github).elements.map { $0[.prNumber] } == ["1347"])
        #expect(try listing(gh, F.github).skipped.isEmpty, "the forks do not carry bug")
    }

    @Test func headBranchesGitRefusesAreSkipped() throws {
        let g = F.generator(.gitlab, api: "https://gitlab.example.com/api/v4", repo: "g/p")
        let body = """
            [{"iid": 5, "sha": "\(String(repeating: "5", count: 40))", "source_branch": "fix..it",
              "source_project_id": 3, "target_project_id": 3, "labels": []},
             {"iid": 6, "sha": "\(String(repeating: "6", count: 40))", "source_branch": "refs/heads/x",
              "source_project_id": 3, "target_project_id": 3, "labels": []}]
            """
        #expect(
            try listing(g, body).skipped.map(\.reason) == [
                #"pull request #5: its head branch "fix..it" is not a valid branch name"#,
                #"pull request #6: its head branch "refs/heads/x" is not a valid branch name; write the branch name alone ("x")"#,
            ])
    }

    @Test func malformedAnswersAreErrorsNamingTheForgeAndURL() {
        let g = F.generator(.github, api: "https://api.github.com", repo: "alice/shop")
        let url = "github GET https://api.github.com/repos/alice/shop/pulls?state=open&per_page=100&page=1"
        let item = #""head": {"ref": "x", "repo": null}, "base": {"repo": {"full_name": "alice/shop"}}, "labels": []"#
        let cases: [(String, String)] = [
            ("<html>hello</html>", "\(url): 200 but the answer is not JSON"),
            ("[{\"number\": 1,", "\(url): 200 but the answer is not JSON"),
            (#"{"message": "hi"}"#, "\(url): 200 but the answer is not a list of pull requests"),
            ("[{\(item)}]", "\(url): 200 but [0].number is missing"),
            ("[{\"number\": 1, \(item)}]", "\(url): 200 but [0].head.sha is missing"),
            (#"[{"number": "1", "head": {}, "base": {}, "labels": []}]"#, "\(url): 200 but [0].number is not a number"),
            (
                #"[{"number": 1, "head": {"ref": "x", "sha": "abc", "repo": null}, "base": {"repo": {"full_name": "a/b"}}, "labels": []}]"#,
                #"\#(url): 200 but pull request #1's head commit "abc" is not 40 hex digits"#
            ),
            (
                #"[{"number": 1, "head": {"ref": "x", "sha": "abc", "repo": null}, "base": {"repo": null}, "labels": []}]"#,
                "\(url): 200 but [0].base.repo is null"
            ),
        ]
        for (body, message) in cases {
            #expect(parse(g, body) == .failure(.init(message, status: 200)), "\(body)")
        }
    }

    @Test func errorAnswersNameTheStatusAndTheForgesMessage() {
        let g = F.generator(.github, api: "https://api.github.com", repo: "alice/shop")
        let url = "github GET https://api.github.com/repos/alice/shop/pulls?state=open&per_page=100&page=1"
        #expect(
            parse(g, #"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#, status: 401)
                == .failure(.init("\(url): 401 Bad credentials", status: 401)))
        #expect(
            parse(g, "<html><body>502 Bad Gateway</body></html>", status: 502)
                == .failure(.init("\(url): 502 (the answer is not JSON)", status: 502)))
        #expect(
            parse(
                g, #"{"message":"Moved Permanently","url":"https://api.github.com/repositories/1/pulls"}"#, status: 301)
                == .failure(.init("\(url): 301 Moved Permanently; redirects are not followed", status: 301)))
        let gl = F.generator(.gitlab, api: "https://gitlab.com/api/v4", repo: "g/p")
        #expect(
            parse(gl, #"{"error":"invalid_token","error_description":"Token was revoked."}"#, status: 401)
                == .failure(
                    .init(
                        "gitlab GET https://gitlab.com/api/v4/projects/g%2Fp/merge_requests?state=opened&per_page=100&page=1: 401 Token was revoked.",
                        status: 401)))
    }

    @Test func theNextPageIsSaidByLinkOrXNextPage() throws {
        #expect(
            PullRequestAPI.hasNext(
                #"<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last""#
            ))
        #expect(
            !PullRequestAPI.hasNext(#"<https://x/pulls?page=1>; rel="prev", <https://x/pulls?page=1>; rel="first""#))
        #expect(PullRequestAPI.hasNext(#"<https://x/p?page=2>;rel=next"#))
        let gl = F.generator(.gitlab, api: "https://gitlab.com/api/v4", repo: "g/p")
        #expect(try parse(gl, "[]", headers: [("X-Next-Page", "")]).get().next == false)
        #expect(
            try parse(gl, "[]", headers: [("x-next-page", "2"), ("X-Total", "120")]).get()
                == .init(pullRequests: [], next: true, total: 120))
        let gitea = F.generator(.gitea, api: "https://g/api/v1", repo: "a/b")
        #expect(
            try parse(gitea, "[]", headers: [("X-Total-Count", "7")]).get()
                == .init(pullRequests: [], next: nil, total: 7))
    }

    static func pulls(_ range: ClosedRange<Int>) -> [PullRequestAPI.PullRequest] {
        range.map {
            PullRequestAPI.PullRequest(
                number: $0, headSHA: String(repeating: "a", count: 40), branch: "b\($0)", labels: [])
        }
    }

    @Test func aListingIsAllOrNothingWithinItsLimits() {
        let g = F.generator(.github, api: "https://api.github.com", repo: "alice/shop")
        var collector = PullRequestAPI.Collector(g)
        for page in 0..<5 {
            let result = collector.add(.init(pullRequests: Self.pulls(page * 200 + 1...page * 200 + 200), next: true))
            #expect(result == .success(page + 2))
        }
        #expect(
            collector.add(.init(pullRequests: Self.pulls(1001...1001), next: false))
                == .failure(
                    .init(
                        "github alice/shop: more than 1000 open pull requests; the listing is refused rather than cut (a partial list would remove previews)"
                    )))
        var pages = PullRequestAPI.Collector(g)
        for page in 1...9 {
            #expect(pages.add(.init(pullRequests: Self.pulls(page...page), next: true)) == .success(page + 1))
        }
        #expect(
            pages.add(.init(pullRequests: Self.pulls(10...10), next: true))
                == .failure(
                    .init(
                        "github alice/shop: more than 10 pages of open pull requests (100 a page asked); the listing is refused rather than cut (a partial list would remove previews)"
                    )))
        // Gitea without a Link: X-Total-Count says whether pull requests remain.
        var gitea = PullRequestAPI.Collector(F.generator(.gitea, api: "https://g/api/v1", repo: "a/b"))
        #expect(gitea.add(.init(pullRequests: Self.pulls(1...2), next: nil, total: 3)) == .success(2))
        #expect(gitea.add(.init(pullRequests: Self.pulls(2...3), next: nil, total: 3)) == .success(nil))
        // A pull request seen twice as pages shift counts once.
        #expect(gitea.listing().elements.count == 3)
    }
}
