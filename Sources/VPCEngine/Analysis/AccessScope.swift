import VPCModel

/// A Network Access Analyzer scope (EC2's `NetworkInsightsAccessScope`): the paths that match one of
/// `match` and none of `exclude` are findings. Statements name resources (`Resources`) or kinds of
/// resources (`ResourceTypes`, e.g. `AWS::EC2::InternetGateway`) and restrict packets
/// (`PacketHeaderStatement`).
public struct AccessScope: Hashable, Sendable {
    public struct ResourceStatement: Hashable, Sendable {
        public var resources: [String]
        public var resourceTypes: [String]
        public init(resources: [String] = [], resourceTypes: [String] = []) {
            self.resources = resources
            self.resourceTypes = resourceTypes
        }
    }

    /// Packet header statement. Addresses and source ports are read on the packets as they leave the
    /// source (LocalVPC's reading: an instance's private address, a load balancer node's, the internet's
    /// addresses; to an instance, its private address from inside the VPC and its public one from the internet).
    public struct PacketStatement: Hashable, Sendable {
        public var protocols: [IPProtocol]
        public var destinationPorts: [PortRange]
        public var sourcePorts: [PortRange]
        public var sourceAddresses: [CIDRBlock]
        public var destinationAddresses: [CIDRBlock]
        public init(
            protocols: [IPProtocol] = [], destinationPorts: [PortRange] = [], sourcePorts: [PortRange] = [], sourceAddresses: [CIDRBlock] = [],
            destinationAddresses: [CIDRBlock] = []
        ) {
            self.protocols = protocols
            self.destinationPorts = destinationPorts
            self.sourcePorts = sourcePorts
            self.sourceAddresses = sourceAddresses
            self.destinationAddresses = destinationAddresses
        }
    }

    public struct PathStatement: Hashable, Sendable {
        public var source: ResourceStatement?
        public var destination: ResourceStatement?
        public var through: [ResourceStatement]
        public var packet: PacketStatement?
        public init(
            source: ResourceStatement? = nil, destination: ResourceStatement? = nil, through: [ResourceStatement] = [], packet: PacketStatement? = nil
        ) {
            self.source = source
            self.destination = destination
            self.through = through
            self.packet = packet
        }
    }

    public static let resourceTypes = [
        "AWS::EC2::Instance", "AWS::EC2::NetworkInterface", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway",
        "AWS::ElasticLoadBalancing::LoadBalancer", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::VPC",
    ]

    public var name: String
    public var match: [PathStatement]
    public var exclude: [PathStatement]

    public init(name: String, match: [PathStatement], exclude: [PathStatement] = []) {
        self.name = name
        self.match = match
        self.exclude = exclude
    }
}

/// One finding: traffic of one protocol from a source to a destination that the scope forbids, with
/// the exact destination ports and the path it takes (Reachability Analyzer's PathComponent shape).
public struct AccessFinding: Hashable, Sendable {
    public var source: String
    public var destination: String
    public var ipProtocol: IPProtocol
    public var ports: IntervalSet
    public var components: [PathComponent]
}

