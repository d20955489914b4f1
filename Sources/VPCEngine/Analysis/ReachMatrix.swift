import VPCModel

/// What one source can send to one destination and get answered: the destination ports of TCP and UDP,
/// and ICMP, for which some packet makes the round trip (forward and return, translations included).
public struct ReachCell: Hashable, Sendable {
    public var source: String
    public var destination: String
    public var tcp: IntervalSet
    public var udp: IntervalSet
    public var icmp: Bool
    /// For each protocol that is blocked in part or whole, the explanation codes of what blocks it.
    public var blockers: [String: [String]]

    public init(source: String, destination: String, tcp: IntervalSet, udp: IntervalSet, icmp: Bool, blockers: [String: [String]]) {
        self.source = source
        self.destination = destination
        self.tcp = tcp
        self.udp = udp
        self.icmp = icmp
        self.blockers = blockers
    }

    public var isEmpty: Bool { tcp.isEmpty && udp.isEmpty && !icmp }

    /// "tcp 80,443 · icmp", or "nothing".
    public var summary: String {
        var parts: [String] = []
        if !tcp.isEmpty { parts.append("tcp \(Self.ports(tcp))") }
        if !udp.isEmpty { parts.append("udp \(Self.ports(udp))") }
        if icmp { parts.append("icmp") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: " · ")
    }

    public static func ports(_ set: IntervalSet) -> String {
        if set == HeaderBox.allPorts { return "all" }
        return set.ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}

extension CompiledNetwork {
    /// The endpoints a whole-network question covers by default: every instance, NAT gateway (by its
    /// network interface, which is what an analysis can start or end at) and load balancer, by name where
    /// it has one, and the internet.
    public func reachEndpoints() -> [String] {
        let topology = self.topology
        var endpoints = topology.instances.filter { $0.state != .terminated }.map { $0.name ?? $0.id.rawValue }
        endpoints += topology.natGateways.filter { $0.state == .available }.compactMap { gateway in
            topology.networkInterface(gateway.networkInterfaceID).map { $0.name ?? $0.id.rawValue }
        }
        endpoints += topology.loadBalancers.map(\.name)
        return endpoints.sorted() + ["internet"]
    }

    /// Every ordered pair of distinct endpoints (sources × destinations): what gets through and back,
    /// computed once per pair of classes of interchangeable endpoints (see `reachAll`).
    public func reach(from sources: [String], to destinations: [String]) throws(ModelError) -> [ReachCell] {
        var all: [String] = []
        for endpoint in sources + destinations where !all.contains(endpoint) { all.append(endpoint) }
        let classOf = Dictionary(uniqueKeysWithValues: zip(all, endpointClasses(all)))
        var members: [String: [String]] = [:]
        for endpoint in all { members[classOf[endpoint]!, default: []].append(endpoint) }
        var memo: [String: ReachCell] = [:]
        var cells: [ReachCell] = []
        var index = ReachIndex(network: self)
        let plain = index.plainEnds(all)
        cells.reserveCapacity(sources.count * destinations.count)
        for source in sources {
            let plainSource = plain[source]
            for destination in destinations where destination != source {
                if let plainSource, let plainDestination = plain[destination], let cell = try index.cell(plainSource, plainDestination) {
                    cells.append(cell)
                    continue
                }
                let (sourceClass, destinationClass) = (classOf[source]!, classOf[destination]!)
                let key = sourceClass + "\u{0}" + destinationClass
                var cell: ReachCell
                if let known = memo[key] {
                    cell = known
                } else {
                    // Two distinct members stand for a class to itself; else the pair itself answers.
                    let twins = sourceClass == destinationClass ? members[sourceClass]! : []
                    cell = twins.count >= 2 ? try reach(twins[0], twins[1]) : try reach(source, destination)
                    memo[key] = cell
                }
                cell.source = source
                cell.destination = destination
                cells.append(cell)
            }
        }
        return cells
    }

