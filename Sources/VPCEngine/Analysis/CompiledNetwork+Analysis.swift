import VPCModel

extension CompiledNetwork {
    /// Where a query starts or ends.
    enum Endpoint {
        case internet(IntervalSet)
        case interface(NetworkInterface)
        /// An address given as such that belongs to an interface: one of its private addresses, or a
        /// public IP or Elastic IP the internet gateway maps to it.
        case address(IPv4Address, of: NetworkInterface)
        /// An address inside a VPC's CIDR that no interface holds: delivered to nobody.
        case vacant(IPv4Address, VPC.ID)
        case loadBalancer(ClassicLoadBalancer)
    }

    /// Resolves "internet", an address, or a resource name or ID.
    func endpoint(_ reference: String, role: String) throws(ModelError) -> Endpoint {
        let trimmed = reference.trimmingSpaces
        if ["internet", "0.0.0.0/0", "igw", "the internet"].contains(trimmed.lowercased()) { return .internet(AddressSpace.internet) }
        if let address = IPv4Address(trimmed) {
            for (_, owners) in interfaceByPrivateIP.sorted(by: { $0.key < $1.key }) {
                if let id = owners[address.value], let interface = interfaces[id] { return .address(address, of: interface) }
            }
            if let mapping = publicIPMapping[address.value], let interface = interfaces[mapping.interface] {
                return .address(address, of: interface)
            }
            if let vpc = vpcs.values.sorted(by: { $0.id < $1.id }).first(where: { $0.cidrBlocks.contains { $0.contains(address) } }) {
                return .vacant(address, vpc.id)
            }
            if AddressSpace.internet.contains(address.value) { return .internet(IntervalSet(address)) }
            throw ModelError(
                .unknownReference, "The \(role) \(trimmed) is not an address of any interface, not in a VPC, and not an internet address.")
        }
        if let balancer = loadBalancers[ClassicLoadBalancer.ID(trimmed)] { return .loadBalancer(balancer) }
        let instance = instances[Instance.ID(trimmed)] ?? instanceNamed[trimmed].flatMap { instances[$0] }
        if let instance, let interface = interfaces[instance.primaryNetworkInterfaceID] { return .interface(interface) }
        let interface = interfaces[NetworkInterface.ID(trimmed)] ?? interfaceNamed[trimmed].flatMap { interfaces[$0] }
        if let interface { return .interface(interface) }
        if let gateway = topology.internetGateways.first(where: { $0.id.rawValue == trimmed || $0.name == trimmed }), gateway.attachedVPC != nil {
            return .internet(AddressSpace.internet)
        }
        throw ModelError(
            .unknownReference,
            "The \(role) '\(trimmed)' is not 'internet', an IPv4 address, or the name or ID of an instance, network interface or load balancer.")
    }

    /// A source: an address of an interface stands for the interface; an address nobody holds sends nothing.
    func sourceEndpoint(_ reference: String) throws(ModelError) -> Endpoint {
        switch try endpoint(reference, role: "source") {
        case .address(_, let interface): return .interface(interface)
        case .vacant(let address, let vpc):
            throw ModelError(
                .unknownReference,
                "The source \(address) is in VPC \(label(vpc.rawValue)), but no network interface holds it, so nothing sends from it.")
        case let other: return other
        }
    }

    /// The IDs a filter name stands for: the resource and, for an instance, its interfaces.
    func filterIDs(_ reference: String) throws(ModelError) -> Set<String> {
        if reference.lowercased() == "internet" { return ["internet"] }
        var ids: Set<String> = []
        for (id, name) in names where name == reference || id == reference { ids.insert(id) }
        if loadBalancers[ClassicLoadBalancer.ID(reference)] != nil { ids.insert(reference) }
        if topology.internetGateways.contains(where: { $0.id.rawValue == reference }) { ids.insert(reference) }
        for id in ids {
            if let instance = instances[Instance.ID(id)] { ids.insert(instance.primaryNetworkInterfaceID.rawValue) }
        }
        if ids.isEmpty { throw ModelError(.unknownReference, "The filter component '\(reference)' does not name any resource.") }
        return ids
    }

    /// Answers a query: traces every candidate path forward and back, over every packet of the query.
    ///
    /// - Throws: ``ModelError`` when the source, destination or a filter does not name anything.
    public func analyze(_ query: PathQuery) throws(ModelError) -> Reachability { try analyze(query, detail: .full) }

    /// How much of the reported path an analysis renders.
    enum Detail {
        /// The path components with their packet headers (what the API and `--json` print).
        case full
        /// The path components without their headers: for callers that read the path, not the packets.
        case path
        /// No path: for callers that read only the verdict, the ports and the explanations.
        case verdict
    }

