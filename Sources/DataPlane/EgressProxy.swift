import Foundation
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
        guard let bytes = buffer?.readableBytesView else { return }
        guard let end = Self.headerEnd(bytes) else {
            if bytes.count > plane.configuration.maximumHeaderBytes { reply(context, 431, "Request Header Fields Too Large", "the request head is too large") }
            return
        }
        busy = true
        let head = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
        var rest = buffer!
        rest.moveReaderIndex(forwardBy: end - bytes.startIndex + 4)
        buffer = nil
        handle(context, head: head, rest: rest)
    }

    /// The index of "\r\n\r\n" in the bytes, if present.
    static func headerEnd(_ bytes: ByteBufferView) -> Int? {
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }

    private func handle(_ context: ChannelHandlerContext, head: String, rest: ByteBuffer) {
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3 else { return reply(context, 400, "Bad Request", "malformed request line") }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        let version = String(requestLine[2])
        let host: String
        let port: Int
        let forwardHead: String?
        if method == "CONNECT" {
            guard let parsed = HostAndPort(parsing: target), parsed.port > 0 else { return reply(context, 400, "Bad Request", "CONNECT needs host:port") }
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
            let kept = lines.filter { line in
                let name = line.prefix { $0 != ":" }.lowercased()
                return !["proxy-connection", "proxy-authorization", "connection", "keep-alive"].contains(name)
            }
            forwardHead = "\(method) \(path.isEmpty ? "/" : path) \(version)\r\n" + kept.map { $0 + "\r\n" }.joined() + "Connection: close\r\n\r\n"
        }
        let destination = Admission.egressDestination(host: host)
        let decision = plane.admit(.egress(instance: instance, destination: destination, port: port), kind: "egress")
        guard decision.allowed else {
            plane.logger.notice(
                "egress refused", metadata: ["instance": "\(instance)", "destination": "\(host):\(port)", "reason": "\(decision.reason)"])
            return reply(context, 403, "Forbidden", "LocalVPC refused \(instance) -> \(host):\(port): \(decision.reason)")
        }
        plane.logger.debug("egress allowed", metadata: ["instance": "\(instance)", "destination": "\(host):\(port)", "reason": "\(decision.reason)"])
        let client = context.channel
        let standIn = plane.configuration.internet["\(host):\(port)"] ?? plane.configuration.internet[host]
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(plane.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: standIn?.host ?? host, port: standIn?.port ?? port)
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
        let response = "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nX-LocalVPC-Reason: \(header)\r\nConnection: close\r\n\r\n\(body)"
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
