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

/// Widens an analysis' dependencies to what the resources on its way carry: every security group of an
/// interface (not only the one whose rule matched), the route table and network ACL of every subnet, a
/// load balancer's nodes, groups and registered instances, a gateway's interface. Its lookups are built
/// once per network, not once per analysis.
struct DependencyIndex {
    private var instanceInterface: [String: String] = [:]
    private var gatewayInterface: [String: String] = [:]
    private var balancerParts: [String: [String]] = [:]
    /// An interface's groups, its subnet and its instance.
    private var interfaceParts: [String: [String]] = [:]
    /// A subnet's route table and network ACL.
    private var subnetParts: [String: [String]] = [:]

    init(_ t: Topology) {
        for instance in t.instances {
            instanceInterface[instance.id.rawValue] = instance.primaryNetworkInterfaceID.rawValue
            if let name = instance.name { instanceInterface[name] = instance.primaryNetworkInterfaceID.rawValue }
        }
        for gateway in t.natGateways { gatewayInterface[gateway.id.rawValue] = gateway.networkInterfaceID.rawValue }
        for balancer in t.loadBalancers {
            balancerParts[balancer.id.rawValue] =
                balancer.nodes.map(\.networkInterfaceID.rawValue) + balancer.instanceIDs.map(\.rawValue) + balancer.securityGroupIDs.map(\.rawValue)
        }
        for interface in t.networkInterfaces {
            var parts = interface.securityGroupIDs.map(\.rawValue) + [interface.subnetID.rawValue]
            if case .instance(let owner) = interface.owner { parts.append(owner.rawValue) }
            interfaceParts[interface.id.rawValue] = parts
        }
        for subnet in t.subnets {
            subnetParts[subnet.id.rawValue] = [t.routeTable(for: subnet)?.id.rawValue, t.networkACL(for: subnet)?.id.rawValue].compactMap { $0 }
        }
    }

    func dependencies(of result: Reachability) -> Set<String> {
        var ids = result.dependencies
        for id in Array(ids) {
            if let interface = instanceInterface[id] { ids.insert(interface) }
            if let interface = gatewayInterface[id] { ids.insert(interface) }
            ids.formUnion(balancerParts[id] ?? [])
        }
        for id in Array(ids) { ids.formUnion(interfaceParts[id] ?? []) }
        for id in Array(ids) { ids.formUnion(subnetParts[id] ?? []) }
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
/// Its analyses keep their paths without rendering the packet headers (nobody reads them here).
public struct Reverification: Sendable {
    public private(set) var network: CompiledNetwork
    public let intents: [Intent]
    public let scopes: [AccessScope]
    public private(set) var intentResults: [IntentResult] = []
    public private(set) var scopeFindings: [[AccessFinding]] = []
    /// The analyses of the last verification that re-ran (for the benchmark and tests).
    public private(set) var analysesRun = 0
    private var scopeAnalyses: [[ScopeEvaluation]] = []
    /// What each analysis depended on, read in the network it was made in.
    private var intentDependencies: [Set<String>] = []
    private var scopeDependencies: [[Set<String>]] = []

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
            intentResults.append(try network.check(intent, detail: .path))
            analysesRun += 1
        }
        scopeAnalyses = []
        for scope in scopes {
            let evaluations = try network.scopeEvaluations(scope, detail: .path)
            analysesRun += evaluations.count
            scopeAnalyses.append(evaluations)
        }
        scopeFindings = scopeAnalyses.map { $0.compactMap(\.finding) }
        let index = DependencyIndex(network.topology)
        intentDependencies = intentResults.map { index.dependencies(of: $0.reachability) }
        scopeDependencies = scopeAnalyses.map { $0.map { index.dependencies(of: $0.reachability) } }
    }

    /// Verifies again after the network changed to `topology`.
    public mutating func update(_ topology: Topology) throws(ModelError) {
        let (changed, addedOrRemoved) = network.topology.changes(to: topology)
        let previous = network
        network = CompiledNetwork(topology)
        if addedOrRemoved { return try verifyAll() }
        analysesRun = 0
        guard !changed.isEmpty else { return }
        let rules = RuleChange(from: previous, to: network, changed: changed)
        var index: DependencyIndex?
        for position in intentResults.indices
        where rules?.mayAffect(intents[position].query) ?? true && !intentDependencies[position].isDisjoint(with: changed) {
            intentResults[position] = try network.check(intents[position], detail: .path)
            if index == nil { index = DependencyIndex(topology) }
            intentDependencies[position] = index!.dependencies(of: intentResults[position].reachability)
            analysesRun += 1
        }
        for (scopeIndex, evaluations) in scopeAnalyses.enumerated() {
            for (position, evaluation) in evaluations.enumerated()
            where rules?.mayAffect(evaluation.query) ?? true && !scopeDependencies[scopeIndex][position].isDisjoint(with: changed) {
                let fresh = try network.evaluate(evaluation.query, wantedPorts: evaluation.wantedPorts, detail: .path)
                scopeAnalyses[scopeIndex][position] = fresh
                if index == nil { index = DependencyIndex(topology) }
                scopeDependencies[scopeIndex][position] = index!.dependencies(of: fresh.reachability)
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
