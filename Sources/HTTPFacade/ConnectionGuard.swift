import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps slow or idle clients from holding the listener's descriptors (slowloris): each
/// connection must send a complete request head within `headTimeout` of arriving (or of
/// its previous response), must get its response within `requestTimeout` of the head
/// (bodies are small here), and no more than `maxConnections` are open at once. At the
/// cap, a new connection pushes out the oldest one still waiting for its request head
/// (one client holding every slot with half-sent heads cannot keep others out); only
/// when every open connection is serving a request is the new one closed. Long-lived answers (the events stream)
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
    /// Connections that have not sent their request head yet, oldest first (by ticket).
    private let waitingForHead = Mutex<(next: Int, channels: [ObjectIdentifier: (ticket: Int, channel: any Channel)])>(
        (0, [:]))

    func waiting(_ handler: Handler, _ channel: (any Channel)?) {
        waitingForHead.withLock { state in
            if let channel {
                state.channels[ObjectIdentifier(handler)] = (state.next, channel)
                state.next += 1
            } else {
                state.channels[ObjectIdentifier(handler)] = nil
            }
        }
    }

    /// Closes the connection that has waited longest for its request head; false if none.
    func evictOldestWaiting(except handler: Handler) -> Bool {
        let victim = waitingForHead.withLock { state -> (any Channel)? in
            guard
                let oldest = state.channels.filter({ $0.key != ObjectIdentifier(handler) }).min(by: {
                    $0.value.ticket < $1.value.ticket
                })
            else { return nil }
            state.channels[oldest.key] = nil
            return oldest.value.channel
        }
        victim?.close(promise: nil)
        return victim != nil
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

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

        /// Set while in the pipeline (the hot path calls in).
        var context: ChannelHandlerContext?

        /// A request the hot path (before this handler) answers: as at its head...
        func hotAnswerStarted() {
            guard let context else { return }
            owner.waiting(self, nil)
            arm(context, owner.limits.requestTimeout)
        }

        /// ... and at its answer's end.
        func hotAnswerEnded() {
            guard let context else { return }
            owner.waiting(self, context.channel)
            arm(context, owner.limits.headTimeout)
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            let count = owner.open.wrappingAdd(1, ordering: .relaxed).newValue
            counted = true
            if count > owner.limits.maxConnections && !owner.evictOldestWaiting(except: self) {
                context.close(promise: nil)
                return
            }
            owner.waiting(self, context.channel)
            arm(context, owner.limits.headTimeout)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
            disarm()
            owner.waiting(self, nil)
            if counted {
                owner.open.wrappingSubtract(1, ordering: .relaxed)
                counted = false
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            disarm()
            context.fireChannelInactive()
        }

        /// The server allows half-closed connections: a client that closes its side while
        /// its event stream is open has gone (an event stream takes no more input), so the
        /// connection is closed at once, freeing its stream slot, instead of at the next
        /// write that fails (a heartbeat, up to 15 s later).
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if streaming, let event = event as? ChannelEvent, event == .inputClosed {
                context.close(promise: nil)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) {
                owner.waiting(self, nil)
                arm(context, owner.limits.requestTimeout)
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(let response):
                if response.headerFields[ConnectionGuard.exemptField] != nil {
                    streaming = true
                    disarm()
                }
            case .end:
                streaming = false
                // Keep-alive: the next request's head is due within the head timeout (and
                // the connection may be pushed out at the cap meanwhile).
                owner.waiting(self, context.channel)
                arm(context, owner.limits.headTimeout)
            case .body:
                break
            }
            context.write(data, promise: promise)
        }

        /// When the connection is closed unless it moves on (nil: never).
        var deadline: NIODeadline?
        /// When the scheduled timer fires (at or before `deadline`).
        var firing: NIODeadline?

        /// Closes the connection `after` from now unless armed again (or streaming)
        /// meanwhile. A later deadline keeps the scheduled timer, which looks again when it
        /// fires (no task cancelled and scheduled per request).
        private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
            guard !streaming else {
                disarm()
                return
            }
            let due = NIODeadline.now() + after
            deadline = due
            if let firing, firing <= due { return }
            schedule(context, at: due)
        }

        private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
            timer?.cancel()
            firing = due
            let channel = context.channel
            timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: due) { [self] in
                timer = nil
                firing = nil
                guard let deadline else { return }
                if deadline <= NIODeadline.now() {
                    channel.close(promise: nil)
                } else {
                    schedule(context, at: deadline)
                }
            }
        }

        private func disarm() {
            timer?.cancel()
            timer = nil
            firing = nil
            deadline = nil
        }
    }

    /// A response header that marks a long-lived answer (an event stream).
    public static let exemptField = HTTPField.Name("X-Zerverless-Stream")!
}
