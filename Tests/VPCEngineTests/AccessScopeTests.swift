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
    }
}
