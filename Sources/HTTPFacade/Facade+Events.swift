import Foundation
import Hummingbird
import NIOCore
import State

extension Facade {
    /// `GET /api/gitops/events`: Server-Sent Events. First a `status` event for every
    /// application the token may see (so a client starts complete), then one each time a
    /// status file changes (written by any process: inotify on the state dir), a `deleted`
    /// event when an application's state goes, and a comment line every 15 s so proxies
    /// keep the stream open. Filtered by the token's namespaces.
    func events(_ grant: APITokens.Grant) -> Response {
        let stream = feed.subscribe()
        let initial = documents().filter { grant.allows($0.namespace) }
        let body = ResponseBody { writer in
            // What this client was told of: a deletion is news only for those.
            var told = Set(initial.map(\.name))
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            for doc in initial { try await writer.write(Self.event("status", id: doc.name, doc.bytes)) }
            for await change in stream {
                switch change {
                case .status(let name, let namespace, let bytes):
                    guard grant.allows(namespace) else { continue }
                    told.insert(name)
                    try await writer.write(Self.event("status", id: name, bytes))
                case .deleted(let name):
                    guard told.remove(name) != nil else { continue }
                    try await writer.write(Self.event("deleted", id: name, Array("{\"name\": \"\(name)\"}".utf8)))
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        // Exempt from the connection guard's request deadline: the answer never ends.
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", ConnectionGuard.exemptField: "events"],
                        body: body)
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

    /// `GET /`: the status page, with every application when no token is needed (with
    /// tokens, the page asks the browser for one and reads through the API).
    func statusPage() -> Response {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let documents = tokens != nil ? [] : documents().compactMap { try? decoder.decode(StatusDocument.self, from: Data($0.bytes)) }
        let html = StatusPage.html(documents, tokensRequired: tokens != nil)
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

