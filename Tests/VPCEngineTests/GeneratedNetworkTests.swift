import Testing
import VPCModel
import VPCTesting

@testable import VPCEngine

/// The seeded generator and whole-network answers on what it makes.
struct GeneratedNetworkTests {
    /// Same parameters and seed, same network; another seed, another network; what it makes passes the
    /// model's own validation (addresses inside their subnets, no overlaps, references that resolve).
    @Test func theGeneratorIsReproducibleAndValid() throws {
        let a = NetworkGenerator(seed: 7, subnets: 9, groups: 12, instances: 60, loadBalancers: 2).topology()
        let b = NetworkGenerator(seed: 7, subnets: 9, groups: 12, instances: 60, loadBalancers: 2).topology()
        let c = NetworkGenerator(seed: 8, subnets: 9, groups: 12, instances: 60, loadBalancers: 2).topology()
        #expect(a == b)
        #expect(a != c)
        for seed in UInt64(1)...20 {
            let topology = NetworkGenerator(seed: seed, subnets: 7, groups: 10, instances: 40, loadBalancers: 1).topology()
            #expect(topology.validate().isEmpty, "seed \(seed): \(topology.validate().prefix(3))")
            #expect(!topology.natGateways.isEmpty && topology.instances.contains { $0.role == .nat } && topology.loadBalancers.count == 1)
        }
    }

    /// Property: on random generated networks, every cell of the whole-network answer equals the
    /// single-trace engine's answer for that pair, at single ports around every range boundary.
    @Test(arguments: UInt64(1)...6) func reachEqualsSingleTracesOnRandomNetworks(seed: UInt64) throws {
        let network = CompiledNetwork(NetworkGenerator(seed: seed, subnets: 5, groups: 6, instances: 8, loadBalancers: 1).topology())
        let endpoints = network.reachEndpoints()
        let cells = try network.reachAll(endpoints)
        #expect(cells.count == endpoints.count * (endpoints.count - 1))
        // Not a vacuous check: some pairs talk and some do not.
        #expect(cells.contains { !$0.isEmpty } && cells.contains { $0.isEmpty })
        // Interchangeable endpoints were found and shared their answers.
        #expect(Set(network.endpointClasses(endpoints)).count <= endpoints.count)
        for cell in cells {
            #expect(cell == (try network.reach(cell.source, cell.destination)), "\(cell.source) -> \(cell.destination)")
            var probes: Set<UInt32> = [22, 80, 443, 3306]
            for range in cell.tcp.ranges { probes.formUnion([range.lowerBound, range.upperBound]) }
            for port in probes.sorted() {
                let single = try network.analyze(
                    PathQuery(from: cell.source, to: cell.destination, protocol: .tcp, ports: try PortRange(port: Int(port))))
                #expect(single.isReachable == cell.tcp.contains(port), "\(cell.source) -> \(cell.destination) tcp \(port)")
            }
        }
    }
}
