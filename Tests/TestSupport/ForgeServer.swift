import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A forge on loopback for the pull-request listings, to the letter of its documentation
/// (see `ForgeServer+Answers.swift`): GitHub (`GET /repos/{owner}/{repo}/pulls`), Gitea
/// (`GET /api/v1/repos/{owner}/{repo}/pulls`) or GitLab
/// (`GET /api/v4/projects/{id or url-encoded path}/merge_requests`), with their auth
/// headers, their error bodies, their page sizes and pagination headers. It holds
/// projects and their pull requests, which a test opens, pushes to, labels, closes or
/// makes come from a fork while a daemon lists them; it can fail on demand (500, a 502
/// HTML page from a proxy, or no answer until released); it counts listings per project;
/// and it takes commit statuses (`ForgeContract`) and keeps them.
public final class ForgeServer: Sendable {
    public enum Forge: String, Sendable, CaseIterable {
        case github, gitea, gitlab
    }

    /// How the listings fail, while set.
    public enum Failure: Sendable, Equatable {
        /// 500 with the forge's JSON error body.
        case serverError
        /// 502 with an nginx HTML page (a proxy in front of the forge).
        case badGateway
        /// No answer at all, until `release()` (or `stop()`).
        case hang
        /// Exactly this answer (malformed JSON, say).
        case answer(status: Int, contentType: String, body: String)
    }

    /// One pull request (GitLab: merge request) as the server holds it.
    public struct PullRequest: Sendable, Hashable {
        /// GitHub/Gitea `number`, GitLab `iid`.
        public var number: Int
        public var branch: String
        public var headSHA: String
        public var labels: [String]
        /// The head repository's full name when it is a fork (`bob/shop`); nil: a branch of
        /// the project itself.
        public var fork: String?
        public var open = true
    }

    struct Project {
        var id: Int
        var pulls: [PullRequest] = []
        var listings = 0
    }

    struct State {
        var projects: [String: Project] = [:]
        var failure: Failure?
        var maxPageSize: Int?
        var hung: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextHung = 0
        var listingRequests: [RecordingServer.Recorded] = []
        var statuses: [RecordingServer.Recorded] = []
        var commits = 0
        var nextID = 100
        var forkIDs: [String: Int] = [:]
    }

    public let forge: Forge
    public let token: String
    public let port: Int
    let state = Mutex(State())
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    /// `http://127.0.0.1:PORT`.
    public var base: String { "http://127.0.0.1:\(port)" }
    /// What a generator's (and a commit status's) `apiURL` is: the base, plus `/api/v1`
    /// (Gitea) or `/api/v4` (GitLab).
    public var apiURL: String { base + Self.apiPath(forge) }

    static func apiPath(_ forge: Forge) -> String {
        switch forge {
        case .github: ""
        case .gitea: "/api/v1"
        case .gitlab: "/api/v4"
        }
    }

    init(forge: Forge, token: String, port: Int) {
        self.forge = forge
        self.token = token
        self.port = port
    }

    /// A server on a free loopback port; `projects`: full paths (`alice/shop`,
    /// `group/sub/shop` on GitLab) that exist from the start.
    public static func start(_ forge: Forge, token: String, projects: [String] = []) async throws -> ForgeServer {
        let box = Mutex<ForgeServer?>(nil)
        let router = Router()
        router.on("**", method: .get) { request, _ -> Response in
            guard let server = box.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            return await server.list(Self.recorded(request, body: []))
        }
        router.on("**", method: .post) { request, _ -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let r = Self.recorded(request, body: buffer.readBytes(length: buffer.readableBytes) ?? [])
            guard let server = box.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            return server.status(r)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var bound = 0
        for await p in ports {
            bound = p
            break
        }
        let server = ForgeServer(forge: forge, token: token, port: bound)
        server.task.withLock { $0 = task }
        for project in projects { server.addProject(project) }
        box.withLock { $0 = server }
        return server
    }

    static func recorded(_ request: Request, body: [UInt8]) -> RecordingServer.Recorded {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        // HTTP/1's Host is the request's authority here.
        if let authority = request.head.authority { headers["host"] = authority }
        return RecordingServer.Recorded(
            method: request.method.rawValue, path: request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""),
            headers: headers, body: body)
    }

    /// Stops serving; hung requests are released.
    public func stop() {
        release()
        task.withLock { $0?.cancel() }
    }

