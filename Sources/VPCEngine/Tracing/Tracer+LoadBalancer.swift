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
        // Followed as if a listener passed the asked-for ports through (the branch carries TARGET_PORT_RESTRICTION).
        let assumed = branch.assumedListener == balancer.id
        if assumed { accepted = branch.packets }
        for listener in balancer.listeners where !assumed {
            var box = HeaderBox.everything
            box.protocols = IntervalSet(IPProtocol.tcp)
            box.destinationPorts = IntervalSet(value: UInt32(listener.loadBalancerPort))
            listenerBoxes.append((listener, box))
            accepted = accepted.union(branch.packets.intersection(box))
        }
        branch.filter(allowed: accepted) { rejected in
            var e = Explanation(
                .elbListenersMismatch, direction: "ingress",
                message:
                    "Load balancer \(balancer.name) has no listener for \(describe(rejected, direction: .ingress)); "
                    + "its listeners are \(balancer.listeners.map(\.description).joined(separator: ", "))."
            )
            e.component = balancerComponent
            e.loadBalancerArn = balancerComponent.arn
            e.portRanges = CompiledNetwork.portRanges(rejected.projection(\.destinationPorts))
            return e
        }
        var hop = PathComponent(component: balancerComponent, note: "")
        hop.inboundPackets = (branch.packets)
        hop.attachedTo = network.component(of: interface)
        (hop.subnet, hop.vpc) = network.subnetAndVPC(interface.subnetID)

        if case .loadBalancer(let goal) = goal, goal == balancer.id {
            // With no listener for the packets, the blocker is recorded and the path goes on as if one
            // accepted them, so that the replies' blockers are found too.
            hop.note =
                accepted.isEmpty
                ? "BLOCKED: no listener accepts \(describe(branch.packets, direction: .ingress))"
                : "accepted by listener \(listenersUsed(listenerBoxes, branch.packets))"
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
        let enabledZones = Set(balancer.nodes.compactMap { network.subnets[$0.subnetID]?.availabilityZone })
        if let targetZone, !enabledZones.contains(targetZone) {
            // "This load balancer can send traffic only to targets in Availability Zones that are enabled
            // for the load balancer" (RA explanation codes); cross-zone spreads over enabled zones only.
            var e = Explanation(
                .elbInstalledAZRestriction,
                message:
                    "Load balancer \(balancer.name) sends only to targets in its enabled Availability Zones "
                    + "(\(enabledZones.sorted().joined(separator: ", "))); \(network.label(target.id.rawValue)) is in "
                    + "\(targetZone). Add a subnet in \(targetZone) to the load balancer\(balancer.crossZone ? "" : ", or move the instance")."
            )
            e.component = balancerComponent
            e.loadBalancerArn = balancerComponent.arn
            e.availabilityZones = enabledZones.sorted()
            e.loadBalancerTarget = AnalysisLoadBalancerTarget(
                address: targetInterface.primaryPrivateIP.description, instance: network.component(target.id.rawValue))
            branch.blockers.append(e)
        } else if !balancer.crossZone, let nodeZone, let targetZone, nodeZone != targetZone {
            var e = Explanation(
                .elbNotCrossZone,
                message:
                    "The node of load balancer \(balancer.name) in \(nodeZone) cannot send to \(network.label(target.id.rawValue)) in "
                    + "\(targetZone): cross-zone load balancing is disabled."
            )
            e.component = balancerComponent
            e.loadBalancerArn = balancerComponent.arn
            e.availabilityZones = [nodeZone, targetZone]
            branch.blockers.append(e)
        }
        if assumed {
            var next = branch
            next.connections.append(ConnectionRecord(device: .loadBalancer, interface: interface.id, original: branch.packets))
            let clientPorts = branch.packets.projection(\.destinationPorts)
            next.packets = PacketSet(backendBox(from: interface, to: targetInterface, ports: clientPorts, labels: branch.packets.labels))
            var listenerHop = hop
            listenerHop.note =
                "no listener for port \(clientPorts): followed as if one sent it on from "
                + "\(interface.primaryPrivateIP) to \(network.label(target.id.rawValue))"
            listenerHop.outboundPackets = next.packets
            next.append(listenerHop)
            return send(from: interface, next)
        }
        for (listener, box) in listenerBoxes {
            let clientPackets = branch.packets.intersection(box)
            guard !clientPackets.isEmpty else { continue }
            var next = branch
            next.connections.append(ConnectionRecord(device: .loadBalancer, interface: interface.id, original: clientPackets))
            let labels = clientPackets.labels
            next.packets = PacketSet(
                backendBox(from: interface, to: targetInterface, ports: IntervalSet(value: UInt32(listener.instancePort)), labels: labels))
            var listenerHop = hop
            listenerHop.note =
                "listener \(listener): a new connection from \(interface.primaryPrivateIP) to "
                + "\(network.label(target.id.rawValue)):\(listener.instancePort)"
            listenerHop.outboundPackets = (next.packets)
            listenerHop.additionalDetails = [AdditionalDetail(additionalDetailType: "LOAD_BALANCER_LISTENER", component: balancerComponent)]
            next.append(listenerHop)
            send(from: interface, next)
        }
    }

    /// The node's new connection to the instance: its private address, source ports 1024-65535.
    private func backendBox(from node: NetworkInterface, to target: NetworkInterface, ports: IntervalSet, labels: IntervalSet) -> HeaderBox {
        HeaderBox(
            sources: IntervalSet(node.primaryPrivateIP), destinations: IntervalSet(target.primaryPrivateIP),
            protocols: IntervalSet(IPProtocol.tcp), sourcePorts: IntervalSet(ClassicLoadBalancer.backendSourcePorts),
            destinationPorts: ports, queryPorts: labels)
    }

    private func listenersUsed(_ listeners: [(ClassicLoadBalancer.Listener, HeaderBox)], _ packets: PacketSet) -> String {
        listeners.filter { !packets.intersection($0.1).isEmpty }.map(\.0.description).joined(separator: ", ")
    }
}
