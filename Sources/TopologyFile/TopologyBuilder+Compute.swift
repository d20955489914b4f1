import VPCEngine
import VPCModel
import Yams

extension TopologyBuilder {
    mutating func reserveExplicitAddresses(
        _ instances: [(key: String, keyNode: Node, value: Node)], gateways: [(key: String, keyNode: Node, value: Node)]
    ) {
        for (_, _, value) in instances + gateways {
            guard case .mapping(let mapping) = value else { continue }
            if let node = mapping["private-ip"], case .scalar(let s) = node, let address = IPv4Address(s.string) {
                usedAddresses.insert(address)
            }
            // Public addresses written out are not handed out again to others (load balancer nodes, …).
            for key in ["public-ip", "elastic-ip"] {
                if let node = mapping[key], case .scalar(let s) = node, let address = IPv4Address(s.string) { usedPublicAddresses.insert(address) }
            }
        }
    }

    /// The next public address (auto-assigned or Elastic) that no resource of the file names.
    mutating func nextPublicAddress(elastic: Bool) -> IPv4Address {
        var address = elastic ? nextElasticIP : nextPublicIP
        while usedPublicAddresses.contains(address) { address = address.advanced(by: 1) }
        usedPublicAddresses.insert(address)
        if elastic { nextElasticIP = address.advanced(by: 1) } else { nextPublicIP = address.advanced(by: 1) }
        return address
    }

    /// The next free address of a subnet, after the four AWS reserves at its start.
    mutating func allocate(in subnetID: Subnet.ID) -> IPv4Address? {
        guard let subnet = topology.subnet(subnetID) else { return nil }
        var candidate = subnet.cidrBlock.first.advanced(by: 4)
        while subnet.cidrBlock.contains(candidate) && candidate != subnet.cidrBlock.last {
            if usedAddresses.insert(candidate).inserted { return candidate }
            candidate = candidate.advanced(by: 1)
        }
        return nil
    }

    private mutating func publicAddress(_ node: Node?, _ what: String, elastic: Bool) -> IPv4Address? {
        guard let node, let text = reader.string(node, what) else { return nil }
        switch text.lowercased() {
        case "false", "no": return nil
        case "true", "yes":
            let address = nextPublicAddress(elastic: elastic)
            return address
        default:
            return reader.parse(node, what, IPv4Address.init(parsing:))
        }
    }

