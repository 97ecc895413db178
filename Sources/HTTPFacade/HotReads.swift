import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The few hot reads answered on the connection's event loop, right after the HTTP/1
/// decoder (before the conversion to Swift HTTP Types, the router and any hop into an
/// async task): `GET` of one application's status, of the whole list for a token that
/// sees every namespace, and of a list page already kept for the same token and query,
/// when the list is live. Everything else, and every case this path is unsure of (not
/// HTTP/1.1, a refused or repeated Host, a browser's cross-site headers, no token, a
/// repeated `Authorization`, a token that may not see it, a `Connection` header other
/// than `keep-alive`, a request already in flight on the connection), goes on to the
/// router, which answers as it always did: this path only answers what the router would
/// answer, with the same bytes and headers.
public struct HotReads: Sendable {
    let facade: Facade
    let count = Counted()

    final class Counted: Sendable { let value = Atomic<Int>(0) }

    public init(facade: Facade) { self.facade = facade }

    /// Requests answered on this path so far.
    public var answered: Int { count.value.load(ordering: .relaxed) }

    /// Hummingbird's HTTP/1 server (`configuration` as for `.http1`) with this path in
    /// front of its codec.
    public func server(_ configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        let reads = self
        return HTTPServerBuilder { responder in
            ChildChannel(inner: HTTP1Channel(responder: responder, configuration: configuration), reads: reads)
        }
    }

    struct ChildChannel: ServerChildChannel {
        typealias Value = HTTP1Channel.Value
        let inner: HTTP1Channel
        let reads: HotReads

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
                // A page of 100 (66 KB) crossed NIO's default high-water mark (64 KB): two
                // writability events per answer, each taken through the async writer's lock
                // (8% of a page's time). Large answers (the whole list) still cross it.
                try channel.syncOptions?.setOption(
                    ChannelOptions.writeBufferWaterMark, value: .init(low: 128 << 10, high: 256 << 10))
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try pipeline.addHandler(Handler(reads: reads), position: .after(decoder.handler))
                return value
            }
        }

        func handle(value: Value, logger: Logger) async {
            await inner.handle(value: value, logger: logger)
        }
    }

    static let prefix = "/api/gitops/applications"

    /// The fields of a request head this path looks at, in one pass.
    struct Fields {
        var host: String?
        var hosts = 0
        var authorization: String?
        var authorizations = 0
        /// A browser's `Sec-Fetch-Site` or `Sec-Fetch-Mode`, or a `Connection` other than
        /// `keep-alive`: the router decides.
        var unsure = false

        init(_ headers: HTTPHeaders) {
            for (name, value) in headers {
                switch name.utf8.count {
                case 4 where Self.named(name, "host"):
                    host = value
                    hosts += 1
                case 10 where Self.named(name, "connection"):
                    if !Self.named(value, "keep-alive") { unsure = true }
                case 13 where Self.named(name, "authorization"):
                    authorization = value
                    authorizations += 1
                case 14 where Self.named(name, "sec-fetch-site"), 14 where Self.named(name, "sec-fetch-mode"):
                    unsure = true
                default: break
                }
            }
        }

        /// ASCII case-insensitive equality with a lowercase name.
        static func named(_ text: String, _ lower: StaticString) -> Bool {
            let expected = UnsafeBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
            guard text.utf8.count == expected.count else { return false }
            var i = 0
            for byte in text.utf8 {
                let folded: UInt8 = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                if folded != expected[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// The answer's body, or nil to let the router answer. `host`: the Host this
    /// connection last sent that the policy accepted (checked once per connection).
    func answer(_ head: HTTPRequestHead, host: inout String?) -> ListCache.KeptBody? {
        guard head.method == .GET, head.version == .http1_1, head.uri.hasPrefix(Self.prefix) else { return nil }
        let fields = Fields(head.headers)
        guard !fields.unsure, fields.hosts == 1, fields.authorizations <= 1, let authority = fields.host else {
            return nil
        }
        if authority != host {
            guard facade.hosts.refusal(authority) == nil else { return nil }
            host = authority
        }
        let grant: APITokens.Grant?
        if let tokens = facade.tokens {
            grant = tokens.grant(authorization: fields.authorization)
        } else {
            grant = Facade.everything
        }
        guard let grant else { return nil }
        let rest = head.uri.utf8.dropFirst(Self.prefix.utf8.count)
        switch rest.first {
        case UInt8(ascii: "/"):
            let name = rest.dropFirst()
            // A DNS label (the router answers 400 for anything else), then a live document
            // the token may see.
            guard name.count <= 63, name.first != UInt8(ascii: "-"), name.last != UInt8(ascii: "-"),
                name.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }),
                let doc = facade.listCache.liveDocument(String(Substring(name))), grant.allows(doc.namespace)
            else { return nil }
            return .bytes(doc.buffer)
        case UInt8(ascii: "?"):
            let key = ListCache.pageKey(grant, query: Substring(rest.dropFirst()))
            return facade.listCache.keptPage(key).map { .bytes($0) }
        case nil:
            return grant.namespaces == nil ? facade.listCache.keptList() : nil
        default:
            return nil
        }
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
}
