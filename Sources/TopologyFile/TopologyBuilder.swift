import VPCEngine
import VPCModel
import Yams

/// Builds a ``Topology`` from the composed YAML tree, resolving names to generated IDs.
struct TopologyBuilder {
    var reader: YAMLReader
    var topology = Topology()
    var intents: [Intent] = []
    var scopes: [AccessScope] = []
    /// Where each resource (and some of its fields) is written, for model errors.
    var nodes: [String: Node] = [:]
    /// Name → (kind, ID) for every named resource.
    var names: [String: (kind: String, id: String, node: Node)] = [:]
    var vpcID: VPC.ID = ""
    var vpcName = "vpc"
    let ids = IDGenerator()
    var nextPublicIP = IPv4Address(0xCB00_710A)  // 203.0.113.10: documentation range (RFC 5737)
    var nextElasticIP = IPv4Address(0xC633_640A)  // 198.51.100.10
    var usedAddresses: Set<IPv4Address> = []
    var usedPublicAddresses: Set<IPv4Address> = []

    init(reader: YAMLReader) { self.reader = reader }

    func node(for subject: ModelError.Subject) -> Node? {
        subject.field.flatMap { nodes["\(subject.resource).\($0)"] } ?? nodes[subject.resource]
    }

    /// `ids:`: the AWS IDs a file keeps (an export of the API state), by ID prefix, then by the name
    /// an ID is made from. A resource without one gets an ID derived from the VPC's name and its own.
    var explicitIDs: [String: [String: String]] = [:]

    func makeID<R>(_ prefix: String, _ name: String) -> ResourceID<R> {
        if let explicit = explicitIDs[prefix]?[name] { return ResourceID(explicit) }
        return ids.make(prefix, seed: "\(vpcName)/\(name)")
    }

    /// Reads `ids:`: each ID must have its kind's prefix (`subnet: { public: subnet-0abc… }`).
    mutating func readExplicitIDs(_ node: Node?) {
        for (prefix, _, names) in reader.pairs(node, "ids") {
            for (name, _, value) in reader.pairs(names, "ids of \(prefix)") {
                guard let id = reader.string(value, "id of \(name)") else { continue }
                let digits = id.dropFirst(prefix.count + 1)
                guard id.hasPrefix(prefix + "-"), (8...17).contains(digits.count), digits.allSatisfy(\.isHexDigit) else {
                    reader.error("ids: '\(id)' is not an ID of kind '\(prefix)' (\(prefix)- and 8 or 17 hex digits).", at: value)
                    continue
                }
                explicitIDs[prefix, default: [:]][name] = id
            }
        }
    }

    mutating func register(_ name: String, kind: String, id: String, node: Node) {
        if let existing = names[name] {
            reader.error(
                "The name '\(name)' is already used by the \(existing.kind) at line \(existing.node.mark?.line ?? 0); names must be unique.", at: node
            )
            return
        }
        names[name] = (kind, id, node)
        nodes[id] = node
    }

    mutating func resolve(_ name: String, _ kinds: [String], at node: Node, what: String) -> String? {
        if let entry = names[name], kinds.contains(entry.kind) { return entry.id }
        if let entry = names[name] {
            reader.error("\(what): '\(name)' is a \(entry.kind), but a \(kinds.joined(separator: " or ")) is needed here.", at: node)
            return nil
        }
        let known = names.filter { kinds.contains($0.value.kind) }.keys.sorted()
        reader.error(
            "\(what): no \(kinds.joined(separator: " or ")) is named '\(name)'.\(known.isEmpty ? "" : " Known: \(known.joined(separator: ", ")).")",
            at: node)
        return nil
    }

