@testable import DataPlane
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import TopologyFile
import VPCEngine
import VPCModel
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The data plane in process: a network from YAML, built-in backends, real HTTP on loopback.
@Suite struct DataPlaneTests {
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

    static func start(_ yaml: String, threads: Int? = 1) async throws -> (DataPlane, URL) {
        let file = try TopologyFile(yaml: yaml, file: "test.yaml")
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.healthCheckScale = 0.01
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
        for _ in 0..<200 where plane.health(balancer: "elb", instance: instance)?.state != "InService" {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// ELB Classic guide, "Configure cross-zone load balancing": with it off, each node routes only to
    /// the instances in its own Availability Zone, so the node in us-east-1b (no instances) answers 503.
    @Test func crossZoneOffKeepsEachNodeInItsZone() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: false))
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: false), file: "t").topology
        let instance = try #require(topology.instances.first).id.rawValue
        try await Self.waitForInService(plane, instance)
        var statuses: [Int] = []
        var bodies: [String] = []
        for _ in 0..<4 {
            let (status, body) = try await Self.get(url)
            statuses.append(status)
            bodies.append(body)
        }
        await plane.shutdown()
        // New connections alternate between the two nodes (DNS round robin).
        #expect(statuses.sorted() == [200, 200, 503, 503], "\(statuses)")
        #expect(bodies.contains { $0.contains("ELB_NOT_CROSSZONE") }, "\(bodies)")
    }

    /// With cross-zone load balancing on, every node may use every InService instance.
    @Test func crossZoneOnUsesEveryZone() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true))
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        try await Self.waitForInService(plane, try #require(topology.instances.first).id.rawValue)
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await Self.get(url).0) }
        await plane.shutdown()
        #expect(statuses == [200, 200, 200, 200])
    }

    /// ELB Classic guide, "Listeners for your Classic Load Balancer": with TCP on both sides the load
    /// balancer "forwards the request to the back-end instances without modifying the headers"; an HTTP
    /// listener adds `X-Forwarded-For`. The two are set up on different paths (a TCP connection first
    /// connects to its instance; an HTTP one gets the proxy handler), and both refuse the clients the
    /// network refuses.
    @Test func tcpListenerRelaysWithoutTouchingHeadersAndHTTPListenerAddsThem() async throws {
        let instance = try #require(try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology.instances.first).id.rawValue
        // A TCP listener's endpoint is printed as tcp://; HTTP is spoken through it.
        func http(_ url: URL) throws -> URL { try #require(URL(string: url.absoluteString.replacingOccurrences(of: "tcp://", with: "http://"))) }
        func exchange(_ yaml: String) async throws -> (Int, String) {
            let (plane, url) = try await Self.start(yaml)
            let answer: Result<(Int, String), any Error>
            do {
                try await Self.waitForInService(plane, instance)
                answer = .success(try await Self.get(try http(url)))
            } catch {
                answer = .failure(error)
            }
            await plane.shutdown()
            return try answer.get()
        }
        let tcp = Self.twoZones(crossZone: true).replacingOccurrences(of: "HTTP:80 -> HTTP:80", with: "TCP:80 -> TCP:80")
        #expect(tcp.contains("TCP:80 -> TCP:80"))
        let (tcpStatus, tcpBody) = try await exchange(tcp)
        #expect(tcpStatus == 200)
        #expect(tcpBody.contains(instance), "\(tcpBody)")
        #expect(!tcpBody.contains("x-forwarded-"), "\(tcpBody)")

        let (httpStatus, httpBody) = try await exchange(Self.twoZones(crossZone: true))
        #expect(httpStatus == 200)
        #expect(httpBody.contains("x-forwarded-for: 127.0.0.1"), "\(httpBody)")
        #expect(httpBody.contains("x-forwarded-proto: http"), "\(httpBody)")

        let internalTCP = Self.twoZones(crossZone: true, scheme: "internal").replacingOccurrences(of: "HTTP:80 -> HTTP:80", with: "TCP:80 -> TCP:80")
        let (plane, url) = try await Self.start(internalTCP)
        await #expect(throws: (any Error).self) { _ = try await Self.get(try http(url)) }
        await plane.shutdown()
    }

    /// `X-Forwarded-For` carries the client's address as text (ELB Classic guide, "HTTP headers and
    /// Classic Load Balancers": "X-Forwarded-For: client-ip-address"), written from the socket
    /// address's bytes for IPv4.
    @Test func clientAddressIsWrittenAsText() throws {
        func written(_ address: SocketAddress?) -> String {
            var buffer = ByteBuffer()
            ClientAddress(address).write(to: &buffer)
            return String(buffer: buffer)
        }
        #expect(written(try SocketAddress(ipAddress: "203.0.113.7", port: 50123)) == "203.0.113.7")
        #expect(written(try SocketAddress(ipAddress: "10.20.255.0", port: 1)) == "10.20.255.0")
        #expect(written(try SocketAddress(ipAddress: "::1", port: 80)) == "::1")
        #expect(written(nil) == "unknown")
        #expect(ClientAddress(try SocketAddress(ipAddress: "192.0.2.1", port: 9)).description == "192.0.2.1")
    }

    /// LocalVPC's choice (docs/data-plane.md, "LocalVPC choices for the data plane"): by default the data plane
    /// runs two event loops per core, each with its own listening socket, and they all serve.
    @Test func defaultDataPlaneRunsTwoLoopsPerCore() async throws {
        #expect(DataPlaneConfiguration().threads == 2 * System.coreCount)
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true), threads: DataPlaneConfiguration().threads)
        let loops = Array(plane.group.makeIterator()).count
        let sockets = plane.runtime.withLock { $0.listeners.values.map(\.count) }
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        try await Self.waitForInService(plane, try #require(topology.instances.first).id.rawValue)
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try await Self.get(url).0) }
        await plane.shutdown()
        #expect(loops == 2 * System.coreCount)
        #expect(sockets == [loops], "one listening socket per loop")
        #expect(statuses == Array(repeating: 200, count: 8))
    }

    /// ELB Classic guide, "Internet-facing and internal Classic Load Balancers": an internal load
    /// balancer has only private addresses, so a client from the internet is refused at admission.
    @Test func internalLoadBalancerRefusesInternetClients() async throws {
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true, scheme: "internal"), file: "t").topology
        let decision = Admission.evaluate(.listener(loadBalancer: "elb", port: 80), in: CompiledNetwork(topology))
        #expect(!decision.allowed)
        #expect(!decision.reason.isEmpty)
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true, scheme: "internal"))
        await #expect(throws: (any Error).self) { _ = try await Self.get(url) }
        await plane.shutdown()
    }

    /// A connection's memo of its last admission decision holds only while the network's version is
    /// unchanged: a new version (an SG edit through the API) is decided again at once.
    @Test func admissionMemoFollowsTheNetworkVersion() throws {
        let open = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        let closed = try TopologyFile(yaml: Self.twoZones(crossZone: true, scheme: "internal"), file: "t").topology
        let admission = Admission(NetworkView(version: 1, network: CompiledNetwork(open)), logger: Logger(label: "test"))
        var memo: Admission.Memo?
        let flow = FlowClass.listener(loadBalancer: "elb", port: 80)
        #expect(admission.decide(flow, memo: &memo).allowed)
        #expect(admission.decide(flow, memo: &memo).allowed)
        admission.update(NetworkView(version: 2, network: CompiledNetwork(closed)))
        #expect(!admission.decide(flow, memo: &memo).allowed, "the memo of version 1 is not used for version 2")
        // Another flow class on the same connection is not answered from the memo either.
        #expect(!admission.decide(.listener(loadBalancer: "elb", port: 81), memo: &memo).allowed)
        admission.update(NetworkView(version: 3, network: CompiledNetwork(open)))
        #expect(admission.decide(flow, memo: &memo).allowed)
    }

    /// Classic ELB "selects a registered instance using ... the least outstanding requests routing
    /// algorithm for HTTP and HTTPS listeners" (ELB Classic guide, "How Elastic Load Balancing works"):
    /// ties go round robin; an instance holding a request in flight is passed over; the counts survive
    /// a new routing table; a loop's copy of the table follows the router's version; a deleted load
    /// balancer answers why.
    @Test func routerChoosesLeastOutstandingWithRoundRobinTies() throws {
        let router = BalancerRouter(name: "elb")
        let addresses = ["i-a": try SocketAddress(ipAddress: "127.0.0.1", port: 9001), "i-b": try SocketAddress(ipAddress: "127.0.0.1", port: 9002)]
        func table(_ ids: [String]) -> RoutingTable {
            let targets = ids.map { RoutingTable.Target(instance: $0, addresses: [:], fallback: addresses[$0], load: router.load(of: $0)) }
            return RoutingTable(nodes: [.init(interface: "eni-node", targets: targets, unavailable: "none")])
        }
        router.install(table(["i-a", "i-b"]))
        let cache = RouteCache()
        func choose() -> (String, InstanceLoad?) {
            let choice = router.choose(node: 0, port: 80, leastOutstanding: true, cache: cache)
            guard case .instance(let id, let node, let address, let load) = choice else {
                Issue.record("no instance chosen: \(choice)")
                return ("", nil)
            }
            #expect(node == "eni-node")
            #expect(address == addresses[id])
            return (id, load)
        }
        var ties: [String] = []
        for _ in 0..<4 {
            let (id, load) = choose()
            ties.append(id)
            load?.end()
        }
        #expect(ties == ["i-a", "i-b", "i-a", "i-b"], "ties alternate")

        let (held, holding) = choose()
        let other = held == "i-a" ? "i-b" : "i-a"
        for _ in 0..<3 {
            let (id, load) = choose()
            #expect(id == other, "\(held) has a request in flight")
            load?.end()
        }
        router.install(table(["i-a", "i-b"]))
        let (afterRebuild, load) = choose()
        #expect(afterRebuild == other, "the in-flight count survives a new table")
        load?.end()
        holding?.end()

        router.install(table(["i-b"]))
        for _ in 0..<2 {
            let (id, load) = choose()
            #expect(id == "i-b", "the loop's copy follows the new table")
            load?.end()
        }
        router.install(RoutingTable(nodes: [], missing: "load balancer elb no longer exists"))
        guard case .unavailable(let why) = router.choose(node: 0, port: 80, leastOutstanding: true, cache: cache) else {
            Issue.record("a deleted load balancer chose an instance")
            return
        }
        #expect(why == "load balancer elb no longer exists")
        // Round robin (TCP listeners) counts nothing.
        router.install(table(["i-a", "i-b"]))
        guard case .instance(_, _, _, let uncounted) = router.choose(node: 0, port: 80, leastOutstanding: false, cache: cache) else {
            Issue.record("no instance")
            return
        }
        #expect(uncounted == nil)
        #expect(router.load(of: "i-a").count == 0 && router.load(of: "i-b").count == 0)
    }

    /// SEMANTICS.md, "The seed design, walked": the article's web SG egress names the NAT's SG, which
    /// never matches internet hosts (SG_REFERENCES_NOT_PRESERVED): the egress proxy refuses, naming it.
    @Test func seedDesignEgressIsRefusedWithTheSecurityGroupReference() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let seed = try TopologyFile(yaml: String(contentsOf: root.appendingPathComponent("examples/seed-elb-nat.yaml"), encoding: .utf8), file: "seed")
        let network = CompiledNetwork(seed.topology)
        let web = try #require(seed.topology.instances.first { $0.name == "web-1" }).id.rawValue
        let refused = Admission.evaluate(.egress(instance: web, destination: "internet", port: 443), in: network)
        #expect(!refused.allowed)
        #expect(refused.codes.contains("SG_REFERENCES_NOT_PRESERVED"), "\(refused.codes)")
        let fixed = try TopologyFile(yaml: String(contentsOf: root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml"), encoding: .utf8), file: "fixed")
        let allowed = Admission.evaluate(
            .egress(instance: try #require(fixed.topology.instances.first { $0.name == "web-1" }).id.rawValue, destination: "internet", port: 443),
            in: CompiledNetwork(fixed.topology))
        #expect(allowed.allowed, "\(allowed.reason)")
        #expect(allowed.reason.contains("nat"), "the allowed path goes through the NAT instance: \(allowed.reason)")
    }

    /// LocalVPC choice (docs/data-plane.md): a host name or a loopback/private address stands for
    /// the internet at large; a public IPv4 address is judged as itself.
    @Test func egressDestinations() {
        #expect(Admission.egressDestination(host: "example.com") == "internet")
        #expect(Admission.egressDestination(host: "127.0.0.1") == "internet")
        #expect(Admission.egressDestination(host: "93.184.216.34") == "93.184.216.34")
        #expect(Admission.egressDestination(host: "10.1.2.3") == "internet")
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

    /// VPC User Guide, "NAT gateways": a private subnet reaches the internet through an available NAT
    /// gateway; a route to a failed or deleted one is a blackhole (BAD_STATE_ROUTE). Real connections
    /// through the instance's egress proxy, to a loopback server standing in for example.com.
    @Test func egressThroughANATGatewayFollowsItsState() async throws {
        let internet = try await DemoBackend.start(identity: "the internet")
        defer { internet.close(promise: nil) }
        let internetPort = try #require(internet.localAddress?.port)
        var results: [String: (Int, String)] = [:]
        for state in ["available", "failed"] {
            let (plane, proxy) = try await Self.startEgress(natGateway: state, internetPort: internetPort, threads: 1)
            let reply = try await Self.exchange(
                host: proxy.host, port: proxy.port, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            let status = Int(reply.split(separator: " ").dropFirst().first ?? "") ?? 0
            results[state] = (status, reply)
            await plane.shutdown()
        }
        #expect(results["available"]?.0 == 200 && results["available"]?.1.contains("the internet") == true, "\(results)")
        #expect(results["failed"]?.0 == 403 && results["failed"]?.1.contains("BAD_STATE_ROUTE") == true, "\(results)")
    }

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
        #expect(idle >= .milliseconds(400) && idle < .milliseconds(1_500), "closed after \(idle)")

        // A request the instance never answers: 504 after the backend timeout, with the reason.
        let asked = clock.now
        let reply = try await Self.exchange(host: address.host, port: address.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let waited = clock.now - asked
        await plane.shutdown()
        #expect(reply.hasPrefix("HTTP/1.1 504 "), "\(reply)")
        #expect(reply.contains("did not answer within 800 ms"), "\(reply)")
        #expect(waited >= .milliseconds(800) && waited < .milliseconds(2_000), "answered after \(waited)")
    }

    /// RFC 9112, 9.3.2: a server may receive pipelined requests and answers them in order. Requests
    /// with bodies that arrive in one read are relayed whole, the later ones after the earlier answers.
    @Test(.timeLimit(.minutes(1))) func pipelinedRequestsWithBodiesAreAnsweredInOrder() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true))
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        try await Self.waitForInService(plane, try #require(topology.instances.first).id.rawValue)
        let port = try #require(url.port)
        let requests = "POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nworld"
            + "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let reply = try await Self.exchange(host: "127.0.0.1", port: port, requests)
        await plane.shutdown()
        let statuses = reply.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        #expect(statuses == ["200", "200", "200"], "\(reply)")
        let paths = ["/one", "/two", "/three"].map { reply.range(of: "path: \($0)")?.lowerBound }
        #expect(paths.allSatisfy { $0 != nil } && paths[0]! < paths[1]! && paths[1]! < paths[2]!, "\(reply)")
    }

    /// A proxy must not leak connections. After short client connections of every kind — answered,
    /// malformed, closed in the middle of the head, closed in the middle of a request body (the
    /// instance is already receiving it), kept alive and then closed by the client, and closed without
    /// a byte — no socket of the load balancer's is left open towards a gone client (`CLOSE_WAIT`, the
    /// mark of a descriptor never closed) or idle towards one, and the connections to the instance are
    /// only the pooled ones: the one that carried a half-sent body is closed, not reused or kept.
    /// Sockets are read from `/proc/self/net/tcp` by port, so tests running beside this one do not count.
    @Test(.timeLimit(.minutes(1))) func shortConnectionsOfEveryKindLeaveNoSocketBehind() async throws {
        let (plane, url) = try await Self.start(Self.twoZones(crossZone: true), threads: 2)
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
        // instance (remote port = the backend's). Closing is asynchronous: wait up to 3 s.
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
            let refused = try await Self.exchange(host: proxy.host, port: proxy.port, "CONNECT example.com:22 HTTP/1.1\r\nHost: example.com:22\r\n\r\n")
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
        enum State: String { case established = "01", timeWait = "06", closeWait = "08", listen = "0A", other }
        var localPort: Int
        var remotePort: Int
        var state: State
        var description: String { "\(localPort)->\(remotePort) \(state)" }
    }

    /// Reads the machine's TCP sockets every 50 ms until `settled` holds for them, for at most 3 s
    /// (closing is asynchronous), and returns the last reading.
    static func tcpSockets(settling settled: ([TCPSocket]) -> Bool) async throws -> [TCPSocket] {
        var sockets = tcpSockets()
        for _ in 0..<60 where !settled(sockets) {
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
                let length = reply[..<end.lowerBound].split(separator: "\r\n")
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

    @Test func bindingAddressesParse() {
        #expect(HostAndPort(parsing: "127.0.0.1:9001") == HostAndPort(host: "127.0.0.1", port: 9001))
        #expect(HostAndPort(parsing: "http://localhost:8080/") == HostAndPort(host: "localhost", port: 8080))
        #expect(HostAndPort(parsing: ":0") == HostAndPort(host: "127.0.0.1", port: 0))
        #expect(HostAndPort(parsing: "localhost") == nil)
        #expect(HostAndPort(parsing: "h:70000") == nil)
    }

    /// A binding that names no instance is a clear start-up error, not a silent no-op.
    @Test func unknownBackendBindingIsAnError() async throws {
        let file = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t")
        var configuration = DataPlaneConfiguration()
        configuration.listenerPortOffset = nil
        configuration.backends = ["web-z": HostAndPort(host: "127.0.0.1", port: 9)]
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        await #expect {
            _ = try await DataPlane.start(feed: FixedNetwork(file.topology), configuration: configuration, logger: logger)
        } throws: { error in
            "\(error)".contains("web-z")
        }
    }
}

extension [DataPlaneTests.TCPSocket] {
    /// The open sockets whose local port is `localPort` (a server's side of its clients' connections).
    func open(localPort: Int) -> Self { filter { $0.localPort == localPort && $0.isOpen } }
    /// The open sockets whose remote port is `remotePort` (a client's side of its connections to it).
    func open(remotePort: Int) -> Self { filter { $0.remotePort == remotePort && $0.isOpen } }
}
