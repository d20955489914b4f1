import HTTPWire
import Logging
import NIOCore
import NIOPosix

/// An instance's way out: an HTTP proxy (CONNECT for HTTPS and any TCP, absolute-form requests for plain
/// HTTP) that its process uses through `HTTP_PROXY`/`HTTPS_PROXY`. A connection is opened only if the
/// engine lets the instance reach the destination on that port through its route table: through the
/// NAT instance or NAT gateway for a private subnet, so stopping the NAT refuses new connections
/// (403, with the engine's reason in `X-LocalVPC-Reason` and the body).
final class EgressHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let plane: DataPlane
    let instance: String
    private var buffer: ByteBuffer?
    private var busy = false
    /// What the client sent while the connection to the destination was being opened.
    private var held = ByteBuffer()

    init(plane: DataPlane, instance: String) {
        self.plane = plane
        self.instance = instance
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = Self.unwrapInboundIn(data)
        guard !busy else {
            held.writeBuffer(&incoming)
            return
        }
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        guard var pending = buffer else { return }
        // The head is read with the proxy path's parser (HTTPFraming.swift); hop-by-hop headers are
        // dropped from a forwarded request, except Expect, which the destination answers.
        var startLine = ""
        var kept = ""
        let parsed = MessageHead.parse(pending, limit: plane.configuration.maximumHeaderBytes, isRequest: true) { line, name, _ in
            guard let name else {
                startLine = String(decoding: line, as: UTF8.self)
                return
            }
            if MessageHead.isHopByHop(name) && !MessageHead.equalsLowercase(name, "expect") { return }
            kept += String(decoding: line, as: UTF8.self) + "\r\n"
        }
        let head: MessageHead
        switch parsed {
        case .success(let value):
            head = value
        case .failure(.incomplete):
            return
        case .failure(.tooLarge):
            return reply(context, 431, "Request Header Fields Too Large", "the request head is too large")
        case .failure(.invalid(let why)):
            return reply(context, 400, "Bad Request", why)
        }
        busy = true
        pending.moveReaderIndex(forwardBy: head.length)
        buffer = nil
        let parts = startLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        handle(context, head: head, method: String(parts[0]), target: String(parts[1]), version: String(parts[2]), headers: kept, rest: pending)
    }

    private func handle(
        _ context: ChannelHandlerContext, head: MessageHead, method: String, target: String, version: String, headers: String, rest: ByteBuffer
    ) {
        let host: String
        let port: Int
        let forwardHead: String?
        if head.isConnect {
            guard let parsed = HostAndPort(parsing: target), parsed.port > 0 else {
                return reply(context, 400, "Bad Request", "CONNECT needs host:port")
            }
            (host, port) = (parsed.host, parsed.port)
            forwardHead = nil
        } else {
            guard target.lowercased().hasPrefix("http://") else {
                return reply(context, 400, "Bad Request", "a proxy request needs an absolute http:// URI or CONNECT")
            }
            let afterScheme = target.dropFirst(7)
            let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
            let path = afterScheme.dropFirst(authority.count)
            if let parsed = HostAndPort(parsing: String(authority)), authority.contains(":") {
                (host, port) = (parsed.host, parsed.port)
            } else {
                (host, port) = (String(authority), 80)
            }
            forwardHead = "\(method) \(path.isEmpty ? "/" : path) \(version)\r\n\(headers)Connection: close\r\n\r\n"
        }
        // The model decides every destination; only the internet (or its --internet stand-ins) leaves the machine.
        let destination: String
        let connectTo: HostAndPort
        switch Admission.egressTarget(host: host, in: plane.admission.view.network) {
        case .refused(let reason):
            plane.logger.notice("egress refused", metadata: ["instance": "\(instance)", "destination": "\(host):\(port)", "reason": "\(reason)"])
            return reply(context, 403, "Forbidden", "LocalVPC refused \(instance) -> \(host):\(port): \(reason)")
        case .internet(let label):
            destination = label
            connectTo = plane.configuration.internet["\(host):\(port)"] ?? plane.configuration.internet[host] ?? HostAndPort(host: host, port: port)
        case .instance(let id):
            // Judged by its address: the request is for that address, not for the instance's service
            // behind a load balancer.
            destination = host
            guard let backend = plane.backendAddress(instance: id, port: port) else {
                return reply(context, 502, "Bad Gateway", "instance \(id) (\(host)) serves nothing on port \(port) in this data plane")
            }
            connectTo = backend
        }
        let decision = plane.admit(.egress(instance: instance, destination: destination, port: port), kind: "egress")
        guard decision.allowed else {
            plane.logger.notice(
                "egress refused", metadata: ["instance": "\(instance)", "destination": "\(host):\(port)", "reason": "\(decision.reason)"])
            return reply(context, 403, "Forbidden", "LocalVPC refused \(instance) -> \(host):\(port): \(decision.reason)")
        }
        plane.logger.debug("egress allowed", metadata: ["instance": "\(instance)", "destination": "\(host):\(port)", "reason": "\(decision.reason)"])
        let client = context.channel
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(plane.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: connectTo.host, port: connectTo.port)
            .hop(to: context.eventLoop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .failure(let error):
                    reply(context, 502, "Bad Gateway", "cannot connect to \(host):\(port): \(error)")
                case .success(let server) where !client.isActive:
                    server.close(promise: nil)
                case .success(let server):
                    let (clientGlue, serverGlue) = GlueHandler.pair()
                    do {
                        try server.pipeline.syncOperations.addHandler(serverGlue)
                        if let forwardHead {
                            server.write(ByteBuffer(string: forwardHead), promise: nil)
                        } else {
                            client.write(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n"), promise: nil)
                        }
                        if rest.readableBytes > 0 { server.write(rest, promise: nil) }
                        if held.readableBytes > 0 { server.write(held, promise: nil) }
                        server.flush()
                        client.flush()
                        try context.pipeline.syncOperations.addHandler(clientGlue)
                        context.pipeline.syncOperations.removeHandler(self, promise: nil)
                    } catch {
                        server.close(promise: nil)
                        client.close(promise: nil)
                    }
                }
            }
    }

    private func reply(_ context: ChannelHandlerContext, _ status: Int, _ phrase: String, _ reason: String) {
        let body = "\(status) \(phrase)\n\(reason)\n"
        let header = String(reason.map { $0.isASCII && !$0.isNewline ? $0 : " " }.prefix(1000))
        let response =
            "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nX-LocalVPC-Reason: "
            + "\(header)\r\nConnection: close\r\n\r\n\(body)"
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