    mutating func buildInstance(_ name: String, _ key: Node, _ node: Node) {
        let id: Instance.ID = makeID("i", name)
        let interfaceID: NetworkInterface.ID = makeID("eni", name)
        let fields = reader.pairs(
            node, "instance \(name)",
            allowed: [
                "subnet", "security-groups", "private-ip", "public-ip", "elastic-ip", "source-dest-check", "role", "state",
                "image", "os",
            ])
        guard let subnetNode = reader.value(fields, "subnet") else {
            return reader.error("instance \(name) needs a subnet.", at: key)
        }
        guard let subnetName = reader.string(subnetNode, "subnet"),
            let subnetID = resolve(subnetName, ["subnet"], at: subnetNode, what: "instance \(name) subnet").map({ Subnet.ID($0) })
        else { return }
        var groups: [SecurityGroup.ID] = []
        let groupNames = reader.value(fields, "security-groups").map { reader.strings($0, "security-groups") } ?? [("default", key)]
        for (group, item) in groupNames {
            if let gid = resolve(group, ["security group"], at: item, what: "instance \(name) security-groups") {
                groups.append(SecurityGroup.ID(gid))
            }
        }
        let privateIP: IPv4Address?
        if let ipNode = reader.value(fields, "private-ip") {
            privateIP = reader.parse(ipNode, "instance \(name) private-ip", IPv4Address.init(parsing:))
            nodes["\(interfaceID.rawValue).private-ip"] = ipNode
        } else {
            privateIP = allocate(in: subnetID)
            // A subnet whose CIDR did not parse is reported at its own line; it has no addresses to give.
            let subnetBuilt = topology.subnets.contains { $0.id == subnetID }
            if privateIP == nil && subnetBuilt { reader.error("subnet \(subnetName) has no free address left for instance \(name).", at: subnetNode) }
        }
        guard let privateIP else { return }
        var state = Instance.State.running
        if let stateNode = reader.value(fields, "state"), let text = reader.string(stateNode, "state") {
            if let parsed = Instance.State(rawValue: text) {
                state = parsed
            } else {
                reader.error(
                    "instance \(name): state must be one of \(Instance.State.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'.",
                    at: stateNode)
            }
        }
        var role: Instance.Role?
        if let roleNode = reader.value(fields, "role"), let text = reader.string(roleNode, "role") {
            if let parsed = Instance.Role(rawValue: text) {
                role = parsed
            } else {
                reader.error("instance \(name): role must be 'nat' (or left out), not '\(text)'.", at: roleNode)
            }
        }
        let image = reader.string(reader.value(fields, "image"), "image") ?? (role == .nat ? "ami-vpc-nat" : "ami-00000000000000000")
        var ports = Instance.linuxEphemeralPorts
        if let osNode = reader.value(fields, "os"), let os = reader.string(osNode, "os") {
            switch os.lowercased() {
            case "linux": ports = Instance.linuxEphemeralPorts
            case "windows": ports = Instance.windowsEphemeralPorts
            default: reader.error("instance \(name): os must be linux or windows, not '\(os)'.", at: osNode)
            }
        }
        let sourceDestCheck = reader.bool(reader.value(fields, "source-dest-check"), "source-dest-check") ?? true
        let subnet = topology.subnet(subnetID)
        // An auto-assigned public IP exists only while the instance runs (released on stop).
        var publicIP = publicAddress(reader.value(fields, "public-ip"), "public-ip", elastic: false)
        if publicIP == nil, reader.value(fields, "public-ip") == nil, subnet?.mapPublicIPOnLaunch == true {
            publicIP = nextPublicAddress(elastic: false)
        }
        if !state.isForwarding && state != .pending { publicIP = nil }
        if let eip = publicAddress(reader.value(fields, "elastic-ip"), "elastic-ip", elastic: true) {
            topology.elasticIPs.append(
                ElasticIP(
                    id: makeID("eipalloc", name), name: "\(name)-eip", publicIP: eip,
                    association: .init(networkInterfaceID: interfaceID, privateIP: privateIP)))
        }
        topology.networkInterfaces.append(
            NetworkInterface(
                id: interfaceID, name: "\(name)-eni", subnetID: subnetID, privateIPs: [privateIP], publicIP: publicIP,
                securityGroupIDs: groups, sourceDestCheck: sourceDestCheck, owner: .instance(id)))
        nodes[interfaceID.rawValue] = key
        topology.instances.append(
            Instance(
                id: id, name: name, state: state, imageID: image, primaryNetworkInterfaceID: interfaceID, role: role, ephemeralPorts: ports))
    }

    mutating func buildNATGateway(_ name: String, _ key: Node, _ node: Node) {
        let id: NATGateway.ID = makeID("nat", name)
        let interfaceID: NetworkInterface.ID = makeID("eni", "natgw-\(name)")
        let fields = reader.pairs(node, "NAT gateway \(name)", allowed: ["subnet", "elastic-ip", "state"])
        guard let subnetNode = reader.value(fields, "subnet"), let subnetName = reader.string(subnetNode, "subnet"),
            let subnetID = resolve(subnetName, ["subnet"], at: subnetNode, what: "NAT gateway \(name) subnet").map({ Subnet.ID($0) }),
            let address = allocate(in: subnetID)
        else {
            if reader.value(fields, "subnet") == nil { reader.error("NAT gateway \(name) needs a subnet.", at: key) }
            return
        }
        var state = NATGateway.State.available
        if let stateNode = reader.value(fields, "state"), let text = reader.string(stateNode, "state") {
            if let parsed = NATGateway.State(rawValue: text) {
                state = parsed
            } else {
                reader.error("NAT gateway \(name): state must be available, pending, failed, deleting or deleted.", at: stateNode)
            }
        }
        let eip = publicAddress(reader.value(fields, "elastic-ip") ?? Node("true"), "elastic-ip", elastic: true)
        var eipID: ElasticIP.ID?
        if let eip {
            eipID = makeID("eipalloc", "natgw-\(name)")
            topology.elasticIPs.append(
                ElasticIP(id: eipID!, name: "\(name)-eip", publicIP: eip, association: .init(networkInterfaceID: interfaceID, privateIP: address)))
        }
        topology.networkInterfaces.append(
            NetworkInterface(
                id: interfaceID, name: "\(name)-eni", subnetID: subnetID, privateIPs: [address], securityGroupIDs: [],
                sourceDestCheck: false, owner: .natGateway(id)))
        topology.natGateways.append(
            NATGateway(id: id, name: name, subnetID: subnetID, networkInterfaceID: interfaceID, elasticIPID: eipID, state: state))
    }

