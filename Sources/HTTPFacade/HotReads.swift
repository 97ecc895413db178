import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The few hot reads answered on the connection's event loop, before Hummingbird's
/// responder (no hop into an async task, no router work): `GET` of one application's
/// status and of a list page already kept for the same token and query, when the list is
/// live. Everything else, and every case this path is unsure of (a refused Host, a browser's
/// cross-site headers, no token or a token that may not see it, a `Connection` header other
/// than `keep-alive`, a
/// request already in flight on the connection), goes on to the router, which answers as
/// it always did: this path only answers what the router would answer with the same
/// bytes and headers.
public struct HotReads: Sendable {
    let facade: Facade
    private let count = Counted()

    final class Counted: Sendable { let value = Atomic<Int>(0) }

    public init(facade: Facade) { self.facade = facade }

    /// Requests answered on this path so far.
    public var answered: Int { count.value.load(ordering: .relaxed) }

    /// A channel handler for one connection (`HTTP1Channel.Configuration.additionalChannelHandlers`).
    public func handler() -> any RemovableChannelHandler { Handler(reads: self) }

    static let prefix = "/api/gitops/applications"

    /// The answer's body, or nil to let the router answer.
    func answer(_ head: HTTPRequest) -> ByteBuffer? {
        guard head.method == .get, let path = head.path, path.hasPrefix(Self.prefix),
            facade.hosts.refusal(head.authority) == nil, head.headerFields[RequestGuard.secFetchSite] == nil,
            head.headerFields[RequestGuard.secFetchMode] == nil,
            head.headerFields[.connection].map({ $0.lowercased() == "keep-alive" }) ?? true
        else { return nil }
        let grant: APITokens.Grant?
        if let tokens = facade.tokens {
            grant = tokens.grant(authorization: head.headerFields[.authorization])
        } else {
            grant = Facade.everything
        }
        guard let grant else { return nil }
        let rest = path.dropFirst(Self.prefix.count)
        if rest.hasPrefix("/") {
            let name = rest.dropFirst()
            guard !name.isEmpty, !name.contains("/"), !name.contains("?"),
                let doc = facade.listCache.liveDocument(String(name)), grant.allows(doc.namespace)
            else { return nil }
            return doc.buffer
        }
        guard rest.hasPrefix("?") else { return nil }
        let key = ListCache.pageKey(grant, query: rest.dropFirst())
        return facade.listCache.keptPage(key)
    }

    /// `Date` as Hummingbird writes it (RFC 9110's IMF-fixdate), made once a second.
    static let date = Mutex<(second: Int, text: String)>((0, ""))

    static func dateHeader() -> String {
        let now = Date()
        let second = Int(now.timeIntervalSince1970)
        return date.withLock { cached in
            if cached.second != second {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                cached = (second, formatter.string(from: now))
            }
            return cached.text
        }
    }

    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        let reads: HotReads
        /// Requests passed to the router whose answers have not ended (answers stay in order).
        var inFlight = 0
        /// The rest of a request answered here (its end) is not passed on.
        var answered = false

        init(reads: HotReads) { self.reads = reads }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            switch part {
            case .head(let head):
                // Not while a request is with the router (answers in order), nor while the
                // connection cannot take more (a client that does not read: the router's
                // path waits on its writer, which stops reading from the connection).
                if inFlight == 0, context.channel.isWritable, let body = reads.answer(head) {
                    answered = true
                    reads.count.value.add(1, ordering: .relaxed)
                    var response = HTTPResponse(status: .ok)
                    response.headerFields[.contentType] = "application/json"
                    response.headerFields[.contentLength] = String(body.readableBytes)
                    response.headerFields[.date] = HotReads.dateHeader()
                    context.write(wrapOutboundOut(.head(response)), promise: nil)
                    context.write(wrapOutboundOut(.body(body)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                answered = false
                inFlight += 1
                context.fireChannelRead(data)
            case .body, .end:
                if answered { return }
                context.fireChannelRead(data)
            }
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data), inFlight > 0 { inFlight -= 1 }
            context.write(data, promise: promise)
        }
    }
}
