import HTTPWire
import Logging
import NIOCore
import Prometheus
import VPCModel

/// One client connection to an HTTP or HTTPS load balancer listener (after TLS termination): each
/// request goes to an instance chosen by the load balancer, over a pooled keep-alive backend
/// connection. Heads are parsed where they lie and rewritten in one pass (hop-by-hop headers out,
/// `X-Forwarded-For`/`-Proto`/`-Port` in); bodies are relayed as they arrive, both ways, with
/// back-pressure. Pipelined requests wait their turn.
///
/// Status codes follow the Classic Load Balancer's (ELB Classic guide, "Troubleshoot a Classic Load
/// Balancer: HTTP errors"): 503 when no instance is InService, 502 when the instance refuses or drops the
/// connection or answers with something that is not HTTP, 504 when it does not answer within the
/// timeout, or when the network drops the node's packets to it (on AWS such a request times out;
/// LocalVPC answers at once, with the reason); 400 for a malformed request, 431 for an oversized head.
final class FrontendHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where the request side is.
    enum State { case head, body, done, closed }

    let listener: ListenerRuntime
    /// The load balancer node (an index into its nodes) DNS gave this client.
    let node: Int
    var state = State.head
    var context: ChannelHandlerContext?
    var inbound = ByteBuffer()
    /// A request has been read (at least its head) and its response is not finished.
    var inExchange = false
    var requestFramer = BodyFramer(state: .done)
    var requestIsHead = false
    var clientKeepAlive = true
    /// After the load balancer answered itself, the rest of the request body is dropped.
    var discarding = false
    var responseStarted = false
    var pending: [ByteBuffer] = []
    var connection: BackendConnection?
    var connecting = false
    /// Request body bytes written to the backend since the last flush (flushed when a read ends).
    var backendUnflushed = false
    var instanceID = ""
    /// The chosen instance's in-flight count this request holds (least outstanding requests).
    var countedLoad: InstanceLoad?
    var status = 0
    var started = NIODeadline.now()
    /// The backend timeout: the deadline of the request waiting for its answer, checked by the loop's
    /// connection clock (a request does not schedule and cancel a timer of its own).
    var answerDeadline: NIODeadline?
    var awaitedInstance = ""
    /// This connection's last admission decisions and metrics, reused while nothing changed (no
    /// shared lock per request).
    var listenerMemo: Admission.Memo?
    var backendMemo: Admission.Memo?
    var lastRequestCounter: (instance: String, status: Int, counter: Counter)?
    /// When the connection last became idle; the loop's connection clock checks it.
    var idleSince = NIODeadline.now()
    /// This connection's place in its loop's connection clock (-1: not in it).
    var clockIndex = -1
    /// The loop's backend pool, connection clock and last admission decisions.
    let resources: LoopResources
    /// The loop's copy of the load balancer's routing table.
    let routes: RouteCache
    /// The client's address, as `X-Forwarded-For` gives it.
    var client = ClientAddress.unknown

    /// - Parameters:
    ///   - resources: the backend pool and connection clock of the loop the connection lives on.
    ///   - admitted: the connection's own admission decision, reused by its first request.
    init(listener: ListenerRuntime, node: Int, resources: LoopResources, admitted: Admission.Memo? = nil) {
        self.listener = listener
        self.node = node
        self.resources = resources
        self.routes = resources.routeCache(listener.router)
        self.listenerMemo = admitted
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        client = ClientAddress(context.channel.remoteAddress)
        idleSince = .now()
        resources.clock.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resources.clock.remove(self)
        self.context = nil
    }

    /// Called by the loop's connection clock. The next request must start within the idle timeout of
    /// the connection going idle (ELB's idle timeout; it also bounds clients that send a request head
    /// slowly); a request's answer must start within the backend timeout (else 504).
    func checkDeadlines(_ now: NIODeadline) {
        guard let context, state != .closed else { return }
        if inExchange {
            if let deadline = answerDeadline, now >= deadline, !responseStarted {
                let limit = listener.plane.configuration.backendTimeout
                respondError(context, 504, "Gateway Timeout", "instance \(awaitedInstance) did not answer within \(limit.nanoseconds / 1_000_000) ms")
            }
        } else if now - idleSince >= listener.plane.configuration.idleTimeout ?? listener.router.idleTimeout {
            state = .closed
            context.close(promise: nil)
        }
    }

    // MARK: The client's side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        if inbound.readableBytes == 0 {
            inbound = incoming
        } else {
            inbound.writeBuffer(&incoming)
        }
        process(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if backendUnflushed, let connection, !connecting {
            backendUnflushed = false
            connection.channel.flush()
        }
        context.fireChannelReadComplete()
    }

    func process(_ context: ChannelHandlerContext) {
        while true {
            switch state {
            case .closed, .done:
                return
            case .head:
                guard !inExchange, inbound.readableBytes > 0, readHead(context) else { return }
            case .body:
                guard inbound.readableBytes > 0 else { return }
                guard let used = inbound.withUnsafeReadableBytes({ bytes in try? requestFramer.consume(bytes) }) else {
                    fail(context, 400, "Bad Request", "malformed chunked request body")
                    return
                }
                let slice = inbound.readSlice(length: used)!
                if !discarding { forwardBody(slice) }
                if requestFramer.isDone { requestFinished(context) }
            }
        }
    }

    /// Reads and starts the next request; false when its head is not complete yet (or was refused).
    func readHead(_ context: ChannelHandlerContext) -> Bool {
        let limit = listener.plane.configuration.maximumHeaderBytes
        var out = context.channel.allocator.buffer(capacity: min(inbound.readableBytes, limit) + listener.forwardedProtoAndPort.count + 128)
        var previousFor: [UInt8]?
        let parsed = MessageHead.parse(inbound, limit: limit, isRequest: true) { line, name, value in
            if let name {
                if MessageHead.isHopByHop(name) { return }
                if name.count == 15 && MessageHead.equalsLowercase(name, "x-forwarded-for"), let value {
                    if previousFor == nil { previousFor = [] } else { previousFor! += Array(", ".utf8) }
                    previousFor! += Array(value)
                    return
                }
                if (name.count == 17 && MessageHead.equalsLowercase(name, "x-forwarded-proto"))
                    || (name.count == 16 && MessageHead.equalsLowercase(name, "x-forwarded-port"))
                {
                    return
                }
            }
            out.writeBytes(line)
            out.writeStaticString("\r\n")
        }
        let head: MessageHead
        switch parsed {
        case .success(let value):
            head = value
        case .failure(.incomplete):
            return false
        case .failure(.tooLarge):
            fail(context, 431, "Request Header Fields Too Large", "the request head is larger than \(limit) bytes")
            return false
        case .failure(.invalid(let why)):
            fail(context, 400, "Bad Request", why)
            return false
        }
        inbound.moveReaderIndex(forwardBy: head.length)
        out.writeStaticString("X-Forwarded-For: ")
        if let previousFor {
            out.writeBytes(previousFor)
            out.writeStaticString(", ")
        }
        client.write(to: &out)
        out.writeBytes(listener.forwardedProtoAndPort)
        startRequest(head, out, context: context)
        return true
    }

    func startRequest(_ head: MessageHead, _ out: ByteBuffer, context: ChannelHandlerContext) {
        started = .now()
        inExchange = true
        instanceID = ""
        clientKeepAlive = head.keepAlive
        requestIsHead = head.isHead
        responseStarted = false
        discarding = false
        requestFramer = BodyFramer.request(head)
        state = requestFramer.isDone ? .done : .body
        let plane = listener.plane
        guard !head.isConnect else {
            respondError(context, 405, "Method Not Allowed", "a load balancer listener does not tunnel CONNECT")
            return
        }
        // Each request checks again that the listener is still reachable (not counted: the connection was).
        let admitted = plane.admission.decide(listener.clientFlow, memo: &listenerMemo)
        guard admitted.allowed else {
            plane.logger.notice("connection refused", metadata: ["listener": "\(listener)", "client": "\(client)", "reason": "\(admitted.reason)"])
            state = .closed
            context.close(promise: nil)
            return
        }
        switch listener.router.choose(node: node, port: listener.listener.instancePort, leastOutstanding: true, cache: routes) {
        case .unavailable(let reason):
            respondError(context, 503, "Service Unavailable", reason)
        case .instance(let instance, let nodeInterface, let address, let load):
            instanceID = instance
            countedLoad = load
            let seeded = backendMemo == nil
            if seeded { backendMemo = resources.backendMemos[ObjectIdentifier(listener)] }
            let decision = listener.admitBackend(node: nodeInterface, instance: instance, memo: &backendMemo)
            if seeded { resources.backendMemos[ObjectIdentifier(listener)] = backendMemo }
            guard decision.allowed else {
                plane.logger.notice(
                    "backend connection refused", metadata: ["listener": "\(listener)", "instance": "\(instance)", "reason": "\(decision.reason)"])
                respondError(context, 504, "Gateway Timeout", decision.reason)
                return
            }
            // The load balancer streams the body on, so it answers "100-continue" itself.
            if head.expectContinue {
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
            }
            answerDeadline = .now() + plane.configuration.backendTimeout
            awaitedInstance = instance
            let pool = resources.pool
            if let idle = pool.takeIdle(address) {
                use(idle)
                idle.channel.writeAndFlush(out, promise: nil)
                return
            }
            pending = [out]
            connecting = true
            pool.connect(address, connectTimeout: plane.configuration.connectTimeout).assumeIsolated().whenComplete { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let connection):
                    guard self.connecting, self.context != nil else {
                        pool.release(connection)
                        return
                    }
                    self.connecting = false
                    self.use(connection)
                    for part in self.pending { connection.channel.write(part, promise: nil) }
                    self.pending = []
                    connection.channel.flush()
                case .failure(let error):
                    guard self.connecting, let context = self.context else { return }
                    self.connecting = false
                    self.respondError(context, 502, "Bad Gateway", "cannot connect to instance \(instance) at \(address): \(error)")
                }
            }
        }
    }

    /// Takes a backend connection for this request, until its answer ends.
    func use(_ connection: BackendConnection) {
        connection.handler.prepare(owner: self, requestIsHead: requestIsHead)
        self.connection = connection
    }

    func forwardBody(_ slice: ByteBuffer) {
        if connecting {
            pending.append(slice)
        } else if let connection {
            connection.channel.write(slice, promise: nil)
            backendUnflushed = true
        }
    }

    func requestFinished(_ context: ChannelHandlerContext) {
        if inExchange {
            state = .done
        } else {
            // The response was already complete (the load balancer's own, or an early answer).
            state = .head
            discarding = false
        }
    }

    // MARK: Ending an exchange

    /// A response made by the load balancer itself (503, 502, 504), with the reason in a header and the body.
    func respondError(_ context: ChannelHandlerContext, _ code: Int, _ phrase: String, _ reason: String) {
        answerDeadline = nil
        connecting = false
        pending = []
        if let connection {
            connection.handler.owner = nil
            connection.channel.close(promise: nil)
            self.connection = nil
        }
        if responseStarted {
            state = .closed
            context.close(promise: nil)
            return
        }
        responseStarted = true
        status = code
        releaseInstance()
        context.write(
            Self.wrapOutboundOut(Self.errorResponse(code, phrase, reason, close: !clientKeepAlive, allocator: context.channel.allocator)),
            promise: nil)
        context.flush()
        listener.plane.metrics.responded(listener, instance: instanceID.isEmpty ? "none" : instanceID, status: code)
        if state == .body { discarding = true }
        finishExchange(context)
    }

    /// A malformed request: answered, then the connection is closed (its framing cannot be trusted).
    func fail(_ context: ChannelHandlerContext, _ code: Int, _ phrase: String, _ reason: String) {
        state = .closed
        if !responseStarted && !inExchange {
            listener.plane.metrics.responded(listener, instance: "none", status: code)
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(Self.errorResponse(code, phrase, reason, close: true, allocator: context.channel.allocator)))
                .whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }

    static func errorResponse(_ code: Int, _ phrase: String, _ reason: String, close: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = "\(code) \(phrase)\n\(reason)\n"
        let header = String(reason.map { $0.isASCII && !$0.isNewline ? $0 : " " }.prefix(1000))
        var text =
            "HTTP/1.1 \(code) \(phrase)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
            + "\(body.utf8.count)\r\nX-LocalVPC-Reason: \(header)\r\n"
        if close { text += "Connection: close\r\n" }
        text += "\r\n" + body
        return allocator.buffer(string: text)
    }

    /// Ends the request's count against its instance (least outstanding requests).
    func releaseInstance() {
        countedLoad?.end()
        countedLoad = nil
    }

    func finishExchange(_ context: ChannelHandlerContext) {
        answerDeadline = nil
        inExchange = false
        releaseInstance()
        if !clientKeepAlive {
            state = .closed
            let channel = context.channel
            // A plain connection whose answer the socket took whole closes now; otherwise (bytes still
            // queued, or TLS, whose handler closes after its own writes) once the writes are done.
            if listener.listener.listenerProtocol == .http, (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) == 0 {
                context.close(promise: nil)
            } else {
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
            }
            return
        }
        idleSince = .now()
        if state == .done {
            state = .head
            process(context)  // a pipelined request may be waiting
            // Its body, if already here, was written outside a read: no read's end will flush it.
            if backendUnflushed, let connection, !connecting {
                backendUnflushed = false
                connection.channel.flush()
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resources.clock.remove(self)
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
        state = .closed
        context.close(promise: nil)
    }
}
