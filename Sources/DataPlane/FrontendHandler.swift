import Logging
import NIOCore
import NIOHTTP1
import VPCModel

/// One client connection to a load balancer listener: each request goes to an InService instance
/// (round robin), over a pooled keep-alive backend connection, streamed both ways.
///
/// Status codes follow the Classic Load Balancer's (ELB Classic guide, "Troubleshoot a Classic Load
/// Balancer: HTTP errors"): 503 when no instance is InService, 502 when the instance refuses or drops the
/// connection, 504 when it does not answer within the timeout, or when the network drops the node's
/// packets to it (on AWS such a request times out; LocalVPC answers at once, with the reason).
final class FrontendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State { case idle, connecting, forwarding, discarding, closed }

    let listener: ListenerRuntime
    /// The load balancer node (an index into its nodes) DNS gave this client.
    let node: Int
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var clientAddress = ""
    private var clientKeepAlive = true
    private var clientVersion = HTTPVersion.http1_1
    private var requestComplete = false
    private var responseStarted = false
    private var backendKeepAlive = true
    private var pending: [HTTPClientRequestPart] = []
    private var connection: BackendConnection?
    private var instanceID = ""
    /// Whether the request counts as outstanding on `instanceID`.
    private var counted = false
    private var started = NIODeadline.now()
    private var timeout: Scheduled<Void>?
    /// When the connection last became idle (no request in flight); the idle timer checks it lazily,
    /// so a request does not schedule a timer of its own.
    private var idleSince = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    init(listener: ListenerRuntime, node: Int) {
        self.listener = listener
        self.node = node
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientAddress = context.channel.remoteAddress?.ipAddress ?? "unknown"
        idleSince = .now()
        armIdleTimer(context, in: listener.plane.configuration.idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// The next request must start within the idle timeout of the connection going idle (ELB's idle
    /// timeout; it also bounds clients that send a request head slowly).
    private func armIdleTimer(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self, let context = self.context else { return }
            let timeout = self.listener.plane.configuration.idleTimeout
            guard self.state == .idle || self.state == .discarding else {
                // A request is in flight: its backend timeout applies; look again later.
                self.armIdleTimer(context, in: timeout)
                return
            }
            let idle = NIODeadline.now() - self.idleSince
            if idle >= timeout {
                self.state = .closed
                context.close(promise: nil)
            } else {
                self.armIdleTimer(context, in: timeout - idle)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            startRequest(head, context: context)
        case .body(let buffer):
            switch state {
            case .connecting: pending.append(.body(.byteBuffer(buffer)))
            case .forwarding: connection?.channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            case .idle, .discarding, .closed: break
            }
        case .end(let trailers):
            requestComplete = true
            switch state {
            case .connecting: pending.append(.end(trailers))
            case .forwarding: connection?.channel.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
            case .discarding: finishIdle(context)
            case .idle, .closed: break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .forwarding { connection?.channel.flush() }
        context.fireChannelReadComplete()
    }

    private func startRequest(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        started = .now()
        clientKeepAlive = head.isKeepAlive
        clientVersion = head.version
        requestComplete = false
        responseStarted = false
        let plane = listener.plane
        let admitted = plane.admission.decide(.listener(loadBalancer: listener.balancer, port: listener.listener.loadBalancerPort))
        guard admitted.allowed else {
            plane.logger.notice("connection refused", metadata: ["listener": "\(listener)", "client": "\(clientAddress)", "reason": "\(admitted.reason)"])
            state = .closed
            context.close(promise: nil)
            return
        }
        switch plane.choose(balancer: listener.balancer, node: node, port: listener.listener.instancePort) {
        case .unavailable(let reason):
            respondError(.serviceUnavailable, reason)
        case .instance(let instance, let nodeInterface, let address):
            instanceID = instance
            counted = true
            let decision = plane.admit(.backend(node: nodeInterface, instance: instance, port: listener.listener.instancePort), kind: "backend")
            guard decision.allowed else {
                plane.logger.notice("backend connection refused", metadata: ["listener": "\(listener)", "instance": "\(instance)", "reason": "\(decision.reason)"])
                respondError(.gatewayTimeout, decision.reason)
                return
            }
            pending = [.head(forwardedHead(head))]
            state = .connecting
            // The load balancer streams the body on, so it answers "100-continue" itself.
            if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            let timeoutAmount = plane.configuration.backendTimeout
            timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeoutAmount) { [weak self] in
                guard let self, !self.responseStarted, self.state == .connecting || self.state == .forwarding else { return }
                self.respondError(.gatewayTimeout, "instance \(instance) did not answer within \(timeoutAmount.nanoseconds / 1_000_000) ms")
            }
            let pool = plane.pool(for: context.eventLoop)
            pool.lease(address, connectTimeout: plane.configuration.connectTimeout).assumeIsolated().whenComplete { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let connection):
                    guard self.state == .connecting else {
                        pool.release(connection)
                        return
                    }
                    connection.handler.owner = self
                    self.connection = connection
                    self.state = .forwarding
                    for part in self.pending { connection.channel.write(part, promise: nil) }
                    self.pending = []
                    connection.channel.flush()
                case .failure(let error):
                    guard self.state == .connecting else { return }
                    self.respondError(.badGateway, "cannot connect to instance \(instance) at \(address): \(error)")
                }
            }
        }
    }

    private func forwardedHead(_ head: HTTPRequestHead) -> HTTPRequestHead {
        var forwarded = head
        forwarded.version = .http1_1
        for name in Self.hopByHop { forwarded.headers.remove(name: name) }
        // X-Forwarded-For, -Proto, -Port (ELB Classic guide, "HTTP headers and Classic Load Balancers").
        let previous = head.headers["x-forwarded-for"].joined(separator: ", ")
        forwarded.headers.replaceOrAdd(name: "X-Forwarded-For", value: previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)")
        forwarded.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: listener.listener.listenerProtocol == .https ? "https" : "http")
        forwarded.headers.replaceOrAdd(name: "X-Forwarded-Port", value: String(listener.listener.loadBalancerPort))
        return forwarded
    }

    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "expect"]

    // MARK: The backend's side

    func backendRead(_ part: HTTPClientResponsePart) {
        guard let context, state == .forwarding else { return }
        switch part {
        case .head(let head) where head.status.code / 100 == 1:
            break  // interim responses are the load balancer's own business (see "100-continue" above)
        case .head(var head):
            timeout?.cancel()
            responseStarted = true
            backendKeepAlive = head.isKeepAlive
            for name in Self.hopByHop { head.headers.remove(name: name) }
            if !clientKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
            head.version = clientVersion
            listener.plane.metrics.responded(listener, instance: instanceID, status: Int(head.status.code))
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        case .body(let buffer):
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            listener.plane.metrics.completed(listener, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            let done = context.writeAndFlush(Self.wrapOutboundOut(.end(trailers)))
            if let connection {
                connection.handler.owner = nil
                self.connection = nil
                if backendKeepAlive && requestComplete {
                    listener.plane.pool(for: context.eventLoop).release(connection)
                } else {
                    connection.channel.close(promise: nil)
                }
            }
            finishExchange(context, done: done)
        }
    }

    func backendFlush() { context?.flush() }

    func backendClosed() {
        connection = nil
        guard state == .forwarding || state == .connecting else { return }
        if responseStarted {
            state = .closed
            context?.close(promise: nil)
        } else {
            respondError(.badGateway, "instance \(instanceID) closed the connection without a response")
        }
    }

    func backendWritabilityChanged(_ writable: Bool) {
        context?.channel.setOption(.autoRead, value: writable).whenFailure { _ in }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.channel.setOption(.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Ending an exchange

    /// A response made by the load balancer itself (503, 502, 504), with the reason in a header and the body.
    private func respondError(_ status: HTTPResponseStatus, _ reason: String) {
        guard let context else { return }
        timeout?.cancel()
        if let connection {
            connection.handler.owner = nil
            connection.channel.close(promise: nil)
            self.connection = nil
        }
        pending = []
        if responseStarted {
            state = .closed
            context.close(promise: nil)
            return
        }
        responseStarted = true
        let body = "\(status.code) \(status.reasonPhrase)\n\(reason)\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "X-LocalVPC-Reason", value: String(reason.map { $0.isASCII && !$0.isNewline ? $0 : " " }.prefix(1000)))
        if !clientKeepAlive { headers.add(name: "Connection", value: "close") }
        listener.plane.metrics.responded(listener, instance: instanceID.isEmpty ? "none" : instanceID, status: Int(status.code))
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: clientVersion, status: status, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        finishExchange(context, done: done)
    }

    private func finishExchange(_ context: ChannelHandlerContext, done: EventLoopFuture<Void>) {
        timeout?.cancel()
        releaseInstance()
        if !clientKeepAlive {
            state = .closed
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
            return
        }
        if requestComplete {
            finishIdle(context)
        } else {
            state = .discarding
        }
    }

    /// Ends the request's count against its instance (least outstanding requests).
    private func releaseInstance() {
        if counted {
            listener.plane.finished(balancer: listener.balancer, instance: instanceID)
            counted = false
        }
        instanceID = ""
    }

    private func finishIdle(_ context: ChannelHandlerContext) {
        state = .idle
        idleSince = .now()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        idleTimer?.cancel()
        releaseInstance()
        if let connection {
            connection.handler.owner = nil
            connection.channel.close(promise: nil)
            self.connection = nil
        }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        listener.plane.logger.debug("client connection error", metadata: ["listener": "\(listener)", "error": "\(error)"])
        context.close(promise: nil)
    }
}