    mutating func build(_ root: Node) {
        let top = reader.pairs(root, "The file", allowed: TopologyFile.topLevelKeys)
        if let region = reader.string(reader.value(top, "region"), "region") { topology.region = region }
        if let account = reader.string(reader.value(top, "account"), "account") {
            if account.count == 12, account.allSatisfy(\.isNumber) {
                topology.accountID = account
            } else {
                reader.error("account must be a 12-digit AWS account ID, not '\(account)'.", at: reader.value(top, "account"))
            }
        }
        readExplicitIDs(reader.value(top, "ids"))
        guard let vpcNode = reader.value(top, "vpc") else {
            reader.error("The file needs a 'vpc:' section with at least a cidr.", at: root)
            return
        }
        buildVPC(vpcNode)
        if let igw = reader.value(top, "internet-gateway") {
            if let name = reader.string(igw, "internet-gateway") {
                let id: InternetGateway.ID = makeID("igw", name)
                register(name, kind: "internet gateway", id: id.rawValue, node: igw)
                topology.internetGateways.append(InternetGateway(id: id, name: name, attachedVPC: vpcID))
            }
        }
        for (name, key, value) in reader.pairs(reader.value(top, "subnets"), "subnets") { buildSubnet(name, key, value) }
        let groups = reader.pairs(reader.value(top, "security-groups"), "security-groups")
        for (name, key, _) in groups {
            let id: SecurityGroup.ID = makeID("sg", name)
            register(name, kind: "security group", id: id.rawValue, node: key)
        }
        ensureDefaultGroup()
        for (name, key, value) in groups { buildSecurityGroup(name, key, value) }
        let instances = reader.pairs(reader.value(top, "instances"), "instances")
        let gateways = reader.pairs(reader.value(top, "nat-gateways"), "nat-gateways")
        // Names first, so route tables and load balancers can refer to them in any order.
        for (name, key, _) in instances { register(name, kind: "instance", id: (makeID("i", name) as Instance.ID).rawValue, node: key) }
        for (name, key, _) in gateways { register(name, kind: "NAT gateway", id: (makeID("nat", name) as NATGateway.ID).rawValue, node: key) }
        reserveExplicitAddresses(instances, gateways: gateways)
        for (name, key, value) in instances { buildInstance(name, key, value) }
        for (name, key, value) in gateways { buildNATGateway(name, key, value) }
        for (name, key, value) in reader.pairs(reader.value(top, "route-tables"), "route-tables") { buildRouteTable(name, key, value) }
        ensureMainRouteTable()
        for (name, key, value) in reader.pairs(reader.value(top, "network-acls"), "network-acls") { buildNetworkACL(name, key, value) }
        ensureDefaultNetworkACL()
        for (name, key, value) in reader.pairs(reader.value(top, "load-balancers"), "load-balancers") { buildLoadBalancer(name, key, value) }
        for item in reader.sequence(reader.value(top, "expect"), "expect") { buildIntent(item) }
        for item in reader.sequence(reader.value(top, "scopes"), "scopes") { buildScope(item) }
    }

    // MARK: VPC, subnets, gateways

    private mutating func buildVPC(_ node: Node) {
        let fields = reader.pairs(node, "vpc", allowed: ["name", "cidr", "cidrs"])
        vpcName = reader.string(reader.value(fields, "name"), "vpc name") ?? "vpc"
        vpcID = makeID("vpc", vpcName)
        var blocks: [CIDRBlock] = []
        for (_, item) in reader.strings(reader.value(fields, "cidr") ?? reader.value(fields, "cidrs"), "vpc cidr") {
            if let block = reader.parse(item, "vpc cidr", CIDRBlock.init(parsing:)) { blocks.append(block) }
        }
        if reader.value(fields, "cidr") == nil && reader.value(fields, "cidrs") == nil {
            reader.error("vpc needs a cidr, e.g. 'cidr: 10.0.0.0/16'.", at: node)
        }
        nodes[vpcID.rawValue] = node
        nodes["\(vpcID.rawValue).cidr"] = reader.value(fields, "cidr") ?? node
        topology.vpcs.append(VPC(id: vpcID, name: vpcName, cidrBlocks: blocks))
    }

    private mutating func buildSubnet(_ name: String, _ key: Node, _ node: Node) {
        let id: Subnet.ID = makeID("subnet", name)
        register(name, kind: "subnet", id: id.rawValue, node: key)
        let fields = reader.pairs(node, "subnet \(name)", allowed: ["cidr", "zone", "az", "map-public-ip"])
        guard let cidrNode = reader.value(fields, "cidr") else {
            return reader.error("subnet \(name) needs a cidr.", at: key)
        }
        nodes["\(id.rawValue).cidr"] = cidrNode
        guard let block = reader.parse(cidrNode, "subnet \(name) cidr", CIDRBlock.init(parsing:)) else { return }
        let zone = reader.string(reader.value(fields, "zone") ?? reader.value(fields, "az"), "subnet \(name) zone") ?? "\(topology.region)a"
        let mapPublic = reader.bool(reader.value(fields, "map-public-ip"), "map-public-ip") ?? false
        topology.subnets.append(Subnet(id: id, name: name, vpcID: vpcID, cidrBlock: block, availabilityZone: zone, mapPublicIPOnLaunch: mapPublic))
    }

    private mutating func ensureDefaultGroup() {
        let id: SecurityGroup.ID = makeID("sg", "default")
        if names["default"] == nil { names["default"] = ("security group", id.rawValue, Node("default")) }
        // AWS's default group: inbound all from itself, outbound all (VPC User Guide, "Default security groups").
        if !topology.securityGroups.contains(where: { $0.name == "default" }) && names["default"]?.id == id.rawValue {
            topology.securityGroups.append(
                SecurityGroup(
                    id: id, name: "default", description: "default VPC security group", vpcID: vpcID,
                    ingress: [SecurityGroupRule(ipProtocol: .all, peer: .securityGroup(id))]))
        }
    }
}
