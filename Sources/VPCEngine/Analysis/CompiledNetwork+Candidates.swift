import VPCModel

extension CompiledNetwork {
    /// One way into the network for a query: where the packets start, what they look like, where they go.
    struct Candidate {
        enum Start {
            /// Packets arrive from the internet at the VPC's internet gateway.
            case fromInternet(VPC.ID)
            /// Packets leave an interface.
            case fromInterface(NetworkInterface)
            /// There is no way in: the branch holds the reason.
            case blocked
        }
        var start: Start
        var goal: Goal
        var branch: Branch
        var vpc: VPC.ID
    }

    func vpcID(of interface: NetworkInterface) -> VPC.ID { subnets[interface.subnetID]?.vpcID ?? "" }

    private func box(
        sources: IntervalSet, destinations: IntervalSet, query: PathQuery, sourcePorts: IntervalSet, ports: IntervalSet,
        label: IntervalSet? = nil
    ) -> HeaderBox {
        var box = HeaderBox(
            sources: sources, destinations: destinations, protocols: IntervalSet(query.ipProtocol),
            sourcePorts: query.ipProtocol.hasPorts ? sourcePorts : HeaderBox.allPorts,
            destinationPorts: ports, queryPorts: label ?? HeaderBox.allPorts)
        // Directly, the asked-for port is the destination port itself; through a load balancer it is
        // the instance port, carried as a label while the client talks to the listener port.
        box.tie = label == nil ? .destinationPort : .own
        return box
    }

    /// The candidate paths of a query, direct paths first, then paths through load balancers.
    func candidates(from source: Endpoint, to destination: Endpoint, query: PathQuery, ports: IntervalSet) -> [Candidate] {
        switch source {
        case .internet(let sources):
            return fromInternet(sources, to: destination, query: query, ports: ports)
        case .interface(let origin), .address(_, let origin):
            let (first, sourcePorts) = originHops(origin, query: query)
            return fromOrigin(origin, first: first, sourcePorts: sourcePorts, to: destination, query: query, ports: ports, viaBalancers: true)
        case .loadBalancer(let balancer):
            // Traffic from a load balancer (health checks, proxied requests) starts at a node's interface,
            // from its private address, source ports 1024-65535, through the load balancer's security
            // groups (ELB Classic guide; SEMANTICS.md, "Classic Load Balancer in a VPC"). One candidate per node.
            var result: [Candidate] = []
            for node in balancer.nodes.sorted(by: { $0.networkInterfaceID < $1.networkInterfaceID }) {
                guard let origin = interfaces[node.networkInterfaceID] else { continue }
                var first = Branch(packets: .empty)
                var hop = PathComponent(component: component(balancer.id.rawValue), note: "source (its node in \(label(node.subnetID.rawValue)))")
                hop.attachedTo = component(of: origin)
                first.append(hop)
                let sourcePorts = IntervalSet(query.sourcePorts ?? ClassicLoadBalancer.backendSourcePorts)
                result += fromOrigin(origin, first: first, sourcePorts: sourcePorts, to: destination, query: query, ports: ports, viaBalancers: false)
            }
            return result
        case .vacant:
            return []
        }
    }

    /// The first hops of a path from an instance's interface, and the source ports it uses.
    private func originHops(_ origin: NetworkInterface, query: PathQuery) -> (Branch, IntervalSet) {
        let instance = instance(owning: origin)
        let ephemeral = query.sourcePorts ?? instance?.ephemeralPorts ?? ClassicLoadBalancer.backendSourcePorts
        var first = Branch(packets: .empty)
        if let instance {
            var hop = PathComponent(component: component(instance.id.rawValue), note: "source")
            hop.attachedTo = component(of: origin)
            first.append(hop)
            if !instance.state.isForwarding {
                var e = Explanation(
                    .badState, message: "Instance \(label(instance.id.rawValue)) is \(instance.state.rawValue): it sends nothing. Start it.")
                e.component = component(instance.id.rawValue)
                e.state = instance.state.rawValue
                first.blockers.append(e)
            }
        }
        return (first, IntervalSet(ephemeral))
    }

