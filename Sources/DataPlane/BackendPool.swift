import HTTPWire
import NIOCore
import NIOPosix

/// Keep-alive connections to backends, one pool per event loop: a client connection and the backend
/// connections it uses live on the same loop, so no state crosses threads.
final class BackendPool {
    let eventLoop: any EventLoop
    private var idle: [SocketAddress: [BackendConnection]] = [:]
    /// At most this many idle connections are kept per backend and loop.
    let maximumIdle = 64

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// An idle connection to the address, if there is one (no future: the common case of a request).
    func takeIdle(_ address: SocketAddress) -> BackendConnection? {
        eventLoop.assertInEventLoop()
        while var connections = idle[address], let connection = connections.popLast() {
            idle[address] = connections
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// A new connection to the address.
    func connect(_ address: SocketAddress, connectTimeout: TimeAmount) -> EventLoopFuture<BackendConnection> {
        let loop = eventLoop
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendHandler())
                }
            }
            .connect(to: address)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: BackendHandler.self)
                return BackendConnection(channel: channel, handler: handler, address: address)
            }
            .hop(to: loop)
    }

    /// Gives a connection back after a complete exchange that left it open.
    func release(_ connection: BackendConnection) {
        eventLoop.assertInEventLoop()
        connection.handler.owner = nil
        guard connection.channel.isActive else { return }
        var connections = idle[connection.address, default: []]
        if connections.count >= maximumIdle {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.idleIn = self
        connections.append(connection)
        idle[connection.address] = connections
    }

    /// An idle connection closed (the backend's keep-alive timeout, or the backend went away).
    func forget(_ handler: BackendHandler) {
        for (address, connections) in idle {
            if let index = connections.firstIndex(where: { $0.handler === handler }) {
                idle[address]!.remove(at: index)
                return
            }
        }
    }
}

/// One keep-alive connection to a backend. Used only on its channel's event loop (futures carrying it
/// are completed there), hence the unchecked conformance.
final class BackendConnection: @unchecked Sendable {
    let channel: any Channel
    let handler: BackendHandler
    let address: SocketAddress
    init(channel: any Channel, handler: BackendHandler, address: SocketAddress) {
        self.channel = channel
        self.handler = handler
        self.address = address
    }
}

/// Reads a backend's response where it lies: the head rewritten in one pass (hop-by-hop headers out),
/// the body relayed as it arrives until its framing says it is complete, all handed to the client
/// connection that leased the backend.
final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The client side that currently uses this connection.
    var owner: FrontendHandler?
    /// The pool that keeps this connection while it is idle (told when it closes).
    weak var idleIn: BackendPool?
    private var buffer = ByteBuffer()
    private var framer: BodyFramer?
    private var keepAlive = true
    private var requestIsHead = false
    /// A response head larger than this is refused (502).
    static let maximumHeadBytes = 64 * 1024

    /// Readies the connection for one exchange.
    func prepare(owner: FrontendHandler, requestIsHead: Bool) {
        self.owner = owner
        self.requestIsHead = requestIsHead
        idleIn = nil
        framer = nil
        keepAlive = true
        buffer.clear()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        guard owner != nil else {
            // Bytes on an idle connection: it cannot be trusted for reuse.
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        process(context)
    }

    private func process(_ context: ChannelHandlerContext) {
        while let owner, buffer.readableBytes > 0 {
            if var framer {
                let used: Int
                guard let consumed = buffer.withUnsafeReadableBytes({ bytes in try? framer.consume(bytes) }) else {
                    owner.backendFailed("malformed chunked body")
                    return
                }
                used = consumed
                self.framer = framer
                if used > 0 { owner.backendBody(buffer.readSlice(length: used)!) }
                if framer.isDone {
                    let reusable = keepAlive && buffer.readableBytes == 0
                    self.owner = nil
                    self.framer = nil
                    owner.backendEnd(reusable: reusable)
                }
                if used == 0 { return }
            } else {
                var out = context.channel.allocator.buffer(capacity: min(buffer.readableBytes, 1024) + 64)
                let parsed = MessageHead.parse(buffer, limit: Self.maximumHeadBytes, isRequest: false) { line, name, _ in
                    if let name, MessageHead.isHopByHop(name) { return }
                    out.writeBytes(line)
                    out.writeStaticString("\r\n")
                }
                let head: MessageHead
                switch parsed {
                case .success(let value):
                    head = value
                case .failure(.incomplete):
                    return
                case .failure(.tooLarge):
                    owner.backendFailed("a response head larger than \(Self.maximumHeadBytes) bytes")
                    return
                case .failure(.invalid(let why)):
                    owner.backendFailed(why)
                    return
                }
                buffer.moveReaderIndex(forwardBy: head.length)
                // Interim responses (100 Continue, 103) are the load balancer's own business.
                if head.status / 100 == 1 && head.status != 101 { continue }
                let framing = BodyFramer.response(head, toHeadRequest: requestIsHead)
                keepAlive = head.keepAlive && framing.state != .untilClose
                framer = framing
                owner.backendHead(&out, status: head.status, untilClose: framing.state == .untilClose)
                if framing.isDone {
                    let reusable = keepAlive && buffer.readableBytes == 0
                    self.owner = nil
                    self.framer = nil
                    owner.backendEnd(reusable: reusable)
                    return
                }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.backendFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner {
            self.owner = nil
            if framer?.state == .untilClose {
                owner.backendEnd(reusable: false)  // the close is the end of this body
            } else {
                owner.backendClosed()
            }
        } else {
            idleIn?.forget(self)
        }
        idleIn = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.backendWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
