import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A Zerverless orchestrator as `shared/zerverless-api.md` describes it, quirks included
/// (the storage listing answers 500 for a namespace that never stored a file; `..` is a
/// 500; a second POST is an upsert; an empty runtime is lua), with failure injection.
/// It also runs what is deployed, as the platform does (`/{namespace}/{path...}`, see
/// ContractServer+Invoke.swift), and serves the stored files at `/static/{namespace}/...`.
public final class ContractServer: Sendable {
    public struct Deployment: Codable, Sendable, Equatable {
        public var user: String
        public var path: String
        public var runtime: String
        public var code: String
        public var port: Int?
        // swift-format-ignore: AlwaysUseLowerCamelCase
        // The orchestrator's field name, as its API spells it.
        public var created_at: String

        public init(user: String, path: String, runtime: String, code: String, port: Int?, created_at: String) {
            self.user = user
            self.path = path
            self.runtime = runtime
            self.code = code
            self.port = port
            self.created_at = created_at
        }
    }

    public struct State: Sendable {
        public var deployments: [String: Deployment] = [:]
        /// namespace -> path -> bytes
        public var storage: [String: [String: [UInt8]]] = [:]
        /// Requests seen, as "METHOD /path".
        public var log: [String] = []
        public var authorization: [String?] = []
        /// The next N requests answer 503.
        public var fail503 = 0
        public var delay: Duration?
        /// Function invocations per deployment, keyed as `deployments` is ("ns/api/hello").
        public var invocations: [String: Int] = [:]
        /// How long a function may run: past it, its process group is killed and the call
        /// answers 504.
        public var invokeTimeout: Duration = .seconds(10)
        /// The interpreter per runtime ("lua", "js", "python"), as found on PATH at start;
        /// without one, a call of that runtime answers 501.
        public var interpreters: [String: String] = ContractServer.detectInterpreters()
        /// Handlers that answer in place of a deployment (any runtime, docker included), by
        /// deployment key.
        public var invokeOverride: [String: @Sendable (FunctionRequest) async -> FunctionResponse] = [:]
    }

    public let state = Mutex(State())
    public let port: Int
    let token: String?
    private let task: Task<Void, any Error>

