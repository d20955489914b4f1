import Testing
import VPCEngine
import VPCModel
import VPCTesting

/// `localvpc-bench` times three queries on `Fixtures.scaledSeed`; these tests hold the fixture to the
/// verdicts the benchmark reports, so a figure in docs/benchmarks.md always measures the path it names.
struct BenchmarkFixtureTests {
    @Test(arguments: [100, 1000])
    func scaledSeedHasTheVerdictsTheBenchmarkTimes(count: Int) throws {
        let topology = Fixtures.scaledSeed(instances: count)
        #expect(topology.validate().isEmpty, "\(topology.validate())")
        #expect(topology.instances.count == count + 1, "the web servers and the NAT instance")
        let network = CompiledNetwork(topology)
        let target = "web-\(count - 1)"
        let inbound = try network.analyze(PathQuery(from: "internet", to: target, protocol: .tcp, ports: try PortRange(port: 80)))
        #expect(inbound.isReachable, "internet -> \(target):80 through the load balancer")
        #expect(inbound.analysis.forwardPathComponents.contains { $0.component.id == "elb" })
        let outbound = try network.analyze(PathQuery(from: target, to: "internet", protocol: .tcp, ports: try PortRange(port: 443)))
        #expect(outbound.isReachable, "\(target) -> internet:443 through the NAT instance")
        #expect(outbound.analysis.forwardPathComponents.contains { $0.component.id == "eni-nat" }, "the NAT instance's interface")
        let lateral = try network.analyze(PathQuery(from: "web-0", to: target, protocol: .tcp, ports: try PortRange(port: 22)))
        #expect(!lateral.isReachable)
        #expect(lateral.codes.contains("ENI_SG_RULES_MISMATCH"), "web-sg admits port 80 from the ELB only")
    }
}