    mutating func buildLoadBalancer(_ name: String, _ key: Node, _ node: Node) {
        let id = ClassicLoadBalancer.ID(name)
        register(name, kind: "load balancer", id: name, node: key)
        let fields = reader.pairs(
            node, "load balancer \(name)",
            allowed: [
                "scheme", "subnets", "security-groups", "listeners", "instances", "health-check", "cross-zone", "idle-timeout",
            ])
        var scheme = ClassicLoadBalancer.Scheme.internetFacing
        if let schemeNode = reader.value(fields, "scheme"), let text = reader.string(schemeNode, "scheme") {
            if let parsed = ClassicLoadBalancer.Scheme(rawValue: text) {
                scheme = parsed
            } else {
                reader.error("load balancer \(name): scheme must be internet-facing or internal, not '\(text)'.", at: schemeNode)
            }
        }
        var groups: [SecurityGroup.ID] = []
        for (group, item) in reader.strings(reader.value(fields, "security-groups"), "security-groups") {
            if let gid = resolve(group, ["security group"], at: item, what: "load balancer \(name) security-groups") {
                groups.append(SecurityGroup.ID(gid))
            }
        }
        if groups.isEmpty, let fallback = names["default"] { groups = [SecurityGroup.ID(fallback.id)] }
        var nodeList: [ClassicLoadBalancer.Node] = []
        let subnetNames = reader.strings(reader.value(fields, "subnets"), "subnets")
        if subnetNames.isEmpty { reader.error("load balancer \(name) needs subnets (one per Availability Zone).", at: key) }
        for (subnetName, item) in subnetNames {
            guard let sid = resolve(subnetName, ["subnet"], at: item, what: "load balancer \(name) subnets").map({ Subnet.ID($0) }),
                let address = allocate(in: sid)
            else { continue }
            let interfaceID: NetworkInterface.ID = makeID("eni", "elb-\(name)-\(subnetName)")
            // Internet-facing nodes get a public address; internal ones only a private one (ELB Classic guide).
            var publicIP: IPv4Address?
            if scheme == .internetFacing {
                publicIP = nextPublicAddress(elastic: false)
            }
            topology.networkInterfaces.append(
                NetworkInterface(
                    id: interfaceID, name: "ELB \(name) (\(subnetName))", subnetID: sid, privateIPs: [address], publicIP: publicIP,
                    securityGroupIDs: groups, sourceDestCheck: true, owner: .loadBalancer(id)))
            nodeList.append(.init(subnetID: sid, networkInterfaceID: interfaceID))
        }
        nodes["\(name).subnets"] = reader.value(fields, "subnets") ?? key
        nodes["\(name).listeners"] = reader.value(fields, "listeners") ?? key
        var listeners: [ClassicLoadBalancer.Listener] = []
        for item in reader.sequence(reader.value(fields, "listeners"), "listeners") {
            if let listener = reader.parse(item, "load balancer \(name) listener", Self.listener(parsing:)) { listeners.append(listener) }
        }
        var instances: [Instance.ID] = []
        for (instance, item) in reader.strings(reader.value(fields, "instances"), "instances") {
            if let iid = resolve(instance, ["instance"], at: item, what: "load balancer \(name) instances") { instances.append(Instance.ID(iid)) }
        }
        var health = ClassicLoadBalancer.HealthCheck()
        if let healthNode = reader.value(fields, "health-check") {
            let h = reader.pairs(healthNode, "health-check", allowed: ["target", "interval", "timeout", "unhealthy-threshold", "healthy-threshold"])
            health.target = reader.string(reader.value(h, "target"), "health-check target") ?? health.target
            health.interval = reader.int(reader.value(h, "interval"), "health-check interval", in: 5...300) ?? health.interval
            health.timeout = reader.int(reader.value(h, "timeout"), "health-check timeout", in: 2...60) ?? health.timeout
            health.unhealthyThreshold =
                reader.int(reader.value(h, "unhealthy-threshold"), "unhealthy-threshold", in: 2...10) ?? health.unhealthyThreshold
            health.healthyThreshold = reader.int(reader.value(h, "healthy-threshold"), "healthy-threshold", in: 2...10) ?? health.healthyThreshold
            if health.port == nil {
                reader.error(
                    "health-check target must look like HTTP:80/index.html or TCP:80, not '\(health.target)'.", at: reader.value(h, "target"))
            }
        }
        let crossZone = reader.bool(reader.value(fields, "cross-zone"), "cross-zone") ?? false
        let idle = reader.int(reader.value(fields, "idle-timeout"), "idle-timeout", in: ClassicLoadBalancer.idleTimeouts) ?? 60
        topology.loadBalancers.append(
            ClassicLoadBalancer(
                id: id, scheme: scheme, vpcID: vpcID, securityGroupIDs: groups, listeners: listeners, instanceIDs: instances,
                healthCheck: health, crossZone: crossZone, nodes: nodeList, idleTimeout: idle))
    }

