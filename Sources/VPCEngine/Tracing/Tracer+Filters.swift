import VPCModel

extension Tracer {
    /// Security groups of an interface: the union of their rules allows (VPC User Guide, "Security group rules").
    mutating func applySecurityGroups(of interface: NetworkInterface, _ direction: Direction, to branch: inout Branch) {
        let rules = (direction == .ingress ? network.ingressRules[interface.id] : network.egressRules[interface.id]) ?? []
        var allowed = PacketSet.empty
        var matched: CompiledNetwork.CompiledSGRule?
        for rule in rules {
            guard branch.packets.boxes.contains(where: { $0.overlaps(rule.box) }) else { continue }
            if matched == nil { matched = rule }
            // A rule that admits every packet decides alone (the usual case): no new set to make.
            if branch.packets.boxes.allSatisfy({ rule.box.covers($0) }) {
                allowed = branch.packets
                break
            }
            allowed = allowed.union(branch.packets.intersection(rule.box))
        }
        let blocked = branch.packets.subtracting(allowed)
        if !blocked.isEmpty {
            let groups = interface.securityGroupIDs.map { network.component($0.rawValue) }
            let groupNames = interface.securityGroupIDs.map { network.label($0.rawValue) }.joined(separator: ", ")
            let owner = network.ownerLabel(of: interface)
            let what = describe(blocked, direction: direction)
            var e = Explanation(
                .eniSGRulesMismatch, direction: direction.rawValue,
                message:
                    "Security group\(interface.securityGroupIDs.count == 1 ? "" : "s") \(groupNames) of \(owner) (\(interface.id)) "
                    + "\(interface.securityGroupIDs.count == 1 ? "allows" : "allow") no "
                    + "\(direction == .ingress ? "inbound" : "outbound") \(what)."
            )
            e.component = network.component(of: interface)
            e.networkInterface = network.component(of: interface)
            e.securityGroups = groups
            (e.subnet, e.vpc) = network.subnetAndVPC(interface.subnetID)
            let notPreserved = referencesNotPreserved(rules, blocked: blocked, interface: interface, direction: direction, branch: branch)
            branch.filter(allowed: allowed) { _ in e }
            if allowed.isEmpty, let first = interface.securityGroupIDs.first {
                var hop = PathComponent(component: network.component(first.rawValue), note: "BLOCKED: no \(direction.rawValue) rule allows \(what)")
                hop.attachedTo = network.component(of: interface)
                hop.explanations = [e]
                branch.append(hop)
            }
            if let notPreserved {
                if allowed.isEmpty { branch.blockers.append(notPreserved) } else { branch.notes.append(notPreserved) }
            }
        }
        if let matched, !allowed.isEmpty {
            var hop = PathComponent(
                component: network.component(matched.group.id.rawValue),
                note: "\(direction.rawValue) rule \(describe(matched.rule, direction))")
            hop.securityGroupRule = network.securityGroupRule(matched.rule, direction: direction)
            hop.attachedTo = network.component(of: interface)
            branch.append(hop)
        }
    }

    /// A rule that names a security group matches only the private addresses of that group's
    /// interfaces; through a middlebox (a NAT), the peer address is the far host, not the middlebox
    /// (VPC User Guide, "Security group rules", Limitations). Names the rule that looks as if it should match.
    private func referencesNotPreserved(
        _ rules: [CompiledNetwork.CompiledSGRule], blocked: PacketSet, interface: NetworkInterface, direction: Direction,
        branch: Branch
    ) -> Explanation? {
        for rule in rules {
            guard case .securityGroup(let peer) = rule.rule.peer else { continue }
            var ignoringPeer = rule.box
            if direction == .ingress { ignoringPeer.sources = HeaderBox.allAddresses } else { ignoringPeer.destinations = HeaderBox.allAddresses }
            guard !blocked.intersection(ignoringPeer).isEmpty else { continue }
            // The middlebox: the next hop on the way out, or the last forwarder on the way in.
            let middlebox: NetworkInterface? =
                direction == .egress ? nextHop(from: interface, for: blocked) : branch.lastForwarder.flatMap { network.interfaces[$0] }
            guard let middlebox, middlebox.securityGroupIDs.contains(peer) else { continue }
            var e = Explanation(
                .sgReferencesNotPreserved, direction: direction.rawValue,
                message:
                    "The \(direction.rawValue) rule of \(network.label(rule.group.id.rawValue)) that names security group "
                    + "\(network.label(peer.rawValue)) does not match: the traffic passes through "
                    + "\(network.ownerLabel(of: middlebox)), a member of \(network.label(peer.rawValue)), but a "
                    + "security-group reference matches only the private addresses of member interfaces, and the "
                    + "\(direction == .egress ? "destination" : "source") is "
                    + "\(network.describeAddresses(direction == .egress ? blocked.projection(\.destinations) : blocked.projection(\.sources))). "
                    + "Use a CIDR rule instead."
            )
            e.securityGroup = network.component(rule.group.id.rawValue)
            e.securityGroupRule = network.securityGroupRule(rule.rule, direction: direction)
            e.component = network.component(of: middlebox)
            return e
        }
        return nil
    }