    private func fromInternet(_ sources: IntervalSet, to destination: Endpoint, query: PathQuery, ports: IntervalSet) -> [Candidate] {
        let sourcePorts = IntervalSet(query.sourcePorts ?? .all)
        func packets(to destinations: IntervalSet) -> HeaderBox {
            box(sources: sources, destinations: destinations, query: query, sourcePorts: sourcePorts, ports: ports)
        }
        var result: [Candidate] = []
        switch destination {
        case .internet:
            return []
        case .interface(let target):
            let vpc = vpcID(of: target)
            let publics = IntervalSet((publicIPsOfInterface[target.id] ?? []).map { $0.publicIP.value...$0.publicIP.value })
            if publics.isEmpty {
                var e = Explanation(
                    .igwPrivateIPAssociationForIngress, direction: "ingress",
                    message: "\(ownerLabel(of: target)) has no public IP or Elastic IP, so the internet gateway cannot deliver to it directly.")
                e.networkInterface = component(of: target)
                e.component = ownerComponent(of: target) ?? component(of: target)
                if let gateway = internetGatewayOfVPC[vpc] { e.internetGateway = component(gateway.id.rawValue) }
                result.append(blockedFromInternet(packets(to: IntervalSet(target.primaryPrivateIP)), e, goal: .interface(target.id), vpc: vpc))
            } else {
                result.append(internetCandidate(packets(to: publics), goal: .interface(target.id), vpc: vpc))
            }
            for balancer in balancers(registering: target) where balancer.scheme == .internetFacing {
                let nodes = IntervalSet(
                    balancer.nodes.flatMap { node in
                        (publicIPsOfInterface[node.networkInterfaceID] ?? []).map { $0.publicIP.value...$0.publicIP.value }
                    })
                result.append(
                    viaLoadBalancer(balancer, target: target, query: query, ports: ports, vpc: vpc, entry: nodes) { listenerPorts, label in
                        self.box(sources: sources, destinations: nodes, query: query, sourcePorts: sourcePorts, ports: listenerPorts, label: label)
                    } start: {
                        .fromInternet(vpc)
                    })
            }
        case .address(let address, let target):
            // Only a public IP or Elastic IP is routable from the internet; the internet gateway maps it
            // 1:1 to the private address (VPC User Guide, "Internet gateways"; SEMANTICS.md, "Addresses").
            let vpc = vpcID(of: target)
            if publicIPMapping[address.value]?.interface == target.id {
                result.append(internetCandidate(packets(to: IntervalSet(address)), goal: .interface(target.id), vpc: vpc))
            } else {
                result.append(
                    blockedFromInternet(packets(to: IntervalSet(address)), privateAddress(address, of: target), goal: .interface(target.id), vpc: vpc)
                )
            }
        case .vacant(let address, let vpc):
            if AddressSpace.internet.contains(address.value) {
                // A public-range VPC address nobody holds: the internet gateway has nothing to map it to.
                result.append(internetCandidate(packets(to: IntervalSet(address)), goal: .vacant(IntervalSet(address)), vpc: vpc))
            } else {
                var e = Explanation(
                    .noRouteToDestination, direction: "ingress",
                    message:
                        "\(address) is a private address (no network interface holds it either): the internet does not route private addresses to "
                        + "a VPC."
                )
                e.address = address.description
                e.vpc = component(vpc.rawValue)
                result.append(blockedFromInternet(packets(to: IntervalSet(address)), e, goal: .vacant(IntervalSet(address)), vpc: vpc))
            }
        case .loadBalancer(let balancer):
            let nodes = IntervalSet(
                balancer.nodes.flatMap { node in (publicIPsOfInterface[node.networkInterfaceID] ?? []).map { $0.publicIP.value...$0.publicIP.value } }
            )
            let packets = packets(to: nodes)
            if balancer.scheme == .internal || nodes.isEmpty {
                var e = Explanation(
                    .igwPrivateIPAssociationForIngress, direction: "ingress",
                    message:
                        "Load balancer \(balancer.name) is internal: its nodes have no public addresses, so nothing reaches it from the internet.")
                e.component = component(balancer.id.rawValue)
                e.loadBalancerArn = arn(balancer.id.rawValue)
                var branch = Branch(packets: PacketSet(packets))
                branch.blockers.append(e)
                result.append(Candidate(start: .blocked, goal: .loadBalancer(balancer.id), branch: branch, vpc: balancer.vpcID))
            } else {
                result.append(internetCandidate(packets, goal: .loadBalancer(balancer.id), vpc: balancer.vpcID))
            }
        }
        return result
    }

