import NIOCore
import NIOPosix

// Writing answers: on the loop, or computed on SwiftNIO's thread pool and then written on the loop.
extension QueryHTTPHandler {
    /// Computes an answer on SwiftNIO's thread pool and writes it on the loop; later requests wait.
    func answerOffLoop(
        keepAlive: Bool, context: ChannelHandlerContext,
        _ work: @escaping @Sendable () -> (QueryAPIServer.QueryResponse, String, String?)
    ) {
        answering = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        NIOThreadPool.singleton.submit { _ in
            let (response, contentType, location) = work()
            loop.execute {
                let (handler, context) = bound.value
                handler.answering = false
                handler.write(response, contentType: contentType, location: location, keepAlive: keepAlive, context: context)
                handler.process(context: context)
            }
        }
    }

    /// Answers a request that could not be read, and closes the connection.
    func fail(_ status: Int, _ reason: String, context: ChannelHandlerContext) {
        write(QueryAPIServer.QueryResponse(status: status, text: reason), contentType: "text/plain", keepAlive: false, context: context)
    }

    func write(
        _ response: QueryAPIServer.QueryResponse, contentType: String = "text/xml;charset=UTF-8", location: String? = nil, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        guard context.channel.isActive, !closing else { return }
        let body = response.text.utf8.count
        var out = context.channel.allocator.buffer(capacity: body + 160)
        out.writeString("HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\nContent-Type: ")
        out.writeString(contentType)
        out.writeString("\r\nContent-Length: \(body)\r\nServer: LocalVPC\r\n")
        if !keepAlive { out.writeString("Connection: close\r\n") }
        if let location { out.writeString("Location: \(location)\r\n") }
        out.writeString("\r\n")
        out.writeString(response.text)
        let done = context.writeAndFlush(Self.wrapOutboundOut(out))
        if !keepAlive || (inputClosed && (buffer?.readableBytes ?? 0) == 0) {
            closing = true
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
