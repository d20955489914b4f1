import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TopologyFile
import VPCEngine
import VPCModel

@testable import DataPlane

/// The data plane in process: a network from YAML, built-in backends, real HTTP on loopback.
@Suite struct DataPlaneTests {
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
        let seed = try TopologyFile(
            yaml: String(contentsOf: root.appendingPathComponent("examples/seed-elb-nat.yaml"), encoding: .utf8), file: "seed")
        let network = CompiledNetwork(seed.topology)
        let web = try #require(seed.topology.instances.first { $0.name == "web-1" }).id.rawValue
        let refused = Admission.evaluate(.egress(instance: web, destination: "internet", port: 443), in: network)
        #expect(!refused.allowed)
        #expect(refused.codes.contains("SG_REFERENCES_NOT_PRESERVED"), "\(refused.codes)")
        let fixed = try TopologyFile(
            yaml: String(contentsOf: root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml"), encoding: .utf8), file: "fixed")
        let allowed = Admission.evaluate(
            .egress(instance: try #require(fixed.topology.instances.first { $0.name == "web-1" }).id.rawValue, destination: "internet", port: 443),
            in: CompiledNetwork(fixed.topology))
        #expect(allowed.allowed, "\(allowed.reason)")
        #expect(allowed.reason.contains("nat"), "the allowed path goes through the NAT instance: \(allowed.reason)")
    }

    /// LocalVPC choice (docs/data-plane.md): a host name or a loopback/private address stands for
    /// the internet at large; a public IPv4 address is judged as itself.
    @Test func egressDestinationsAreDecidedWithTheModel() throws {
        let topology = try TopologyFile(yaml: Self.twoZones(crossZone: true), file: "t").topology
        let web = try #require(topology.instances.first)
        let webAddress = try #require(topology.networkInterface(web.primaryNetworkInterfaceID)).primaryPrivateIP.description
        let network = CompiledNetwork(topology)
        #expect(Admission.egressTarget(host: "example.com", in: network) == .internet(destination: "internet"))
        #expect(Admission.egressTarget(host: "93.184.216.34", in: network) == .internet(destination: "93.184.216.34"))
        #expect(Admission.egressTarget(host: webAddress, in: network) == .instance(id: web.id.rawValue))
        for host in ["10.0.2.250", "127.0.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "localhost"] {
            guard case .refused = Admission.egressTarget(host: host, in: network) else {
                Issue.record("\(host) must not leave for the host's own networks")
                continue
            }
        }
    }

    /// The sandbox is sealed: through an instance's egress proxy, another instance's private address
    /// reaches that instance's backend when the engine allows it, and nothing else that is not the
    /// internet leaves the machine (a loopback port of this host, the metadata address, an address of
    /// the VPC that nobody holds): 403 with the reason.
    @Test(.timeLimit(.minutes(1))) func egressIsSealedByTheModel() async throws {
        let yaml = Self.twoZones(crossZone: true)
            .replacingOccurrences(
                of: "  web-a: { subnet: private-a, security-groups: [web-sg] }",
                with: "  web-a: { subnet: private-a, security-groups: [web-sg] }\n  app: { subnet: private-a, security-groups: [app-sg] }"
            )
            .replacingOccurrences(
                of: "\ninstances:\n", with: "\n  app-sg:\n    ingress:\n      - { protocol: tcp, ports: 80, from: web-sg }\ninstances:\n"
            )
            .replacingOccurrences(of: "instances: [web-a]", with: "instances: [web-a, app]")
        let topology = try TopologyFile(yaml: yaml, file: "t").topology
        let (plane, _) = try await Self.start(yaml)
        let web = try #require(topology.instances.first { $0.name == "web-a" })
        let app = try #require(topology.instances.first { $0.name == "app" })
        let appAddress = try #require(topology.networkInterface(app.primaryNetworkInterfaceID)).primaryPrivateIP.description
        let proxy = try #require(plane.endpoints.first { $0.kind == "egress" && $0.owner.hasPrefix("web-a ") }.flatMap { URL(string: $0.url)?.port })
        let backend = try #require(plane.endpoints.first { $0.kind == "backend" }.flatMap { URL(string: $0.url)?.port })
        func get(_ url: String) async throws -> String {
            try await Self.exchange(host: "127.0.0.1", port: proxy, "GET \(url) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        let toApp = try await get("http://\(appAddress)/hello")
        let loopback = try await get("http://127.0.0.1:\(backend)/")
        let metadata = try await get("http://169.254.169.254/latest/meta-data/")
        let nobody = try await get("http://10.0.2.250/")
        let fromApp = try await Self.exchange(
            host: "127.0.0.1",
            port: try #require(plane.endpoints.first { $0.kind == "egress" && $0.owner.hasPrefix("app ") }.flatMap { URL(string: $0.url)?.port }),
            "GET http://\(try #require(topology.networkInterface(web.primaryNetworkInterfaceID)).primaryPrivateIP)/ HTTP/1.1\r\nHost: x\r\n\r\n")
        await plane.shutdown()
        #expect(toApp.hasPrefix("HTTP/1.1 200") && toApp.contains("app (\(app.id.rawValue))") && toApp.contains("path: /hello"), "\(toApp)")
        #expect(loopback.hasPrefix("HTTP/1.1 403") && loopback.contains("not an internet address"), "\(loopback)")
        #expect(metadata.hasPrefix("HTTP/1.1 403"), "\(metadata)")
        #expect(nobody.hasPrefix("HTTP/1.1 403") && nobody.contains("no instance holds it"), "\(nobody)")
        #expect(fromApp.hasPrefix("HTTP/1.1 403") && fromApp.contains("ENI_SG_RULES_MISMATCH"), "web-sg admits port 80 from elb-sg only: \(fromApp)")
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
