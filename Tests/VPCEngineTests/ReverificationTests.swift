import Testing
import VPCModel
import VPCTesting

@testable import VPCEngine

/// Verifying again after one change analyses only what the change can affect, and gives what verifying
/// from scratch gives: checked on seeded random networks with random single changes.
struct ReverificationTests {
    struct Random {
        var state: UInt64
        mutating func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next() % items.count] }
    }

    static func intents(_ network: CompiledNetwork, _ random: inout Random) throws -> [Intent] {
        let endpoints = network.reachEndpoints()
        return try (0..<12).map { index in
            let source = random.pick(endpoints)
            let destination = random.pick(endpoints.filter { $0 != source })
            let port = random.pick([22, 80, 443, 3306, 8080])
            let ipProtocol = random.pick([IPProtocol.tcp, .tcp, .tcp, .udp, .icmp])
            return Intent(
                name: "intent \(index)",
                query: PathQuery(
                    from: source, to: destination, protocol: ipProtocol, ports: ipProtocol.hasPorts ? try PortRange(port: port) : nil),
                expectation: .reachable(true))
        }
    }

    static let scopes = [
        AccessScope(
            name: "in",
            match: [.init(source: .init(resourceTypes: ["AWS::EC2::InternetGateway"]), destination: .init(resourceTypes: ["AWS::EC2::Instance"]))],
            exclude: [.init(through: [.init(resourceTypes: ["AWS::ElasticLoadBalancing::LoadBalancer"])])]),
        AccessScope(
            name: "out",
            match: [.init(source: .init(resourceTypes: ["AWS::EC2::Instance"]), destination: .init(resourceTypes: ["AWS::EC2::InternetGateway"]))]),
    ]

    /// One random change that adds and removes nothing: a rule, an entry, a route, a state, a check, a registration.
    static func change(_ topology: Topology, _ random: inout Random) throws -> Topology {
        var t = topology
        switch random.next() % 8 {
        case 6:
            // A rule of any protocol and port, in or out, added or the last one removed.
            let index = random.next() % t.securityGroups.count
            let ingress = random.next() % 2 == 0
            let ipProtocol = random.pick([IPProtocol.tcp, .udp, .icmp, .all])
            let rule = SecurityGroupRule(
                ipProtocol: ipProtocol, ports: try PortRange(port: random.pick([22, 53, 80, 443, 3306, 8443, 40000])),
                peer: random.next() % 2 == 0 ? .cidr(.all) : .securityGroup(random.pick(t.securityGroups).id))
            if ingress {
                if random.next() % 3 == 0, !t.securityGroups[index].ingress.isEmpty {
                    t.securityGroups[index].ingress.removeLast()
                } else {
                    t.securityGroups[index].ingress.append(rule)
                }
            } else {
                if random.next() % 3 == 0, !t.securityGroups[index].egress.isEmpty {
                    t.securityGroups[index].egress.removeLast()
                } else {
                    t.securityGroups[index].egress.append(rule)
                }
            }
        case 7:
            // An entry of any protocol and ports, allow or deny, somewhere in the order.
            let index = random.next() % t.networkACLs.count
            let ipProtocol = random.pick([IPProtocol.tcp, .udp, .icmp, .all])
            let low = random.pick([22, 53, 80, 443, 1024, 8443, 40000])
            let number = random.pick([5, 45, 101, 115, 200, 300])
            guard !t.networkACLs[index].entries.contains(where: { $0.ruleNumber == number }) else { break }
            t.networkACLs[index].entries.append(
                NetworkACLEntry(
                    ruleNumber: number, direction: random.next() % 2 == 0 ? .ingress : .egress, ipProtocol: ipProtocol,
                    ports: try PortRange(from: low, to: low + random.pick([0, 100, 20000])), cidr: .all,
                    action: random.next() % 2 == 0 ? .allow : .deny))
        case 0:
            let index = random.next() % t.securityGroups.count
            if t.securityGroups[index].egress.isEmpty || random.next() % 2 == 0 {
                t.securityGroups[index].egress.append(
                    SecurityGroupRule(ipProtocol: .tcp, ports: try PortRange(port: random.pick([80, 443, 22])), peer: .cidr(.all)))
            } else {
                t.securityGroups[index].egress.removeLast()
            }
        case 1:
            let index = random.next() % t.instances.count
            t.instances[index].state = t.instances[index].state == .running ? .stopped : .running
        case 2:
            let index = random.next() % t.networkACLs.count
            if !t.networkACLs[index].entries.isEmpty {
                let entry = random.next() % t.networkACLs[index].entries.count
                t.networkACLs[index].entries[entry].action = t.networkACLs[index].entries[entry].action == .allow ? .deny : .allow
            }
        case 3:
            let index = random.next() % t.routeTables.count
            if t.routeTables[index].routes.isEmpty {
                t.routeTables[index].routes.append(Route(destination: .all, target: .internetGateway(t.internetGateways[0].id)))
            } else {
                t.routeTables[index].routes.removeLast()
            }
        case 4:
            let index = random.next() % t.networkInterfaces.count
            t.networkInterfaces[index].sourceDestCheck.toggle()
        default:
            if !t.loadBalancers.isEmpty, !t.loadBalancers[0].instanceIDs.isEmpty {
                t.loadBalancers[0].instanceIDs.removeLast()
            }
        }
        return t
    }

    @Test(arguments: UInt64(1)...6) func changesGiveWhatVerifyingFromScratchGives(seed: UInt64) throws {
        var random = Random(state: seed)
        var topology = NetworkGenerator(seed: seed, subnets: 5, groups: 6, instances: 8, loadBalancers: 1).topology()
        let intents = try Self.intents(CompiledNetwork(topology), &random)
        var incremental = try Reverification(topology, intents: intents, scopes: Self.scopes)
        var skipped = 0
        for _ in 0..<15 {
            topology = try Self.change(topology, &random)
            try incremental.update(topology)
            let fresh = try Reverification(topology, intents: intents, scopes: Self.scopes)
            skipped += fresh.analysesRun - incremental.analysesRun
            #expect(incremental.intentResults.map(\.holds) == fresh.intentResults.map(\.holds))
            #expect(incremental.intentResults.map(\.actual) == fresh.intentResults.map(\.actual))
            // The whole analysis, not only the verdict: ports, explanations and partial blocks.
            func summary(_ result: IntentResult) -> String {
                let r = result.reachability
                return "\(r.reachablePorts) \(r.analysis.explanations.map(\.message)) \(r.partialBlocks.map(\.message))"
            }
            #expect(incremental.intentResults.map(summary) == fresh.intentResults.map(summary))
            for (mine, theirs) in zip(incremental.scopeFindings, fresh.scopeFindings) {
                #expect(
                    mine.map { "\($0.source) \($0.destination) \($0.ipProtocol) \($0.ports)" }
                        == theirs.map { "\($0.source) \($0.destination) \($0.ipProtocol) \($0.ports)" })
            }
        }
        #expect(skipped > 0, "some analyses were not run again")
    }
}
