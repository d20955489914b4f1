import NIOCore

/// Sets up and registers each connection an HTTP or HTTPS listener accepts, at once and without
/// futures.
///
/// SwiftNIO's `ServerBootstrap` sets an accepted connection up through a chain of futures (apply the
/// child options, run the initializer, then pass the channel on) and registers it in a task at the end
/// of the event loop's turn, through two more. On a load of short connections that was several percent
/// of the proxy's CPU per connection. This handler sits in the listening channel's pipeline before the
/// bootstrap's own accept handler and keeps the connections it sets up, so that handler only sees the
/// connections of TCP and SSL listeners, whose set-up connects to the instance first.
///
/// The accepted channel lives on the listening channel's event loop (each loop has its own listening
/// socket), so it is registered in this turn and needs no hop.
final class InlineAcceptHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel

    /// Adds the connection's handlers; throws to refuse the connection (it is closed).
    private let setUp: (any Channel) throws -> Void

    init(setUp: @escaping (any Channel) throws -> Void) {
        self.setUp = setUp
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let accepted = Self.unwrapInboundIn(data)
        guard accepted.eventLoop === context.eventLoop else {
            // Not one of ours: ServerBootstrap's handler knows how to hop.
            context.fireChannelRead(data)
            return
        }
        do {
            try setUp(accepted)
        } catch {
            accepted.close(promise: nil)
            return
        }
        accepted._channelCore.registerAlreadyConfigured0(promise: nil)
    }
}
