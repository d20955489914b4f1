import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TopologyFile
import VPCModel
import VPCTesting

@testable import DataPlane

// Connection handling of the load balancer and the egress proxies: clocks, pipelining, and no socket
// left behind by any kind of short connection.
extension DataPlaneTests {
    /// The deadlines of client connections, kept by one clock per event loop (LocalVPC choice: checked
    /// every 1/16 of the shortest timeout). ELB Classic guide, "Configure the idle connection timeout":
    /// a connection that sends nothing for the idle timeout is closed; "Troubleshoot a Classic Load
    /// Balancer: HTTP errors", HTTP 504: an instance that does not answer within the timeout gives 504.
    @Test(.timeLimit(.minutes(1))) func idleAndBackendTimeoutsAreKeptByTheLoopClock() async throws {
        // An instance that accepts connections and never answers; its TCP health check passes.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let yaml = Self.twoZones(crossZone: true).replacingOccurrences(of: "target: HTTP:80/", with: "target: TCP:80")
        let file = try TopologyFile(yaml: yaml, file: "timeouts.yaml")
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.healthCheckScale = 0.01
        configuration.threads = 1
        configuration.idleTimeout = .milliseconds(400)
        configuration.backendTimeout = .milliseconds(800)
        configuration.backends = ["web-a": HostAndPort(host: "127.0.0.1", port: try #require(silent.localAddress?.port))]
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let plane = try await DataPlane.start(feed: FixedNetwork(file.topology), configuration: configuration, logger: logger)
        let listener = try #require(plane.endpoints.first { $0.kind == "listener" })
        let address = try #require(HostAndPort(parsing: listener.url))
        try await Self.waitForInService(plane, try #require(file.topology.instances.first).id.rawValue)

        // Three silent clients at once: each is closed after the idle timeout, within a tick or so.
        let clock = ContinuousClock()
        let started = clock.now
        async let first = Self.exchange(host: address.host, port: address.port, "")
        async let second = Self.exchange(host: address.host, port: address.port, "")
        async let third = Self.exchange(host: address.host, port: address.port, "G")
        let replies = try await [first, second, third]
        let idle = clock.now - started
        #expect(replies == ["", "", ""], "\(replies)")
        // Well before the next deadline anything else would set (the backend timeout, ELB's default 60 s), with
        // room for a test runner busy with CPU-heavy suites beside this one.
        #expect(idle >= .milliseconds(400) && idle < .milliseconds(3_000), "closed after \(idle)")

        // A request the instance never answers: 504 after the backend timeout, with the reason.
        let asked = clock.now
        let reply = try await Self.exchange(host: address.host, port: address.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let waited = clock.now - asked
        await plane.shutdown()
        #expect(reply.hasPrefix("HTTP/1.1 504 "), "\(reply)")
        #expect(reply.contains("did not answer within 800 ms"), "\(reply)")
        #expect(waited >= .milliseconds(800) && waited < .milliseconds(3_500), "answered after \(waited)")
    }

    /// ELB Classic guide, "Configure the idle connection timeout": each load balancer has its own
    /// `ConnectionSettings.IdleTimeout` (1-4000 s, default 60), which the data plane keeps when no
    /// override is configured; a network change (ModifyLoadBalancerAttributes) reaches it.
    @Test(.timeLimit(.minutes(1))) func eachLoadBalancersIdleTimeoutIsKept() async throws {
        let yaml = Self.twoZones(crossZone: true) + "\n    idle-timeout: 1"
        let file = try TopologyFile(yaml: yaml, file: "idle.yaml")
        #expect(file.topology.loadBalancers.first?.idleTimeout == 1)
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.healthCheckScale = 0.01
        configuration.threads = 1
        #expect(configuration.idleTimeout == nil)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let plane = try await DataPlane.start(feed: FixedNetwork(file.topology), configuration: configuration, logger: logger)
        let listener = try #require(plane.endpoints.first { $0.kind == "listener" })
        let address = try #require(HostAndPort(parsing: listener.url))
        let clock = ContinuousClock()
        let started = clock.now
        let reply = try await Self.exchange(host: address.host, port: address.port, "")
        let idle = clock.now - started
        await plane.shutdown()
        #expect(reply.isEmpty)
        // Closed after the balancer's 1 s (not the default 60 s), within a tick of the clock.
        #expect(idle >= .milliseconds(1_000) && idle < .milliseconds(4_000), "closed after \(idle)")
    }

    /// RFC 9112, 9.3.2: a server may receive pipelined requests and answers them in order. Requests
    /// with bodies that arrive in one read are relayed whole, the later ones after the earlier answers.
    @Test(.timeLimit(.minutes(1))) func pipelinedRequestsWithBodiesAreAnsweredInOrder() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true))
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        try await Self.waitForInService(plane, try #require(topology.instances.first).id.rawValue)
        let port = try #require(url.port)
        let requests =
            "POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld"
            + "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let reply = try await Self.exchange(host: "127.0.0.1", port: port, requests)
        await plane.shutdown()
        let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        #expect(statuses == ["200", "200", "200"], "\(reply)")
        let paths = ["/one", "/two", "/three"].map { reply.range(of: "path: \($0)")?.lowerBound }
        #expect(paths.allSatisfy { $0 != nil } && paths[0]! < paths[1]! && paths[1]! < paths[2]!, "\(reply)")
    }

    /// The ELB listener refuses what the corpus holds (SmugglingCorpusTests) at once with 400 and closes,
    /// as HAProxy does, and never forwards it: a bare-LF request is answered within a second (it used to
    /// wait out the idle timeout), and a request smuggled behind Content-Length + Transfer-Encoding never
    /// reaches the instance (the demo backend echoes every path it serves).
    @Test(.timeLimit(.minutes(1))) func malformedRequestsGet400AtOnceAndAreNotForwarded() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true))
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        try await Self.waitForInService(plane, try #require(topology.instances.first).id.rawValue)
        let port = try #require(url.port)
        let (bareLF, answeredIn) = try await RawConnection.timedExchangeOnThread(
            port: port, "POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n", timeout: .seconds(5))
        #expect(bareLF.hasPrefix("HTTP/1.1 400"), "\(bareLF)")
        #expect(answeredIn < .seconds(1))
        let smuggled = try await Self.exchange(
            host: "127.0.0.1", port: port,
            "POST /front HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(smuggled.hasPrefix("HTTP/1.1 400") && !smuggled.contains("/smuggled") && !smuggled.contains("/front"), "\(smuggled)")
        let after = try await Self.exchange(host: "127.0.0.1", port: port, "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await plane.shutdown()
        #expect(after.hasPrefix("HTTP/1.1 200") && after.contains("path: /after") && !after.contains("/smuggled"), "\(after)")
    }

    /// A proxy must not leak connections. After short client connections of every kind — answered,
    /// malformed, closed in the middle of the head, closed in the middle of a request body (the
    /// instance is already receiving it), kept alive and then closed by the client, and closed without
    /// a byte — no socket of the load balancer's is left open towards a gone client (`CLOSE_WAIT`, the
    /// mark of a descriptor never closed) or idle towards one, and the connections to the instance are
    /// only the pooled ones: the one that carried a half-sent body is closed, not reused or kept.
    /// Sockets are read from `/proc/self/net/tcp` by port, so tests running beside this one do not count.
    /// Health checks run every second here (not every 50 ms), so that a loaded machine cannot pile up
    /// checks in flight that would look like pooled connections.
    @Test(.timeLimit(.minutes(1))) func shortConnectionsOfEveryKindLeaveNoSocketBehind() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true), threads: 2, healthCheckScale: 0.2)
        let instance = try #require(try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology.instances.first).id.rawValue
        try await Self.waitForInService(plane, instance)
        let port = try #require(url.port)
        let backend = try #require(plane.endpoints.first { $0.kind == "backend" }.flatMap { URL(string: $0.url)?.port })

