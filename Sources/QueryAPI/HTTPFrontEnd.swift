import NIOCore
import NIOHTTP1
import NIOPosix

extension QueryAPIServer {
    /// How long a connection may stay silent.
    static let idleTimeout = TimeAmount.seconds(60)

    /// Serves the Query API over SwiftNIO directly: keep-alive HTTP/1.1 with TCP_NODELAY, one event
    /// loop per core. A `Describe*` call whose rendered answer is cached for the region's current state
    /// is answered on the event loop itself; every other call runs as a task (on the same loops, since
    /// `localvpc` makes SwiftNIO's event loops Swift concurrency's global executor).
    ///
    /// - Parameter metrics: when given, `GET /metrics` answers with it (Prometheus' text format).
    /// - Returns: the listening channel (its `localAddress` has the real port).
    public func startHTTP(host: String, port: Int, metrics: (@Sendable () -> String)? = nil) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(QueryHTTPHandler(server: self, metrics: metrics))
                }
            }
            .bind(host: host, port: port).get()
    }
}

/// One connection to the Query API.
final class QueryHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: QueryAPIServer
    let metrics: (@Sendable () -> String)?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(server: QueryAPIServer, metrics: (@Sendable () -> String)?) {
        self.server = server
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            lastRead = .now()
            self.head = head
            body.clear()
            tooLarge = head.headers.first(name: "content-length").flatMap(Int.init).map { $0 > QueryAPIServer.maximumBodySize } ?? false
        case .body(var part):
            lastRead = .now()
            guard !tooLarge else { return }
            if body.readableBytes + part.readableBytes > QueryAPIServer.maximumBodySize {
                tooLarge = true
                body.clear()
            } else if body.readableBytes == 0 {
                body = part
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive
        let (path, query) = Self.split(head.uri)
        if head.method == .GET, path == "/metrics", let metrics {
            write(QueryAPIServer.QueryResponse(status: 200, text: metrics()), contentType: "text/plain; version=0.0.4; charset=utf-8", keepAlive: keepAlive, context: context)
            return
        }
        guard path == "/" || path.isEmpty, head.method == .POST || head.method == .GET else {
            write(QueryAPIServer.QueryResponse(status: 404, text: ""), contentType: "text/plain", keepAlive: keepAlive, context: context)
            return
        }
        let request = QueryAPIServer.QueryRequest(
            method: head.method.rawValue, path: path, query: query, headers: head.headers.map { ($0.name.lowercased(), $0.value) },
            host: head.headers.first(name: "host") ?? "", body: body, bodyTooLarge: tooLarge)
        body = ByteBuffer()
        if let cached = server.respondFromCache(request) {
            write(cached, keepAlive: keepAlive, context: context)
            return
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let server = self.server
        Task {
            let response = await server.respond(request)
            loop.execute {
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: QueryAPIServer.QueryResponse, contentType: String = "text/xml;charset=UTF-8", keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(response.text.utf8.count))
        headers.add(name: "Server", value: "LocalVPC")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.text)))), promise: nil)
        let done = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// "/path?query" → ("/path", "query").
    static func split(_ uri: String) -> (String, String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    /// A connection that sends nothing for `idleTimeout` is closed (slow or abandoned clients). The
    /// timer looks at the last read lazily, so a request does not schedule a timer of its own.
    private var lastRead = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        armIdleTimer(context, in: QueryAPIServer.idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
    }

    private func armIdleTimer(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            let silent = NIODeadline.now() - self.lastRead
            if silent >= QueryAPIServer.idleTimeout {
                context.close(promise: nil)
            } else {
                self.armIdleTimer(context, in: QueryAPIServer.idleTimeout - silent)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
