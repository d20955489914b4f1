import VPCModel

/// Whole-network reach by composition: what one instance can send to another and get answered,
/// computed from the stages of its paths (security groups, network ACLs, states, load balancer legs)
/// evaluated once per distinct input and combined per pair, instead of one trace per pair.
///
/// Every stage is a set of TCP and UDP destination ports and ICMP (a ``View``), interned: a pair's
/// answer is a fold of small integer lookups. It covers the pairs whose paths are plain: two instances
/// of one VPC that forward for nobody, one address each, delivered by the `local` route both ways
/// (also to and from the nodes of the load balancers that register the destination). Every other pair
/// is left to the single-trace engine (``CompiledNetwork/reach(from:to:)`` does so).
///
/// The reachable ports come from the composition. The explanation codes of what blocks the rest depend
/// only on which stages block all, some or none of the packets, so they are asked of the single-trace
/// engine once per distinct vector of stage outcomes, for the first pair that has it. Property tests
/// hold every cell to the single-trace engine's answer for that pair.
struct ReachIndex {
    let network: CompiledNetwork

    /// TCP and UDP destination ports, and whether ICMP passes.
    struct View: Hashable {
        var tcp: IntervalSet
        var udp: IntervalSet
        var icmp: Bool
    }

    /// One end of a leg: an interface that sends or receives (an instance's, a NAT gateway's or a load
    /// balancer node's), with what the engine reads of it.
    struct Side {
        var interface: NetworkInterface
        var address: UInt32
        var subnet: Subnet
        /// The owning instance's state (running or not); nil for a NAT gateway or a node.
        var running: Bool?
        var isNode = false
        var isNATGateway = false
        /// The source ports it sends from, as a view (the reply's destination ports).
        var replyPorts: Int32
    }

    /// An endpoint the composition covers: an instance or NAT gateway (one side), or a load balancer (its nodes).
    struct End {
        enum Kind: UInt8 {
            case instance = 1
            case natGateway = 2
            case loadBalancer = 3
        }
        var name: String
        var kind: Kind
        /// The instance's or gateway's interface; a load balancer's nodes, by interface ID.
        var sides: [Side]
        /// The load balancers of its VPC that register it (an instance's).
        var balancers: [ClassicLoadBalancer] = []
        var loadBalancer: ClassicLoadBalancer?
    }

    static let pass: UInt8 = 0
    static let notApplicable: UInt8 = 0xC0
    /// A stage that blocks every protocol without narrowing (a stopped instance).
    static let blocksAll: UInt8 = 0b10_1010

    var views: [View] = []
    private var viewIDs: [View: Int32] = [:]
    private var steps: [UInt64: (Int32, UInt8)] = [:]
    private var sgViews: [SGKey: Int32] = [:]
    private var groupKeys: [NetworkInterface.ID: Int32] = [:]
    private var groupKeyIDs: [[SecurityGroup.ID]: Int32] = [:]
    private var aclViews: [ACLKey: Int32] = [:]
    private var aclKeys: [NetworkACL.ID: Int32] = [:]
    private var locals: [LocalKey: Bool] = [:]
    private var codes: [[UInt8]: [String]?] = [:]
    private(set) var allID: Int32 = 0
    private(set) var backendPortsID: Int32 = 0
    /// Load balancer nodes as ends of legs, by interface.
    var nodes: [NetworkInterface.ID: Side] = [:]
    /// Lookups per endpoint and per pair for ``fastCell(_:_:)``.
    var fast = FastTables()

    private struct SGKey: Hashable {
        var groups: Int32
        var egress: Bool
        var mask: UInt64
    }
    private struct ACLKey: Hashable {
        var acl: Int32
        var egress: Bool
        var mask: UInt64
    }
    private struct LocalKey: Hashable {
        var subnet: Subnet.ID
        var address: UInt32
    }

    init(network: CompiledNetwork) {
        self.network = network
        allID = intern(View(tcp: HeaderBox.allPorts, udp: HeaderBox.allPorts, icmp: true))
        let backend = IntervalSet(ClassicLoadBalancer.backendSourcePorts)
        backendPortsID = intern(View(tcp: backend, udp: backend, icmp: true))
        for (id, entry) in network.nodeOfInterface where network.loadBalancers[entry.balancer] != nil {
            if let interface = network.interfaces[id], let side = side(of: interface) { nodes[id] = side }
        }
    }

    mutating func intern(_ view: View) -> Int32 {
        if let id = viewIDs[view] { return id }
        let id = Int32(views.count)
        views.append(view)
        viewIDs[view] = id
        return id
    }

