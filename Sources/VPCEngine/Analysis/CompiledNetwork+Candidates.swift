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
        var result: [Candidate] = []
        switch source {
        case .internet(let sources):
            let sourcePorts = IntervalSet(query.sourcePorts ?? .all)
            switch destination {
            case .internet:
                return []
            case .interface(let target):
                let vpc = vpcID(of: target)
                let publics = IntervalSet((publicIPsOfInterface[target.id] ?? []).map { $0.publicIP.value...$0.publicIP.value })
                if publics.isEmpty {
                    var e = Explanation(.igwPrivateIPAssociationForIngress, direction: "ingress",
                        message: "\(ownerLabel(of: target)) has no public IP or Elastic IP, so the internet gateway cannot deliver to it directly.")
                    e.networkInterface = component(of: target)
                    e.component = ownerComponent(of: target) ?? component(of: target)
                    if let gateway = internetGatewayOfVPC[vpc] { e.internetGateway = component(gateway.id.rawValue) }
                    var branch = Branch(packets: PacketSet(box(sources: sources, destinations: IntervalSet(target.primaryPrivateIP), query: query, sourcePorts: sourcePorts, ports: ports)))
                    branch.append(PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: "source"))
                    branch.blockers.append(e)
                    result.append(Candidate(start: .blocked, goal: .interface(target.id), branch: branch, vpc: vpc))
                } else {
                    result.append(internetCandidate(box(sources: sources, destinations: publics, query: query, sourcePorts: sourcePorts, ports: ports), goal: .interface(target.id), vpc: vpc))
                }
                for balancer in balancers(registering: target) where balancer.scheme == .internetFacing {
                    let nodes = IntervalSet(balancer.nodes.flatMap { node in (publicIPsOfInterface[node.networkInterfaceID] ?? []).map { $0.publicIP.value...$0.publicIP.value } })
                    result.append(viaLoadBalancer(balancer, target: target, query: query, ports: ports, vpc: vpc, entry: nodes) { listener in
                        self.box(sources: sources, destinations: nodes, query: query, sourcePorts: sourcePorts,
                            ports: IntervalSet(value: UInt32(listener.loadBalancerPort)), label: IntervalSet(value: UInt32(listener.instancePort)))
                    } start: { .fromInternet(vpc) })
                }
            case .loadBalancer(let balancer):
                let nodes = IntervalSet(balancer.nodes.flatMap { node in (publicIPsOfInterface[node.networkInterfaceID] ?? []).map { $0.publicIP.value...$0.publicIP.value } })
                let packets = box(sources: sources, destinations: nodes, query: query, sourcePorts: sourcePorts, ports: ports)
                if balancer.scheme == .internal || nodes.isEmpty {
                    var e = Explanation(.igwPrivateIPAssociationForIngress, direction: "ingress",
                        message: "Load balancer \(balancer.name) is internal: its nodes have no public addresses, so nothing reaches it from the internet.")
                    e.component = component(balancer.id.rawValue)
                    e.loadBalancerArn = arn(balancer.id.rawValue)
                    var branch = Branch(packets: PacketSet(packets))
                    branch.blockers.append(e)
                    result.append(Candidate(start: .blocked, goal: .loadBalancer(balancer.id), branch: branch, vpc: balancer.vpcID))
                } else {
                    result.append(internetCandidate(packets, goal: .loadBalancer(balancer.id), vpc: balancer.vpcID))
                }
            }
        case .interface(let origin):
            let instance = instance(owning: origin)
            let ephemeral = query.sourcePorts ?? instance?.ephemeralPorts ?? ClassicLoadBalancer.backendSourcePorts
            let sourcePorts = IntervalSet(ephemeral)
            let sourceAddress = IntervalSet(origin.primaryPrivateIP)
            var first = Branch(packets: .empty)
            if let instance {
                var hop = PathComponent(component: component(instance.id.rawValue), note: "source")
                hop.attachedTo = component(of: origin)
                first.append(hop)
                if !instance.state.isForwarding {
                    var e = Explanation(.badState, message: "Instance \(label(instance.id.rawValue)) is \(instance.state.rawValue): it sends nothing. Start it.")
                    e.component = component(instance.id.rawValue)
                    e.state = instance.state.rawValue
                    first.blockers.append(e)
                }
            }
            let vpc = vpcID(of: origin)
            func fromOrigin(_ packets: HeaderBox, goal: Goal) -> Candidate {
                var branch = first
                branch.packets = PacketSet(packets)
                var hop = PathComponent(component: component(of: origin), note: "sends from \(origin.primaryPrivateIP)")
                hop.outboundPackets = (branch.packets)
                (hop.subnet, hop.vpc) = subnetAndVPC(origin.subnetID)
                branch.append(hop)
                return Candidate(start: .fromInterface(origin), goal: goal, branch: branch, vpc: vpc)
            }
            switch destination {
            case .internet(let targets):
                result.append(fromOrigin(box(sources: sourceAddress, destinations: targets, query: query, sourcePorts: sourcePorts, ports: ports), goal: .internet(targets)))
            case .interface(let target):
                let addresses = IntervalSet(target.privateIPs.map { $0.value...$0.value })
                result.append(fromOrigin(box(sources: sourceAddress, destinations: addresses, query: query, sourcePorts: sourcePorts, ports: ports), goal: .interface(target.id)))
                for balancer in balancers(registering: target) where balancer.vpcID == vpc {
                    let nodes = IntervalSet(balancer.nodes.compactMap { interfaces[$0.networkInterfaceID]?.primaryPrivateIP }.map { $0.value...$0.value })
                    var candidate = viaLoadBalancer(balancer, target: target, query: query, ports: ports, vpc: vpc, entry: nodes) { listener in
                        self.box(sources: sourceAddress, destinations: nodes, query: query, sourcePorts: sourcePorts,
                            ports: IntervalSet(value: UInt32(listener.loadBalancerPort)), label: IntervalSet(value: UInt32(listener.instancePort)))
                    } start: { .fromInterface(origin) }
                    if case .fromInterface = candidate.start {
                        let packets = candidate.branch.packets
                        candidate.branch = first
                        candidate.branch.packets = packets
                        var hop = PathComponent(component: component(of: origin), note: "sends from \(origin.primaryPrivateIP)")
                        hop.outboundPackets = (packets)
                        candidate.branch.append(hop)
                    }
                    result.append(candidate)
                }
            case .loadBalancer(let balancer):
                let nodes = IntervalSet(balancer.nodes.compactMap { interfaces[$0.networkInterfaceID]?.primaryPrivateIP }.map { $0.value...$0.value })
                result.append(fromOrigin(box(sources: sourceAddress, destinations: nodes, query: query, sourcePorts: sourcePorts, ports: ports), goal: .loadBalancer(balancer.id)))
            }
        case .loadBalancer:
            return []
        }
        return result
    }

    private func internetCandidate(_ packets: HeaderBox, goal: Goal, vpc: VPC.ID) -> Candidate {
        var branch = Branch(packets: PacketSet(packets))
        var hop = PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: "source")
        hop.outboundPackets = (branch.packets)
        branch.append(hop)
        return Candidate(start: .fromInternet(vpc), goal: goal, branch: branch, vpc: vpc)
    }

    /// A path to an instance through a load balancer's listeners whose instance port was asked for.
    private func viaLoadBalancer(
        _ balancer: ClassicLoadBalancer, target: NetworkInterface, query: PathQuery, ports: IntervalSet, vpc: VPC.ID,
        entry: IntervalSet, packets: (ClassicLoadBalancer.Listener) -> HeaderBox, start: () -> Candidate.Start
    ) -> Candidate {
        let listeners = balancer.listeners.filter { query.ipProtocol == .tcp || query.ipProtocol == .all ? ports.contains(UInt32($0.instancePort)) : false }
        guard !listeners.isEmpty, !entry.isEmpty else {
            var e = Explanation(.targetPortRestriction,
                message: "Load balancer \(balancer.name) sends \(label(target.id.rawValue)) traffic only on the instance ports of its listeners (\(balancer.listeners.map(\.description).joined(separator: ", "))); none matches \(query.ipProtocol) \(CompiledNetwork.describePorts(ports)).")
            e.component = component(balancer.id.rawValue)
            e.loadBalancerArn = arn(balancer.id.rawValue)
            e.loadBalancerTarget = AnalysisLoadBalancerTarget(address: target.primaryPrivateIP.description, instance: ownerComponent(of: target))
            var branch = Branch(packets: .empty)
            branch.append(PathComponent(component: component(balancer.id.rawValue), note: "load balancer"))
            branch.blockers.append(e)
            return Candidate(start: .blocked, goal: .interface(target.id), branch: branch, vpc: vpc)
        }
        var branch = Branch(packets: PacketSet(boxes: listeners.map(packets)))
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
