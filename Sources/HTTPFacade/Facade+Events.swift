import Foundation
import Hummingbird
import NIOCore
import State
import Toolkit

extension Facade {
    /// `GET /api/gitops/events`: Server-Sent Events. First a `status` event for every
    /// application the token may see (so a client starts complete), then one each time a
    /// status file changes (written by any process: inotify on the state dir), a `deleted`
    /// event when an application's state goes, and a comment line every 15 s so proxies
    /// keep the stream open. Filtered by the token's namespaces.
    ///
    /// Streams have a budget of their own (`StreamBudget`: 429 over it). A stream ends at
    /// once when its connection closes (its slot is freed), and, with API tokens, when the
    /// tokens file no longer grants its token what it granted when the stream began
    /// (revoked, namespaces changed, or the file broken): the file is looked at every
    /// `tokenCheckInterval` while the stream is open.
    func events(_ request: Request, context: FacadeContext) async -> Response {
        let authorization = request.headers[.authorization]
        guard let grant = grant(request) else { return unauthorized() }
        let slot: StreamBudget.Slot
        switch streams.acquire(key: tokens == nil ? nil : StreamBudget.key(token: authorization)) {
        case .success(let s):
            slot = s
        case .failure(let refusal):
            let message: String
            switch refusal {
            case .perKey(let n):
                message =
                    "this token has \(n) event streams open, the most one token may (--api-max-streams-per-token); close one, or retry later"
            case .total(let n):
                message = "\(n) event streams are open, the most this daemon allows (--api-max-streams); retry later"
            }
            var response = error(.tooManyRequests, message)
            response.headers[.retryAfter] = "10"
            return response
        }
        let feedStream = await feed.subscribe()
        let initial = documents().filter { grant.allows($0.namespace) }
        // One sequence for the loop: status changes, token checks, the connection's end.
        let (input, continuation) = AsyncStream.makeStream(
            of: StreamInput.self, bufferingPolicy: .bufferingNewest(4096))
        let forward = Task {
            for await change in feedStream { continuation.yield(.change(change)) }
            continuation.finish()
        }
        let tokens = self.tokens
        let interval = tokenCheckInterval
        let ticker =
            tokens == nil
            ? nil
            : Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    continuation.yield(.checkToken)
                }
            }
        continuation.onTermination = { _ in
            forward.cancel()
            ticker?.cancel()
        }
        context.channel.closeFuture.whenComplete { _ in
            slot.release()
            continuation.yield(.closed)
            continuation.finish()
        }
        let body = ResponseBody { writer in
            defer {
                slot.release()
                continuation.finish()
            }
            var generation = tokens?.generation ?? 0
            // What this client was told of: a deletion is news only for those.
            var told = Set(initial.map(\.name))
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for doc in initial { try await writer.write(Self.event("status", id: doc.name, doc.bytes)) }
            loop: for await next in input {
                switch next {
                case .change(.status(let name, let namespace, let bytes)):
                    guard grant.allows(namespace) else { continue }
                    told.insert(name)
                    try await writer.write(Self.event("status", id: name, bytes))
                case .change(.deleted(let name)):
                    guard told.remove(name) != nil else { continue }
                    try await writer.write(Self.event("deleted", id: name, Array("{\"name\": \"\(name)\"}".utf8)))
                case .change(.heartbeat):
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                case .change(.unwatched):
                    continue
                case .checkToken:
                    guard let tokens, tokens.generation != generation else { continue }
                    generation = tokens.generation
                    if tokens.grant(authorization: authorization) != grant {
                        // Revoked (or its namespaces changed): the stream ends; a new one
                        // needs a token the file grants now.
                        try await writer.write(
                            ByteBuffer(
                                string:
                                    ": the API token of this stream was revoked or changed; reconnect with a valid token\n\n"
                            ))
                        break loop
                    }
                case .closed:
                    break loop
                }
            }
            try await writer.finish(nil)
        }
        // Exempt from the connection guard's request deadline: the answer never ends.
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache", ConnectionGuard.exemptField: "events",
            ],
            body: body)
    }

    enum StreamInput: Sendable {
        case change(StatusFeed.Change)
        case checkToken
        case closed
    }

    /// One SSE event: each line of the JSON document after `data: `.
    static func event(_ type: String, id: String, _ bytes: [UInt8]) -> ByteBuffer {
        var out = "event: \(type)\n"
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            out += "data: \(line)\n"
        }
        out += "\n"
        return ByteBuffer(string: out)
    }
}
