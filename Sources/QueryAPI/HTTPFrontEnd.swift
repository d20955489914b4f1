import HTTPWire
import NIOCore
import NIOPosix
import Synchronization

extension QueryAPIServer {
    /// How long a connection may stay silent.
    static let idleTimeout = TimeAmount.seconds(60)

    /// Serves the Query API over SwiftNIO directly: keep-alive HTTP/1.1 with TCP_NODELAY, one event
    /// loop per core. A `Describe*` call whose rendered answer is cached for the region's current state,
    /// and every call that changes state, is answered on the event loop that read it; a `Describe*` not
    /// in the cache and `StartNetworkInsightsAnalysis` run on SwiftNIO's thread pool, where no other work
    /// of the process can hold them up.
    ///
    /// - Parameter metrics: when given, `GET /metrics` answers with it (Prometheus' text format).
    /// - Returns: the listening channel (its `localAddress` has the real port).
    ///   Closing it closes every open connection too.
    public func startHTTP(host: String, port: Int, metrics: (@Sendable () -> String)? = nil) async throws -> any Channel {
        let connections = OpenConnections()
        let budget = BodyBudget()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A client may half-close after its request (RFC 9112, 9.6): it is still answered.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                connections.insert(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(QueryHTTPHandler(server: self, metrics: metrics, budget: budget))
                }
            }
            .bind(host: host, port: port).get()
        listener.closeFuture.whenComplete { _ in connections.closeAll() }
        return listener
    }
}

/// The connections a listener accepted and that are still open, so that stopping the server ends them.
final class OpenConnections: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Open connections at the last time all were closed, to know when a burst has ended.
    private let peak = Atomic<Int>(0)

    func insert(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let count = channels.withLock { channels in
            channels[key] = channel
            return channels.count
        }
        if count > peak.load(ordering: .relaxed) { peak.store(count, ordering: .relaxed) }
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            let left = self.channels.withLock { channels in
                channels.removeValue(forKey: key)
                return channels.count
            }
            // When a burst of connections has ended, give the memory it took back to the system.
            if left == 0, self.peak.exchange(0, ordering: .relaxed) >= 32 { returnFreedMemory() }
        }
    }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}

