import VPCModel

extension CompiledNetwork {
    /// What the engine reads of each endpoint, as a key: equal keys, interchangeable endpoints.
    public func endpointClasses(_ endpoints: [String]) -> [String] {
        let t = topology
        let cidrs = classCIDRs
        let forwarding = t.forwardingInterfaceIDs
        let interfacesOfInstance = t.interfaceCountByInstance
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
        return endpoints.map { endpoint in
            guard let instance = byName[endpoint], let interface = interfaces[instance.primaryNetworkInterfaceID.rawValue] else {
                return "unique:" + endpoint
            }
            let id = instance.id.rawValue
            if forwarding.contains(interface.id) || interfacesOfInstance[instance.id, default: 0] > 1 { return "unique:" + endpoint }
            let publicAddresses = t.publicAddresses(of: interface).map(\.publicIP)
            return [
                "instance", instance.state.rawValue, interface.subnetID.rawValue,
                interface.securityGroupIDs.map(\.rawValue).sorted().joined(separator: ","), instance.ephemeralPorts.description,
                (registered[id] ?? []).sorted().joined(separator: ","), interface.privateIPs.map({ atoms($0, cidrs) }).joined(separator: "/"),
                publicAddresses.map({ atoms($0, cidrs) }).joined(separator: "/"), publicAddresses.isEmpty ? "private" : "public",
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

extension CompiledNetwork {
    /// What the engine reads of an instance on its paths from and to the internet, as two keys: equal
    /// keys, equal answers for `internet -> it` (the first) and `it -> internet` (the second).
    ///
    /// Its state, subnet (hence route table, ACL, zone), ephemeral ports, public addresses (how many, an
    /// Elastic IP or not, and the CIDRs holding them), load balancer registrations, the CIDRs holding its
    /// private address; of its security group rules only the parts whose peers are internet addresses or
    /// load balancer nodes (the only peers its groups judge on these paths); and which rules of the
    /// interfaces that forward or balance (NAT instances, route targets, nodes) hold its private address.
    /// Endpoints that are not plain instances get a key of their own. From the internet, an instance with
    /// no public address that no internet-facing load balancer registers is out of reach whatever else
    /// it is (the engine's only path is blocked at the internet gateway): one key for all of them.
    func internetClasses(_ endpoints: [String]) -> [String: (to: String, from: String)] {
        let t = topology
        let cidrs = classCIDRs
        var special: [NetworkInterface] = []
        let forwarding = t.forwardingInterfaceIDs
        let interfacesOfInstance = t.interfaceCountByInstance
        var peers = AddressSpace.internet
        for interface in t.networkInterfaces.sorted(by: { $0.id < $1.id }) {
            if forwarding.contains(interface.id) || nodeOfInterface[interface.id] != nil { special.append(interface) }
            if nodeOfInterface[interface.id] != nil { peers = peers.union(IntervalSet(interface.privateIPs.map { $0.value...$0.value })) }
        }
        func restricted(_ rules: [CompiledSGRule], egress: Bool) -> String {
            rules.compactMap { rule -> String? in
                let peer = (egress ? rule.box.destinations : rule.box.sources).intersection(peers)
                return peer.isEmpty ? nil : "\(rule.box.protocols)/\(rule.box.destinationPorts)/\(peer)"
            }.sorted().joined(separator: ";")
        }
        var result: [String: (to: String, from: String)] = [:]
        for name in endpoints {
            guard case .interface(let interface)? = try? endpoint(name, role: "destination"), let owner = instance(owning: interface),
                interfacesOfInstance[owner.id] == 1, !special.contains(where: { $0.id == interface.id })
            else {
                result[name] = ("unique:" + name, "unique:" + name)
                continue
            }
            let address = interface.primaryPrivateIP
            let masks = special.map { forwarder in
                let ingress = (ingressRules[forwarder.id] ?? []).map { $0.box.sources.contains(address.value) ? "1" : "0" }
                let egress = (egressRules[forwarder.id] ?? []).map { $0.box.destinations.contains(address.value) ? "1" : "0" }
                return (ingress + ["/"] + egress).joined()
            }
            let publics = (publicIPsOfInterface[interface.id] ?? []).map(\.publicIP)
            let elastic = t.elasticIPs.contains { $0.association?.networkInterfaceID == interface.id }
            let common = [
                owner.state.rawValue, interface.subnetID.rawValue, owner.ephemeralPorts.description,
                interface.privateIPs.map({ atoms($0, cidrs) }).joined(separator: "/"), publics.map({ atoms($0, cidrs) }).joined(separator: "/"),
                "\(publics.count)",
                elastic ? "eip" : "", masks.joined(separator: ","),
            ].joined(separator: "|")
            // Towards the internet its ingress rules and registrations are never read (the reply is tracked,
            // no load balancer is on the way); from it, its egress rules are never read.
            let key =
                common + "|" + (balancersOfInstance[owner.id] ?? []).map(\.rawValue).sorted().joined(separator: ",") + "|"
                + restricted(ingressRules[interface.id] ?? [], egress: false)
            let outward = common + "|" + restricted(egressRules[interface.id] ?? [], egress: true)
            let facing = (balancersOfInstance[owner.id] ?? []).contains { loadBalancers[$0]?.scheme == .internetFacing }
            result[name] = (publics.isEmpty && !facing ? "private" : key, outward)
        }
        return result
    }

    /// Which of the network's CIDRs hold an address, as a key.
    private func atoms(_ address: IPv4Address, _ cidrs: [CIDRBlock]) -> String { String(cidrs.map { $0.contains(address) ? "1" : "0" }) }
}

extension Topology {
    /// The IDs of the instances and network interfaces some route sends traffic to.
    var routeTargetIDs: Set<String> {
        var ids: Set<String> = []
        for table in routeTables {
            for route in table.routes {
                switch route.target {
                case .instance(let id): ids.insert(id.rawValue)
                case .networkInterface(let id): ids.insert(id.rawValue)
                default: break
                }
            }
        }
        return ids
    }

    /// Interfaces that forward for others: source/destination check off, a route's target, or an
    /// instance's that has a role (a NAT) or that a route targets.
    var forwardingInterfaceIDs: Set<NetworkInterface.ID> {
        let targets = routeTargetIDs
        let forwardingInstances = Set(instances.filter { $0.role != nil || targets.contains($0.id.rawValue) }.map(\.id))
        var ids: Set<NetworkInterface.ID> = []
        for interface in networkInterfaces where !interface.sourceDestCheck || targets.contains(interface.id.rawValue) {
            ids.insert(interface.id)
        }
        for interface in networkInterfaces {
            if case .instance(let id) = interface.owner, forwardingInstances.contains(id) { ids.insert(interface.id) }
        }
        return ids
    }

    /// How many interfaces each instance has.
    var interfaceCountByInstance: [Instance.ID: Int] {
        var counts: [Instance.ID: Int] = [:]
        for interface in networkInterfaces {
            if case .instance(let id) = interface.owner { counts[id, default: 0] += 1 }
        }
        return counts
    }
}
