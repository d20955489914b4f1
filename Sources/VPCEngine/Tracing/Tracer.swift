import VPCModel

/// Walks packet sets through a compiled network, hop by hop, collecting every way they can go.
///
/// The forward trace and the return trace are the same walk; on the return leg security groups
/// allow everything (they are stateful) and devices that translated on the way out translate back.
struct Tracer {
    let network: CompiledNetwork
    let goal: Goal
    let isReturn: Bool
    private(set) var outcomes: [Outcome] = []

    /// Longer than any sane path; a route loop ends here.
    static let maximumSteps = 48

    init(network: CompiledNetwork, goal: Goal, isReturn: Bool) {
        self.network = network
        self.goal = goal
        self.isReturn = isReturn
    }

    mutating func finish(_ branch: Branch, arrived: Bool) {
        outcomes.append(Outcome(branch: branch, arrived: arrived))
    }

    /// A branch stopped for good: nothing in the network lets its packets go on.
    mutating func drop(_ branch: Branch, _ explanation: Explanation) {
        var branch = branch
        branch.blockers.append(explanation)
        finish(branch, arrived: false)
    }

    // MARK: Sending

    /// Packets leave an interface: source/destination check, security group egress, then routing.
    mutating func send(from interface: NetworkInterface, _ branch: Branch) {
        var branch = branch
        branch.steps += 1
        guard branch.steps < Self.maximumSteps else {
            return drop(
                branch, Explanation(.routingLoop, message: "The packets loop between routes; the trace stopped after \(Self.maximumSteps) hops."))
        }
        applySourceDestinationCheck(of: interface, .egress, to: &branch)
        if securityGroupsApply(at: interface, &branch) {
            applySecurityGroups(of: interface, .egress, to: &branch)
        }
        route(from: interface, branch)
    }

    /// Whether an interface's security groups judge these packets. NAT gateways have none. Security
    /// groups are stateful: on the return leg an interface the request crossed lets the reply through,
    /// while one the request never crossed (a NAT instance the reply is routed into) sees a new flow
    /// (VPC User Guide, "Security group rules"; SEMANTICS.md, "Addresses and return paths").
    func securityGroupsApply(at interface: NetworkInterface, _ branch: inout Branch) -> Bool {
        if network.natGatewayOfInterface[interface.id] != nil { return false }
        if isReturn { return !branch.tracked.contains(interface.id) }
        branch.tracked.insert(interface.id)
        return true
    }

    /// Looks up the subnet's route table and follows each route the packets match (longest prefix first).
    mutating func route(from interface: NetworkInterface, _ branch: Branch) {
        guard let subnet = network.subnets[interface.subnetID], let table = network.routeTableOfSubnet[subnet.id] else {
            return drop(branch, Explanation(.noRouteToDestination, message: "Subnet \(interface.subnetID) has no route table."))
        }
        var remaining = branch.packets
        for route in table.routes {
            var box = HeaderBox.everything
            box.destinations = route.block
            let part = remaining.intersection(box)
            guard !part.isEmpty else { continue }
            remaining = remaining.subtracting(box)
            var next = branch
            next.packets = part
            var hop = PathComponent(
                component: network.component(table.table.id.rawValue),
                note: "route \(route.route.destination) -> \(network.label(route.route.target.description)) (\(route.state.rawValue))")
            hop.routeTableRoute = network.routeTableRoute(route)
            (hop.subnet, hop.vpc) = network.subnetAndVPC(subnet.id)
            next.append(hop)
            follow(route, from: interface, subnet: subnet, table: table, next)
            if remaining.isEmpty { break }
        }
        if !remaining.isEmpty {
            var next = branch
            next.packets = remaining
            var e = Explanation(
                .noRouteToDestination, direction: "egress",
                message:
                    "Route table \(network.label(table.table.id.rawValue)) of subnet \(network.label(subnet.id.rawValue)) has no route for "
                    + "\(network.describeAddresses(remaining.projection(\.destinations))); add one."
            )
            e.routeTable = network.component(table.table.id.rawValue)
            e.subnet = network.component(subnet.id.rawValue)
            e.vpc = network.component(subnet.vpcID.rawValue)
            e.addresses = AddressSpace.cidrs(of: remaining.projection(\.destinations))
            drop(next, e)
        }
    }