    deinit { task.withLock { $0?.cancel() } }

    // MARK: What a test changes

    /// A project that exists (idempotent).
    public func addProject(_ path: String) {
        state.withLock { s in
            guard s.projects[path] == nil else { return }
            s.nextID += 1
            s.projects[path] = Project(id: s.nextID)
        }
    }

    /// Opens a pull request from `branch` (a fork's when `fork` names one) and returns
    /// its number; without `sha`, a new head commit is made up.
    @discardableResult
    public func open(
        _ project: String, branch: String, sha: String? = nil, labels: [String] = [], fork: String? = nil
    ) -> Int {
        addProject(project)
        return state.withLock { s in
            let number = (s.projects[project]!.pulls.map(\.number).max() ?? 0) + 1
            let head = sha ?? Self.commit(&s)
            s.projects[project]!.pulls.append(
                PullRequest(number: number, branch: branch, headSHA: head, labels: labels, fork: fork))
            return number
        }
    }

    /// A new head commit on the pull request's branch (a made-up one without `sha`); returns it.
    @discardableResult
    public func push(_ project: String, _ number: Int, sha: String? = nil) -> String {
        state.withLock { s in
            let head = sha ?? Self.commit(&s)
            change(&s, project, number) { $0.headSHA = head }
            return head
        }
    }

    public func close(_ project: String, _ number: Int) {
        state.withLock { s in change(&s, project, number) { $0.open = false } }
    }

    public func reopen(_ project: String, _ number: Int) {
        state.withLock { s in change(&s, project, number) { $0.open = true } }
    }

    public func setLabels(_ project: String, _ number: Int, _ labels: [String]) {
        state.withLock { s in change(&s, project, number) { $0.labels = labels } }
    }

    /// Makes the pull request come from a fork (`bob/shop`), or from the project again (nil).
    public func setFork(_ project: String, _ number: Int, _ fork: String?) {
        state.withLock { s in change(&s, project, number) { $0.fork = fork } }
    }

    public func pullRequests(_ project: String) -> [PullRequest] {
        state.withLock { $0.projects[project]?.pulls ?? [] }
    }

    private func change(_ s: inout State, _ project: String, _ number: Int, _ body: (inout PullRequest) -> Void) {
        guard let i = s.projects[project]?.pulls.firstIndex(where: { $0.number == number }) else {
            preconditionFailure("no pull request \(project)#\(number)")
        }
        body(&s.projects[project]!.pulls[i])
    }

    static func commit(_ s: inout State) -> String {
        s.commits += 1
        let hex = String(s.commits, radix: 16)
        return String(repeating: "c", count: 40 - hex.count) + hex
    }

    /// While set, every listing fails this way (nil: the listings answer).
    public var failure: Failure? {
        get { state.withLock { $0.failure } }
        set { state.withLock { $0.failure = newValue } }
    }

    /// At most this many pull requests a page, whatever is asked (Gitea's
    /// `MAX_RESPONSE_ITEMS`); nil: the forge's own maximum (GitHub and GitLab 100, Gitea 50).
    public var maxPageSize: Int? {
        get { state.withLock { $0.maxPageSize } }
        set { state.withLock { $0.maxPageSize = newValue } }
    }

    // MARK: What a test looks at

    /// Listing requests that named the project (answered or not).
    public func listings(_ project: String) -> Int { state.withLock { $0.projects[project]?.listings ?? 0 } }

    /// Every listing request, as it came (path with its query, headers).
    public var listingRequests: [RecordingServer.Recorded] { state.withLock { $0.listingRequests } }

    /// The commit statuses posted (accepted or refused), as they came.
    public var statuses: [RecordingServer.Recorded] { state.withLock { $0.statuses } }

    /// Requests waiting for an answer under `.hang`.
    public var hanging: Int { state.withLock { $0.hung.count } }

    /// Lets every hung request go (it then gets a 504) and the next ones hang again only
    /// while `failure` is still `.hang`.
    public func release() {
        let waiting = state.withLock { s in
            defer { s.hung = [:] }
            return Array(s.hung.values)
        }
        for c in waiting { c.resume() }
    }

    /// Waits until `release()`.
    func hang() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            state.withLock { s in
                s.nextHung += 1
                s.hung[s.nextHung] = c
            }
        }
    }
}
