import VPCModel

extension Tracer {
    /// A Classic Load Balancer node accepts a client connection on a listener port, then opens a new
    /// connection from its own private address (source port 1024-65535) to the instance port of each
    /// registered instance it may use (ELB Classic guide; SEMANTICS.md, "Classic Load Balancer").
    mutating func loadBalancerAccepts(
        _ balancer: ClassicLoadBalancer, node: ClassicLoadBalancer.Node, interface: NetworkInterface, _ branch: Branch
    ) {
        var branch = branch
        let balancerComponent = network.component(balancer.id.rawValue)
        var listenerBoxes: [(ClassicLoadBalancer.Listener, HeaderBox)] = []
        var accepted = PacketSet.empty
        for listener in balancer.listeners {
            var box = HeaderBox.everything
            box.protocols = IntervalSet(IPProtocol.tcp)
            box.destinationPorts = IntervalSet(value: UInt32(listener.loadBalancerPort))
            listenerBoxes.append((listener, box))
            accepted = accepted.union(branch.packets.intersection(box))
        }
        branch.filter(allowed: accepted) { rejected in
            var e = Explanation(.elbListenersMismatch, direction: "ingress",
                message: "Load balancer \(balancer.name) has no listener for \(describe(rejected, direction: .ingress)); its listeners are \(balancer.listeners.map(\.description).joined(separator: ", ")).")
            e.component = balancerComponent
            e.loadBalancerArn = balancerComponent.arn
            e.portRanges = CompiledNetwork.portRanges(rejected.projection(\.destinationPorts))
            return e
        }
        if branch.isBroken && accepted.isEmpty {
            // No listener at all: nothing to follow as if it worked.
            return finish(branch, arrived: false)
        }
        var hop = PathComponent(component: balancerComponent, note: "")
        hop.inboundPackets = (branch.packets)
        hop.attachedTo = network.component(of: interface)
        (hop.subnet, hop.vpc) = network.subnetAndVPC(interface.subnetID)

        if case .loadBalancer(let goal) = goal, goal == balancer.id {
            hop.note = "accepted by listener \(listenersUsed(listenerBoxes, branch.packets))"
            branch.append(hop)
            return finish(branch, arrived: true)
        }
        guard case .interface(let goalInterface) = goal,
            let target = network.instances.values.first(where: { $0.primaryNetworkInterfaceID == goalInterface }),
            balancer.instanceIDs.contains(target.id),
            let targetInterface = network.interfaces[goalInterface]
        else { return }

        let nodeZone = network.subnets[node.subnetID]?.availabilityZone
        let targetZone = network.subnets[targetInterface.subnetID]?.availabilityZone
        if !balancer.crossZone, let nodeZone, let targetZone, nodeZone != targetZone {
            var e = Explanation(.elbNotCrossZone,
                message: "The node of load balancer \(balancer.name) in \(nodeZone) cannot send to \(network.label(target.id.rawValue)) in \(targetZone): cross-zone load balancing is disabled.")
            e.component = balancerComponent
            e.loadBalancerArn = balancerComponent.arn
            e.availabilityZones = [nodeZone, targetZone]
            branch.blockers.append(e)
        }
        for (listener, box) in listenerBoxes {
            let clientPackets = branch.isBroken && accepted.isEmpty ? branch.packets : branch.packets.intersection(box)
            guard !clientPackets.isEmpty else { continue }
            var next = branch
            next.connections.append(ConnectionRecord(device: .loadBalancer, interface: interface.id, original: clientPackets))
            let labels = clientPackets.labels
            next.packets = PacketSet(HeaderBox(
                sources: IntervalSet(interface.primaryPrivateIP),
                destinations: IntervalSet(targetInterface.primaryPrivateIP),
                protocols: IntervalSet(IPProtocol.tcp),
                sourcePorts: IntervalSet(ClassicLoadBalancer.backendSourcePorts),
                destinationPorts: IntervalSet(value: UInt32(listener.instancePort)),
                queryPorts: labels))
            var listenerHop = hop
            listenerHop.note = "listener \(listener): a new connection from \(interface.primaryPrivateIP) to \(network.label(target.id.rawValue)):\(listener.instancePort)"
            listenerHop.outboundPackets = (next.packets)
            listenerHop.additionalDetails = [AdditionalDetail(additionalDetailType: "LOAD_BALANCER_LISTENER", component: balancerComponent)]
            next.append(listenerHop)
            send(from: interface, next)
        }
    }

    private func listenersUsed(_ listeners: [(ClassicLoadBalancer.Listener, HeaderBox)], _ packets: PacketSet) -> String {
        listeners.filter { !packets.intersection($0.1).isEmpty }.map(\.0.description).joined(separator: ", ")
    }
}
