import VPCModel

extension Tracer {
    /// An interface receives packets: its owner must be running, the source/destination check and its
    /// security groups apply, then the owner keeps the packets, forwards them, or translates them.
    mutating func arrive(at interface: NetworkInterface, _ branch: Branch) {
        var branch = branch
        if let instance = network.instance(owning: interface), !instance.state.isForwarding {
            var e = Explanation(.badState, message: "Instance \(network.label(instance.id.rawValue)) is \(instance.state.rawValue); start it.")
            e.component = network.component(instance.id.rawValue)
            e.state = instance.state.rawValue
            branch.blockers.append(e)
        }
        let own = IntervalSet(interface.privateIPs.map { $0.value...$0.value })
        var toSelfBox = HeaderBox.everything
        toSelfBox.destinations = own

        // A reply reaching a device that translated the request: translate back and send it on.
        if isReturn, let record = branch.connections.last, record.interface == interface.id {
            branch.connections.removeLast()
            return translateBack(record, at: interface, branch)
        }

        applySourceDestinationCheck(of: interface, .ingress, to: &branch)
        if securityGroupsApply(at: interface, &branch) {
            applySecurityGroups(of: interface, .ingress, to: &branch)
        }
        let toSelf = branch.packets.intersection(toSelfBox)
        let passing = branch.packets.subtracting(toSelfBox)

        if !toSelf.isEmpty {
            var mine = branch
            mine.packets = toSelf
            receive(at: interface, mine)
        }
        if !passing.isEmpty {
            var forwarded = branch
            forwarded.packets = passing
            forward(at: interface, forwarded)
        }
    }

    /// Packets addressed to the interface itself.
    private mutating func receive(at interface: NetworkInterface, _ branch: Branch) {
        var branch = branch
        if case .interface(let goal) = goal, goal == interface.id {
            // A NAT gateway only translates what its routes bring it; it accepts no connection of its own.
            if !isReturn, let gateway = network.natGatewayOfInterface[interface.id] {
                var e = Explanation(
                    .natGatewayInbound,
                    message: "NAT gateway \(network.label(gateway.rawValue)) accepts no connection started towards it: it only translates "
                        + "connections its subnet's instances start (VPC User Guide, \"NAT gateways\").")
                e.natGateway = network.component(gateway.rawValue)
                e.component = network.component(gateway.rawValue)
                return drop(branch, e)
            }
            var hop = PathComponent(component: network.component(of: interface), note: "received by \(network.ownerLabel(of: interface))")
            hop.inboundPackets = (branch.packets)
            (hop.subnet, hop.vpc) = network.subnetAndVPC(interface.subnetID)
            hop.attachedTo = network.ownerComponent(of: interface)
            branch.append(hop)
            if let owner = network.ownerComponent(of: interface), owner.id != interface.id.rawValue {
                branch.append(PathComponent(component: owner, note: isReturn ? "back at the source" : "destination"))
            }
            return finish(branch, arrived: true)
        }
        if !isReturn, let (balancerID, node) = network.nodeOfInterface[interface.id], let balancer = network.loadBalancers[balancerID] {
            return loadBalancerAccepts(balancer, node: node, interface: interface, branch)
        }
        // Anything else ends at a host that is not the destination.
    }

    /// Packets for someone else: a NAT instance or NAT gateway translates them; another instance with
    /// source/destination check off forwards them as they are.
    private mutating func forward(at interface: NetworkInterface, _ branch: Branch) {
        var branch = branch
        let isNATGateway = network.natGatewayOfInterface[interface.id] != nil
        let instance = network.instance(owning: interface)
        let translates = isNATGateway || instance?.role == .nat
        var hop = PathComponent(
            component: network.component(of: interface),
            note: translates
                ? "\(network.ownerLabel(of: interface)) translates the source to \(interface.primaryPrivateIP)"
                : "\(network.ownerLabel(of: interface)) forwards")
        hop.inboundPackets = (branch.packets)
        hop.attachedTo = network.ownerComponent(of: interface)
        (hop.subnet, hop.vpc) = network.subnetAndVPC(interface.subnetID)
        if translates && isReturn {
            // The device holds no connection for this reply (translateBack handles those): it would
            // translate it as a new outbound flow, and the client drops a reply from another address.
            let e = asymmetricReturn(at: interface, branch)
            branch.blockers.append(e)
            hop.note =
                "BLOCKED: \(network.ownerLabel(of: interface)) would translate the reply's source to \(interface.primaryPrivateIP): the request "
                + "never crossed it"
            hop.explanations = [e]
        } else if translates {
            // Source NAT: the device's private address and a port it picks from 1024-65535
            // (VPC User Guide, "NAT gateways"; SEMANTICS.md, "NAT instance").
            branch.connections.append(
                ConnectionRecord(device: isNATGateway ? .natGateway : .natInstance, interface: interface.id, original: branch.packets))
            branch.packets = branch.packets.map { box in
                var box = box
                box.sources = IntervalSet(interface.primaryPrivateIP)
                box.sourcePorts = IntervalSet(NATGateway.translatedPorts)
                return box
            }
        }
        hop.outboundPackets = (branch.packets)
        branch.append(hop)
        branch.lastForwarder = interface.id
        send(from: interface, branch)
    }

