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

/// The composition behind whole-network reach (``ReachIndex``) against the single-trace engine.
struct ReachCompositionTests {
    /// A generated network with what the generator leaves out varied by the seed: UDP rules, cross-zone
    /// balancing off, an ACL that blocks part of the ephemeral ports (replies partly blocked), a deny
    /// entry on a service port, more stopped instances.
    static func network(seed: UInt64) throws -> CompiledNetwork {
        var t = NetworkGenerator(seed: seed, subnets: 7, groups: 9, instances: 24, loadBalancers: 2).topology()
        for index in t.securityGroups.indices where (index + Int(seed)) % 3 == 0 {
            t.securityGroups[index].ingress.append(
                .init(ipProtocol: .udp, ports: try PortRange(from: 53, to: 60), peer: .cidr(try CIDRBlock(parsing: "10.0.0.0/16"))))
            t.securityGroups[index].egress.append(.init(ipProtocol: .udp, ports: try PortRange(port: 53), peer: .cidr(.all)))
        }
        for index in t.loadBalancers.indices { t.loadBalancers[index].crossZone = (seed + UInt64(index)) % 2 == 0 }
        if let acl = t.networkACLs.firstIndex(where: { !$0.isDefault }) {
            if seed % 2 == 1 {
                t.networkACLs[acl].entries.append(
                    .init(
                        ruleNumber: 105, direction: .ingress, ipProtocol: .tcp, ports: try PortRange(from: 1024, to: 2047), cidr: .all, action: .deny)
                )
            }
            if seed % 3 == 0 {
                t.networkACLs[acl].entries.append(
                    .init(ruleNumber: 20, direction: .egress, ipProtocol: .tcp, ports: try PortRange(port: 443), cidr: .all, action: .deny))
            }
        }
        for index in t.instances.indices where t.instances[index].role == nil && (index * 7 + Int(seed)) % 11 == 0 {
            t.instances[index].state = .stopped
        }
        return CompiledNetwork(t)
    }

    /// Property: every pair the composition answers has exactly the single-trace engine's cell (ports of
    /// each protocol and the explanation codes of what blocks the rest), and the composition answers most
    /// pairs, including pairs through load balancers.
    @Test(arguments: UInt64(1)...8) func everyComposedCellEqualsTheEngines(seed: UInt64) throws {
        let network = try Self.network(seed: seed)
        let endpoints = network.reachEndpoints()
        var index = ReachIndex(network: network)
        let plain = index.plainEnds(endpoints)
        var composed = 0
        var throughBalancers = 0
        var kinds: Set<String> = []
        var pairKinds: Set<String> = []
        let ends = plain.values.sorted { $0.name < $1.name }
        var fast = ReachIndex(network: network)
        if seed % 2 == 0 { fast.fast.tableBudget = 0 }  // views found per pair, as on very large networks
        fast.prepare(fast.plainEnds(endpoints).values.sorted { $0.name < $1.name })
        for s in ends {
            for d in ends where d.name != s.name {
                guard let cell = try index.cell(s, d) else { continue }
                // The fast path (a key per pair, an answer per key) gives the same cell.
                #expect(try fast.fastCell(fast.fast.position[s.name]!, fast.fast.position[d.name]!) == cell)
                composed += 1
                if !d.balancers.isEmpty { throughBalancers += 1 }
                kinds.insert(cell.summary)
                pairKinds.insert("\(s.kind)->\(d.kind)")
                #expect(cell == (try network.reach(s.name, d.name)), "\(s.name) -> \(d.name)")
            }
        }
        // Every endpoint but the internet is covered: instances (NAT instances too), NAT gateways, load balancers.
        #expect(plain.count == endpoints.count - 1)
        #expect(composed == ends.count * (ends.count - 1), "composed \(composed) of \(ends.count * (ends.count - 1))")
        #expect(pairKinds.count == 9, "\(pairKinds.sorted())")
        #expect(throughBalancers > 0)
        #expect(kinds.count >= 3, "\(kinds)")
        // Far fewer engine runs than pairs: the codes are asked once per vector of stage outcomes.
        #expect(index.distinctOutcomeVectors < composed / 2, "\(index.distinctOutcomeVectors) vectors for \(composed) pairs")
    }

