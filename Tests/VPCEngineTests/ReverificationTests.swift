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
            return Intent(
                name: "intent \(index)", query: PathQuery(from: source, to: destination, protocol: .tcp, ports: try PortRange(port: port)),
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
        switch random.next() % 6 {
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

    @Test(arguments: UInt64(1)...5) func changesGiveWhatVerifyingFromScratchGives(seed: UInt64) throws {
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
            for (mine, theirs) in zip(incremental.scopeFindings, fresh.scopeFindings) {
                #expect(
                    mine.map { "\($0.source) \($0.destination) \($0.ipProtocol) \($0.ports)" }
                        == theirs.map { "\($0.source) \($0.destination) \($0.ipProtocol) \($0.ports)" })
            }
        }
        #expect(skipped > 0, "some analyses were not run again")
    }
}
