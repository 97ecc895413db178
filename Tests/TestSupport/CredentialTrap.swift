import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A tenant's own "git server": answers every request 401 with a Basic challenge, so that a
/// git client sends whatever credentials it has, and records the passwords it was sent.
public final class CredentialTrap: Sendable {
    public let port: Int
    private let received = Mutex<[String]>([])
    private let task: Task<Void, any Error>

    public var url: String { "http://127.0.0.1:\(port)/tenant/repo.git" }

    /// The passwords of every Basic `Authorization` header received (decoded).
    public var passwords: [String] { received.withLock { $0 } }

    private init(port: Int, task: Task<Void, any Error>, received: [String]) {
        self.port = port
        self.task = task
    }

    public static func start() async throws -> CredentialTrap {
        let box = Mutex<CredentialTrap?>(nil)
        let router = Router()
        router.on("**", method: .get) { request, _ -> Response in
            if let header = request.headers[.authorization], header.hasPrefix("Basic "),
                let data = Data(base64Encoded: String(header.dropFirst(6)))
            {
                let text = String(decoding: data, as: UTF8.self)
                let password = text.firstIndex(of: ":").map { String(text[text.index(after: $0)...]) } ?? text
                box.withLock { $0 }?.received.withLock { $0.append(password) }
            }
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"git\""])
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
        let trap = CredentialTrap(port: port, task: task, received: [])
        box.withLock { $0 = trap }
        return trap
    }

    deinit { task.cancel() }
}
