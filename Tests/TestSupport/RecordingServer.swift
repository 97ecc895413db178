import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An HTTP server on loopback that records every request (method, path, headers, body)
/// and answers with `respond`: a notification receiver, or a forge's commit-status API
/// (see `ForgeContract`).
public final class RecordingServer: Sendable {
    public struct Recorded: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    public typealias Respond = @Sendable (Recorded) -> (status: Int, body: String)

    public let port: Int
    private let recorded = Mutex<[Recorded]>([])
    private let task: Task<Void, any Error>
    public var base: String { "http://127.0.0.1:\(port)" }
    public var requests: [Recorded] { recorded.withLock { $0 } }

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// `port` 0: any free port.
    public static func start(port: Int = 0, respond: @escaping Respond = { _ in (200, "{}") }) async throws
        -> RecordingServer
    {
        let box = Mutex<RecordingServer?>(nil)
        let router = Router()
        router.on("**", method: .post) { request, _ -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let r = Recorded(
                method: request.method.rawValue, path: request.uri.path, headers: headers,
                body: buffer.readBytes(length: buffer.readableBytes) ?? [])
            box.withLock { $0 }?.recorded.withLock { $0.append(r) }
            let (status, text) = respond(r)
            // A 3xx answer's body is its Location.
            if (300..<400).contains(status) {
                return Response(
                    status: .init(code: status), headers: [.location: text],
                    body: .init(byteBuffer: ByteBuffer(string: "")))
            }
            return Response(
                status: .init(code: status), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var bound = 0
        for await p in ports {
            bound = p
            break
        }
        let server = RecordingServer(port: bound, task: task)
        box.withLock { $0 = server }
        return server
    }

    public func stop() { task.cancel() }

    deinit { task.cancel() }
}

/// The commit-status APIs of GitHub, Gitea and GitLab as their documentation gives them:
/// the path, the auth header, the body's fields and state values, and the optional
/// `target_url` (a string, an http(s) URL; the three forges spell it alike); anything
/// else is refused the way the forge refuses it (401 without the token, 404 for another
/// path, 422 / 400 for a bad body). What was sent is in `RecordingServer.requests`.
public enum ForgeContract {
    /// Whether a body's `target_url` is absent, or a string holding an http(s) URL.
    public static func targetURLAccepted(_ json: [String: Any]) -> Bool {
        guard let value = json["target_url"] else { return true }
        guard let text = value as? String, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else { return false }
        return true
    }

    public static func respond(forge: String, token: String, project: String) -> RecordingServer.Respond {
        { r in
            let json = r.json ?? [:]
            switch forge {
            case "github", "gitea":
                let auth = forge == "github" ? "Bearer \(token)" : "token \(token)"
                guard r.headers["authorization"] == auth else { return (401, #"{"message":"Bad credentials"}"#) }
                let prefix = (forge == "gitea" ? "/api/v1" : "") + "/repos/\(project)/statuses/"
                guard r.path.hasPrefix(prefix), r.path.dropFirst(prefix.count).count == 40 else {
                    return (404, #"{"message":"Not Found"}"#)
                }
                let states =
                    forge == "github"
                    ? ["error", "failure", "pending", "success"]
                    : ["pending", "success", "error", "failure", "warning"]
                guard let state = json["state"] as? String, states.contains(state), json["context"] is String,
                    (json["description"] as? String).map({ $0.count <= 140 }) ?? true, targetURLAccepted(json)
                else { return (422, #"{"message":"Validation Failed"}"#) }
                return (201, #"{"id":1,"state":"\#(state)"}"#)
            default:  // gitlab
                guard r.headers["private-token"] == token else { return (401, #"{"message":"401 Unauthorized"}"#) }
                let encoded = project.replacingOccurrences(of: "/", with: "%2F")
                let prefix = "/api/v4/projects/\(encoded)/statuses/"
                guard r.path.hasPrefix(prefix), r.path.dropFirst(prefix.count).count == 40 else {
                    return (404, #"{"message":"404 Project Not Found"}"#)
                }
                guard let state = json["state"] as? String,
                    ["pending", "running", "success", "failed", "canceled"].contains(state),
                    json["name"] is String
                else { return (400, #"{"error":"state does not have a valid value"}"#) }
                guard targetURLAccepted(json) else { return (400, #"{"error":"target_url is invalid"}"#) }
                return (201, #"{"id":1,"status":"\#(state)"}"#)
            }
        }
    }
}