    public func reach(_ source: String, _ destination: String) throws(ModelError) -> ReachCell {
        var cell = ReachCell(source: source, destination: destination, tcp: .empty, udp: .empty, icmp: false, blockers: [:])
        for ipProtocol in [IPProtocol.tcp, .udp, .icmp] {
            let result = try analyze(PathQuery(from: source, to: destination, protocol: ipProtocol))
            let name = ipProtocol.description
            switch ipProtocol {
            case .tcp: cell.tcp = result.reachablePorts
            case .udp: cell.udp = result.reachablePorts
            default: cell.icmp = result.isReachable
            }
            let codes = (result.analysis.explanations + result.partialBlocks).map(\.explanationCode.rawValue)
            if !codes.isEmpty { cell.blockers[name] = Array(Set(codes)).sorted() }
        }
        return cell
    }
}

extension CompiledNetwork {
    /// Every ordered pair of distinct endpoints, computed once per class of interchangeable endpoints.
    ///
    /// Two instances are interchangeable when nothing the engine reads tells them apart: the same
    /// state, subnet, security groups, ephemeral ports, load balancer registrations, public address or
    /// not, and the same set of CIDRs of the network (rules, entries, routes, subnets) holding each of
    /// their addresses; an instance that forwards (a NAT instance, a route target, source/destination
    /// check off) is a class of its own, as are load balancers, NAT gateways and the internet. One pair
    /// of representatives answers for every pair of their classes (two distinct members for a class to
    /// itself). The answer per pair is exactly `reach(_:_:)`'s (held so by property tests).
    public func reachAll(_ endpoints: [String]) throws(ModelError) -> [ReachCell] { try reach(from: endpoints, to: endpoints) }

    /// What the engine reads of each endpoint, as a key: equal keys, interchangeable endpoints.
    public func endpointClasses(_ endpoints: [String]) -> [String] {
        let t = topology
        let cidrs = classCIDRs
        var routeTargets: Set<String> = []
        for table in t.routeTables {
            for route in table.routes {
                switch route.target {
                case .instance(let id): routeTargets.insert(id.rawValue)
                case .networkInterface(let id): routeTargets.insert(id.rawValue)
                default: break
                }
            }
        }
        var interfacesOfInstance: [String: Int] = [:]
        for interface in t.networkInterfaces {
            if case .instance(let id) = interface.owner { interfacesOfInstance[id.rawValue, default: 0] += 1 }
        }
        var registered: [String: [String]] = [:]
        for balancer in t.loadBalancers { for id in balancer.instanceIDs { registered[id.rawValue, default: []].append(balancer.id.rawValue) } }
        var elastic: Set<String> = []
        for eip in t.elasticIPs { if let association = eip.association { elastic.insert(association.networkInterfaceID.rawValue) } }
        var byName: [String: Instance] = [:]
        for instance in t.instances {
            byName[instance.id.rawValue] = instance
            if let name = instance.name { byName[name] = instance }
        }
        var interfaces: [String: NetworkInterface] = [:]
        for interface in t.networkInterfaces { interfaces[interface.id.rawValue] = interface }
        func atoms(_ address: IPv4Address) -> String { String(cidrs.map { $0.contains(address) ? "1" : "0" }) }
        return endpoints.map { endpoint in
            guard let instance = byName[endpoint], let interface = interfaces[instance.primaryNetworkInterfaceID.rawValue] else {
                return "unique:" + endpoint
            }
            let id = instance.id.rawValue
            if instance.role != nil || !interface.sourceDestCheck || routeTargets.contains(id) || routeTargets.contains(interface.id.rawValue)
                || interfacesOfInstance[id, default: 0] > 1
            {
                return "unique:" + endpoint
            }
            let publicAddresses = t.publicAddresses(of: interface).map(\.publicIP)
            return [
                "instance", instance.state.rawValue, interface.subnetID.rawValue,
                interface.securityGroupIDs.map(\.rawValue).sorted().joined(separator: ","), instance.ephemeralPorts.description,
                (registered[id] ?? []).sorted().joined(separator: ","), interface.privateIPs.map(atoms).joined(separator: "/"),
                publicAddresses.map(atoms).joined(separator: "/"), publicAddresses.isEmpty ? "private" : "public",
                elastic.contains(interface.id.rawValue) ? "eip" : "",
            ].joined(separator: "|")
        }
    }

    /// Every CIDR the network decides by: security group rules, network ACL entries, routes, subnets, VPCs.
    var classCIDRs: [CIDRBlock] {
        let t = topology
        var blocks: Set<CIDRBlock> = []
        for group in t.securityGroups {
            for rule in group.ingress + group.egress { if case .cidr(let block) = rule.peer { blocks.insert(block) } }
        }
        for acl in t.networkACLs { for entry in acl.entries { blocks.insert(entry.cidr) } }
        for table in t.routeTables { for route in table.routes { blocks.insert(route.destination) } }
        for subnet in t.subnets { blocks.insert(subnet.cidrBlock) }
        for vpc in t.vpcs { blocks.formUnion(vpc.cidrBlocks) }
        return blocks.sorted { ($0.network.value, $0.prefixLength) < ($1.network.value, $1.prefixLength) }
    }
}