    /// Property: with the internet on one side, pairs are answered once per class of what the paths read
    /// (``CompiledNetwork/internetClasses(_:)``), and every cell equals the engine's for that pair.
    @Test(arguments: UInt64(1)...6) func internetCellsEqualTheEngines(seed: UInt64) throws {
        let network = try Self.network(seed: seed)
        let others = network.reachEndpoints().filter { $0 != "internet" }
        let classes = network.internetClasses(others)
        let keys = classes.values.flatMap { [$0.to, "from:" + $0.from] }
        #expect(Set(keys).count < 2 * others.count, "classes merge: \(Set(keys).count) of \(2 * others.count)")
        let cells = try network.reach(from: ["internet"], to: others) + network.reach(from: others, to: ["internet"])
        #expect(cells.count == 2 * others.count)
        #expect(cells.contains { !$0.isEmpty } && cells.contains { $0.isEmpty })
        for cell in cells {
            #expect(cell == (try network.reach(cell.source, cell.destination)), "\(cell.source) -> \(cell.destination)")
        }
    }

    /// Property: on random generated networks, every finding of a scope is confirmed by a single trace
    /// of its source, destination and protocol, at each end of each of its port ranges (and only there
    /// where the ports are cut), with the scope's exclusions as the trace's `avoiding`.
    @Test(arguments: UInt64(1)...6) func everyScopeFindingIsConfirmedBySingleTraces(seed: UInt64) throws {
        let network = try Self.network(seed: seed)
        let internet = AccessScope.ResourceStatement(resourceTypes: ["AWS::EC2::InternetGateway"])
        let instances = AccessScope.ResourceStatement(resourceTypes: ["AWS::EC2::Instance"])
        let balancers = AccessScope.ResourceStatement(resourceTypes: ["AWS::ElasticLoadBalancing::LoadBalancer"])
        let scopes = [
            AccessScope(name: "in", match: [.init(source: internet, destination: instances)], exclude: [.init(through: [balancers])]),
            AccessScope(name: "out", match: [.init(source: instances, destination: internet)]),
            AccessScope(name: "east-west", match: [.init(source: instances, destination: instances)]),
        ]
        var confirmed = 0
        for scope in scopes {
            let avoiding = scope.exclude.flatMap { $0.through.flatMap { network.endpoints(of: $0) } }
            for finding in try network.findings(scope) {
                #expect(!finding.components.isEmpty, "a finding carries its path")
                let ranges = finding.ipProtocol.hasPorts ? finding.ports.ranges : [0...0]
                for range in ranges {
                    for port in Set([range.lowerBound, range.upperBound]) {
                        let query = PathQuery(
                            from: finding.source, to: finding.destination, protocol: finding.ipProtocol,
                            ports: finding.ipProtocol.hasPorts ? try PortRange(port: Int(port)) : nil, avoiding: avoiding)
                        #expect(try network.analyze(query).isReachable, "\(scope.name): \(finding.source) -> \(finding.destination) \(port)")
                        confirmed += 1
                    }
                    // Just outside a range cut short, the single trace does not get through.
                    if finding.ipProtocol.hasPorts, range.upperBound < 65535, !finding.ports.contains(range.upperBound + 1) {
                        let query = PathQuery(
                            from: finding.source, to: finding.destination, protocol: finding.ipProtocol,
                            ports: try PortRange(port: Int(range.upperBound + 1)), avoiding: avoiding)
                        #expect(!(try network.analyze(query).isReachable), "\(scope.name): \(finding.source) -> \(finding.destination)")
                    }
                }
            }
        }
        #expect(confirmed > 0)
    }
}
