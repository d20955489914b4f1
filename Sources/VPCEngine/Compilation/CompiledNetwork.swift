import VPCModel

/// A ``Topology`` compiled once into indexes for tracing: longest-prefix route lists, sorted ACL
/// entries, security-group rules as packet boxes with group references resolved to member addresses.
///
/// Immutable and `Sendable`: build it once and trace from any thread.
public struct CompiledNetwork: Sendable {
    public let topology: Topology

    struct CompiledRoute: Sendable {
        var route: Route
        var block: IntervalSet
        var state: RouteState
        /// The interface a route to an instance or network interface leads to.
        var interface: NetworkInterface.ID?
    }

    struct CompiledRouteTable: Sendable {
        var table: RouteTable
        /// Longest prefix first, so the first match is the route AWS uses.
        var routes: [CompiledRoute]
    }

    struct CompiledACLEntry: Sendable {
        var entry: NetworkACLEntry
        var box: HeaderBox
    }

    struct CompiledACL: Sendable {
        var acl: NetworkACL
        var ingress: [CompiledACLEntry]
        var egress: [CompiledACLEntry]
    }

    struct CompiledSGRule: Sendable {
        var group: SecurityGroup
        var rule: SecurityGroupRule
        var box: HeaderBox
    }

    var vpcs: [VPC.ID: VPC] = [:]
    var subnets: [Subnet.ID: Subnet] = [:]
    var interfaces: [NetworkInterface.ID: NetworkInterface] = [:]
    var instances: [Instance.ID: Instance] = [:]
    var loadBalancers: [ClassicLoadBalancer.ID: ClassicLoadBalancer] = [:]
    var natGateways: [NATGateway.ID: NATGateway] = [:]
    var internetGatewayOfVPC: [VPC.ID: InternetGateway] = [:]
    var routeTableOfSubnet: [Subnet.ID: CompiledRouteTable] = [:]
    var aclOfSubnet: [Subnet.ID: CompiledACL] = [:]
    var ingressRules: [NetworkInterface.ID: [CompiledSGRule]] = [:]
    var egressRules: [NetworkInterface.ID: [CompiledSGRule]] = [:]
    /// Private address → interface, per VPC.
    var interfaceByPrivateIP: [VPC.ID: [UInt32: NetworkInterface.ID]] = [:]
    /// Public address (auto-assigned or Elastic IP) → interface and the private address it maps to.
    var publicIPMapping: [UInt32: (interface: NetworkInterface.ID, privateIP: IPv4Address)] = [:]
    var publicIPsOfInterface: [NetworkInterface.ID: [(privateIP: IPv4Address, publicIP: IPv4Address)]] = [:]
    /// Load-balancer node interfaces.
    var nodeOfInterface: [NetworkInterface.ID: (balancer: ClassicLoadBalancer.ID, node: ClassicLoadBalancer.Node)] = [:]
    var balancersOfInstance: [Instance.ID: [ClassicLoadBalancer.ID]] = [:]
    var natGatewayOfInterface: [NetworkInterface.ID: NATGateway.ID] = [:]
    var names: [String: String] = [:]
    /// Instances and interfaces by name: the first by ID where a name repeats (as names are resolved).
    var instanceNamed: [String: Instance.ID] = [:]
    var interfaceNamed: [String: NetworkInterface.ID] = [:]
    /// Every resource as an analysis component (ID, ARN, name), made once.
    var components: [String: AnalysisComponent] = [:]

