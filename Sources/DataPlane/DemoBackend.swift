import NIOCore
import NIOHTTP1
import NIOPosix

/// The built-in web server that stands in for an instance's application when the user names none:
/// every path answers 200 with the instance's identity and the headers the load balancer added.
public enum DemoBackend {
    /// Starts a server on `host:port` (port 0 picks a free one).
    public static func start(
        group: (any EventLoopGroup)? = nil, host: String = "127.0.0.1", port: Int = 0, identity: String
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(DemoHandler(identity: identity))
                }
            }
            .bind(host: host, port: port).get()
    }
}

final class DemoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let identity: String
    private var head: HTTPRequestHead?

    init(identity: String) { self.identity = identity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            var body = "\(identity)\npath: \(head.uri)\n"
            for name in ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port"] {
                if let value = head.headers.first(name: name) { body += "\(name.lowercased()): \(value)\n" }
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            if head.method != .HEAD {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            }
            let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
            if !head.isKeepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
