import VPCModel

/// The resources an analysis depends on: every component on its forward and return paths, what they
/// are attached to, their subnets and VPCs, the groups and targets their rules and routes name, and
/// every resource its explanations name. A change to none of them leaves the analysis as it was.
extension Reachability {
    public var dependencies: Set<String> {
        var ids: Set<String> = [query.source, query.destination]
        func add(_ component: AnalysisComponent?) { if let id = component?.id { ids.insert(id) } }
        for hop in analysis.forwardPathComponents + analysis.returnPathComponents {
            add(hop.component)
            add(hop.attachedTo)
            add(hop.subnet)
            add(hop.vpc)
            if let group = hop.securityGroupRule?.securityGroupID { ids.insert(group) }
            if let route = hop.routeTableRoute {
                for id in [route.gatewayID, route.instanceID, route.natGatewayID, route.networkInterfaceID].compactMap({ $0 }) { ids.insert(id) }
            }
            for detail in hop.additionalDetails ?? [] {
                add(detail.component)
                for balancer in detail.loadBalancers ?? [] { add(balancer) }
            }
            for explanation in hop.explanations ?? [] { ids.formUnion(explanation.dependencies) }
        }
        for explanation in analysis.explanations + partialBlocks { ids.formUnion(explanation.dependencies) }
        return ids
    }
}

extension CompiledNetwork {
    /// An analysis' dependencies, widened to what the resources on its way carry: every security group of
    /// an interface (not only the one whose rule matched), the route table and network ACL of every
    /// subnet, a load balancer's nodes and registered instances, a gateway's interface.
    func dependencies(of result: Reachability) -> Set<String> {
        let t = topology
        var ids = result.dependencies
        var interfaces: [String: NetworkInterface] = [:]
        for interface in t.networkInterfaces { interfaces[interface.id.rawValue] = interface }
        for instance in t.instances where ids.contains(instance.id.rawValue) || ids.contains(instance.name ?? "\u{0}") {
            ids.insert(instance.id.rawValue)
            ids.insert(instance.primaryNetworkInterfaceID.rawValue)
        }
        for gateway in t.natGateways where ids.contains(gateway.id.rawValue) { ids.insert(gateway.networkInterfaceID.rawValue) }
        for balancer in t.loadBalancers where ids.contains(balancer.id.rawValue) {
            for node in balancer.nodes { ids.insert(node.networkInterfaceID.rawValue) }
            for instance in balancer.instanceIDs { ids.insert(instance.rawValue) }
            ids.formUnion(balancer.securityGroupIDs.map(\.rawValue))
        }
        for id in Array(ids) {
            guard let interface = interfaces[id] else { continue }
            ids.formUnion(interface.securityGroupIDs.map(\.rawValue))
            ids.insert(interface.subnetID.rawValue)
            if let owner = t.instance(owning: interface) { ids.insert(owner.id.rawValue) }
        }
        for subnet in t.subnets where ids.contains(subnet.id.rawValue) {
            if let table = t.routeTable(for: subnet) { ids.insert(table.id.rawValue) }
            if let acl = t.networkACL(for: subnet) { ids.insert(acl.id.rawValue) }
        }
        return ids
    }
}

extension Explanation {
    var dependencies: Set<String> {
        var ids: Set<String> = []
        for component in [
            component, acl, securityGroup, routeTable, subnet, vpc, networkInterface, internetGateway, natGateway, attachedTo, destination,
            loadBalancerTarget?.instance,
        ] {
            if let id = component?.id { ids.insert(id) }
        }
        for group in securityGroups ?? [] { ids.insert(group.id) }
        if let group = securityGroupRule?.securityGroupID { ids.insert(group) }
        return ids
    }
}

extension Topology {
    /// The IDs of resources that differ between two versions, and whether any was added or removed.
    public func changes(to other: Topology) -> (changed: Set<String>, addedOrRemoved: Bool) {
        var changed: Set<String> = []
        var addedOrRemoved = false
        func compare<K: TopologyKind>(_ row: K) {
            let before = Dictionary(self[keyPath: row.list].map { ($0.resourceID, $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(other[keyPath: row.list].map { ($0.resourceID, $0) }, uniquingKeysWith: { first, _ in first })
            for (id, value) in after where before[id] != value {
                changed.insert(id)
                if before[id] == nil { addedOrRemoved = true }
            }
            for id in before.keys where after[id] == nil {
                changed.insert(id)
                addedOrRemoved = true
            }
        }
        for row in Topology.kinds { compare(row) }
        return (changed, addedOrRemoved)
    }
}

/// Every intent and scope of a design, verified once and then again after each change, analysing only
/// what a change can affect: an intent, or one pair and protocol of a scope, is analysed again only
/// when the change touches a resource its last analysis depended on (`Reachability.dependencies`).
/// A change that adds or removes resources (which can open new paths or change a scope's endpoints)
/// verifies everything again. Held by property tests to verifying from scratch after random changes.
public struct Reverification: Sendable {
    public private(set) var network: CompiledNetwork
    public let intents: [Intent]
    public let scopes: [AccessScope]
    public private(set) var intentResults: [IntentResult] = []
    public private(set) var scopeFindings: [[AccessFinding]] = []
    /// The analyses of the last verification that re-ran (for the benchmark and tests).
    public private(set) var analysesRun = 0
    private var scopeAnalyses: [[ScopeEvaluation]] = []

    public init(_ topology: Topology, intents: [Intent], scopes: [AccessScope]) throws(ModelError) {
        network = CompiledNetwork(topology)
        self.intents = intents
        self.scopes = scopes
        try verifyAll()
    }

    private mutating func verifyAll() throws(ModelError) {
        analysesRun = 0
        intentResults = []
        for intent in intents {
            intentResults.append(try network.check(intent))
            analysesRun += 1
        }
        scopeAnalyses = []
        for scope in scopes {
            let evaluations = try network.scopeEvaluations(scope)
            analysesRun += evaluations.count
            scopeAnalyses.append(evaluations)
        }
        scopeFindings = scopeAnalyses.map { $0.compactMap(\.finding) }
    }

    /// Verifies again after the network changed to `topology`.
    public mutating func update(_ topology: Topology) throws(ModelError) {
        let (changed, addedOrRemoved) = network.topology.changes(to: topology)
        let previous = network
        network = CompiledNetwork(topology)
        if addedOrRemoved { return try verifyAll() }
        analysesRun = 0
        guard !changed.isEmpty else { return }
        // What each analysis depended on, read in the network it was made in.
        let before = previous
        for index in intentResults.indices where !before.dependencies(of: intentResults[index].reachability).isDisjoint(with: changed) {
            intentResults[index] = try network.check(intents[index])
            analysesRun += 1
        }
        for (scopeIndex, evaluations) in scopeAnalyses.enumerated() {
            for (index, evaluation) in evaluations.enumerated() where !before.dependencies(of: evaluation.reachability).isDisjoint(with: changed) {
                scopeAnalyses[scopeIndex][index] = try network.evaluate(evaluation.query, wantedPorts: evaluation.wantedPorts)
                analysesRun += 1
            }
        }
        scopeFindings = scopeAnalyses.map { $0.compactMap(\.finding) }
    }
}

/// One analysis a scope needs (one source, destination and protocol), and the finding it makes, if any.
struct ScopeEvaluation: Sendable {
    var query: PathQuery
    var wantedPorts: IntervalSet
    var reachability: Reachability
    var finding: AccessFinding?
}