    /// The endpoints the composition covers, by the name they were asked by: resolved as the engine
    /// resolves them, kept when every interface involved has one private address and a route table.
    mutating func plainEnds(_ names: [String]) -> [String: End] {
        var result: [String: End] = [:]
        let interfacesOfInstance = network.topology.interfaceCountByInstance
        for name in names {
            guard let endpoint = try? network.endpoint(name, role: "destination") else { continue }
            switch endpoint {
            case .interface(let interface):
                guard let side = side(of: interface) else { continue }
                if let instance = network.instance(owning: interface) {
                    guard interfacesOfInstance[instance.id] == 1 else { continue }
                    let balancers = network.balancers(registering: interface).filter { $0.vpcID == side.subnet.vpcID }
                    guard balancers.allSatisfy(isPlain) else { continue }
                    result[name] = End(name: name, kind: .instance, sides: [side], balancers: balancers)
                } else if side.isNATGateway {
                    result[name] = End(name: name, kind: .natGateway, sides: [side])
                }
            case .loadBalancer(let balancer):
                guard isPlain(balancer) else { continue }
                let sides = balancer.nodes.compactMap { nodes[$0.networkInterfaceID] }.sorted { $0.interface.id < $1.interface.id }
                guard !sides.isEmpty else { continue }
                result[name] = End(name: name, kind: .loadBalancer, sides: sides, loadBalancer: balancer)
            default:
                continue
            }
        }
        return result
    }

    /// What the engine reads of an interface as an end of a leg.
    private mutating func side(of interface: NetworkInterface) -> Side? {
        guard interface.privateIPs.count == 1, let subnet = network.subnets[interface.subnetID], network.routeTableOfSubnet[subnet.id] != nil
        else { return nil }
        if let instance = network.instance(owning: interface) {
            let ephemeral = IntervalSet(instance.ephemeralPorts)
            return Side(
                interface: interface, address: interface.primaryPrivateIP.value, subnet: subnet, running: instance.state.isForwarding,
                replyPorts: intern(View(tcp: ephemeral, udp: ephemeral, icmp: true)))
        }
        let isNode = network.nodeOfInterface[interface.id] != nil
        let isGateway = network.natGatewayOfInterface[interface.id] != nil
        guard isNode || isGateway else { return nil }
        return Side(
            interface: interface, address: interface.primaryPrivateIP.value, subnet: subnet, running: nil, isNode: isNode,
            isNATGateway: isGateway, replyPorts: backendPortsID)
    }

    /// A load balancer whose legs the composition follows: listeners on distinct ports, every node known.
    private func isPlain(_ balancer: ClassicLoadBalancer) -> Bool {
        !balancer.listeners.isEmpty && Set(balancer.listeners.map(\.loadBalancerPort)).count == balancer.listeners.count
            && balancer.nodes.allSatisfy { nodes[$0.networkInterfaceID] != nil }
    }

    // MARK: Stages

    /// Narrows `current` by a stage: the packets it allows, with the stage's outcome per protocol (two
    /// bits each, TCP, UDP, ICMP: 0 allows all, 1 some, 2 none). A stage that allows none leaves the set
    /// as it was, as a blocked path goes on in the engine.
    mutating func step(_ current: Int32, _ stage: Int32) -> (Int32, UInt8) {
        let key = UInt64(UInt32(bitPattern: current)) << 32 | UInt64(UInt32(bitPattern: stage))
        if let known = steps[key] { return known }
        let (a, b) = (views[Int(current)], views[Int(stage)])
        func narrow(_ x: IntervalSet, _ y: IntervalSet) -> (IntervalSet, UInt8) {
            let both = x.intersection(y)
            return both == x ? (x, 0) : both.isEmpty ? (x, 2) : (both, 1)
        }
        let (tcp, t) = narrow(a.tcp, b.tcp)
        let (udp, u) = narrow(a.udp, b.udp)
        let i: UInt8 = a.icmp && !b.icmp ? 2 : 0
        let result = (intern(View(tcp: tcp, udp: udp, icmp: a.icmp)), t | u << 2 | i << 4)
        steps[key] = result
        return result
    }

    /// What an interface's security groups allow to (egress) or from (ingress) one address.
    mutating func securityGroups(of interface: NetworkInterface, egress: Bool, peer: UInt32) -> Int32? {
        let rules = (egress ? network.egressRules[interface.id] : network.ingressRules[interface.id]) ?? []
        return securityGroups(rules: rules, key: groupKey(interface), egress: egress, peer: peer)
    }

