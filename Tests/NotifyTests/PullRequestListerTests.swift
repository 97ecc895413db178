import Foundation
import Notify
import State
import Synchronization
import TestSupport
import Testing

@testable import Manifest

/// Listings over HTTP against `ForgeServer` (each forge's paths, auth, pages and errors):
/// pagination, labels, forks, the errors by their exact text, the deadline on a test's
/// clock, the endpoint guard, and the token kept out of every message.
@Suite struct PullRequestListerTests {
    static let token = "forge-token-s3cr3t"
    static let field = "spec.generators[0].pullRequests.tokenFile"

    /// A secrets dir with namespace alice's token, and a lister for loopback forges.
    struct Setup {
        let dir: TempDir
        let secrets: SecretsDir

        init(token: String = PullRequestListerTests.token) throws {
            dir = try TempDir("zg-prs")
            try dir.write("secrets/alice/forge-token", "  \(token)\n")
            secrets = SecretsDir(root: dir.file("secrets"))
        }

        func lister(
            allowPrivate: Bool = true, timeout: Duration = .seconds(30),
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
        ) -> PullRequestLister {
            PullRequestLister(secrets: secrets, allowPrivate: allowPrivate, timeout: timeout, sleep: sleep)
        }
    }

    static func project(_ forge: ForgeServer.Forge) -> String { forge == .gitlab ? "group/sub/shop" : "alice/shop" }

    static func generator(_ server: ForgeServer, repo: String? = nil, labels: [String] = [])
        -> ApplicationSet.Generator.PullRequests
    {
        PullRequestFixtures.generator(
            Registration.Forge(rawValue: server.forge.rawValue)!, api: server.apiURL,
            repo: repo ?? project(server.forge), labels: labels)
    }

    static func list(_ lister: PullRequestLister, _ g: ApplicationSet.Generator.PullRequests) async
        -> Result<PullRequestListing, PullRequestListing.Failure>
    {
        await lister.list(g, namespace: "alice", field: field)
    }

    /// The first page's URL as errors show it.
    static func firstPage(_ server: ForgeServer, repo: String? = nil) -> String {
        "\(server.forge.rawValue) GET " + PullRequestAPI.url(generator(server, repo: repo), page: 1)
    }