/// One connection to the Query API: HTTP/1.1 read and written as bytes.
///
/// The head is parsed where it lies in the connection's buffer (`HTTPWire`, the proxy's parser) and the
/// answer goes out as one buffer, head and body together; SwiftNIO's HTTP pipeline (its parser, the
/// pipelining, error and header-validation handlers, and three writes per answer) cost about a fifth
/// of the server's time per call. Requests are answered in order; a pipelined request waits in the
/// buffer until the one before it is answered.
final class QueryHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Larger heads get 431 and the connection is closed.
    static let maximumHeadSize = 64 * 1024

    let server: QueryAPIServer
    let metrics: (@Sendable () -> String)?
    /// The server's budget for bodies in flight, and what this connection holds of it.
    let budget: BodyBudget
    private var reserved = 0
    var buffer: ByteBuffer?

    /// A request whose head has been read and whose body is arriving.
    private struct Pending {
        var method: String
        var target: String
        var headers: [(String, String)]
        var host: String
        var keepAlive: Bool
        /// Body bytes still to come; a body over the limit is counted off and not kept.
        var remaining: Int
        var tooLarge: Bool
        var body: ByteBuffer
    }
    private var pending: Pending?
    /// An answer is being computed off the loop; later requests wait.
    var answering = false
    var closing = false
    /// The client closed its side: the requests it sent are answered, then the connection closes.
    var inputClosed = false

    init(server: QueryAPIServer, metrics: (@Sendable () -> String)?, budget: BodyBudget) {
        self.server = server
        self.metrics = metrics
        self.budget = budget
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        var bytes = Self.unwrapInboundIn(data)
        if buffer == nil || buffer!.readableBytes == 0 {
            buffer = bytes
        } else {
            if buffer!.readerIndex > 1 << 16 { buffer!.discardReadBytes() }
            buffer!.writeBuffer(&bytes)
        }
        // Pipelined requests wait while one is answered off the loop; a client that keeps sending
        // meanwhile is not buffered without bound.
        if answering, let waiting = buffer?.readableBytes, waiting > QueryAPIServer.maximumBodySize + Self.maximumHeadSize {
            context.close(promise: nil)
            return
        }
        process(context: context)
    }

    /// Reads as many whole requests from the buffer as it holds, answering each in turn.
    func process(context: ChannelHandlerContext) {
        while !answering, !closing, var input = buffer, input.readableBytes > 0 || pending != nil {
            if pending == nil {
                switch readHead(&input) {
                case .incomplete:
                    buffer = input
                    return
                case .failed(let status, let reason):
                    buffer = nil
                    fail(status, reason, context: context)
                    return
                case .read(let request, let expectContinue):
                    if request.remaining > 0 && !request.tooLarge {
                        guard budget.reserve(request.remaining) else {
                            buffer = nil
                            fail(503, "Service Unavailable: too many request bodies in flight; retry", context: context)
                            return
                        }
                        reserved = request.remaining
                    }
                    pending = request
                    if expectContinue && request.remaining > 0 && !request.tooLarge {
                        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
                    }
                }
            }
            guard var request = pending else { return }
            let take = min(request.remaining, input.readableBytes)
            if take > 0 {
                if request.tooLarge {
                    input.moveReaderIndex(forwardBy: take)
                } else if var slice = input.readSlice(length: take) {
                    if request.body.readableBytes == 0 { request.body = slice } else { request.body.writeBuffer(&slice) }
                }
                request.remaining -= take
            }
            buffer = input
            guard request.remaining == 0 else {
                pending = request
                return
            }
            pending = nil
            budget.release(reserved)
            reserved = 0
            handle(request, context: context)
        }
    }

    private enum HeadResult {
        case incomplete
        case failed(Int, String)
        case read(Pending, expectContinue: Bool)
    }

    private func readHead(_ input: inout ByteBuffer) -> HeadResult {
        var startLine: [UInt8] = []
        var headers: [(String, String)] = []
        headers.reserveCapacity(10)
        var host = ""
        // Without signature checking only the Authorization header matters (its credential scope names
        // the service and region), and Accept: the others are not copied into strings.
        let keepAll = server.verifier != nil
        let parsed = MessageHead.parse(input, limit: Self.maximumHeadSize, isRequest: true) { line, name, value in
            guard let name, let value else {
                startLine = Array(line)
                return
            }
            // Accept tells a browser (sent to the console) from an API client.
            if !keepAll && !MessageHead.equalsLowercase(name, "authorization") && !MessageHead.equalsLowercase(name, "host")
                && !MessageHead.equalsLowercase(name, "accept")
            {
                return
            }
            let lowered = String(unsafeUninitializedCapacity: name.count) { out in
                for (index, byte) in name.enumerated() { out[index] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
                return name.count
            }
            let text = String(decoding: value, as: UTF8.self)
            if lowered == "host" { host = text }
            headers.append((lowered, text))
        }
        switch parsed {
        case .failure(.incomplete):
            return .incomplete
        case .failure(.tooLarge):
            return .failed(431, "Request Header Fields Too Large")
        case .failure(.invalid):
            return .failed(400, "Bad Request")
        case .success(let head):
            input.moveReaderIndex(forwardBy: head.length)
            let parts = startLine.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, !head.isConnect else { return .failed(400, "Bad Request") }
            if head.chunked { return .failed(411, "Length Required") }
            let length = head.contentLength ?? 0
            let request = Pending(
                method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self), headers: headers, host: host,
                keepAlive: head.keepAlive, remaining: length, tooLarge: length > QueryAPIServer.maximumBodySize, body: ByteBuffer())
            return .read(request, expectContinue: head.expectContinue)
        }
    }

    private func handle(_ pending: Pending, context: ChannelHandlerContext) {
        let keepAlive = pending.keepAlive
        let (path, query) = Self.split(pending.target)
        if pending.method == "GET", path == "/metrics", let metrics {
            write(
                QueryAPIServer.QueryResponse(status: 200, text: metrics()), contentType: "text/plain; version=0.0.4; charset=utf-8",
                keepAlive: keepAlive, context: context)
            return
        }
        // Test suites written for a local mock reset it between tests: the name moto uses, and LocalVPC's own.
        if pending.method == "POST", path == "/moto-api/reset" || path == "/_localvpc/reset" {
            do {
                try server.reset()
                write(
                    QueryAPIServer.QueryResponse(status: 200, text: "{\"status\": \"ok\"}"), contentType: "application/json", keepAlive: keepAlive,
                    context: context)
            } catch {
                write(
                    QueryAPIServer.QueryResponse(status: 500, text: "reset failed: \(error)"), contentType: "text/plain", keepAlive: keepAlive,
                    context: context)
            }
            return
        }
        let accept = pending.headers.first { $0.0 == "accept" }?.1
        if QueryAPIServer.isConsole(method: pending.method, path: path, query: query, accept: accept) {
            let server = self.server
            let (method, body) = (pending.method, String(decoding: pending.body.readableBytesView, as: UTF8.self))
            answerOffLoop(keepAlive: keepAlive, context: context) {
                let answer = server.console(method: method, path: path, query: query, body: body)
                return (QueryAPIServer.QueryResponse(status: answer.status, text: answer.body), answer.contentType, answer.location)
            }
            return
        }
        guard path == "/" || path.isEmpty, pending.method == "POST" || pending.method == "GET" else {
            write(QueryAPIServer.QueryResponse(status: 404, text: ""), contentType: "text/plain", keepAlive: keepAlive, context: context)
            return
        }
        var request = QueryAPIServer.QueryRequest(
            method: pending.method, path: path, query: query, headers: pending.headers, host: pending.host, body: pending.body,
            bodyTooLarge: pending.tooLarge)
        request.prepare()
        if let cached = server.respondFromCache(request) {
            write(cached, keepAlive: keepAlive, context: context)
            return
        }
        // A change is short (one region, one small SQLite transaction) and runs right here, without a
        // hop to another thread and back; reads that may render or analyze a whole region run on the
        // thread pool, so they do not hold up the loop's other connections.
        if server.runsInline(request) {
            write(server.respond(request), keepAlive: keepAlive, context: context)
            return
        }
        answering = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let server = self.server
        // On SwiftNIO's own thread pool, not Swift concurrency's shared threads: whatever else runs in the
        // process (blocking work on those threads) cannot hold an answer up.
        let work = request
        NIOThreadPool.singleton.submit { _ in
            let response = server.respond(work)
            loop.execute {
                let (handler, context) = bound.value
                handler.answering = false
                handler.write(response, keepAlive: keepAlive, context: context)
                handler.process(context: context)
            }
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
        budget.release(reserved)
        reserved = 0
        buffer = nil
        pending = nil
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, case .inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        inputClosed = true
        // Nothing more can arrive: an answer under way is sent, then the connection closes; a request
        // cut short can never be answered.
        if !answering && !closing {
            closing = true
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