    /// Parses "HTTPS:443 -> HTTP:80".
    static func listener(parsing text: String) throws(ModelError) -> ClassicLoadBalancer.Listener {
        let sides = text.split(separator: "->").map(\.trimmingSpaces)
        func side(_ s: String) throws(ModelError) -> (ClassicLoadBalancer.Listener.ListenerProtocol, Int) {
            let parts = s.split(separator: ":")
            guard parts.count == 2, let proto = ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: parts[0].uppercased()),
                let port = Int(parts[1]),
                (1...65535).contains(port)
            else {
                throw ModelError(
                    .invalidValue, "'\(text)' is not a listener; write e.g. 'HTTPS:443 -> HTTP:80' (protocols HTTP, HTTPS, TCP, SSL; ports 1-65535).")
            }
            return (proto, port)
        }
        guard sides.count == 2 else {
            throw ModelError(.invalidValue, "'\(text)' is not a listener; write e.g. 'HTTPS:443 -> HTTP:80'.")
        }
        let front = try side(sides[0])
        let back = try side(sides[1])
        return ClassicLoadBalancer.Listener(listenerProtocol: front.0, loadBalancerPort: front.1, instanceProtocol: back.0, instancePort: back.1)
    }

    // MARK: Intents

    mutating func buildIntent(_ node: Node) {
        let fields = reader.pairs(node, "intent", allowed: ["name", "from", "to", "protocol", "ports", "port", "reachable", "through", "avoiding"])
        guard let from = reader.string(reader.value(fields, "from"), "from"), let to = reader.string(reader.value(fields, "to"), "to") else {
            return reader.error("An intent needs 'from:' and 'to:' (internet, an IP address, or a resource name).", at: node)
        }
        for (endpoint, key) in [(from, "from"), (to, "to")] where endpoint != "internet" && IPv4Address(endpoint) == nil {
            if names[endpoint] == nil, let item = reader.value(fields, key) {
                _ = resolve(endpoint, ["instance", "load balancer"], at: item, what: "intent \(key)")
            }
        }
        let ipProtocol = reader.parse(reader.value(fields, "protocol") ?? Node("tcp"), "intent protocol", IPProtocol.init(parsing:)) ?? .tcp
        var ports: PortRange?
        if let portsNode = reader.value(fields, "ports") ?? reader.value(fields, "port") {
            ports = reader.parse(portsNode, "intent ports", PortRange.init(parsing:))
        }
        var through: [String] = []
        var avoiding: [String] = []
        for (name, item) in reader.strings(reader.value(fields, "through"), "through")
        where names[name] != nil || reader.error("intent through: no resource is named '\(name)'.", at: item) != () {
            through.append(name)
        }
        for (name, item) in reader.strings(reader.value(fields, "avoiding"), "avoiding")
        where names[name] != nil || reader.error("intent avoiding: no resource is named '\(name)'.", at: item) != () {
            avoiding.append(name)
        }
        guard let expectedNode = reader.value(fields, "reachable") else {
            return reader.error("An intent needs 'reachable:' (true, false, fully, or the exact list of ports that should be reachable).", at: node)
        }
        let expectation: Intent.Expectation
        switch expectedNode {
        case .sequence:
            var values: [ClosedRange<UInt32>] = []
            for (text, item) in reader.strings(expectedNode, "reachable") {
                if let range = reader.parse(item, "reachable port", PortRange.init(parsing:)) {
                    values.append(UInt32(range.from)...UInt32(range.to))
                } else {
                    _ = text
                }
            }
            expectation = .exactlyPorts(IntervalSet(values))
        case .scalar(let scalar) where scalar.string.lowercased() == "fully":
            expectation = .fully
        default:
            guard let value = reader.bool(expectedNode, "reachable") else { return }
            expectation = .reachable(value)
        }
        let name = reader.string(reader.value(fields, "name"), "name") ?? "\(from) -> \(to) \(ipProtocol) \(ports?.description ?? "all")"
        intents.append(
            Intent(
                name: name,
                query: PathQuery(from: from, to: to, protocol: ipProtocol, ports: ports, through: through, avoiding: avoiding),
                expectation: expectation, line: node.mark?.line))
    }
}
