import NIOCore

/// The deadlines of one event loop's client connections (idle timeout, backend timeout), checked by
/// one repeating timer per loop rather than a timer scheduled and cancelled per connection: on a
/// load of a new connection per request, those two schedules and cancels (each a lock, a heap
/// insertion and removal, a promise) were a large share of a connection's cost.
///
/// The timer ticks every `resolution` while the loop has client connections and stops when it has
/// none, so a deadline is noticed up to one tick late (LocalVPC choice: 1/16 of the shortest
/// timeout, between 10 ms and 1 s; with ELB's default 60 s timeouts, once a second). Used only on its
/// loop.
final class ConnectionClock {
    let eventLoop: any EventLoop
    let resolution: TimeAmount
    private var members: [FrontendHandler] = []
    private var ticking = false

    init(eventLoop: any EventLoop, idleTimeout: TimeAmount, backendTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        let shortest = min(idleTimeout, backendTimeout)
        resolution = max(.milliseconds(10), min(.seconds(1), .nanoseconds(shortest.nanoseconds / 16)))
    }

    /// Starts watching a connection's deadlines.
    func add(_ handler: FrontendHandler) {
        eventLoop.assertInEventLoop()
        guard handler.clockIndex < 0 else { return }
        handler.clockIndex = members.count
        members.append(handler)
        if !ticking {
            ticking = true
            scheduleTick()
        }
    }

    /// Stops watching it (the connection closed).
    func remove(_ handler: FrontendHandler) {
        eventLoop.assertInEventLoop()
        let index = handler.clockIndex
        guard index >= 0, index < members.count, members[index] === handler else { return }
        let last = members.removeLast()
        if index < members.count {
            members[index] = last
            last.clockIndex = index
        }
        handler.clockIndex = -1
    }

    private func scheduleTick() {
        _ = eventLoop.assumeIsolated().scheduleTask(in: resolution) { [self] in
            let now = NIODeadline.now()
            // A check may close a connection, which removes it: walk a copy.
            for handler in members { handler.checkDeadlines(now) }
            if members.isEmpty {
                ticking = false
            } else {
                scheduleTick()
            }
        }
    }
}