    /// A reply routed into a NAT that the request never crossed: the NAT rewrites the reply's source,
    /// so it is not the connection the client opened (SEMANTICS.md, "Addresses and return paths").
    /// Names the route that sent the reply there, the last one on the return path.
    private func asymmetricReturn(at interface: NetworkInterface, _ branch: Branch) -> Explanation {
        let nat = network.ownerLabel(of: interface)
        let sources = branch.packets.projection(\.sources)
        let destinations = branch.packets.projection(\.destinations)
        let routeHop = branch.lastComponent { $0.routeTableRoute != nil }
        let via =
            routeHop.map { "Route \($0.routeTableRoute?.destinationCidr ?? "") -> \(nat) in \($0.component.name ?? $0.component.id) sends" }
            ?? "The reply goes"
        var e = Explanation(
            .asymmetricReturn, direction: "egress",
            message:
                "\(via) the reply from \(network.describeAddresses(sources)) to \(network.describeAddresses(destinations)) into \(nat), which the "
                + "request never crossed: \(nat) rewrites the reply's source to its own address, so the client, "
                + "expecting the reply from the address it sent its request to, drops it. Route these destinations back "
                + "the way the requests came (from the internet: to the internet gateway), or move the destination to a "
                + "subnet that does."
        )
        e.component = network.ownerComponent(of: interface) ?? network.component(of: interface)
        e.networkInterface = network.component(of: interface)
        if let gateway = network.natGatewayOfInterface[interface.id] { e.natGateway = network.component(gateway.rawValue) }
        e.routeTable = routeHop?.component
        e.routeTableRoute = routeHop?.routeTableRoute
        (e.subnet, e.vpc) = (routeHop?.subnet, routeHop?.vpc)
        e.addresses = AddressSpace.cidrs(of: destinations)
        return e
    }

    /// A reply at a device that translated the request: restore what it rewrote, keep the reply's label.
    private mutating func translateBack(_ record: ConnectionRecord, at interface: NetworkInterface, _ branch: Branch) {
        var branch = branch
        let labels = branch.packets.labels
        var hop = PathComponent(component: network.component(of: interface), note: "")
        hop.inboundPackets = (branch.packets)
        branch.packets = record.original.reversed.map { box in
            var box = box
            box.restrictLabels(to: labels)
            return box
        }
        switch record.device {
        case .natInstance, .natGateway:
            hop.note = "\(network.ownerLabel(of: interface)) translates the reply back"
        case .loadBalancer:
            hop.component = network.ownerComponent(of: interface) ?? hop.component
            hop.note = "the load balancer answers the client's connection"
        }
        hop.attachedTo = network.ownerComponent(of: interface)
        hop.outboundPackets = (branch.packets)
        branch.append(hop)
        send(from: interface, branch)
    }

    // MARK: Internet gateway

