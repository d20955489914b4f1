import VPCEngine
import VPCModel
import Yams

extension TopologyBuilder {
    mutating func buildSecurityGroup(_ name: String, _ key: Node, _ node: Node) {
        let id: SecurityGroup.ID = makeID("sg", name)
        let fields = reader.pairs(node, "security group \(name)", allowed: ["description", "ingress", "egress"])
        let description = reader.string(reader.value(fields, "description"), "description") ?? name
        let ingress = rules(reader.value(fields, "ingress"), group: name, id: id, direction: .ingress)
        // As in AWS, a group without egress rules written keeps the default allow-all outbound rule;
        // write `egress: []` for none.
        let egress: [SecurityGroupRule] =
            reader.value(fields, "egress") == nil ? [.allowAllEgress] : rules(reader.value(fields, "egress"), group: name, id: id, direction: .egress)
        nodes["\(id.rawValue).ingress"] = reader.value(fields, "ingress") ?? key
        nodes["\(id.rawValue).egress"] = reader.value(fields, "egress") ?? key
        topology.securityGroups.append(SecurityGroup(id: id, name: name, description: description, vpcID: vpcID, ingress: ingress, egress: egress))
    }

    /// A group's rules of one direction; where each is written is kept as `<group>.<direction>.<index>`.
    private mutating func rules(_ list: Node?, group: String, id: SecurityGroup.ID, direction: Direction) -> [SecurityGroupRule] {
        var rules: [SecurityGroupRule] = []
        for item in reader.sequence(list, "\(group) \(direction.rawValue)") {
            guard let rule = rule(item, group: group, direction: direction) else { continue }
            nodes["\(id.rawValue).\(direction.rawValue).\(rules.count)"] = item
            rules.append(rule)
        }
        return rules
    }

