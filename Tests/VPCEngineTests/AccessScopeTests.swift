import Foundation
import Testing
import TopologyFile
import VPCModel

@testable import VPCEngine

/// Network Access Analyzer scopes (EC2 `NetworkInsightsAccessScope`; Network Access Analyzer guide,
/// "Network Access Scopes"): a path that matches a `MatchPaths` statement and no `ExcludePaths`
/// statement is a finding. LocalVPC's findings are exhaustive: every source, destination and protocol.
struct AccessScopeTests {
    static func file(_ name: String) throws -> TopologyFile {
        let text = try String(contentsOfFile: "/" + RepairTests.root + "/examples/" + name, encoding: .utf8)
        return try TopologyFile(yaml: text, file: name)
    }

    typealias Path = AccessScope.PathStatement
    typealias Resources = AccessScope.ResourceStatement
    static let internet = Resources(resourceTypes: ["AWS::EC2::InternetGateway"])
    static let privateSubnet = Resources(resources: ["private"])

    @Test func theFixedSeedsScopesHaveNoFindingsButTheirMatchesAlone() throws {
        let file = try Self.file("seed-elb-nat-fixed.yaml")
        let network = CompiledNetwork(file.topology)
        #expect(file.scopes.count == 2)
        for scope in file.scopes { #expect(try network.findings(scope).isEmpty, "\(scope.name)") }
        // Without its exclusion, the first scope finds the ELB's way in: tcp 80 to each web server, via the ELB.
        let inbound = try network.findings(AccessScope(name: "in", match: [Path(source: Self.internet, destination: Self.privateSubnet)]))
        #expect(inbound.map(\.destination).sorted() == ["web-1", "web-2"])
        #expect(inbound.allSatisfy { $0.ipProtocol == .tcp && $0.ports == IntervalSet(80...80) })
        #expect(inbound.allSatisfy { finding in finding.components.contains { $0.component.id == "elb" } })
    }

    @Test func findingsAreExhaustiveWithExactPortsAndTheirPath() throws {
        let network = CompiledNetwork(try Self.file("seed-elb-nat-fixed.yaml").topology)
        let out = try network.findings(
            AccessScope(name: "web servers never reach the internet", match: [Path(source: Self.privateSubnet, destination: Self.internet)]))
        #expect(out.map(\.source).sorted() == ["web-1", "web-2"])
        #expect(out.allSatisfy { $0.ipProtocol == .tcp && $0.ports == IntervalSet([80...80, 443...443]) })
        #expect(out.allSatisfy { finding in finding.components.contains { $0.component.name == "nat-eni" } }, "the path is through the NAT")
        // Each finding is confirmed by a single trace, port by port.
        for finding in out {
            for port in finding.ports.ranges.flatMap({ $0 }) {
                let trace = try network.analyze(
                    PathQuery(from: finding.source, to: finding.destination, protocol: finding.ipProtocol, ports: try PortRange(port: Int(port))))
                #expect(trace.isReachable)
            }
        }
        // With the NAT instance stopped ("on-demand NAT"), nothing leaves.
        let stopped = CompiledNetwork(try Self.file("seed-elb-nat-stopped.yaml").topology)
        #expect(try stopped.findings(AccessScope(name: "out", match: [Path(source: Self.privateSubnet, destination: Self.internet)])).isEmpty)
    }

    @Test func packetHeaderStatementsRestrictProtocolsAndPorts() throws {
        let network = CompiledNetwork(try Self.file("seed-elb-nat-fixed.yaml").topology)
        let elb = Resources(resourceTypes: ["AWS::ElasticLoadBalancing::LoadBalancer"])
        let ssh = AccessScope(
            name: "ssh",
            match: [Path(source: Self.internet, destination: elb, packet: .init(protocols: [.tcp], destinationPorts: [try PortRange(port: 22)]))])
        #expect(try network.findings(ssh).isEmpty)
        let web = AccessScope(
            name: "web",
            match: [
                Path(source: Self.internet, destination: elb, packet: .init(protocols: [.tcp], destinationPorts: [try PortRange(from: 1, to: 100)]))
            ])
        let found = try network.findings(web)
        #expect(found.count == 1 && found[0].ports == IntervalSet(80...80), "\(found.map(\.ports))")
    }

    /// Packet header statements' addresses and source ports (EC2 `PacketHeaderStatementRequest`:
    /// SourceAddresses, DestinationAddresses, SourcePorts), read on the packets as they leave the source.
    @Test func packetHeaderStatementsRestrictAddressesAndSourcePorts() throws {
        var topology = try Self.file("seed-elb-nat-fixed.yaml").topology
        let elbGroup = try #require(topology.securityGroups.firstIndex { $0.name == "elb-sg" })
        topology.securityGroups[elbGroup].ingress = [
            SecurityGroupRule(ipProtocol: .tcp, ports: try PortRange(port: 80), peer: .cidr(try CIDRBlock(parsing: "203.0.113.0/24")))
        ]
        let network = CompiledNetwork(topology)
        let elb = Resources(resourceTypes: ["AWS::ElasticLoadBalancing::LoadBalancer"])
        func findings(
            _ packet: AccessScope.PacketStatement, from source: Resources = Self.internet, to destination: Resources? = nil
        ) throws
            -> [AccessFinding]
        {
            try network.findings(AccessScope(name: "s", match: [Path(source: source, destination: destination ?? elb, packet: packet)]))
        }
        // The internet narrowed to the statement's addresses: the ELB admits only 203.0.113.0/24.
        #expect(try findings(.init(sourceAddresses: [try CIDRBlock(parsing: "198.51.100.0/24")])).isEmpty)
        let admitted = try findings(.init(sourceAddresses: [try CIDRBlock(parsing: "203.0.113.0/25")]))
        #expect(admitted.count == 1 && admitted[0].ipProtocol == .tcp && admitted[0].ports == IntervalSet(80...80), "\(admitted)")
        // An instance's own address is in or out: only web-1 from web-1's address.
        let web1 = try #require(topology.instances.first { $0.name == "web-1" })
        let web1Address = try #require(topology.networkInterface(web1.primaryNetworkInterfaceID)?.primaryPrivateIP)
        let out = try findings(
            .init(sourceAddresses: [try CIDRBlock(parsing: "\(web1Address)/32")]), from: Self.privateSubnet, to: Self.internet)
        #expect(out.map(\.source) == ["web-1"], "\(out.map(\.source))")
        // The internet as a destination narrowed to private addresses is no destination at all.
        #expect(
            try findings(.init(destinationAddresses: [try CIDRBlock(parsing: "10.0.0.0/8")]), from: Self.privateSubnet, to: Self.internet).isEmpty)
        // Source ports: the public ACL lets replies out to ports 80, 443 and 1024-65535 only.
        #expect(
            try findings(.init(sourcePorts: [try PortRange(from: 1, to: 79)], sourceAddresses: [try CIDRBlock(parsing: "203.0.113.0/24")])).isEmpty)
        #expect(
            try findings(.init(sourcePorts: [try PortRange(from: 1024, to: 65535)], sourceAddresses: [try CIDRBlock(parsing: "203.0.113.0/24")]))
                .count == 1)
    }

    @Test func scopesInFilesAreCheckedForNamesAndTypes() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.0.0/24 }
            scopes:
              - name: bad
                match:
                  - { source: AWS::EC2::Bucket, destination: nowhere }
            """
        let error = try #require(throws: TopologyFileError.self) { try TopologyFile(yaml: yaml, file: "bad.yaml") }
        #expect(error.diagnostics.contains { $0.line == 7 && $0.message.contains("AWS::EC2::Bucket") })
        #expect(error.diagnostics.contains { $0.line == 7 && $0.message.contains("nowhere") })
        // Packet header addresses and source ports are read from the file, each checked at its line.
        let packets = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.0.0/24 }
            scopes:
              - name: narrowed
                match:
                  - source: a
                    packet: { source-addresses: [10.0.0.0/25], destination-addresses: [192.0.2.0/24], source-ports: [1024-65535] }
              - name: bad
                match:
                  - { source: a, packet: { destination-addresses: [nope] } }
            """
        let packetError = try #require(throws: TopologyFileError.self) { try TopologyFile(yaml: packets, file: "p.yaml") }
        #expect(packetError.diagnostics.count == 1 && packetError.diagnostics[0].line == 11, "\(packetError.diagnostics)")
        let good = try TopologyFile(yaml: packets.components(separatedBy: "\n").prefix(8).joined(separator: "\n"), file: "p.yaml")
        let statement = try #require(good.scopes.first?.match.first?.packet)
        let (sourceBlock, destinationBlock) = (try CIDRBlock(parsing: "10.0.0.0/25"), try CIDRBlock(parsing: "192.0.2.0/24"))
        let ephemeral = try PortRange(from: 1024, to: 65535)
        #expect(statement.sourceAddresses == [sourceBlock] && statement.sourcePorts == [ephemeral])
        #expect(statement.destinationAddresses == [destinationBlock])
    }
}
