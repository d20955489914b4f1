import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive connections to backends, one pool per event loop: a client connection and the backend
/// connections it uses live on the same loop, so no state crosses threads.
final class BackendPool {
    let eventLoop: any EventLoop
    private var idle: [SocketAddress: [BackendConnection]] = [:]
    /// At most this many idle connections are kept per backend and loop.
    let maximumIdle = 64

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// An idle connection to the address, or a new one.
    func lease(_ address: SocketAddress, connectTimeout: TimeAmount) -> EventLoopFuture<BackendConnection> {
        eventLoop.assertInEventLoop()
        while var connections = idle[address], let connection = connections.popLast() {
            idle[address] = connections
            if connection.channel.isActive { return eventLoop.makeSucceededFuture(connection) }
        }
        let loop = eventLoop
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .dropBytes)
                    try sync.addHandler(BackendHandler())
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
        connection.handler.onIdleClose = { [weak self] in self?.forget(connection) }
        connections.append(connection)
        idle[connection.address] = connections
    }

    private func forget(_ connection: BackendConnection) {
        idle[connection.address]?.removeAll { $0 === connection }
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

/// Receives a backend's response and hands it to the client connection that leased the backend.
final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The client side that currently uses this connection.
    var owner: FrontendHandler?
    /// Called when an idle (pooled) connection closes.
    var onIdleClose: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.backendRead(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.backendFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner {
            self.owner = nil
            owner.backendClosed()
        } else {
            onIdleClose?()
        }
        onIdleClose = nil
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
