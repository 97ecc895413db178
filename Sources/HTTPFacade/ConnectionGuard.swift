import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps slow or idle clients from holding the listener's descriptors (slowloris): each
/// connection must send a complete request head within `headTimeout` of arriving (or of
/// its previous response), must get its response within `requestTimeout` of the head
/// (bodies are small here), and no more than `maxConnections` are open at once; a
/// connection over the cap is closed at once. Long-lived answers (the events stream)
/// mark themselves with `exempt` and are left alone once their head is written.
public final class ConnectionGuard: Sendable {
    public struct Limits: Sendable {
        public var headTimeout: TimeAmount = .seconds(10)
        public var requestTimeout: TimeAmount = .seconds(60)
        public var maxConnections = 512
        public init() {}
    }

    public let limits: Limits
    private let open = Atomic<Int>(0)

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Connections open now.
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// A handler for one new connection (Hummingbird's `additionalChannelHandlers`).
    public func handler() -> any RemovableChannelHandler { Handler(guard: self) }

    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        let owner: ConnectionGuard
        var timer: Scheduled<Void>?
        var counted = false
        var streaming = false

        init(guard owner: ConnectionGuard) {
            self.owner = owner
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let count = owner.open.wrappingAdd(1, ordering: .relaxed).newValue
            counted = true
            if count > owner.limits.maxConnections {
                context.close(promise: nil)
                return
            }
            arm(context, owner.limits.headTimeout)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            if counted {
                owner.open.wrappingSubtract(1, ordering: .relaxed)
                counted = false
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) { arm(context, owner.limits.requestTimeout) }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(let response):
                if response.headerFields[ConnectionGuard.exemptField] != nil {
                    streaming = true
                    timer?.cancel()
                    timer = nil
                }
            case .end:
                streaming = false
                // Keep-alive: the next request's head is due within the head timeout.
                arm(context, owner.limits.headTimeout)
            case .body:
                break
            }
            context.write(data, promise: promise)
        }

        private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
            timer?.cancel()
            guard !streaming else { return }
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: after) { channel.close(promise: nil) }
        }
    }

    /// A response header that marks a long-lived answer (an event stream).
    public static let exemptField = HTTPField.Name("X-Zerverless-Stream")!
}