extension CompiledNetwork {
    /// The endpoints a resource statement stands for: instances (also by subnet, security group or VPC),
    /// load balancers, NAT gateways (their interfaces) and `internet` (for internet gateways). No
    /// statement: every endpoint.
    public func endpoints(of statement: AccessScope.ResourceStatement?) -> [String] {
        guard let statement else { return reachEndpoints() }
        let t = topology
        let live = t.instances.filter { $0.state != .terminated }
        func instance(_ interface: NetworkInterface) -> [String] {
            live.filter { $0.primaryNetworkInterfaceID == interface.id }.map { $0.name ?? $0.id.rawValue }
        }
        func name(_ instance: Instance) -> String { instance.name ?? instance.id.rawValue }
        var found: [String] = []
        // An ARN names its resource by the last part of its path (`…:loadbalancer/web`, `…:instance/i-…`).
        for reference in statement.resources.map({ $0.hasPrefix("arn:") ? String($0.split(separator: "/").last ?? "") : $0 }) {
            if reference == "internet" || t.internetGateways.contains(where: { $0.id.rawValue == reference || $0.name == reference }) {
                found.append("internet")
            } else if let match = live.first(where: { $0.id.rawValue == reference || $0.name == reference }) {
                found.append(name(match))
            } else if let balancer = t.loadBalancers.first(where: { $0.name == reference }) {
                found.append(balancer.name)
            } else if let gateway = t.natGateways.first(where: { $0.id.rawValue == reference || $0.name == reference }),
                let interface = t.networkInterface(gateway.networkInterfaceID)
            {
                found.append(interface.name ?? interface.id.rawValue)
            } else if let subnet = t.subnets.first(where: { $0.id.rawValue == reference || $0.name == reference }) {
                found += t.networkInterfaces.filter { $0.subnetID == subnet.id }.flatMap(instance)
            } else if let group = t.securityGroups.first(where: { $0.id.rawValue == reference || $0.name == reference }) {
                found += t.networkInterfaces.filter { $0.securityGroupIDs.contains(group.id) }.flatMap(instance)
            } else if let vpc = t.vpcs.first(where: { $0.id.rawValue == reference || $0.name == reference }) {
                let subnets = Set(t.subnets.filter { $0.vpcID == vpc.id }.map(\.id))
                found += t.networkInterfaces.filter { subnets.contains($0.subnetID) }.flatMap(instance)
            } else {
                found.append(reference)  // An interface or an address: the engine resolves it, or says why not.
            }
        }
        for type in statement.resourceTypes {
            switch type {
            case "AWS::EC2::InternetGateway": found.append("internet")
            case "AWS::EC2::Instance", "AWS::EC2::NetworkInterface": found += live.map(name)
            case "AWS::ElasticLoadBalancing::LoadBalancer": found += t.loadBalancers.map(\.name)
            case "AWS::EC2::NatGateway":
                found += t.natGateways.compactMap { t.networkInterface($0.networkInterfaceID).map { $0.name ?? $0.id.rawValue } }
            default: break
            }
        }
        var unique: [String] = []
        for endpoint in found where !unique.contains(endpoint) { unique.append(endpoint) }
        return unique
    }

    /// Every finding of a scope, exhaustively: each source and destination of each match statement, per
    /// protocol, with the ports that get through and back along a path that no exclude statement covers
    /// (an exclude's `through` resources are avoided; an exclude naming the pair drops it).
    public func findings(_ scope: AccessScope) throws(ModelError) -> [AccessFinding] {
        try scopeEvaluations(scope).compactMap(\.finding)
    }