    /// The same, given the interface's compiled rules and the key of its group set.
    mutating func securityGroups(rules: [CompiledNetwork.CompiledSGRule], key groups: Int32, egress: Bool, peer: UInt32) -> Int32? {
        guard rules.count <= 64 else { return nil }
        var mask: UInt64 = 0
        for (index, rule) in rules.enumerated() where (egress ? rule.box.destinations : rule.box.sources).contains(peer) {
            mask |= 1 << UInt64(index)
        }
        let key = SGKey(groups: groups, egress: egress, mask: mask)
        if let known = sgViews[key] { return known }
        var view = View(tcp: .empty, udp: .empty, icmp: false)
        for (index, rule) in rules.enumerated() where mask & (1 << UInt64(index)) != 0 {
            if rule.box.protocols.contains(6) { view.tcp = view.tcp.union(rule.box.destinationPorts) }
            if rule.box.protocols.contains(17) { view.udp = view.udp.union(rule.box.destinationPorts) }
            if rule.box.protocols.contains(1) { view.icmp = true }
        }
        let id = intern(view)
        sgViews[key] = id
        return id
    }

    mutating func groupKey(_ interface: NetworkInterface) -> Int32 {
        if let key = groupKeys[interface.id] { return key }
        let groups = interface.securityGroupIDs
        let key = groupKeyIDs[groups] ?? Int32(groupKeyIDs.count)
        groupKeyIDs[groups] = key
        groupKeys[interface.id] = key
        return key
    }

    /// What a subnet's network ACL allows out to (egress) or in from (ingress) one address: entries in
    /// rule-number order, the first that matches decides.
    mutating func acl(of subnet: Subnet, egress: Bool, peer: UInt32) -> Int32 {
        guard let acl = network.aclOfSubnet[subnet.id] else { return allID }
        return self.acl(acl, key: aclKey(acl), egress: egress, peer: peer)
    }

    mutating func aclKey(_ acl: CompiledNetwork.CompiledACL) -> Int32 {
        if let key = aclKeys[acl.acl.id] { return key }
        let key = Int32(aclKeys.count)
        aclKeys[acl.acl.id] = key
        return key
    }

    /// The same, given the compiled ACL and its key: entries holding the peer as a mask, a view per mask.
    mutating func acl(_ acl: CompiledNetwork.CompiledACL, key: Int32, egress: Bool, peer: UInt32) -> Int32 {
        let entries = egress ? acl.egress : acl.ingress
        var mask: UInt64 = 0
        var masked = entries.count <= 64
        if masked {
            for (index, entry) in entries.enumerated() where (egress ? entry.box.destinations : entry.box.sources).contains(peer) {
                mask |= 1 << UInt64(index)
            }
            if let known = aclViews[ACLKey(acl: key, egress: egress, mask: mask)] { return known }
        } else {
            masked = false
        }
        func allowed(_ ipProtocol: UInt32) -> IntervalSet {
            var remaining = HeaderBox.allPorts
            var allowed = IntervalSet.empty
            for entry in entries
            where entry.box.protocols.contains(ipProtocol) && (egress ? entry.box.destinations : entry.box.sources).contains(peer) {
                if entry.entry.action == .allow { allowed = allowed.union(remaining.intersection(entry.box.destinationPorts)) }
                remaining = remaining.subtracting(entry.box.destinationPorts)
                if remaining.isEmpty { break }
            }
            return allowed
        }
        let id = intern(View(tcp: allowed(6), udp: allowed(17), icmp: !allowed(1).isEmpty))
        if masked { aclViews[ACLKey(acl: key, egress: egress, mask: mask)] = id }
        return id
    }

    /// Whether the route a subnet uses for an address is the VPC's `local` route.
    mutating func isLocal(_ subnet: Subnet, _ address: UInt32) -> Bool {
        let key = LocalKey(subnet: subnet.id, address: address)
        if let known = locals[key] { return known }
        var local = false
        if let table = network.routeTableOfSubnet[subnet.id], let route = table.routes.first(where: { $0.block.contains(address) }) {
            if case .local = route.route.target, route.state == .active { local = true }
        }
        locals[key] = local
        return local
    }

    /// The explanation codes of one protocol for a vector of stage outcomes, asked of the engine for the
    /// first pair that has it.
    mutating func blockers(
        _ outcomes: [UInt8], _ ipProtocol: IPProtocol, source: String, destination: String
    ) throws(ModelError)
        -> [String]?
    {
        if let known = codes[outcomes] { return known }
        let found = try network.blockerCodes(source, destination, ipProtocol)
        codes[outcomes] = found
        return found
    }

    var distinctOutcomeVectors: Int { codes.count }
}