    /// "10.0.0.47 is private": the internet cannot address it, whatever the interface's public address.
    private func privateAddress(_ address: IPv4Address, of target: NetworkInterface) -> Explanation {
        let publics = (publicIPsOfInterface[target.id] ?? []).map(\.publicIP.description)
        let hint =
            publics.isEmpty
            ? "\(ownerLabel(of: target)) has no public IP or Elastic IP either."
            : "Address it by its public IP (\(publics.joined(separator: ", "))), which the internet gateway maps to its private address."
        var e = Explanation(
            .noRouteToDestination, direction: "ingress",
            message: "\(address) is a private address of \(ownerLabel(of: target)): the internet does not route private addresses. \(hint)")
        e.address = address.description
        e.networkInterface = component(of: target)
        e.component = ownerComponent(of: target) ?? component(of: target)
        return e
    }

    private func blockedFromInternet(_ packets: HeaderBox, _ explanation: Explanation, goal: Goal, vpc: VPC.ID) -> Candidate {
        var branch = Branch(packets: PacketSet(packets))
        branch.append(PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: "source"))
        branch.blockers.append(explanation)
        return Candidate(start: .blocked, goal: goal, branch: branch, vpc: vpc)
    }

    /// Paths that leave an interface (an instance's, or a load balancer node's).
    private func fromOrigin(
        _ origin: NetworkInterface, first: Branch, sourcePorts: IntervalSet, to destination: Endpoint, query: PathQuery,
        ports: IntervalSet, viaBalancers: Bool
    ) -> [Candidate] {
        let sourceAddress = IntervalSet(origin.primaryPrivateIP)
        let vpc = vpcID(of: origin)
        func start(_ packets: PacketSet, goal: Goal) -> Candidate {
            var branch = first
            branch.packets = packets
            var hop = PathComponent(component: component(of: origin), note: "sends from \(origin.primaryPrivateIP)")
            hop.outboundPackets = packets
            (hop.subnet, hop.vpc) = subnetAndVPC(origin.subnetID)
            branch.append(hop)
            return Candidate(start: .fromInterface(origin), goal: goal, branch: branch, vpc: vpc)
        }
        func direct(to destinations: IntervalSet, goal: Goal) -> Candidate {
            start(
                PacketSet(box(sources: sourceAddress, destinations: destinations, query: query, sourcePorts: sourcePorts, ports: ports)), goal: goal)
        }
        switch destination {
        case .internet(let targets):
            return [direct(to: targets, goal: .internet(targets))]
        case .address(let address, let target):
            // A private address is delivered by the local route; a public one leaves through the
            // internet gateway and comes back in through it.
            return [direct(to: IntervalSet(address), goal: .interface(target.id))]
        case .vacant(let address, _):
            return [direct(to: IntervalSet(address), goal: .vacant(IntervalSet(address)))]
        case .loadBalancer(let balancer):
            let nodes = IntervalSet(balancer.nodes.compactMap { interfaces[$0.networkInterfaceID]?.primaryPrivateIP }.map { $0.value...$0.value })
            return [direct(to: nodes, goal: .loadBalancer(balancer.id))]
        case .interface(let target):
            let addresses = IntervalSet(target.privateIPs.map { $0.value...$0.value })
            var result = [direct(to: addresses, goal: .interface(target.id))]
            guard viaBalancers else { return result }
            for balancer in balancers(registering: target) where balancer.vpcID == vpc {
                let nodes = IntervalSet(balancer.nodes.compactMap { interfaces[$0.networkInterfaceID]?.primaryPrivateIP }.map { $0.value...$0.value })
                let candidate = viaLoadBalancer(balancer, target: target, query: query, ports: ports, vpc: vpc, entry: nodes) {
                    listenerPorts, label in
                    self.box(sources: sourceAddress, destinations: nodes, query: query, sourcePorts: sourcePorts, ports: listenerPorts, label: label)
                } start: {
                    .fromInterface(origin)
                }
                if case .fromInterface = candidate.start {
                    var started = start(candidate.branch.packets, goal: candidate.goal)
                    started.branch.blockers += candidate.branch.blockers
                    started.branch.assumedListener = candidate.branch.assumedListener
                    result.append(started)
                } else {
                    result.append(candidate)
                }
            }
            return result
        }
    }

    private func internetCandidate(_ packets: HeaderBox, goal: Goal, vpc: VPC.ID) -> Candidate {
        var branch = Branch(packets: PacketSet(packets))
        var hop = PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: "source")
        hop.outboundPackets = (branch.packets)
        branch.append(hop)
        return Candidate(start: .fromInternet(vpc), goal: goal, branch: branch, vpc: vpc)
    }

    /// A path to an instance through a load balancer's listeners whose instance port was asked for.
    ///
    /// When no listener sends to an asked-for port, the path carries `TARGET_PORT_RESTRICTION` and goes on
    /// as if a listener passed those ports through unchanged, so that every other blocker on the way
    /// (security groups, ACLs, routes) is reported too.
    private func viaLoadBalancer(
        _ balancer: ClassicLoadBalancer, target: NetworkInterface, query: PathQuery, ports: IntervalSet, vpc: VPC.ID,
        entry: IntervalSet, packets: (_ listenerPorts: IntervalSet, _ label: IntervalSet?) -> HeaderBox, start: () -> Candidate.Start
    ) -> Candidate {
        let usesTCP = query.ipProtocol == .tcp || query.ipProtocol == .all
        let listeners = balancer.listeners.filter { usesTCP && ports.contains(UInt32($0.instancePort)) }
        var branch: Branch
        if !listeners.isEmpty {
            branch = Branch(
                packets: PacketSet(
                    boxes: listeners.map {
                        packets(IntervalSet(value: UInt32($0.loadBalancerPort)), IntervalSet(value: UInt32($0.instancePort)))
                    }))
        } else {
            var e = Explanation(
                .targetPortRestriction,
                message:
                    "Load balancer \(balancer.name) sends \(label(target.id.rawValue)) traffic only on the instance ports of its listeners "
                    + "(\(balancer.listeners.map(\.description).joined(separator: ", "))); none matches "
                    + "\(query.ipProtocol) \(CompiledNetwork.describePorts(ports))."
            )
            e.component = component(balancer.id.rawValue)
            e.loadBalancerArn = arn(balancer.id.rawValue)
            e.loadBalancerTarget = AnalysisLoadBalancerTarget(address: target.primaryPrivateIP.description, instance: ownerComponent(of: target))
            branch = Branch(packets: usesTCP ? PacketSet(packets(ports, nil)) : .empty)
            branch.blockers.append(e)
            branch.assumedListener = balancer.id
            // A load balancer carries only TCP: nothing to follow for another protocol.
            guard usesTCP, !entry.isEmpty else {
                branch.append(PathComponent(component: component(balancer.id.rawValue), note: "load balancer"))
                return Candidate(start: .blocked, goal: .interface(target.id), branch: branch, vpc: vpc)
            }
        }
        if case .fromInternet = start() {
            var hop = PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: "source")
            hop.outboundPackets = (branch.packets)
            branch.append(hop)
        }
        return Candidate(start: start(), goal: .interface(target.id), branch: branch, vpc: vpc)
    }

    func balancers(registering target: NetworkInterface) -> [ClassicLoadBalancer] {
        guard case .instance(let id) = target.owner else { return [] }
        return (balancersOfInstance[id] ?? []).compactMap { loadBalancers[$0] }.sorted { $0.id < $1.id }
    }
}
