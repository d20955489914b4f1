import VPCEngine
import VPCModel

/// Writes one VPC of a ``Topology`` in the topology-file format, so `localvpc check` can read it back.
///
/// Resources are written by name: their `name` when it is a unique, plain word, else their ID.
public struct TopologyWriter {
    public init() {}

    /// - Parameters:
    ///   - header: the comment line at the top (without `# `).
    ///   - comments: a comment line written above a resource, by resource ID (where it came from).
    /// - Throws: ``ModelError`` when the VPC does not exist.
    public func yaml(
        _ topology: Topology, vpc vpcID: VPC.ID,
        header: String? = nil, intents: [Intent] = [], comments: [String: String] = [:], keepIDs: Bool = false
    ) throws(ModelError) -> String {
        let body = try resources(topology, vpc: vpcID, comments: comments, keepIDs: keepIDs)
        let comment = header ?? "Exported by localvpc export from the API state (region \(topology.region), \(vpcID))."
        return "# \(comment)\n" + body + expectSection(intents)
    }

    /// The `expect:` section, so that `localvpc check` reads the intents back as they were written.
    public func expectSection(_ intents: [Intent]) -> String {
        guard !intents.isEmpty else { return "" }
        var out = "\nexpect:\n"
        for intent in intents {
            let query = intent.query
            out += "  - name: \(quoted(intent.name))\n    from: \(quoted(query.source))\n    to: \(quoted(query.destination))\n"
            out += "    protocol: \(query.ipProtocol)\n"
            if query.ipProtocol.hasPorts { out += "    ports: \(query.destinationPorts?.description ?? "all")\n" }
            if !query.through.isEmpty { out += "    through: [\(query.through.map(quoted).joined(separator: ", "))]\n" }
            if !query.avoiding.isEmpty { out += "    avoiding: [\(query.avoiding.map(quoted).joined(separator: ", "))]\n" }
            let expected: String =
                switch intent.expectation {
                case .reachable(let value): "\(value)"
                case .fully: "fully"
                case .exactlyPorts(let ports):
                    "["
                        + ports.ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                        .joined(separator: ", ") + "]"
                }
            out += "    reachable: \(expected)\n"
        }
        return out
    }