    /// Compiles a topology. Validate it first: references that do not resolve are skipped here.
    public init(_ topology: Topology) {
        self.topology = topology
        // Every resource's name, and its analysis component (ID, ARN, name), made once.
        for row in Topology.kinds {
            for (id, name) in row.names(in: topology) {
                names[id] = name
                components[id] = AnalysisComponent(id: id, arn: row.kind.arn(id, region: topology.region, accountID: topology.accountID), name: name)
            }
        }
        for vpc in topology.vpcs { vpcs[vpc.id] = vpc }
        for subnet in topology.subnets { subnets[subnet.id] = subnet }
        for interface in topology.networkInterfaces { interfaces[interface.id] = interface }
        for instance in topology.instances { instances[instance.id] = instance }
        for instance in topology.instances.sorted(by: { $0.id < $1.id }) {
            if let name = instance.name, instanceNamed[name] == nil { instanceNamed[name] = instance.id }
        }
        for interface in topology.networkInterfaces.sorted(by: { $0.id < $1.id }) {
            if let name = interface.name, interfaceNamed[name] == nil { interfaceNamed[name] = interface.id }
        }
        for gateway in topology.natGateways {
            natGateways[gateway.id] = gateway
            natGatewayOfInterface[gateway.networkInterfaceID] = gateway.id
        }
        for gateway in topology.internetGateways {
            if let vpc = gateway.attachedVPC { internetGatewayOfVPC[vpc] = gateway }
        }
        for balancer in topology.loadBalancers {
            loadBalancers[balancer.id] = balancer
            for node in balancer.nodes { nodeOfInterface[node.networkInterfaceID] = (balancer.id, node) }
            for instance in balancer.instanceIDs { balancersOfInstance[instance, default: []].append(balancer.id) }
        }

        for interface in topology.networkInterfaces {
            guard let subnet = subnets[interface.subnetID] else { continue }
            for address in interface.privateIPs { interfaceByPrivateIP[subnet.vpcID, default: [:]][address.value] = interface.id }
            let publics = topology.publicAddresses(of: interface)
            publicIPsOfInterface[interface.id] = publics
            for pair in publics { publicIPMapping[pair.publicIP.value] = (interface.id, pair.privateIP) }
        }

        // Security groups: a group reference matches the private addresses of the member interfaces.
        var members: [SecurityGroup.ID: [ClosedRange<UInt32>]] = [:]
        for interface in topology.networkInterfaces {
            for group in interface.securityGroupIDs {
                members[group, default: []] += interface.privateIPs.map { $0.value...$0.value }
            }
        }
        let memberSets = members.mapValues { IntervalSet($0) }
        var groups: [SecurityGroup.ID: (ingress: [CompiledSGRule], egress: [CompiledSGRule])] = [:]
        for group in topology.securityGroups {
            func compile(_ rule: SecurityGroupRule, _ direction: Direction) -> CompiledSGRule {
                let peer: IntervalSet =
                    switch rule.peer {
                    case .cidr(let block): IntervalSet(block)
                    case .securityGroup(let id): memberSets[id] ?? .empty
                    }
                var box = HeaderBox.everything
                box.protocols = IntervalSet(rule.ipProtocol)
                if rule.ipProtocol.hasPorts { box.destinationPorts = IntervalSet(rule.ports) }
                if direction == .ingress { box.sources = peer } else { box.destinations = peer }
                return CompiledSGRule(group: group, rule: rule, box: box)
            }
            groups[group.id] = (group.ingress.map { compile($0, .ingress) }, group.egress.map { compile($0, .egress) })
        }
        for interface in topology.networkInterfaces {
            ingressRules[interface.id] = interface.securityGroupIDs.flatMap { groups[$0]?.ingress ?? [] }
            egressRules[interface.id] = interface.securityGroupIDs.flatMap { groups[$0]?.egress ?? [] }
        }

        for subnet in topology.subnets {
            if let table = topology.routeTable(for: subnet) { routeTableOfSubnet[subnet.id] = compile(table) }
            if let acl = topology.networkACL(for: subnet) { aclOfSubnet[subnet.id] = Self.compile(acl) }
        }
    }

    private func compile(_ table: RouteTable) -> CompiledRouteTable {
        let local = (vpcs[table.vpcID]?.cidrBlocks ?? []).map { Route(destination: $0, target: .local) }
        let routes = (local + table.routes).map { route -> CompiledRoute in
            let (state, interface) = resolve(route.target, vpc: table.vpcID)
            return CompiledRoute(route: route, block: IntervalSet(route.destination), state: state, interface: interface)
        }
        return CompiledRouteTable(table: table, routes: routes.sorted { $0.route.destination.prefixLength > $1.route.destination.prefixLength })
    }

    /// Whether a route's target can carry traffic (VPC User Guide, "Route tables": blackhole when the
    /// target is gone; a stopped or terminated target instance counts as gone, see SEMANTICS.md).
    func resolve(_ target: Route.Target, vpc: VPC.ID) -> (RouteState, NetworkInterface.ID?) {
        switch target {
        case .local:
            return (.active, nil)
        case .internetGateway(let id):
            return (internetGatewayOfVPC[vpc]?.id == id ? .active : .blackhole, nil)
        case .natGateway(let id):
            return (natGateways[id]?.state == .available ? .active : .blackhole, nil)
        case .instance(let id):
            guard let instance = instances[id] else { return (.blackhole, nil) }
            return (instance.state.isForwarding ? .active : .blackhole, instance.primaryNetworkInterfaceID)
        case .networkInterface(let id):
            guard let interface = interfaces[id] else { return (.blackhole, nil) }
            if case .instance(let owner) = interface.owner, instances[owner]?.state.isForwarding != true {
                return (.blackhole, id)
            }
            return (.active, id)
        }
    }

    static func compile(_ acl: NetworkACL) -> CompiledACL {
        func entries(_ direction: Direction) -> [CompiledACLEntry] {
            (acl.sortedEntries(direction) + [.catchAll(direction)]).map { entry in
                var box = HeaderBox.everything
                box.protocols = IntervalSet(entry.ipProtocol)
                if entry.ipProtocol.hasPorts { box.destinationPorts = IntervalSet(entry.ports) }
                if direction == .ingress { box.sources = IntervalSet(entry.cidr) } else { box.destinations = IntervalSet(entry.cidr) }
                return CompiledACLEntry(entry: entry, box: box)
            }
        }
        return CompiledACL(acl: acl, ingress: entries(.ingress), egress: entries(.egress))
    }

    /// The state of every route of a table, as `describe-route-tables` would report it.
    public func routeStates(of table: RouteTable) -> [(Route, RouteState)] {
        table.routes.map { ($0, resolve($0.target, vpc: table.vpcID).0) }
    }

    func name(_ id: String) -> String? { names[id] ?? nil }

    /// The instance whose interface holds a private address, in any VPC (an index lookup).
    public func instance(holding address: IPv4Address) -> Instance.ID? {
        for (_, owners) in interfaceByPrivateIP {
            if let id = owners[address.value], let interface = interfaces[id], case .instance(let owner) = interface.owner { return owner }
        }
        return nil
    }

    /// The instance an interface is attached to, if any.
    func instance(owning interface: NetworkInterface) -> Instance? {
        if case .instance(let id) = interface.owner { return instances[id] }
        return nil
    }
}