    /// The interface a route of this interface's subnet sends these packets to, if it is an instance or interface.
    private func nextHop(from interface: NetworkInterface, for packets: PacketSet) -> NetworkInterface? {
        guard let table = network.routeTableOfSubnet[interface.subnetID], let first = packets.projection(\.destinations).first else { return nil }
        guard let route = table.routes.first(where: { $0.block.contains(first) }) else { return nil }
        if let target = route.interface { return network.interfaces[target] }
        if case .natGateway(let id) = route.route.target, let gateway = network.natGateways[id] {
            return network.interfaces[gateway.networkInterfaceID]
        }
        return nil
    }

    /// The source/destination check (on by default): an interface drops packets it receives that are not
    /// addressed to it, and packets it sends whose source is not its own (EC2 User Guide; NAT gateways
    /// are exempt). Code ENI_SOURCE_DEST_CHECK_RESTRICTION.
    mutating func applySourceDestinationCheck(of interface: NetworkInterface, _ direction: Direction, to branch: inout Branch) {
        guard interface.sourceDestCheck, network.natGatewayOfInterface[interface.id] == nil else { return }
        let addresses = IntervalSet(interface.privateIPs.map { $0.value...$0.value })
        // The usual case: every packet is the interface's own.
        if branch.packets.boxes.allSatisfy({ addresses.covers(direction == .ingress ? $0.destinations : $0.sources) }) { return }
        var own = HeaderBox.everything
        if direction == .ingress { own.destinations = addresses } else { own.sources = addresses }
        let label = network.ownerLabel(of: interface)
        branch.filter(allowed: branch.packets.intersection(own)) { blocked in
            let message =
                direction == .ingress
                ? "\(label) receives packets addressed to \(network.describeAddresses(blocked.projection(\.destinations))), not to itself, and "
                    + "source/destination check is enabled on \(interface.id); disable it to let the instance forward."
                : "\(label) sends packets whose source is \(network.describeAddresses(blocked.projection(\.sources))), not its own address, and "
                    + "source/destination check is enabled on \(interface.id); disable it (as for a NAT instance)."
            var e = Explanation(.eniSourceDestCheckRestriction, direction: direction.rawValue, message: message)
            e.networkInterface = network.component(of: interface)
            e.component = network.component(of: interface)
            return e
        }
    }