    private mutating func follow(
        _ route: CompiledNetwork.CompiledRoute, from interface: NetworkInterface, subnet: Subnet,
        table: CompiledNetwork.CompiledRouteTable, _ branch: Branch
    ) {
        var branch = branch
        let isLoadBalancerNode = network.nodeOfInterface[interface.id] != nil
        if route.state == .blackhole {
            var e = Explanation(
                .badStateRoute, direction: "egress",
                message:
                    "Route \(route.route.destination) -> \(network.label(route.route.target.description)) in "
                    + "\(network.label(table.table.id.rawValue)) is a blackhole: \(blackholeReason(route.route.target))."
            )
            e.routeTable = network.component(table.table.id.rawValue)
            e.routeTableRoute = network.routeTableRoute(route)
            e.component = network.component(route.route.target.description)
            e.state = RouteState.blackhole.rawValue
            e.subnet = network.component(subnet.id.rawValue)
            e.vpc = network.component(subnet.vpcID.rawValue)
            // Only a target that still exists (a stopped instance) can be followed as if it worked.
            guard let target = route.interface.flatMap({ network.interfaces[$0] }) else { return drop(branch, e) }
            branch.blockers.append(e)
            return hand(to: target, from: subnet, isLoadBalancerNode: isLoadBalancerNode, branch)
        }
        switch route.route.target {
        case .local:
            deliverLocally(from: subnet, isLoadBalancerNode: isLoadBalancerNode, branch)
        case .internetGateway(let id):
            guard let gateway = network.internetGatewayOfVPC[subnet.vpcID], gateway.id == id else { return }
            applyACL(of: subnet, .egress, isLoadBalancerNode: false, to: &branch)
            internetGatewayEgress(gateway, branch)
        case .natGateway(let id):
            guard let gateway = network.natGateways[id], let target = network.interfaces[gateway.networkInterfaceID] else { return }
            hand(to: target, from: subnet, isLoadBalancerNode: isLoadBalancerNode, branch)
        case .instance, .networkInterface:
            guard let target = route.interface.flatMap({ network.interfaces[$0] }) else { return }
            hand(to: target, from: subnet, isLoadBalancerNode: isLoadBalancerNode, branch)
        }
    }

    private func blackholeReason(_ target: Route.Target) -> String {
        switch target {
        case .instance(let id):
            let state = network.instances[id]?.state.rawValue ?? "deleted"
            return "instance \(network.label(id.rawValue)) is \(state); start it"
        case .networkInterface(let id):
            return "network interface \(id) is not attached to a running instance"
        case .natGateway(let id):
            return "NAT gateway \(id) is \(network.natGateways[id]?.state.rawValue ?? "deleted")"
        case .internetGateway(let id):
            return "internet gateway \(id) is not attached to this VPC"
        case .local:
            return "local"
        }
    }

    /// The `local` route: each destination address goes to the interface that owns it.
    private mutating func deliverLocally(from subnet: Subnet, isLoadBalancerNode: Bool, _ branch: Branch) {
        let destinations = branch.packets.projection(\.destinations)
        var owners: [NetworkInterface.ID: [ClosedRange<UInt32>]] = [:]
        if destinations.count <= 4096 {
            for range in destinations.ranges {
                for value in range {
                    if let owner = network.interfaceByPrivateIP[subnet.vpcID]?[value] { owners[owner, default: []].append(value...value) }
                }
            }
        } else {
            for (value, owner) in network.interfaceByPrivateIP[subnet.vpcID] ?? [:] where destinations.contains(value) {
                owners[owner, default: []].append(value...value)
            }
        }
        // Addresses no interface owns reach no host: that part of the set simply ends. When the query
        // asked for such an address, say so (SEMANTICS.md, "Addresses and return paths").
        if case .vacant(let targets) = goal {
            let owned = IntervalSet(owners.values.flatMap { $0 })
            let vacant = destinations.intersection(targets).subtracting(owned)
            if !vacant.isEmpty {
                var next = branch
                var box = HeaderBox.everything
                box.destinations = vacant
                next.packets = branch.packets.intersection(box)
                var e = Explanation(
                    .noRouteToDestination, direction: "egress",
                    message:
                        "No network interface in VPC \(network.label(subnet.vpcID.rawValue)) holds \(network.describeAddresses(vacant)): the local "
                        + "route delivers packets to it, and nobody receives them."
                )
                e.vpc = network.component(subnet.vpcID.rawValue)
                e.addresses = AddressSpace.cidrs(of: vacant)
                drop(next, e)
            }
        }
        for (owner, addresses) in owners.sorted(by: { $0.key < $1.key }) {
            guard let target = network.interfaces[owner] else { continue }
            var box = HeaderBox.everything
            box.destinations = IntervalSet(addresses)
            var next = branch
            next.packets = branch.packets.intersection(box)
            hand(to: target, from: subnet, isLoadBalancerNode: isLoadBalancerNode, next)
        }
    }

    /// Moves packets from one subnet to an interface: network ACLs when they cross subnets (or always,
    /// for a Classic Load Balancer's own traffic), then the interface receives them.
    mutating func hand(to target: NetworkInterface, from subnet: Subnet, isLoadBalancerNode: Bool, _ branch: Branch) {
        var branch = branch
        if let targetSubnet = network.subnets[target.subnetID], targetSubnet.id != subnet.id || isLoadBalancerNode {
            // Within one subnet only the load balancer's outbound ACL check applies (ELB_ACL_RESTRICTION).
            let sameSubnet = targetSubnet.id == subnet.id
            applyACL(of: subnet, .egress, isLoadBalancerNode: sameSubnet, to: &branch)
            if !sameSubnet { applyACL(of: targetSubnet, .ingress, isLoadBalancerNode: false, to: &branch) }
        }
        arrive(at: target, branch)
    }
}
