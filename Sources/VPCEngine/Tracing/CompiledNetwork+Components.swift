import VPCModel

// Turning model values into the AWS-shaped pieces of an analysis.
extension CompiledNetwork {
    /// The ARN of an ID that is not in the topology, by its prefix (a load balancer's when it has none).
    func arn(_ id: String) -> String {
        let prefix = id.prefix(while: { $0 != "-" })
        let kind = Topology.kinds.first { $0.kind.idPrefix.map { $0 == prefix } ?? false }?.kind ?? ClassicLoadBalancer.kind
        return kind.arn(id, region: topology.region, accountID: topology.accountID)
    }

    func component(_ id: String) -> AnalysisComponent {
        components[id] ?? AnalysisComponent(id: id, arn: arn(id), name: name(id))
    }

    /// A short label for people: the name, else the ID.
    func label(_ id: String) -> String { name(id) ?? id }

    func component(of interface: NetworkInterface) -> AnalysisComponent { component(interface.id.rawValue) }

    /// The instance, load balancer or NAT gateway an interface belongs to.
    func ownerComponent(of interface: NetworkInterface) -> AnalysisComponent? {
        switch interface.owner {
        case .instance(let id): component(id.rawValue)
        case .loadBalancer(let id): component(id.rawValue)
        case .natGateway(let id): component(id.rawValue)
        case .detached: nil
        }
    }

    func ownerLabel(of interface: NetworkInterface) -> String {
        switch interface.owner {
        case .instance(let id): label(id.rawValue)
        case .loadBalancer(let id): "load balancer \(id.rawValue)"
        case .natGateway(let id): label(id.rawValue)
        case .detached: label(interface.id.rawValue)
        }
    }

    func subnetAndVPC(_ subnetID: Subnet.ID) -> (AnalysisComponent?, AnalysisComponent?) {
        guard let subnet = subnets[subnetID] else { return (nil, nil) }
        return (component(subnet.id.rawValue), component(subnet.vpcID.rawValue))
    }

    func header(_ packets: PacketSet) -> AnalysisPacketHeader {
        let protocols = packets.projection(\.protocols)
        let protocolName: String
        if protocols == HeaderBox.allProtocols {
            protocolName = "-1"
        } else if let number = protocols.first, protocols.count == 1 {
            protocolName = IPProtocol(number: Int(number)).awsName
        } else {
            protocolName = protocols.description
        }
        return AnalysisPacketHeader(
            destinationAddresses: AddressSpace.cidrs(of: packets.projection(\.destinations)),
            destinationPortRanges: Self.portRanges(packets.projection(\.destinationPorts)),
            ipProtocol: protocolName,
            sourceAddresses: AddressSpace.cidrs(of: packets.projection(\.sources)),
            sourcePortRanges: Self.portRanges(packets.projection(\.sourcePorts)))
    }

    static func portRanges(_ set: IntervalSet) -> [AnalysisPortRange] {
        set.ranges.map { AnalysisPortRange(from: Int($0.lowerBound), to: Int($0.upperBound)) }
    }

    func aclRule(_ entry: NetworkACLEntry) -> AnalysisACLRule {
        AnalysisACLRule(
            cidr: entry.cidr.description, egress: entry.direction == .egress,
            portRange: entry.ipProtocol.hasPorts ? AnalysisPortRange(from: entry.ports.from, to: entry.ports.to) : nil,
            ipProtocol: entry.ipProtocol.awsName, ruleAction: entry.action.rawValue, ruleNumber: entry.ruleNumber)
    }

    func securityGroupRule(_ rule: SecurityGroupRule, direction: Direction) -> AnalysisSecurityGroupRule {
        var result = AnalysisSecurityGroupRule(direction: direction.rawValue, ipProtocol: rule.ipProtocol.awsName)
        switch rule.peer {
        case .cidr(let block): result.cidr = block.description
        case .securityGroup(let id): result.securityGroupID = id.rawValue
        }
        if rule.ipProtocol.hasPorts { result.portRange = AnalysisPortRange(from: rule.ports.from, to: rule.ports.to) }
        return result
    }

    func routeTableRoute(_ route: CompiledRoute) -> AnalysisRouteTableRoute {
        var result = AnalysisRouteTableRoute(
            destinationCidr: route.route.destination.description, origin: route.route.target == .local ? "CreateRouteTable" : "CreateRoute",
            state: route.state.rawValue)
        switch route.route.target {
        case .local: result.gatewayID = "local"
        case .internetGateway(let id): result.gatewayID = id.rawValue
        case .natGateway(let id): result.natGatewayID = id.rawValue
        case .instance(let id):
            result.instanceID = id.rawValue
            result.networkInterfaceID = route.interface?.rawValue
        case .networkInterface(let id): result.networkInterfaceID = id.rawValue
        }
        return result
    }

    /// Describes a set of ports compactly: "80", "1024-65535", "0-79,81-65535".
    static func describePorts(_ set: IntervalSet) -> String {
        set == HeaderBox.allPorts ? "all ports" : set.description
    }

    /// Describes an address set: "the internet", one address, or a few blocks.
    func describeAddresses(_ set: IntervalSet) -> String {
        if set == AddressSpace.internet { return "the internet" }
        if set == HeaderBox.allAddresses { return "any address" }
        let blocks = AddressSpace.cidrs(of: set).map { $0.hasSuffix("/32") ? String($0.dropLast(3)) : $0 }
        return blocks.count > 4 ? blocks.prefix(4).joined(separator: ", ") + ", …" : blocks.joined(separator: ", ")
    }
}
