import HTTPWire
import Logging
import NIOCore
import Prometheus
import VPCModel

/// The backend's side of a client exchange: the instance's answer relayed to the client.
extension FrontendHandler {
    func backendHead(_ out: inout ByteBuffer, status: Int, untilClose: Bool) {
        guard let context, inExchange else { return }
        answerDeadline = nil
        responseStarted = true
        self.status = status
        if !clientKeepAlive || untilClose {
            clientKeepAlive = false
            out.writeStaticString("Connection: close\r\n")
        }
        out.writeStaticString("\r\n")
        context.write(Self.wrapOutboundOut(out), promise: nil)
    }

    func backendBody(_ slice: ByteBuffer) {
        context?.write(Self.wrapOutboundOut(slice), promise: nil)
    }

    func backendFlush() { context?.flush() }

    /// The response is complete; the backend connection may be reused if it said so.
    func backendEnd(reusable: Bool) {
        guard let context, inExchange else { return }
        if let last = lastRequestCounter, last.status == status, last.instance == instanceID {
            last.counter.increment()
        } else {
            let counter = listener.plane.metrics.requestCounter(listener, instance: instanceID, status: status)
            counter.increment()
            lastRequestCounter = (instanceID, status, counter)
        }
        listener.latency.record(Duration.nanoseconds((NIODeadline.now() - started).nanoseconds))
        // The request stops counting against its instance before the client can see the answer, so the
        // client's next request (perhaps on another event loop) sees the instance as free.
        releaseInstance()
        context.flush()
        if state == .body { discarding = true }
        if let connection {
            self.connection = nil
            if reusable && state != .body {
                resources.pool.release(connection)
            } else {
                connection.handler.owner = nil
                connection.channel.close(promise: nil)
            }
        }
        finishExchange(context)
    }

    /// The backend closed the connection before the response was complete.
    func backendClosed() {
        abandonBackend("instance \(instanceID) closed the connection without a response")
    }

    /// The backend's bytes are not an HTTP response.
    func backendFailed(_ why: String) {
        abandonBackend("instance \(instanceID) answered with something that is not HTTP: \(why)")
    }

    /// Drops the backend connection; the client gets a 502, or, if its response already started, a close.
    private func abandonBackend(_ reason: String) {
        if let connection {
            connection.handler.owner = nil
            connection.channel.close(promise: nil)
            self.connection = nil
        }
        guard let context, inExchange else { return }
        if responseStarted {
            state = .closed
            context.close(promise: nil)
        } else {
            respondError(context, 502, "Bad Gateway", reason)
        }
    }

    func backendWritabilityChanged(_ writable: Bool) {
        context?.channel.setOption(.autoRead, value: writable).whenFailure { _ in }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.channel.setOption(.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }
}