    /// The analyses a scope needs, one per source, destination and protocol, each with its finding.
    func scopeEvaluations(_ scope: AccessScope, detail: Detail = .full) throws(ModelError) -> [ScopeEvaluation] {
        var evaluations: [ScopeEvaluation] = []
        var found: Set<String> = []
        // Each exclude statement's endpoints, resolved once for the scope.
        let exclusions = scope.exclude.map { exclusion in
            (
                sources: exclusion.source.map { Set(endpoints(of: $0)) }, destinations: exclusion.destination.map { Set(endpoints(of: $0)) },
                through: exclusion.through.flatMap { endpoints(of: $0) }
            )
        }
        for statement in scope.match {
            let protocols = statement.packet.map { $0.protocols.isEmpty ? [IPProtocol.tcp, .udp, .icmp] : $0.protocols } ?? [.tcp, .udp, .icmp]
            let wanted = statement.packet.flatMap { $0.destinationPorts.isEmpty ? nil : $0.destinationPorts }
            let wantedPorts = wanted.map { IntervalSet($0.map { UInt32($0.from)...UInt32($0.to) }) } ?? HeaderBox.allPorts
            let through = statement.through.flatMap { endpoints(of: $0) }.map {
                $0 == "internet" ? topology.internetGateways.first?.name ?? "internet" : $0
            }
            for source in endpoints(of: statement.source) {
                for destination in endpoints(of: statement.destination) where destination != source {
                    var avoiding: [String] = []
                    var excluded = false
                    for exclusion in exclusions {
                        guard exclusion.sources?.contains(source) ?? true, exclusion.destinations?.contains(destination) ?? true else { continue }
                        if exclusion.through.isEmpty { excluded = true } else { avoiding += exclusion.through }
                    }
                    if excluded { continue }
                    // Addresses: an end with addresses of its own is in or out; the internet is narrowed.
                    let sourceSet = statement.packet.flatMap { $0.sourceAddresses.isEmpty ? nil : IntervalSet($0.sourceAddresses.map(\.range)) }
                    let destinationSet = statement.packet.flatMap {
                        $0.destinationAddresses.isEmpty ? nil : IntervalSet($0.destinationAddresses.map(\.range))
                    }
                    if let sourceSet, source != "internet", !addresses(of: source, fromInternet: false).intersects(sourceSet) { continue }
                    if let destinationSet, destination != "internet",
                        !addresses(of: destination, fromInternet: source == "internet").intersects(destinationSet)
                    {
                        continue
                    }
                    let sourcePortRanges: [PortRange?] = statement.packet.map { $0.sourcePorts.isEmpty ? [nil] : $0.sourcePorts.map { $0 } } ?? [nil]
                    for ipProtocol in protocols {
                        let key = "\(source)\u{0}\(destination)\u{0}\(ipProtocol)"
                        if found.contains(key) { continue }
                        for sourcePorts in sourcePortRanges where !found.contains(key) {
                            var query = PathQuery(
                                from: source, to: destination, protocol: ipProtocol, sourcePorts: ipProtocol.hasPorts ? sourcePorts : nil,
                                through: through,
                                avoiding: avoiding)
                            if source == "internet" { query.sourceAddresses = sourceSet }
                            if destination == "internet" { query.destinationAddresses = destinationSet }
                            let evaluation = try evaluate(query, wantedPorts: wantedPorts, detail: detail)
                            if evaluation.finding != nil { found.insert(key) }
                            evaluations.append(evaluation)
                        }
                    }
                }
            }
        }
        return evaluations
    }

    /// One analysis of a scope, and its finding when traffic gets through (in the wanted ports).
    func evaluate(_ query: PathQuery, wantedPorts: IntervalSet, detail: Detail = .full) throws(ModelError) -> ScopeEvaluation {
        let result = try analyze(query, detail: detail)
        let ports = query.ipProtocol.hasPorts ? result.reachablePorts.intersection(wantedPorts) : result.reachablePorts
        var evaluation = ScopeEvaluation(query: query, wantedPorts: wantedPorts, reachability: result, finding: nil)
        if result.isReachable, !query.ipProtocol.hasPorts || !ports.isEmpty {
            evaluation.finding = AccessFinding(
                source: query.source, destination: query.destination, ipProtocol: query.ipProtocol, ports: ports,
                components: result.analysis.forwardPathComponents)
        }
        return evaluation
    }

    /// The addresses an endpoint's packets carry: an instance's or NAT gateway's private addresses (and,
    /// as a destination from the internet, its public ones); a load balancer's nodes' addresses.
    func addresses(of endpoint: String, fromInternet: Bool) -> IntervalSet {
        func own(_ interface: NetworkInterface) -> IntervalSet {
            let addresses = fromInternet ? (publicIPsOfInterface[interface.id] ?? []).map(\.publicIP) : interface.privateIPs
            return IntervalSet(addresses.map { $0.value...$0.value })
        }
        switch try? self.endpoint(endpoint, role: "destination") {
        case .interface(let interface)?, .address(_, let interface)?: return own(interface)
        case .loadBalancer(let balancer)?:
            return balancer.nodes.compactMap { interfaces[$0.networkInterfaceID] }.reduce(IntervalSet.empty) { $0.union(own($1)) }
        case .vacant(let address, _)?: return IntervalSet(address)
        case .internet(let set)?: return set
        case nil: return .empty
        }
    }
}