    /// A subnet's network ACL: entries in ascending rule number, first match wins, `*` denies the rest
    /// (VPC User Guide, "Network ACLs"). Stateless: the return leg is checked again.
    mutating func applyACL(of subnet: Subnet, _ direction: Direction, isLoadBalancerNode: Bool, to branch: inout Branch) {
        guard let acl = network.aclOfSubnet[subnet.id] else { return }
        var remaining = branch.packets
        var allowed = PacketSet.empty
        // The hop shows the allow entry that admits most of the packets (by destination ports).
        var mainAllow: (entry: NetworkACLEntry, ports: UInt64)?
        var firstDeny: NetworkACLEntry?
        for entry in direction == .ingress ? acl.ingress : acl.egress {
            // Most entries miss the packets or take all that remain: neither needs a new set.
            guard remaining.boxes.contains(where: { $0.overlaps(entry.box) }) else { continue }
            let takesAll = remaining.boxes.allSatisfy { entry.box.covers($0) }
            let matched = takesAll ? remaining : remaining.intersection(entry.box)
            if entry.entry.action == .allow {
                allowed = allowed.union(matched)
                let ports = matched.projection(\.destinationPorts).count
                if ports > mainAllow?.ports ?? 0 { mainAllow = (entry.entry, ports) }
            } else if firstDeny == nil {
                firstDeny = entry.entry
            }
            if takesAll { break }
            remaining = remaining.subtracting(entry.box)
            if remaining.isEmpty { break }
        }
        let aclID = acl.acl.id.rawValue
        if let deny = firstDeny {
            let blocked = branch.packets.subtracting(allowed)
            let rule = deny.ruleNumber == NetworkACLEntry.catchAllRuleNumber ? "the final * rule (deny all)" : "rule \(deny.ruleNumber) (deny)"
            let code: Explanation.Code = isLoadBalancerNode ? .elbACLRestriction : .subnetACLRestriction
            var e = Explanation(
                code, direction: direction.rawValue,
                message:
                    "Network ACL \(network.label(aclID)) of subnet \(network.label(subnet.id.rawValue)) "
                    + "\(direction == .ingress ? "inbound" : "outbound"): \(rule) matches \(describe(blocked, direction: direction))"
                    + "\(isReturn ? " (return traffic: ACLs are stateless)" : "")."
            )
            e.acl = network.component(aclID)
            e.aclRule = network.aclRule(deny)
            e.subnet = network.component(subnet.id.rawValue)
            e.vpc = network.component(subnet.vpcID.rawValue)
            e.component = network.component(aclID)
            branch.filter(allowed: allowed) { _ in e }
            if allowed.isEmpty {
                var hop = PathComponent(
                    component: network.component(aclID),
                    note: "BLOCKED: \(direction == .ingress ? "inbound" : "outbound") \(rule)\(isReturn ? " (return traffic)" : "")")
                hop.aclRule = network.aclRule(deny)
                (hop.subnet, hop.vpc) = network.subnetAndVPC(subnet.id)
                hop.explanations = [e]
                branch.append(hop)
            }
        }
        if let allow = mainAllow?.entry, !allowed.isEmpty {
            var hop = PathComponent(
                component: network.component(aclID),
                note:
                    "\(direction == .ingress ? "inbound" : "outbound") rule \(allow.ruleNumber) allows \(allow.ipProtocol) "
                    + "\(allow.ipProtocol.hasPorts ? allow.ports.description + " " : "")\(direction == .ingress ? "from" : "to") \(allow.cidr)"
            )
            hop.aclRule = network.aclRule(allow)
            (hop.subnet, hop.vpc) = network.subnetAndVPC(subnet.id)
            branch.append(hop)
        }
    }

    func describe(_ rule: SecurityGroupRule, _ direction: Direction) -> String {
        let ports = rule.ipProtocol.hasPorts ? " \(rule.ports)" : ""
        return "allows \(rule.ipProtocol)\(ports) \(direction == .ingress ? "from" : "to") \(network.label(rule.peer.description))"
    }

    /// "tcp port 22 from the internet", for messages.
    func describe(_ packets: PacketSet, direction: Direction) -> String {
        let protocols = packets.projection(\.protocols)
        let protocolName =
            protocols == HeaderBox.allProtocols
            ? "traffic"
            : protocols.ranges.count == 1 && protocols.count == 1
                ? IPProtocol(number: Int(protocols.first ?? 0)).description : "protocols \(protocols)"
        let ports = packets.projection(\.destinationPorts)
        let portText =
            protocols.isSubset(of: IntervalSet([6...6, 17...17]))
            ? " port\(ports.count == 1 ? "" : "s") \(ports == HeaderBox.allPorts ? "0-65535" : ports.description)" : ""
        let peer =
            direction == .ingress
            ? "from \(network.describeAddresses(packets.projection(\.sources)))"
            : "to \(network.describeAddresses(packets.projection(\.destinations)))"
        return "\(protocolName)\(portText) \(peer)"
    }
}
