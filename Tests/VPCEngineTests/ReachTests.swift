import Foundation
import Testing
import TopologyFile
import VPCModel
import VPCTesting

@testable import VPCEngine

/// `localvpc reach`: what every endpoint sends to every other and gets answered, per protocol.
struct ReachTests {
    static func seed(_ name: String = "seed-elb-nat.yaml") throws -> CompiledNetwork {
        let text = try String(contentsOfFile: "/" + RepairTests.root + "/examples/" + name, encoding: .utf8)
        return CompiledNetwork(try TopologyFile(yaml: text, file: name).topology)
    }

    /// The seed's matrix: the ELB serves 80 and 443 to the internet and talks to the web servers on 80
    /// only (its egress rule); the web servers cannot reach the internet (web-sg's egress names nat-sg,
    /// and a group reference matches only private addresses: SG_REFERENCES_NOT_PRESERVED).
    @Test func theSeedsMatrix() throws {
        let network = try Self.seed()
        #expect(network.reachEndpoints() == ["elb", "nat", "web-1", "web-2", "internet"])
        let internetToELB = try network.reach("internet", "elb")
        #expect(internetToELB.tcp == IntervalSet([80...80, 443...443]) && internetToELB.udp.isEmpty && !internetToELB.icmp)
        #expect(try network.reach("elb", "web-1").tcp == IntervalSet(80...80))
        let out = try network.reach("web-1", "internet")
        #expect(out.isEmpty && out.summary == "nothing")
        #expect(out.blockers["tcp"]?.contains("SG_REFERENCES_NOT_PRESERVED") == true)
        let fixed = try Self.seed("seed-elb-nat-fixed.yaml").reach("web-1", "internet")
        #expect(fixed.tcp == IntervalSet([80...80, 443...443]), "the fixed seed lets the web servers out on 80 and 443")
    }

    /// A cell's port set equals what single-port traces say, port by port, at every boundary of the set
    /// (the first and last port of each range and their neighbours), for every pair of the seed and of a
    /// generated network.
    @Test func everyCellAgreesWithSingleTraces() throws {
        for network in [try Self.seed(), try Self.seed("seed-elb-nat-fixed.yaml"), CompiledNetwork(Fixtures.scaledSeed(instances: 6))] {
            let endpoints = network.reachEndpoints()
            for cell in try network.reach(from: endpoints, to: endpoints) {
                for (ipProtocol, set) in [(IPProtocol.tcp, cell.tcp), (.udp, cell.udp)] {
                    var probes: Set<UInt32> = [0, 22, 80, 443, 1024, 65535]
                    for range in set.ranges {
                        probes.formUnion([range.lowerBound, range.upperBound, range.lowerBound &- 1, range.upperBound + 1].filter { $0 <= 65535 })
                    }
                    for port in probes.sorted() {
                        let single = try network.analyze(
                            PathQuery(from: cell.source, to: cell.destination, protocol: ipProtocol, ports: try PortRange(port: Int(port))))
                        #expect(single.isReachable == set.contains(port), "\(cell.source) -> \(cell.destination) \(ipProtocol) \(port)")
                    }
                }
            }
        }
    }
}
