import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import TopologyFile
import VPCModel

@testable import DataPlane

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// The data plane tests' fixtures (networks as YAML, started data planes) and their loopback clients.
extension DataPlaneTests {
    /// Two zones; the load balancer has a node in each, and only zone a has a web server.
    static func twoZones(crossZone: Bool, scheme: String = "internet-facing") -> String {
        """
        region: us-east-1
        vpc: { name: zones, cidr: 10.0.0.0/16 }
        internet-gateway: igw
        subnets:
          public-a: { cidr: 10.0.0.0/24, zone: us-east-1a }
          public-b: { cidr: 10.0.1.0/24, zone: us-east-1b }
          private-a: { cidr: 10.0.2.0/24, zone: us-east-1a }
        route-tables:
          public-rt:
            subnets: [public-a, public-b]
            routes:
              - { destination: 0.0.0.0/0, target: igw }
        security-groups:
          elb-sg:
            ingress:
              - { protocol: tcp, ports: 80, from: 0.0.0.0/0 }
            egress:
              - { protocol: tcp, ports: 80, to: web-sg }
          web-sg:
            ingress:
              - { protocol: tcp, ports: 80, from: elb-sg }
        instances:
          web-a: { subnet: private-a, security-groups: [web-sg] }
        load-balancers:
          elb:
            scheme: \(scheme)
            subnets: [public-a, public-b]
            security-groups: [elb-sg]
            listeners:
              - HTTP:80 -> HTTP:80
            instances: [web-a]
            cross-zone: \(crossZone)
            health-check: { target: HTTP:80/, interval: 5, timeout: 2, unhealthy-threshold: 2, healthy-threshold: 2 }
        """
    }