        var statuses: [String: [String]] = [:]
        for round in 0..<20 {
            let answered = try await Self.exchange(host: "127.0.0.1", port: port, "GET /a\(round) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            statuses["answered", default: []].append(String(answered.prefix(12)))
            let malformed = try await Self.exchange(host: "127.0.0.1", port: port, "NOT HTTP AT ALL\r\n\r\n")
            statuses["malformed", default: []].append(String(malformed.prefix(12)))
            try await Self.sendAndClose(port: port, "GET /half HTTP/1.1\r\nHost: x\r\nX-Unfinish")
            try await Self.sendAndClose(port: port, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
            let kept = try await Self.keepAliveExchange(port: port, "GET /k\(round) HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses["kept alive", default: []].append(String(kept.prefix(12)))
            try await Self.sendAndClose(port: port, "")
        }
        #expect(statuses["answered"] == Array(repeating: "HTTP/1.1 200", count: 20), "\(statuses)")
        #expect(statuses["malformed"] == Array(repeating: "HTTP/1.1 400", count: 20), "\(statuses)")
        #expect(statuses["kept alive"] == Array(repeating: "HTTP/1.1 200", count: 20), "\(statuses)")

        // The load balancer's sockets: towards clients (local port = the listener's) and towards the
        // instance (remote port = the backend's). Closing is asynchronous: wait up to 10 s.
        let sockets = try await Self.tcpSockets { sockets in
            let towardsInstance = sockets.open(remotePort: backend)
            return sockets.open(localPort: port).isEmpty && towardsInstance.count <= 6 && !towardsInstance.contains { $0.state == .closeWait }
        }
        let (towardsClients, towardsInstance) = (sockets.open(localPort: port), sockets.open(remotePort: backend))
        await plane.shutdown()
        #expect(towardsClients.isEmpty, "client connections left open: \(towardsClients)")
        #expect(!towardsInstance.contains { $0.state == .closeWait }, "instance connections never closed: \(towardsInstance)")
        // The pools' idle connections (two loops) and perhaps a health check in flight; 20 bodies were
        // cut short: had their connections been kept, there would be 20 more.
        #expect(towardsInstance.count <= 6, "connections to the instance beyond the pools' idle ones: \(towardsInstance)")
    }

    /// The same for an HTTPS listener, where SwiftNIO's TLS handler sits in front of the proxy: after
    /// answered TLS requests, bytes that are not TLS, a TLS record cut short, clients that leave during
    /// the handshake, and empty connections, no socket of the listener's is left open towards a gone
    /// client.
    @Test(.timeLimit(.minutes(1))) func tlsConnectionsOfEveryKindLeaveNoSocketBehind() async throws {
        let yaml = Self.twoZones(crossZone: true)
            .replacingOccurrences(of: "- { protocol: tcp, ports: 80, from: 0.0.0.0/0 }", with: "- { protocol: tcp, ports: 443, from: 0.0.0.0/0 }")
            .replacingOccurrences(of: "HTTP:80 -> HTTP:80", with: "HTTPS:443 -> HTTP:80")
        #expect(yaml.contains("HTTPS:443 -> HTTP:80") && yaml.contains("ports: 443"))
        let (plane, url) = try await Self.start(yaml, threads: 2)
        let instance = try #require(try TopologyFile(yaml: yaml, file: "t").topology.instances.first).id.rawValue
        try await Self.waitForInService(plane, instance)
        #expect(url.scheme == "https")
        let port = try #require(url.port)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let tls = try NIOSSLContext(configuration: configuration)

        /// A TLS connection: sends `request` and reads until the load balancer closes, or (nil) closes
        /// at once, while the handshake is under way.
        func secure(_ request: String?) async throws -> String {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                guard let request else { return "" }
                try await outbound.write(ByteBuffer(string: request))
                var reply = ""
                do {
                    for try await part in inbound { reply += String(buffer: part) }
                } catch NIOSSLError.uncleanShutdown {
                    // The load balancer closed the TCP connection after its answer without close_notify.
                }
                return reply
            }
        }
        var replies: [String] = []
        for round in 0..<15 {
            replies.append(String(try await secure("GET /s\(round) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").prefix(12)))
            try await Self.sendAndClose(port: port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Self.sendAndClose(port: port, "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}")
            _ = try await secure(nil)
            try await Self.sendAndClose(port: port, "")
        }
        #expect(replies == Array(repeating: "HTTP/1.1 200", count: 15), "\(replies)")
        let towardsClients = try await Self.tcpSockets { $0.open(localPort: port).isEmpty }.open(localPort: port)
        await plane.shutdown()
        #expect(towardsClients.isEmpty, "TLS client connections left open: \(towardsClients)")
    }

    /// The egress proxy must not leak either. After forwarded requests, CONNECT tunnels closed by the
    /// destination, tunnels the client closes as soon as they open or before they open, and refused
    /// requests, no socket of the proxy's is left open towards a gone client or towards the destination.
    @Test(.timeLimit(.minutes(1))) func egressConnectionsOfEveryKindLeaveNoSocketBehind() async throws {
        let internet = try await DemoBackend.start(identity: "the internet")
        defer { internet.close(promise: nil) }
        let internetPort = try #require(internet.localAddress?.port)
        let (plane, proxy) = try await Self.startEgress(natGateway: "available", internetPort: internetPort, threads: 2)

        var replies: [String: [String]] = [:]
        for _ in 0..<15 {
            let forwarded = try await Self.exchange(
                host: proxy.host, port: proxy.port, "GET http://example.com/f HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            replies["forwarded", default: []].append(String(forwarded.prefix(12)))
            let tunneled = try await Self.tunnel(port: proxy.port, then: "GET /t HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            replies["tunneled", default: []].append(tunneled.contains("the internet") ? "through" : tunneled)
            _ = try await Self.tunnel(port: proxy.port, then: nil)
            try await Self.sendAndClose(port: proxy.port, "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n")
            let refused = try await Self.exchange(
                host: proxy.host, port: proxy.port, "CONNECT example.com:22 HTTP/1.1\r\nHost: example.com:22\r\n\r\n")
            replies["refused", default: []].append(String(refused.prefix(12)))
        }
        #expect(replies["forwarded"] == Array(repeating: "HTTP/1.1 200", count: 15), "\(replies)")
        #expect(replies["tunneled"] == Array(repeating: "through", count: 15), "\(replies)")
        #expect(replies["refused"] == Array(repeating: "HTTP/1.1 403", count: 15), "\(replies)")

        let sockets = try await Self.tcpSockets { $0.open(localPort: proxy.port).isEmpty && $0.open(remotePort: internetPort).isEmpty }
        let (towardsClients, towardsDestination) = (sockets.open(localPort: proxy.port), sockets.open(remotePort: internetPort))
        await plane.shutdown()
        #expect(towardsClients.isEmpty, "egress client connections left open: \(towardsClients)")
        #expect(towardsDestination.isEmpty, "connections to the destination left open: \(towardsDestination)")
    }
}