    func analyze(_ query: PathQuery, detail: Detail) throws(ModelError) -> Reachability {
        var source = try sourceEndpoint(query.source)
        var destination = try endpoint(query.destination, role: "destination")
        if case .internet(let set) = source, let narrowed = query.sourceAddresses { source = .internet(set.intersection(narrowed)) }
        if case .internet(let set) = destination, let narrowed = query.destinationAddresses { destination = .internet(set.intersection(narrowed)) }
        let through = try query.through.map { name throws(ModelError) in try filterIDs(name) }
        let avoiding = try query.avoiding.map { name throws(ModelError) in try filterIDs(name) }

        let ports = query.ipProtocol.hasPorts ? IntervalSet(query.destinationPorts ?? .all) : HeaderBox.allPorts
        var attempts: [Attempt] = []
        for candidate in candidates(from: source, to: destination, query: query, ports: ports) {
            attempts += run(candidate, source: source)
        }
        let eligible =
            (through.isEmpty && avoiding.isEmpty)
            ? attempts
            : attempts.filter { attempt in
                let ids = Set(attempt.forward.branch.components.map(\.component.id))
                return through.allSatisfy { !$0.isDisjoint(with: ids) } && avoiding.allSatisfy { $0.isDisjoint(with: ids) }
            }
        return conclude(query, attempts: attempts, eligible: eligible, ports: ports, through: through, avoiding: avoiding, detail: detail)
    }

    /// A forward trace to the destination and, when it arrived, the return trace.
    struct Attempt {
        var forward: Outcome
        var back: Outcome?

        var works: Bool {
            forward.arrived && !forward.branch.isBroken && (back.map { $0.arrived && !$0.branch.isBroken } ?? false)
        }
        /// Every blocker, forward then return. A reply that cannot come in because the request left
        /// without a public address has the same cause as the request's blocker: reported once.
        var blockers: [Explanation] {
            let forwardCodes = Set(forward.branch.blockers.map(\.explanationCode))
            let replies = (back?.branch.blockers ?? []).filter {
                !($0.explanationCode == .igwPrivateIPAssociationForIngress && forwardCodes.contains(.igwPublicIPAssociationForEgress))
            }
            return forward.branch.blockers + replies
        }
        var length: Int { forward.branch.componentCount + (back?.branch.componentCount ?? 0) }
    }

    private func run(_ candidate: Candidate, source: Endpoint) -> [Attempt] {
        var forward = Tracer(network: self, goal: candidate.goal, isReturn: false)
        switch candidate.start {
        case .fromInternet(let vpc): forward.internetGatewayIngress(vpc: vpc, candidate.branch)
        case .fromInterface(let interface): forward.send(from: interface, candidate.branch)
        case .blocked: forward.finish(candidate.branch, arrived: false)
        }
        return forward.outcomes.map { outcome in
            guard outcome.arrived else { return Attempt(forward: outcome, back: nil) }
            return Attempt(forward: outcome, back: returnTrace(of: outcome.branch, candidate: candidate, source: source))
        }
    }

    /// The reply: from the destination back to the source, through the same stateful devices.
    private func returnTrace(of branch: Branch, candidate: Candidate, source: Endpoint) -> Outcome? {
        let goal: Goal
        // The reply goes back to the internet, or to the interface the request left from (an
        // instance's, or the node of a load balancer that was the source).
        switch (source, candidate.start) {
        case (.internet(let addresses), _): goal = .internet(addresses)
        case (_, .fromInterface(let origin)): goal = .interface(origin.id)
        default: return nil
        }
        var tracer = Tracer(network: self, goal: goal, isReturn: true)
        var reply = Branch(packets: branch.packets.reversed)
        reply.connections = branch.connections
        reply.tracked = branch.tracked
        if case .internet = candidate.goal {
            tracer.internetGatewayIngress(vpc: candidate.vpc, reply)
        } else if let address = branch.packets.projection(\.destinations).first,
            let id = interfaceByPrivateIP[candidate.vpc]?[address], let interface = interfaces[id]
        {
            var hop = PathComponent(component: component(of: interface), note: "replies")
            hop.outboundPackets = (reply.packets)
            hop.attachedTo = ownerComponent(of: interface)
            reply.append(hop)
            tracer.send(from: interface, reply)
        }
        // The most useful reply: one that worked, else the one with the fewest blockers. When it
        // worked, replies that took another way and were blocked there are partly blocked.
        guard var best = tracer.outcomes.min(by: { rank($0) < rank($1) }) else { return nil }
        if rank(best).0 == 0 {
            for outcome in tracer.outcomes where outcome.branch.isBroken {
                best.branch.notes += outcome.branch.blockers.map {
                    var e = $0
                    e.isPartial = true
                    return e
                }
            }
        }
        return best
    }

    private func rank(_ outcome: Outcome) -> (Int, Int, Int) {
        (outcome.arrived && !outcome.branch.isBroken ? 0 : 1, outcome.branch.blockers.count, outcome.arrived ? 0 : 1)
    }
}