    static func start(_ yaml: String, threads: Int? = 1, healthCheckScale: Double = 0.01) async throws -> (DataPlane, URL) {
        let file = try TopologyFile(yaml: yaml, file: "test.yaml")
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.healthCheckScale = healthCheckScale
        configuration.threads = threads
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let plane = try await DataPlane.start(feed: FixedNetwork(file.topology), configuration: configuration, logger: logger)
        let listener = try #require(plane.endpoints.first { $0.kind == "listener" })
        return (plane, try #require(URL(string: listener.url)))
    }

    /// One request on a new connection: status and body.
    static func get(_ url: URL) async throws -> (Int, String) {
        var request = URLRequest(url: url)
        request.setValue("close", forHTTPHeaderField: "Connection")
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    static func waitForInService(_ plane: DataPlane, _ instance: String) async throws {
        for _ in 0..<500 where plane.health(balancer: "elb", instance: instance)?.state != "InService" {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func natGateway(state: String) -> String {
        """
        region: us-east-1
        vpc: { name: gw, cidr: 10.0.0.0/16 }
        internet-gateway: igw
        subnets:
          public: { cidr: 10.0.0.0/24, zone: us-east-1a }
          private: { cidr: 10.0.1.0/24, zone: us-east-1a }
        nat-gateways:
          natgw: { subnet: public, state: \(state) }
        route-tables:
          public-rt:
            subnets: [public]
            routes:
              - { destination: 0.0.0.0/0, target: igw }
          private-rt:
            subnets: [private]
            routes:
              - { destination: 0.0.0.0/0, target: natgw }
        security-groups:
          app-sg:
            egress:
              - { protocol: tcp, ports: 80, to: 0.0.0.0/0 }
        instances:
          app: { subnet: private, security-groups: [app-sg] }
        """
    }

    /// The data plane of `natGateway(state:)`, example.com standing for the loopback server on
    /// `internetPort`; returns it and the app instance's egress proxy.
    static func startEgress(natGateway state: String, internetPort: Int, threads: Int) async throws -> (DataPlane, HostAndPort) {
        let file = try TopologyFile(yaml: natGateway(state: state), file: "gw.yaml")
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.threads = threads
        configuration.internet = ["example.com": HostAndPort(host: "127.0.0.1", port: internetPort)]
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let plane = try await DataPlane.start(feed: FixedNetwork(file.topology), configuration: configuration, logger: logger)
        guard let proxy = plane.endpoints.first(where: { $0.kind == "egress" }).flatMap({ HostAndPort(parsing: $0.url) }) else {
            await plane.shutdown()
            throw DataPlaneError(description: "no egress proxy among \(plane.endpoints)")
        }
        return (plane, proxy)
    }

    /// Opens a CONNECT tunnel to example.com:80 and waits for its 200; then sends `request` and reads
    /// until the tunnel closes, or (nil) closes the tunnel at once. Returns what came after the 200.
    static func tunnel(port: Int, then request: String?) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"))
            var reply = ""
            var iterator = inbound.makeAsyncIterator()
            while !reply.contains("\r\n\r\n"), let part = try await iterator.next() { reply += String(buffer: part) }
            guard reply.hasPrefix("HTTP/1.1 200"), let request else { return reply }
            var after = String(reply[reply.range(of: "\r\n\r\n")!.upperBound...])
            try await outbound.write(ByteBuffer(string: request))
            while let part = try await iterator.next() { after += String(buffer: part) }
            return after
        }
    }

    struct TCPSocket: CustomStringConvertible {
        /// Held open by a descriptor: connected, or closed by the peer and not yet by its owner.
        var isOpen: Bool { state == .established || state == .closeWait }
        enum State: String {
            case established = "01"
            case timeWait = "06"
            case closeWait = "08"
            case listen = "0A"
            case other
        }
        var localPort: Int
        var remotePort: Int
        var state: State
        var description: String { "\(localPort)->\(remotePort) \(state)" }
    }

    /// Reads the machine's TCP sockets every 50 ms until `settled` holds for them, for at most 3 s
    /// (closing is asynchronous), and returns the last reading.
    static func tcpSockets(settling settled: ([TCPSocket]) -> Bool) async throws -> [TCPSocket] {
        var sockets = tcpSockets()
        for _ in 0..<200 where !settled(sockets) {
            try await Task.sleep(for: .milliseconds(50))
            sockets = tcpSockets()
        }
        return sockets
    }

    /// The machine's IPv4 TCP sockets (`/proc/self/net/tcp`: `sl local rem st ...`, ports in hex).
    static func tcpSockets() -> [TCPSocket] {
        // Read to the end: procfs files report no size, and the table is longer than a page.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/net/tcp"), let data = try? file.readToEnd() else { return [] }
        try? file.close()
        let table = String(decoding: data, as: UTF8.self)
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3,
                let local = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) }),
                let remote = fields[2].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
            else { return nil }
            return TCPSocket(localPort: local, remotePort: remote, state: TCPSocket.State(rawValue: String(fields[3])) ?? .other)
        }
    }

    /// Connects, sends the bytes and closes at once, without reading. The peer may have answered and
    /// closed first (bytes it refuses): that is not an error here.
    static func sendAndClose(port: Int, _ bytes: String) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        if !bytes.isEmpty { try? await channel.writeAndFlush(ByteBuffer(string: bytes)) }
        try? await channel.close()
    }

    /// One request on a kept-alive connection: reads the answer (its `Content-Length` body), then the
    /// client closes the connection.
    static func keepAliveExchange(port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var reply = ""
            for try await part in inbound {
                reply += String(buffer: part)
                guard let end = reply.range(of: "\r\n\r\n") else { continue }
                let length =
                    reply[..<end.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if reply[end.upperBound...].utf8.count >= length { break }
            }
            return reply
        }
    }

    /// Sends bytes on a new loopback connection and returns everything the peer sends until it closes.
    static func exchange(host: String, port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var reply = ""
            for try await part in inbound { reply += String(buffer: part) }
            return reply
        }
    }
}

extension [DataPlaneTests.TCPSocket] {
    /// The open sockets whose local port is `localPort` (a server's side of its clients' connections).
    func open(localPort: Int) -> Self { filter { $0.localPort == localPort && $0.isOpen } }
    /// The open sockets whose remote port is `remotePort` (a client's side of its connections to it).
    func open(remotePort: Int) -> Self { filter { $0.remotePort == remotePort && $0.isOpen } }
}
