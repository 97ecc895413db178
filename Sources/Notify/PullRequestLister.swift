import AsyncHTTPClient
import Foundation
import Manifest
import NIOCore
import NIOHTTP1
import State
import Synchronization
import Toolkit

/// Lists the open pull requests of a `pullRequests` generator over HTTP: the token read
/// under the secrets rule at the moment of use, every page's URL checked by the endpoint
/// guard (unless `allowPrivate`) and connected to through the address that was checked,
/// no redirect followed, at most `PullRequestAPI.maxBody` bytes of an answer read, and
/// one deadline, `timeout`, over the whole listing (every page, answers and bodies) on
/// the injected `sleep` (the daemon's clock; a test's moves only when told). The token
/// never appears in an error.
public struct PullRequestLister: Sendable {
    public var secrets: SecretsDir
    /// `--notify-allow-private`: forges on loopback or private networks.
    public var allowPrivate: Bool
    /// For the whole listing.
    public var timeout: Duration
    public var lookup: EndpointGuard.Lookup
    let client: HTTPClient
    let sleep: @Sendable (Duration) async throws -> Void

    /// The listings' own client: no redirects, a refused connection fails at once (see
    /// `Notifier.clientConfiguration`); a forge's name is pinned per listing.
    public static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: Notifier.clientConfiguration)

    public init(
        secrets: SecretsDir, allowPrivate: Bool = false, timeout: Duration = .seconds(30),
        lookup: EndpointGuard.Lookup = .system, client: HTTPClient = PullRequestLister.client,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.secrets = secrets
        self.allowPrivate = allowPrivate
        self.timeout = timeout
        self.lookup = lookup
        self.client = client
        self.sleep = sleep
    }

    /// Every open pull request of the generator's project, or why not. `namespace`: the
    /// set's (its secrets folder); `field`: the token file's place for messages
    /// (`spec.generators[2].pullRequests.tokenFile`).
    public func list(_ g: ApplicationSet.Generator.PullRequests, namespace: String, field: String) async
        -> Result<PullRequestListing, PullRequestListing.Failure>
    {
        let progress = Progress(url: PullRequestAPI.url(g, page: 1))
        let (timeout, sleep) = (self.timeout, self.sleep)
        // The listing against the deadline: whichever ends first (nil: the deadline).
        let outcome = await withTaskGroup(of: Result<PullRequestListing, PullRequestListing.Failure>?.self) { group in
            group.addTask { await self.pages(g, namespace: namespace, field: field, progress: progress) }
            group.addTask {
                try? await sleep(timeout)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        let secret = progress.token.withLock { $0 }
        switch outcome {
        case .success(let listing)?:
            return .success(listing)
        case .failure(let failure)?:
            return .failure(.init(Self.scrub(failure.message, secret), status: failure.status))
        case nil:
            let url = Registration.redactEndpoint(progress.url.withLock { $0 })
            return .failure(
                .init(
                    Self.scrub(
                        "\(g.forge.rawValue) GET \(url): no complete listing within \(Self.shown(timeout)) (every page, answers and bodies)",
                        secret)))
        }
    }

    /// The token read, then the pages (see `walk`); a pinned client made for them is shut
    /// down after, also when the deadline cancelled them.
    func pages(
        _ g: ApplicationSet.Generator.PullRequests, namespace: String, field: String, progress: Progress
    ) async -> Result<PullRequestListing, PullRequestListing.Failure> {
        // The API URL first: a refusal before the token is read.
        if case .failure(let refused) = await check(g.apiURL) {
            return .failure(.init("\(g.forge.rawValue) \(Registration.redactEndpoint(g.apiURL)): \(refused.message)"))
        }
        let token: String
        switch readToken(g.tokenFile, namespace: namespace, field: field) {
        case .failure(let failure): return .failure(failure)
        case .success(let t): token = t
        }
        progress.token.withLock { $0 = token }
        var pinned: Pinned?
        let result = await walk(g, token: token, progress: progress, pinned: &pinned)
        if let pinned { try? await pinned.client.shutdown() }
        return result
    }

    /// What the deadline's message may name: the page under way; the token, to take out.
    final class Progress: Sendable {
        let url: Mutex<String>
        let token = Mutex("")
        init(url: String) { self.url = Mutex(url) }
    }

    /// A client connecting to the address its pin checked.
    struct Pinned {
        var pin: EndpointGuard.Pin
        var client: HTTPClient
    }

    /// The pages one after the other, each URL checked and connected to through the
    /// checked address (one client while the pin stays the same), each answer read.
    func walk(
        _ g: ApplicationSet.Generator.PullRequests, token: String, progress: Progress, pinned: inout Pinned?
    ) async -> Result<PullRequestListing, PullRequestListing.Failure> {
        var collector = PullRequestAPI.Collector(g)
        var page = 1
        while true {
            let request = PullRequestAPI.request(g, page: page, token: token)
            progress.url.withLock { $0 = request.url }
            let shown = "\(g.forge.rawValue) GET \(Registration.redactEndpoint(request.url))"
            let pin: EndpointGuard.Pin
            switch await check(request.url) {
            case .failure(let refused): return .failure(.init("\(shown): \(refused.message)"))
            case .success(let p): pin = p
            }
            var through = client
            if pin.address != nil {
                if pinned?.pin != pin {
                    if let old = pinned { try? await old.client.shutdown() }
                    pinned = Pinned(
                        pin: pin,
                        client: HTTPClient(
                            eventLoopGroup: client.eventLoopGroup, configuration: Notifier.pinnedConfiguration(pin)))
                }
                through = pinned!.client
            }
            let answer: (status: Int, headers: [(String, String)], body: [UInt8])
            switch await fetch(request, through: through) {
            case .failure(let problem): return .failure(.init("\(shown): \(problem.message)", status: problem.status))
            case .success(let a): answer = a
            }
            let parsed = PullRequestAPI.parse(
                g, url: request.url, status: answer.status, headers: answer.headers, body: answer.body)
            switch parsed.flatMap({ collector.add($0) }) {
            case .failure(let failure): return .failure(failure)
            case .success(nil): return .success(collector.listing())
            case .success(let next?): page = next
            }
        }
    }

    /// The token under the secrets rule, whitespace around it trimmed; one with a space or
    /// a control character inside is refused (it would not fit in a header).
    func readToken(_ name: String, namespace: String, field: String) -> Result<String, PullRequestListing.Failure> {
        let bytes: [UInt8]
        do {
            bytes = try secrets.read(name, namespace: namespace, field: field)
        } catch {
            return .failure(.init(error.description))
        }
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if token.isEmpty { return .failure(.init("\(field): \"\(name)\" is empty; it must hold the forge token")) }
        if token.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return .failure(
                .init(
                    "\(field): \"\(name)\" holds a space or a control character inside the token; it must hold one token"
                ))
        }
        return .success(token)
    }

    /// The endpoint guard's lookup blocks: on the lookups pool, not a cooperative thread.
    func check(_ url: String) async -> Result<EndpointGuard.Pin, EndpointGuard.Refused> {
        let (allowPrivate, lookup) = (self.allowPrivate, self.lookup)
        return await BlockingPool.lookups.run { EndpointGuard.check(url, allowPrivate: allowPrivate, lookup: lookup) }
    }

    /// The answer's status, headers and body (at most `PullRequestAPI.maxBody` bytes; a
    /// longer one is an error, not cut).
    func fetch(_ outgoing: OutgoingRequest, through client: HTTPClient) async -> Result<
        (status: Int, headers: [(String, String)], body: [UInt8]), PullRequestListing.Failure
    > {
        var request = HTTPClientRequest(url: outgoing.url)
        request.method = .GET
        for (name, value) in outgoing.headers { request.headers.add(name: name, value: value) }
        let limit = PullRequestAPI.maxBody
        let over = "the answer is over \(limit >> 20) MiB, the most a page may be"
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let status = Int(response.status.code)
            if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                return .failure(.init("\(status) but \(over)", status: status))
            }
            var body: [UInt8] = []
            for try await buffer in response.body {
                guard body.count + buffer.readableBytes <= limit else {
                    return .failure(.init("\(status) but \(over)", status: status))
                }
                body += buffer.readableBytesView
            }
            return .success((status, response.headers.map { ($0.name, $0.value) }, body))
        } catch {
            let text = "\(error)".replacingOccurrences(of: outgoing.url, with: "<url>")
            return .failure(.init(String(text.prefix(200))))
        }
    }

    /// The token taken out of a text (it is never shown, whatever a forge echoes).
    static func scrub(_ text: String, _ token: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: "***")
    }

    static func shown(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