    /// Out through the internet gateway: the source must have a public address, which replaces it
    /// (1:1 NAT); destinations in private ranges are dropped (VPC User Guide, "Internet gateways").
    mutating func internetGatewayEgress(_ gateway: InternetGateway, _ branch: Branch) {
        var branch = branch
        var mapped: [(IntervalSet, IPv4Address)] = []
        for range in branch.packets.projection(\.sources).ranges where range.count <= 65536 {
            for value in range {
                guard let vpc = gateway.attachedVPC, let owner = network.interfaceByPrivateIP[vpc]?[value],
                    let pair = network.publicIPsOfInterface[owner]?.first(where: { $0.privateIP.value == value })
                else { continue }
                mapped.append((IntervalSet(value: value), pair.publicIP))
            }
        }
        let mappedSources = IntervalSet(mapped.flatMap(\.0.ranges))
        var withPublic = HeaderBox.everything
        withPublic.sources = mappedSources
        let forwarder = branch.lastForwarder.flatMap { network.interfaces[$0] }
        branch.filter(allowed: branch.packets.intersection(withPublic)) { blocked in
            let unmapped = blocked.projection(\.sources)
            var message =
                "Internet gateway \(network.label(gateway.id.rawValue)) drops packets from \(network.describeAddresses(unmapped)): no public IP or "
                + "Elastic IP is associated with that private address."
            // An instance that forwards (source/destination check off) without the NAT role passes the
            // private source on unchanged: say so, it is usually a NAT instance known only by its image.
            if let forwarder, let instance = network.instance(owning: forwarder), instance.role != .nat, !forwarder.sourceDestCheck {
                message += " \(network.label(instance.id.rawValue)) forwards without translating: mark it as a NAT (role: nat) if it masquerades."
            }
            var e = Explanation(.igwPublicIPAssociationForEgress, direction: "egress", message: message)
            if let forwarder { e.networkInterface = network.component(of: forwarder) }
            e.internetGateway = network.component(gateway.id.rawValue)
            e.component = network.component(gateway.id.rawValue)
            e.addresses = AddressSpace.cidrs(of: unmapped)
            return e
        }
        var internetBox = HeaderBox.everything
        internetBox.destinations = AddressSpace.internet
        let inbound = branch.packets
        if !mapped.isEmpty {
            branch.packets = PacketSet(
                boxes: mapped.flatMap { privateSet, publicIP in
                    branch.packets.intersection(
                        {
                            var b = HeaderBox.everything
                            b.sources = privateSet
                            return b
                        }()
                    ).boxes.map { box in
                        var box = box
                        box.sources = IntervalSet(publicIP)
                        return box
                    }
                })
        }
        let outside = branch.packets.intersection(internetBox)
        var hop = PathComponent(
            component: network.component(gateway.id.rawValue), note: "internet gateway maps the private source to its public address")
        hop.inboundPackets = (inbound)
        hop.outboundPackets = (outside.isEmpty ? branch.packets : outside)
        branch.append(hop)
        branch.packets = outside
        guard !outside.isEmpty else { return }
        guard case .internet(let targets) = goal else {
            // To a public address of the VPC's own: out through the internet gateway and back in.
            if let vpc = gateway.attachedVPC { internetGatewayIngress(vpc: vpc, branch) }
            return
        }
        var targetBox = HeaderBox.everything
        targetBox.destinations = targets
        branch.packets = outside.intersection(targetBox)
        guard !branch.packets.isEmpty else { return }
        branch.append(
            PathComponent(component: AnalysisComponent(id: "internet", name: "the internet"), note: isReturn ? "back at the source" : "destination"))
        finish(branch, arrived: true)
    }

    /// In through the internet gateway: each public destination maps to the private address of the
    /// interface it is associated with; the subnet's inbound ACL applies, then the interface receives.
    mutating func internetGatewayIngress(vpc: VPC.ID, _ branch: Branch) {
        var branch = branch
        guard let gateway = network.internetGatewayOfVPC[vpc] else {
            var e = Explanation(
                .noRouteToDestination, direction: "ingress",
                message: "VPC \(network.label(vpc.rawValue)) has no internet gateway attached, so nothing reaches it from the internet.")
            e.vpc = network.component(vpc.rawValue)
            return drop(branch, e)
        }
        var fromInternet = HeaderBox.everything
        fromInternet.sources = AddressSpace.internet
        branch.packets = branch.packets.intersection(fromInternet)
        let destinations = branch.packets.projection(\.destinations)
        var targets: [(NetworkInterface.ID, IPv4Address, IntervalSet)] = []
        for (publicValue, mapping) in network.publicIPMapping where destinations.contains(publicValue) {
            targets.append((mapping.interface, mapping.privateIP, IntervalSet(value: publicValue)))
        }
        targets.sort { $0.2.first ?? 0 < $1.2.first ?? 0 }
        let mappedDestinations = IntervalSet(targets.flatMap(\.2.ranges))
        if !destinations.subtracting(mappedDestinations).isEmpty {
            var e = Explanation(
                .igwPrivateIPAssociationForIngress, direction: "ingress",
                message:
                    "Internet gateway \(network.label(gateway.id.rawValue)) drops packets to "
                    + "\(network.describeAddresses(destinations.subtracting(mappedDestinations))): no interface in the VPC "
                    + "has that public address."
            )
            e.internetGateway = network.component(gateway.id.rawValue)
            e.component = network.component(gateway.id.rawValue)
            if mappedDestinations.isEmpty { return drop(branch, e) }
            e.isPartial = true
            branch.notes.append(e)
        }
        for (interfaceID, privateIP, publicSet) in targets {
            guard let interface = network.interfaces[interfaceID], let subnet = network.subnets[interface.subnetID] else { continue }
            var next = branch
            var box = HeaderBox.everything
            box.destinations = publicSet
            let inbound = next.packets.intersection(box)
            next.packets = inbound.map { box in
                var box = box
                box.destinations = IntervalSet(privateIP)
                return box
            }
            var hop = PathComponent(
                component: network.component(gateway.id.rawValue), note: "internet gateway maps \(IPv4Address(publicSet.first ?? 0)) to \(privateIP)")
            hop.inboundPackets = (inbound)
            hop.outboundPackets = (next.packets)
            next.append(hop)
            applyACL(of: subnet, .ingress, isLoadBalancerNode: false, to: &next)
            arrive(at: interface, next)
        }
    }
}