    private mutating func rule(_ node: Node, group: String, direction: Direction) -> SecurityGroupRule? {
        let peerKey = direction == .ingress ? "from" : "to"
        let what = "\(group) \(direction.rawValue) rule"
        let fields = reader.pairs(node, what, allowed: ["protocol", "ports", "port", peerKey, "description"])
        guard let (ipProtocol, ports) = protocolAndPorts(fields, node, what) else { return nil }
        guard let peerNode = reader.value(fields, peerKey), let peerText = reader.string(peerNode, "\(what) \(peerKey)") else {
            reader.error("\(what) needs '\(peerKey):' (a CIDR block or a security group name).", at: node)
            return nil
        }
        let peer: SecurityGroupRule.Peer
        if peerText.first?.isNumber == true {
            guard let block = reader.parse(peerNode, "\(what) \(peerKey)", CIDRBlock.init(parsing:)) else { return nil }
            peer = .cidr(block)
        } else {
            guard let id = resolve(peerText, ["security group"], at: peerNode, what: "\(what) \(peerKey)") else { return nil }
            peer = .securityGroup(SecurityGroup.ID(id))
        }
        let description = reader.string(reader.value(fields, "description"), "description")
        return SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: peer, description: description)
    }

    /// `protocol:` (default all) and `ports:`, which TCP and UDP need and other protocols refuse.
    private mutating func protocolAndPorts(
        _ fields: [(key: String, keyNode: Node, value: Node)], _ node: Node, _ what: String
    ) -> (IPProtocol, PortRange)? {
        guard let ipProtocol = reader.parse(reader.value(fields, "protocol") ?? Node("all"), "\(what) protocol", IPProtocol.init(parsing:)) else {
            return nil
        }
        guard let portsNode = reader.value(fields, "ports") ?? reader.value(fields, "port") else {
            if ipProtocol.hasPorts {
                reader.error("\(what): a \(ipProtocol) rule needs ports (e.g. 'ports: 80' or 'ports: 1024-65535').", at: node)
                return nil
            }
            return (ipProtocol, .all)
        }
        guard ipProtocol.hasPorts else {
            reader.error("\(what): ports apply to tcp and udp only, not \(ipProtocol).", at: portsNode)
            return nil
        }
        return reader.parse(portsNode, "\(what) ports", PortRange.init(parsing:)).map { (ipProtocol, $0) }
    }

    mutating func buildNetworkACL(_ name: String, _ key: Node, _ node: Node) {
        let id: NetworkACL.ID = makeID("acl", name)
        register(name, kind: "network ACL", id: id.rawValue, node: key)
        let fields = reader.pairs(node, "network ACL \(name)", allowed: ["default", "subnets", "ingress", "egress"])
        let isDefault = reader.bool(reader.value(fields, "default"), "default") ?? false
        var subnets: [Subnet.ID] = []
        for (subnet, item) in reader.strings(reader.value(fields, "subnets"), "\(name) subnets") {
            if let sid = resolve(subnet, ["subnet"], at: item, what: "network ACL \(name) subnets") { subnets.append(Subnet.ID(sid)) }
        }
        nodes["\(id.rawValue).subnets"] = reader.value(fields, "subnets") ?? key
        var entries: [NetworkACLEntry] = []
        for direction in [Direction.ingress, .egress] {
            for item in reader.sequence(reader.value(fields, direction.rawValue), "\(name) \(direction.rawValue)") {
                if let entry = aclEntry(item, acl: name, direction: direction) {
                    let field = "\(direction.rawValue).\(entry.ruleNumber)"
                    if nodes["\(id.rawValue).\(field)"] == nil
                        || entries.contains(where: { $0.direction == direction && $0.ruleNumber == entry.ruleNumber })
                    {
                        nodes["\(id.rawValue).\(field)"] = item
                    }
                    entries.append(entry)
                }
            }
        }
        topology.networkACLs.append(NetworkACL(id: id, name: name, vpcID: vpcID, isDefault: isDefault, associatedSubnets: subnets, entries: entries))
    }

    private mutating func aclEntry(_ node: Node, acl: String, direction: Direction) -> NetworkACLEntry? {
        let peerKey = direction == .ingress ? "from" : "to"
        let what = "\(acl) \(direction.rawValue) entry"
        let fields = reader.pairs(node, what, allowed: ["rule", "protocol", "ports", "port", peerKey, "action"])
        guard let ruleNode = reader.value(fields, "rule") else {
            reader.error("\(what) needs a rule number ('rule: 100'); entries are evaluated in ascending rule number.", at: node)
            return nil
        }
        guard let number = reader.int(ruleNode, "\(what) rule number", in: 1...32766) else { return nil }
        guard let (ipProtocol, ports) = protocolAndPorts(fields, node, "\(what) \(number)") else { return nil }
        guard let cidr = reader.parse(reader.value(fields, peerKey) ?? Node("0.0.0.0/0"), "\(what) \(number) \(peerKey)", CIDRBlock.init(parsing:))
        else { return nil }
        guard let actionText = reader.string(reader.value(fields, "action"), "\(what) \(number) action") else {
            reader.error("\(what) \(number) needs 'action: allow' or 'action: deny'.", at: node)
            return nil
        }
        guard let action = NetworkACLEntry.Action(rawValue: actionText.lowercased()) else {
            reader.error("\(what) \(number): action must be allow or deny, not '\(actionText)'.", at: reader.value(fields, "action"))
            return nil
        }
        return NetworkACLEntry(ruleNumber: number, direction: direction, ipProtocol: ipProtocol, ports: ports, cidr: cidr, action: action)
    }

    mutating func ensureDefaultNetworkACL() {
        guard !topology.networkACLs.contains(where: { $0.isDefault }) else { return }
        // Every VPC comes with a default ACL that allows all traffic (VPC User Guide, "Default network ACL").
        let id: NetworkACL.ID = makeID("acl", "default")
        topology.networkACLs.append(NetworkACL(id: id, name: "default-acl", vpcID: vpcID, isDefault: true, entries: NetworkACL.defaultEntries))
    }

    mutating func buildRouteTable(_ name: String, _ key: Node, _ node: Node) {
        let id: RouteTable.ID = makeID("rtb", name)
        register(name, kind: "route table", id: id.rawValue, node: key)
        let fields = reader.pairs(node, "route table \(name)", allowed: ["main", "subnets", "routes"])
        let isMain = reader.bool(reader.value(fields, "main"), "main") ?? false
        var subnets: [Subnet.ID] = []
        for (subnet, item) in reader.strings(reader.value(fields, "subnets"), "\(name) subnets") {
            if let sid = resolve(subnet, ["subnet"], at: item, what: "route table \(name) subnets") { subnets.append(Subnet.ID(sid)) }
        }
        nodes["\(id.rawValue).subnets"] = reader.value(fields, "subnets") ?? key
        nodes["\(id.rawValue).routes"] = reader.value(fields, "routes") ?? key
        var routes: [Route] = []
        for item in reader.sequence(reader.value(fields, "routes"), "\(name) routes") {
            let route = reader.pairs(item, "route in \(name)", allowed: ["destination", "target"])
            guard let destinationNode = reader.value(route, "destination"), let targetNode = reader.value(route, "target") else {
                reader.error(
                    "A route needs 'destination:' (a CIDR block) and 'target:' (an internet gateway, NAT gateway, instance or 'local').", at: item)
                continue
            }
            guard let destination = reader.parse(destinationNode, "route destination", CIDRBlock.init(parsing:)),
                let targetName = reader.string(targetNode, "route target")
            else { continue }
            nodes["\(id.rawValue).route.\(destination)"] = item
            if targetName == "local" {
                routes.append(Route(destination: destination, target: .local))
                continue
            }
            guard
                let targetID = resolve(
                    targetName, ["internet gateway", "NAT gateway", "instance"], at: targetNode, what: "route \(destination) target")
            else { continue }
            let target: Route.Target =
                switch names[targetName]?.kind {
                case "internet gateway": .internetGateway(InternetGateway.ID(targetID))
                case "NAT gateway": .natGateway(NATGateway.ID(targetID))
                default: .instance(Instance.ID(targetID))
                }
            routes.append(Route(destination: destination, target: target))
        }
        topology.routeTables.append(RouteTable(id: id, name: name, vpcID: vpcID, isMain: isMain, associatedSubnets: subnets, routes: routes))
    }

    mutating func ensureMainRouteTable() {
        guard !topology.routeTables.contains(where: { $0.isMain }) else { return }
        // Every VPC has a main route table with only the local route (VPC User Guide, "Main route table").
        topology.routeTables.append(RouteTable(id: makeID("rtb", "main"), name: "main", vpcID: vpcID, isMain: true))
    }
}
