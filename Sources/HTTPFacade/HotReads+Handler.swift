import NIOCore
import NIOHTTP1
import Synchronization

extension HotReads {
    /// One connection's hot path: answers in order with the router's, and nothing once
    /// the connection is closing (a `Connection: close` passed on, the server quiescing).
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        let reads: HotReads
        /// Requests passed to the router whose answers have not ended (answers stay in order).
        var inFlight = 0
        /// The rest of a request answered here (its end) is not passed on.
        var answered = false
        /// The Host this connection last sent that the policy accepts.
        var host: String?
        /// A request passed on will close the connection, or the server is shutting down:
        /// the router answers the rest (or closes).
        var closing = false
        /// Answers of this path not written whole yet.
        var writing = 0
        /// The server's quiesce event, held until those are written (Hummingbird closes a
        /// connection it believes idle at once, and would cut them short).
        var heldQuiesce: Any?

        /// The connection guard behind this path (it never sees the requests answered
        /// here: it is told of them).
        weak var guarded: ConnectionGuard.Handler?

        init(reads: HotReads) { self.reads = reads }

        func handlerAdded(context: ChannelHandlerContext) {
            guarded = try? context.pipeline.syncOperations.handler(type: ConnectionGuard.Handler.self)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            switch part {
            case .head(let head):
                // Not while a request is with the router (answers in order), nor while the
                // connection cannot take more (a client that does not read: the router's
                // path waits on its writer, which stops reading from the connection).
                if !closing, inFlight == 0, context.channel.isWritable, let body = reads.answer(head, host: &host) {
                    answered = true
                    reads.count.value.add(1, ordering: .relaxed)
                    respond(context, body)
                    return
                }
                answered = false
                inFlight += 1
                if !head.isKeepAlive { closing = true }
                context.fireChannelRead(data)
            case .body, .end:
                if answered { return }
                context.fireChannelRead(data)
            }
        }

        private func respond(_ context: ChannelHandlerContext, _ body: ListCache.KeptBody) {
            let length: Int
            switch body {
            case .bytes(let bytes): length = bytes.readableBytes
            case .file(let file): length = file.count
            }
            // The router's headers, in its order (Hummingbird's Response, then Date).
            let headers: HTTPHeaders = [
                "Content-Type": "application/json", "Content-Length": String(length), "Date": HotReads.dateHeader(),
            ]
            context.write(wrapOutboundOut(.head(.init(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            switch body {
            case .bytes(let bytes): context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
            case .file(let file): file.write(context) { self.wrapOutboundOut(.body($0)) }
            }
            writing += 1
            var ended = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { result in
                ended = true
                self.writing -= 1
                if case .success = result { self.guarded?.hotAnswerEnded() }
                if self.writing == 0, let event = self.heldQuiesce, context.channel.isActive {
                    self.heldQuiesce = nil
                    context.fireUserInboundEventTriggered(event)
                }
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            // Most answers are written whole at once (then the guard hears of the end
            // only); a longer one is under the request timeout until it is.
            if !ended { guarded?.hotAnswerStarted() }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent {
                closing = true
                if writing > 0 {
                    heldQuiesce = event
                    return
                }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data), inFlight > 0 { inFlight -= 1 }
            context.write(data, promise: promise)
        }
    }
}