    private func resources(_ topology: Topology, vpc vpcID: VPC.ID, comments: [String: String], keepIDs: Bool) throws(ModelError) -> String {
        func comment(_ id: String) -> String { comments[id].map { "  # \($0)\n" } ?? "" }
        guard let vpc = topology.vpc(vpcID) else {
            throw ModelError(.unknownReference, "There is no VPC \(vpcID) to export.")
        }
        var names = Names()
        let subnets = topology.subnets.filter { $0.vpcID == vpcID }
        let subnetIDs = Set(subnets.map(\.id))
        let interfaces = topology.networkInterfaces.filter { subnetIDs.contains($0.subnetID) }
        let instances = topology.instances.filter { instance in
            instance.state != .terminated && interfaces.contains { $0.id == instance.primaryNetworkInterfaceID }
        }
        let gateway = topology.internetGateways.first { $0.attachedVPC == vpcID }
        let groups = topology.securityGroups.filter { $0.vpcID == vpcID }
        let tables = topology.routeTables.filter { $0.vpcID == vpcID }
        let acls = topology.networkACLs.filter { $0.vpcID == vpcID }
        let natGateways = topology.natGateways.filter { subnetIDs.contains($0.subnetID) && $0.state != .deleted && $0.state != .deleting }
        let balancers = topology.loadBalancers.filter { $0.vpcID == vpcID }

        // Names first: everything else refers to them.
        let vpcName = names.claim(vpc.name, vpc.id.rawValue)
        if let gateway { names.claim(gateway.name, gateway.id.rawValue) }
        for group in groups { names.claim(group.name, group.id.rawValue) }
        for subnet in subnets { names.claim(subnet.name, subnet.id.rawValue) }
        for table in tables { names.claim(table.name, table.id.rawValue) }
        for acl in acls { names.claim(acl.name, acl.id.rawValue) }
        for instance in instances { names.claim(instance.name, instance.id.rawValue) }
        for gateway in natGateways { names.claim(gateway.name, gateway.id.rawValue) }
        for balancer in balancers { names.claim(balancer.name, balancer.id.rawValue) }
        let name = { (id: String) in names.name(of: id) }

        var out = "region: \(topology.region)\naccount: \"\(topology.accountID)\"\n"
        out += "vpc: { name: \(vpcName), cidr: \(vpc.cidrBlocks.first?.description ?? "") }\n"
        if let gateway { out += "internet-gateway: \(name(gateway.id.rawValue))\n" }

        out += "\nsubnets:\n"
        for subnet in subnets {
            out +=
                comment(subnet.id.rawValue) + "  \(name(subnet.id.rawValue)): { cidr: \(subnet.cidrBlock), zone: "
                + "\(subnet.availabilityZone)\(subnet.mapPublicIPOnLaunch ? ", map-public-ip: true" : "") }\n"
        }
        if !tables.isEmpty {
            out += "\nroute-tables:\n"
            for table in tables {
                out += comment(table.id.rawValue) + "  \(name(table.id.rawValue)):\n"
                if table.isMain { out += "    main: true\n" }
                if !table.associatedSubnets.isEmpty {
                    out += "    subnets: [\(table.associatedSubnets.map { name($0.rawValue) }.joined(separator: ", "))]\n"
                }
                let routes = table.routes.compactMap { route -> String? in
                    let target: String? =
                        switch route.target {
                        case .local: "local"
                        case .internetGateway(let id): names.known(id.rawValue)
                        case .natGateway(let id): names.known(id.rawValue)
                        case .instance(let id): names.known(id.rawValue)
                        case .networkInterface(let id):
                            topology.networkInterfaces.first { $0.id == id }.flatMap { topology.instance(owning: $0) }.flatMap {
                                names.known($0.id.rawValue)
                            }
                        }
                    return target.map { "      - { destination: \(route.destination), target: \($0) }" }
                }
                out += routes.isEmpty ? "    routes: []\n" : "    routes:\n" + routes.joined(separator: "\n") + "\n"
            }
        }
        out += "\nsecurity-groups:\n"
        for group in groups {
            out += comment(group.id.rawValue) + "  \(name(group.id.rawValue)):\n"
            out += "    description: \(quoted(group.description))\n"
            out += rules("ingress", group.ingress, peerKey: "from", name: name)
            out += rules("egress", group.egress, peerKey: "to", name: name)
        }
        if !acls.isEmpty {
            out += "\nnetwork-acls:\n"
            for acl in acls {
                out += comment(acl.id.rawValue) + "  \(name(acl.id.rawValue)):\n"
                if acl.isDefault { out += "    default: true\n" }
                if !acl.associatedSubnets.isEmpty {
                    out += "    subnets: [\(acl.associatedSubnets.map { name($0.rawValue) }.joined(separator: ", "))]\n"
                }
                for direction in [Direction.ingress, .egress] {
                    let entries = acl.sortedEntries(direction)
                    out += entries.isEmpty ? "    \(direction.rawValue): []\n" : "    \(direction.rawValue):\n"
                    for entry in entries {
                        let ports = entry.ipProtocol.hasPorts ? ", ports: \(entry.ports)" : ""
                        out +=
                            "      - { rule: \(entry.ruleNumber), protocol: \(entry.ipProtocol), \(direction == .ingress ? "from" : "to"): "
                            + "\(entry.cidr)\(ports), action: \(entry.action.rawValue) }\n"
                    }
                }
            }
        }
        if !instances.isEmpty {
            out += "\ninstances:\n"
            for instance in instances {
                guard let interface = interfaces.first(where: { $0.id == instance.primaryNetworkInterfaceID }) else { continue }
                var fields = ["subnet: \(name(interface.subnetID.rawValue))", "private-ip: \(interface.primaryPrivateIP)"]
                fields.append("security-groups: [\(interface.securityGroupIDs.map { name($0.rawValue) }.joined(separator: ", "))]")
                if let publicIP = interface.publicIP { fields.append("public-ip: \(publicIP)") }
                if let eip = topology.elasticIPs.first(where: { $0.association?.networkInterfaceID == interface.id }) {
                    fields.append("elastic-ip: \(eip.publicIP)")
                }
                if !interface.sourceDestCheck { fields.append("source-dest-check: false") }
                if instance.role == .nat { fields.append("role: nat") }
                if instance.state != .running { fields.append("state: \(instance.state.rawValue)") }
                fields.append("image: \(instance.imageID)")
                if instance.ephemeralPorts == Instance.windowsEphemeralPorts { fields.append("os: windows") }
                out += comment(instance.id.rawValue) + "  \(name(instance.id.rawValue)): { \(fields.joined(separator: ", ")) }\n"
            }
        }
        if !natGateways.isEmpty {
            out += "\nnat-gateways:\n"
            for gateway in natGateways {
                let eip = gateway.elasticIPID.flatMap { topology.elasticIP($0) }.map { $0.publicIP.description } ?? "false"
                out +=
                    comment(gateway.id.rawValue) + "  \(name(gateway.id.rawValue)): { subnet: \(name(gateway.subnetID.rawValue)), elastic-ip: "
                    + "\(eip)\(gateway.state != .available ? ", state: \(gateway.state.rawValue)" : "") }\n"
            }
        }
        if !balancers.isEmpty {
            out += "\nload-balancers:\n"
            for balancer in balancers {
                out += comment(balancer.id.rawValue) + "  \(name(balancer.id.rawValue)):\n"
                out += "    scheme: \(balancer.scheme.rawValue)\n"
                out += "    subnets: [\(balancer.nodes.map { name($0.subnetID.rawValue) }.joined(separator: ", "))]\n"
                out += "    security-groups: [\(balancer.securityGroupIDs.map { name($0.rawValue) }.joined(separator: ", "))]\n"
                out += "    listeners: [\(balancer.listeners.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
                let registered = balancer.instanceIDs.compactMap { names.known($0.rawValue) }
                out += "    instances: [\(registered.joined(separator: ", "))]\n"
                let check = balancer.healthCheck
                out +=
                    "    health-check: { target: \(quoted(check.target)), interval: \(check.interval), timeout: \(check.timeout), "
                    + "unhealthy-threshold: \(check.unhealthyThreshold), healthy-threshold: \(check.healthyThreshold) }\n"
                out += "    cross-zone: \(balancer.crossZone)\n"
                if balancer.idleTimeout != 60 { out += "    idle-timeout: \(balancer.idleTimeout)\n" }
            }
        }
        guard keepIDs else { return out }
        // The names each ID is made from when the file is read (TopologyBuilder.makeID), by prefix.
        var ids: [String: [(String, String)]] = ["vpc": [(vpcName, vpc.id.rawValue)]]
        func keep(_ prefix: String, _ seed: String, _ id: String) { ids[prefix, default: []].append((seed, id)) }
        if let gateway { keep("igw", name(gateway.id.rawValue), gateway.id.rawValue) }
        for group in groups { keep("sg", name(group.id.rawValue), group.id.rawValue) }
        for subnet in subnets { keep("subnet", name(subnet.id.rawValue), subnet.id.rawValue) }
        for table in tables { keep("rtb", name(table.id.rawValue), table.id.rawValue) }
        for acl in acls { keep("acl", name(acl.id.rawValue), acl.id.rawValue) }
        for instance in instances {
            let seed = name(instance.id.rawValue)
            keep("i", seed, instance.id.rawValue)
            keep("eni", seed, instance.primaryNetworkInterfaceID.rawValue)
            if let eip = topology.elasticIPs.first(where: { $0.association?.networkInterfaceID == instance.primaryNetworkInterfaceID }) {
                keep("eipalloc", seed, eip.id.rawValue)
            }
        }
        for gateway in natGateways {
            let seed = "natgw-" + name(gateway.id.rawValue)
            keep("nat", name(gateway.id.rawValue), gateway.id.rawValue)
            keep("eni", seed, gateway.networkInterfaceID.rawValue)
            if let eip = gateway.elasticIPID { keep("eipalloc", seed, eip.rawValue) }
        }
        for balancer in balancers {
            for node in balancer.nodes { keep("eni", "elb-\(balancer.name)-\(name(node.subnetID.rawValue))", node.networkInterfaceID.rawValue) }
        }
        out += "\n# The resources' IDs in the API state, kept when this file is loaded (localvpc serve --load).\nids:\n"
        for (prefix, entries) in ids.sorted(by: { $0.key < $1.key }) {
            out += "  \(prefix):\n" + entries.map { "    \(quoted($0.0)): \($0.1)\n" }.joined()
        }
        return out
    }

    private func rules(_ key: String, _ rules: [SecurityGroupRule], peerKey: String, name: (String) -> String) -> String {
        if rules.isEmpty { return "    \(key): []\n" }
        var out = "    \(key):\n"
        for rule in rules {
            let ports = rule.ipProtocol.hasPorts ? ", ports: \(rule.ports)" : ""
            let peer: String =
                switch rule.peer {
                case .cidr(let block): block.description
                case .securityGroup(let id): name(id.rawValue)
                }
            out += "      - { protocol: \(rule.ipProtocol)\(ports), \(peerKey): \(peer) }\n"
        }
        return out
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// Unique, file-safe names for IDs.
    struct Names {
        private var byID: [String: String] = [:]
        private var used: Set<String> = []

        @discardableResult
        mutating func claim(_ preferred: String?, _ id: String) -> String {
            let safe = preferred.flatMap { $0.isEmpty || $0.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) ? nil : $0 }
            let name = safe.flatMap { used.contains($0) ? nil : $0 } ?? id
            used.insert(name)
            byID[id] = name
            return name
        }

        func name(of id: String) -> String { byID[id] ?? id }
        func known(_ id: String) -> String? { byID[id] }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