    @Test(arguments: ForgeServer.Forge.allCases)
    func threePagesLabelsAndForks(_ forge: ForgeServer.Forge) async throws {
        let setup = try Setup()
        let project = Self.project(forge)
        let server = try await ForgeServer.start(forge, token: Self.token, projects: [project])
        defer { server.stop() }
        server.maxPageSize = 2
        for n in 1...4 { server.open(project, branch: "feature/f\(n)", labels: ["preview"]) }
        server.close(project, 3)
        server.open(project, branch: "unlabelled")
        server.open(project, branch: "main", labels: ["preview", "other"], fork: "bob/shop")
        let seven = server.open(project, branch: "f7", labels: ["other", "preview"])
        let result = await Self.list(setup.lister(), Self.generator(server, labels: ["preview"]))
        let listing = try result.get()
        let heads = server.pullRequests(project)
        #expect(
            listing.elements
                == [1, 2, 4, seven].map { n in
                    .pullRequest(number: n, headSHA: heads[n - 1].headSHA, branch: heads[n - 1].branch)
                })
        let fork = forge == .gitlab ? "the fork with project id 102" : "the fork bob/shop"
        #expect(
            listing.skipped == [
                .init(
                    number: 6,
                    reason:
                        "pull request #6 comes from \(fork); previews are made only of branches of \(project) itself")
            ])
        #expect(server.listings(project) == 3, "six open pull requests, two a page")
        let queries = server.listingRequests.map { $0.path.split(separator: "?").last.map(String.init) ?? "" }
        let size = forge == .gitea ? "limit=50" : "per_page=100"
        let state = forge == .gitlab ? "state=opened" : "state=open"
        #expect(queries == (1...3).map { "\(state)&\(size)&page=\($0)" })
        // Every page on the path the generator names, never where a Link header points.
        let path = PullRequestAPI.url(Self.generator(server), page: 1).split(separator: "?")[0]
            .dropFirst(server.base.count)
        #expect(server.listingRequests.allSatisfy { $0.path.hasPrefix(path + "?") })
        let auth = server.listingRequests.map {
            forge == .gitlab ? $0.headers["private-token"] : $0.headers["authorization"]
        }
        let expected = forge == .github ? "Bearer \(Self.token)" : forge == .gitea ? "token \(Self.token)" : Self.token
        #expect(auth == [expected, expected, expected])
    }

    @Test func whatChangesOnTheForgeShowsInTheNextListing() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.gitea, token: Self.token, projects: ["alice/shop"])
        defer { server.stop() }
        let lister = setup.lister()
        let g = Self.generator(server, labels: ["preview"])
        let one = server.open("alice/shop", branch: "one", labels: ["preview"])
        let two = server.open("alice/shop", branch: "two")
        func numbers() async throws -> [String] { try await Self.list(lister, g).get().elements.map { $0[.prNumber]! } }
        #expect(try await numbers() == ["1"])
        let sha = server.push("alice/shop", one)
        #expect(try await Self.list(lister, g).get().elements.first?[.prHeadSHA] == sha)
        server.setLabels("alice/shop", two, ["preview"])
        #expect(try await numbers() == ["1", "2"])
        server.close("alice/shop", one)
        #expect(try await numbers() == ["2"])
        server.setFork("alice/shop", two, "mallory/shop")
        let listing = try await Self.list(lister, g).get()
        #expect(listing.elements.isEmpty && listing.skipped.map(\.number) == [2])
        #expect(server.listings("alice/shop") == 5)
    }

    @Test func errorsNameTheForgeTheURLTheStatusAndTheForgesMessage() async throws {
        let wrong = try Setup(token: "not-the-token")
        let setup = try Setup()
        var seen: [String] = []
        for forge in ForgeServer.Forge.allCases {
            let server = try await ForgeServer.start(forge, token: Self.token, projects: [Self.project(forge)])
            defer { server.stop() }
            let g = Self.generator(server)
            let url = Self.firstPage(server)
            func failure(_ setup: Setup, _ g: ApplicationSet.Generator.PullRequests) async -> String {
                let message = (await Self.list(setup.lister(), g)).failure?.message ?? "(listed)"
                seen.append(message)
                return message
            }
            let unauthorized = [
                "github": "401 Bad credentials", "gitea": "401 invalid username, password or token",
                "gitlab": "401 401 Unauthorized",
            ]
            #expect(await failure(wrong, g) == "\(url): \(unauthorized[forge.rawValue]!)")
            let missing = [
                "github": "404 Not Found", "gitea": "404 The target couldn't be found.",
                "gitlab": "404 404 Project Not Found",
            ]
            let other = Self.generator(server, repo: "alice/nothing")
            #expect(
                await failure(setup, other)
                    == "\(Self.firstPage(server, repo: "alice/nothing")): \(missing[forge.rawValue]!)")
            server.failure = .serverError
            let serverError = [
                "github": "Server Error", "gitea": "Internal Server Error", "gitlab": "500 Internal Server Error",
            ]
            #expect(await failure(setup, g) == "\(url): 500 \(serverError[forge.rawValue]!)")
            server.failure = .badGateway
            #expect(await failure(setup, g) == "\(url): 502 (the answer is not JSON)")
            server.failure = .answer(status: 200, contentType: "application/json", body: "[{\"number\": 1,")
            #expect(await failure(setup, g) == "\(url): 200 but the answer is not JSON")
            server.failure = .answer(
                status: 200, contentType: "application/json",
                body: "[" + String(repeating: " ", count: PullRequestAPI.maxBody) + "]")
            #expect(await failure(setup, g) == "\(url): 200 but the answer is over 4 MiB, the most a page may be")
            server.failure = .answer(
                status: 403, contentType: "application/json",
                body: #"{"message":"token \#(Self.token) is not allowed here"}"#)
            #expect(await failure(setup, g) == "\(url): 403 token *** is not allowed here")
        }
        #expect(seen.allSatisfy { !$0.contains(Self.token) && !$0.contains("not-the-token") }, "\(seen)")
    }

    @Test func moreThanTenPagesIsAnErrorNotAPartialList() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.github, token: Self.token, projects: ["alice/shop"])
        defer { server.stop() }
        for n in 1...1001 { server.open("alice/shop", branch: "b\(n)") }
        let result = await Self.list(setup.lister(), Self.generator(server))
        #expect(
            result.failure?.message
                == "github alice/shop: more than 10 pages of open pull requests (100 a page asked); the listing is refused rather than cut (a partial list would remove previews)"
        )
        #expect(server.listings("alice/shop") == 10)
    }

    @Test func aHungForgeEndsAtTheDeadlineOnTheInjectedClock() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.github, token: Self.token, projects: ["alice/shop"])
        defer { server.stop() }
        server.failure = .hang
        let clock = ManualClock()
        let lister = setup.lister(timeout: .seconds(30), sleep: { try await clock.sleep(for: $0) })
        let g = Self.generator(server)
        let listing = Task { await Self.list(lister, g) }
        try await until { server.hanging == 1 && clock.sleepers == 1 }
        clock.advance(by: .seconds(29))
        #expect(clock.sleepers == 1, "not before the deadline")
        clock.advance(by: .seconds(1))
        let result = await listing.value
        #expect(
            result.failure?.message
                == "\(Self.firstPage(server)): no complete listing within 30 s (every page, answers and bodies)")
        server.release()
    }

    @Test func theEndpointGuardRefusesALoopbackForgeUnlessAllowed() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.gitlab, token: Self.token, projects: ["group/sub/shop"])
        defer { server.stop() }
        let result = await Self.list(setup.lister(allowPrivate: false), Self.generator(server))
        #expect(
            result.failure?.message
                == "gitlab \(server.apiURL): 127.0.0.1 resolves to the loopback address 127.0.0.1; tenants' endpoints may not reach the daemon's own network (the operator allows it with --notify-allow-private)"
        )
        #expect(server.listingRequests.isEmpty)
        #expect(try await Self.list(setup.lister(allowPrivate: true), Self.generator(server)).get().elements.isEmpty)
    }

    /// A forge named by a host name: every page's URL is looked up and judged, and the
    /// connection goes to the address that was judged (its own client for the listing).
    @Test func aForgesNameIsPinnedToTheAddressChecked() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.github, token: Self.token, projects: ["alice/shop"])
        defer { server.stop() }
        server.maxPageSize = 1
        for n in 1...3 { server.open("alice/shop", branch: "b\(n)") }
        let lookups = Counter()
        let lookup = EndpointGuard.Lookup(
            resolve: { host in
                lookups.add()
                return host == "forge.test" ? .success([.v4(0x7F00_0001)]) : .failure(.init("cannot resolve \(host)"))
            }, ownAddresses: { [] })
        let lister = PullRequestLister(secrets: setup.secrets, allowPrivate: true, lookup: lookup)
        var g = Self.generator(server)
        g.apiURL = "http://forge.test:\(server.port)"
        let listing = try await lister.list(g, namespace: "alice", field: Self.field).get()
        #expect(listing.elements.count == 3)
        #expect(lookups.value == 4, "the API URL, then each of the three pages")
        #expect(
            server.listingRequests.map { $0.headers["host"] } == Array(repeating: "forge.test:\(server.port)", count: 3)
        )
        let refused = PullRequestLister(secrets: setup.secrets, allowPrivate: false, lookup: lookup)
        #expect(
            await refused.list(g, namespace: "alice", field: Self.field).failure?.message
                == "github http://forge.test:\(server.port): forge.test resolves to the loopback address 127.0.0.1; tenants' endpoints may not reach the daemon's own network (the operator allows it with --notify-allow-private)"
        )
    }

    @Test func theTokenFileFollowsTheSecretsRule() async throws {
        let setup = try Setup()
        let server = try await ForgeServer.start(.github, token: Self.token, projects: ["alice/shop"])
        defer { server.stop() }
        var g = Self.generator(server)
        g.tokenFile = "../bob/forge-token"
        #expect(
            await Self.list(setup.lister(), g).failure?.message
                == #"\#(Self.field): "../bob/forge-token" climbs out of the namespace's secrets folder with '..'"#)
        g.tokenFile = "absent"
        #expect(
            await Self.list(setup.lister(), g).failure?.message
                == #"\#(Self.field): cannot read "absent" in \#(setup.secrets.root)/alice/: no such file"#)
        try setup.dir.write("secrets/alice/two-lines", "abc\ndef\n")
        g.tokenFile = "two-lines"
        #expect(
            await Self.list(setup.lister(), g).failure?.message
                == #"\#(Self.field): "two-lines" holds a space or a control character inside the token; it must hold one token"#
        )
        #expect(server.listingRequests.isEmpty)
    }
}

/// A count other tasks add to.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

extension Result {
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