    public var base: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, token: String?, task: Task<Void, any Error>) {
        self.port = port
        self.token = token
        self.task = task
    }

    public static func start(token: String? = nil) async throws -> ContractServer {
        let box = Mutex<ContractServer?>(nil)
        let router = Router()
        router.on("**", method: .get) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .post) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .put) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .delete) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .patch) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .options) { req, ctx in await box.withLock { $0! }.handle(req, ctx) }
        router.on("**", method: .head) { req, ctx in
            await box.withLock { $0! }.handle(req, ctx).createHeadResponse()
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await p in ports {
            port = p
            break
        }
        let server = ContractServer(port: port, token: token, task: task)
        box.withLock { $0 = server }
        return server
    }

    public func stop() { task.cancel() }

    deinit { task.cancel() }

    func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func handle(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let method = request.method.rawValue
        let rawPath = request.uri.path
        let path = rawPath.removingPercentEncoding ?? rawPath
        let (fail, delay) = state.withLock { s -> (Bool, Duration?) in
            s.log.append("\(method) \(rawPath)")
            s.authorization.append(request.headers[.authorization])
            if s.fail503 > 0 {
                s.fail503 -= 1
                return (true, s.delay)
            }
            return (false, s.delay)
        }
        if let delay { try? await Task.sleep(for: delay) }
        if fail { return json(.serviceUnavailable, #"{"error": "injected failure"}"#) }
        if let token, request.headers[.authorization] != "Bearer \(token)" {
            return json(.unauthorized, #"{"error": "unauthorized"}"#)
        }
        let body = (try? await request.body.collect(upTo: 100 << 20)).map { Array(buffer: $0) } ?? []
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // parts: ["", "api", "deploy"|"storage", ns, rest...]
        if path == "/health" { return json(.ok, #"{"status": "healthy"}"#) }
        if parts.count >= 2, parts[1] == "static" { return serveStatic(method: method, parts: parts) }
        if parts.count >= 2, parts[1] != "api" {
            return await invoke(request, method: method, parts: parts, body: body)
        }
        guard parts.count >= 3, parts[1] == "api" else { return Response(status: .notFound) }
        if parts[2] == "deploy" {
            if method == "GET" && parts.count == 3 {
                let all = state.withLock { Array($0.deployments.values) }.sorted {
                    ($0.user, $0.path) < ($1.user, $1.path)
                }
                let data = (try? JSONEncoder().encode(all)) ?? Data("[]".utf8)
                return json(.ok, "{\"deployments\": \(String(decoding: data, as: UTF8.self)), \"total\": \(all.count)}")
            }
            guard parts.count >= 5 else { return Response(status: .notFound) }
            let ns = parts[3]
            let fpath = "/" + parts[4...].joined(separator: "/")
            let key = ns + fpath
            switch method {
            case "POST":
                struct Body: Decodable {
                    var runtime: String?
                    var code: String?
                    var port: Int?
                }
                guard let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)) else {
                    return json(.badRequest, #"{"error": "invalid request body"}"#)
                }
                guard let code = decoded.code, !code.isEmpty else {
                    return json(.badRequest, #"{"error": "code is required"}"#)
                }
                let runtime = (decoded.runtime ?? "").isEmpty ? "lua" : decoded.runtime!
                let d = Deployment(
                    user: ns, path: fpath, runtime: runtime, code: code, port: decoded.port,
                    created_at: ISO8601DateFormatter().string(from: Date()))
                state.withLock { $0.deployments[key] = d }
                let data = (try? JSONEncoder().encode(d)) ?? Data()
                return json(.created, String(decoding: data, as: UTF8.self))
            case "DELETE":
                let existed = state.withLock { $0.deployments.removeValue(forKey: key) != nil }
                return existed
                    ? Response(status: .noContent)
                    : Response(
                        status: .notFound, headers: [.contentType: "text/plain"],
                        body: .init(byteBuffer: ByteBuffer(string: "404 page not found\n")))
            default:
                return Response(status: .methodNotAllowed)
            }
        }
        if parts[2] == "storage", parts.count >= 4 {
            let ns = parts[3]
            let file = parts.count > 4 ? parts[4...].joined(separator: "/") : ""
            // "Paths containing `..` are refused with 500" (anywhere in the path, as documented).
            if file.contains("..") { return json(.internalServerError, #"{"error": "invalid path"}"#) }
            switch method {
            case "GET" where file.isEmpty:
                let prefix = request.uri.queryParameters["prefix"].map(String.init) ?? ""
                guard let files = state.withLock({ $0.storage[ns] }) else {
                    return json(
                        .internalServerError, "{\"error\": \"open ./storage/\(ns): no such file or directory\"}")
                }
                let names = files.keys.filter { $0.hasPrefix(prefix) }.sorted()
                let data = (try? JSONEncoder().encode(names)) ?? Data("[]".utf8)
                return json(.ok, "{\"files\": \(String(decoding: data, as: UTF8.self)), \"count\": \(names.count)}")
            case "GET":
                guard let bytes = state.withLock({ $0.storage[ns]?[file] }) else { return Response(status: .notFound) }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            case "PUT":
                if file.isEmpty { return json(.badRequest, #"{"error": "path is required"}"#) }
                state.withLock { $0.storage[ns, default: [:]][file] = body }
                return json(.created, "{\"namespace\": \"\(ns)\", \"path\": \"\(file)\", \"size\": \(body.count)}")
            case "DELETE":
                let existed = state.withLock { $0.storage[ns]?.removeValue(forKey: file) != nil }
                return Response(status: existed ? .noContent : .notFound)
            default:
                return Response(status: .methodNotAllowed)
            }
        }
        return Response(status: .notFound)
    }
}
