import VPCModel

/// A seeded, reproducible generator of realistic VPCs: public and private /24 subnets over three zones,
/// an internet gateway, private route tables through NAT instances or NAT gateways (alternating),
/// security groups in tiers with group-referencing and CIDR rules, network ACLs with ephemeral-port
/// rules, instances (some stopped, a few with public addresses), and internet-facing Classic ELBs with
/// registered instances. The same parameters and seed give the same network.
public struct NetworkGenerator: Sendable {
    public var seed: UInt64
    public var subnets: Int
    public var groups: Int
    public var instances: Int
    public var loadBalancers: Int

    public init(seed: UInt64, subnets: Int = 6, groups: Int = 8, instances: Int = 20, loadBalancers: Int = 1) {
        self.seed = seed
        self.subnets = max(2, min(subnets, 250))
        self.groups = max(2, groups)
        self.instances = max(1, instances)
        self.loadBalancers = max(0, loadBalancers)
    }

    /// SplitMix64: small, fast, and the same on every platform.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    }

    public func topology() -> Topology {
        var random = Random(state: seed)
        var t = Topology()
        func block(_ s: String) -> CIDRBlock { try! CIDRBlock(parsing: s) }
        func ports(_ a: Int, _ b: Int) -> PortRange { try! PortRange(from: a, to: b) }
        func hex(_ n: Int) -> String { String(n, radix: 16).leftPadded(17) }
        let vpc = VPC.ID("vpc-" + hex(1))
        t.vpcs = [VPC(id: vpc, name: "generated", cidrBlocks: [block("10.0.0.0/16")])]
        let igw = InternetGateway.ID("igw-" + hex(1))
        t.internetGateways = [InternetGateway(id: igw, name: "igw", attachedVPC: vpc)]
        let zones = ["us-east-1a", "us-east-1b", "us-east-1c"]

        // Subnets: a third public, the rest private.
        let publicCount = max(1, subnets / 3)
        var publicSubnets: [Subnet] = []
        var privateSubnets: [Subnet] = []
        for index in 0..<subnets {
            let isPublic = index < publicCount
            let subnet = Subnet(
                id: Subnet.ID("subnet-" + hex(index + 1)), name: "\(isPublic ? "public" : "private")-\(index)", vpcID: vpc,
                cidrBlock: block("10.0.\(index).0/24"), availabilityZone: zones[index % zones.count], mapPublicIPOnLaunch: isPublic)
            t.subnets.append(subnet)
            if isPublic { publicSubnets.append(subnet) } else { privateSubnets.append(subnet) }
        }
        var addresses: [Subnet.ID: UInt32] = [:]
        func nextAddress(_ subnet: Subnet) -> IPv4Address {
            let offset = addresses[subnet.id, default: 4]
            addresses[subnet.id] = offset + 1
            return IPv4Address(subnet.cidrBlock.network.value + offset)
        }
        var nextPublic: UInt32 = 0xCB00_710A  // 203.0.113.10
        func publicAddress() -> IPv4Address {
            defer { nextPublic += 1 }
            return IPv4Address(nextPublic)
        }

        // Security groups in tiers: the load balancers', web, app, db and NAT groups, then extras.
        var groupIDs = (0..<groups).map { SecurityGroup.ID("sg-" + hex($0 + 1)) }
        let elbSG = groupIDs[0]
        let natSG = groupIDs[1 % groupIDs.count]
        groupIDs = Array(groupIDs.dropFirst(2))
        if groupIDs.isEmpty { groupIDs = [SecurityGroup.ID("sg-" + hex(groups + 1))] }
        let servicePorts = [22, 80, 443, 3306, 5432, 6379, 8080, 9000]
        t.securityGroups.append(
            SecurityGroup(
                id: elbSG, name: "elb-sg", vpcID: vpc,
                ingress: [
                    .init(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(.all)),
                    .init(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)),
                ],
                egress: [.init(ipProtocol: .tcp, ports: ports(80, 80), peer: .securityGroup(groupIDs[0]))]))
        t.securityGroups.append(
            SecurityGroup(
                id: natSG, name: "nat-sg", vpcID: vpc,
                ingress: [
                    .init(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(block("10.0.0.0/16"))),
                    .init(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(block("10.0.0.0/16"))),
                ],
                egress: [
                    .init(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(.all)),
                    .init(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)),
                ]))
        for (index, id) in groupIDs.enumerated() {
            var ingress: [SecurityGroupRule] = []
            var egress: [SecurityGroupRule] = []
            if index == 0 { ingress.append(.init(ipProtocol: .tcp, ports: ports(80, 80), peer: .securityGroup(elbSG))) }
            for _ in 0..<random.int(1...4) {
                let port = random.pick(servicePorts)
                let peer: SecurityGroupRule.Peer =
                    random.chance(60) ? .securityGroup(random.pick(groupIDs)) : .cidr(block("10.0.\(random.int(0...subnets - 1)).0/24"))
                ingress.append(.init(ipProtocol: .tcp, ports: ports(port, port), peer: peer))
            }
            if random.chance(30) { ingress.append(.init(ipProtocol: .tcp, ports: ports(22, 22), peer: .cidr(block("198.51.100.0/24")))) }
            if random.chance(20) { ingress.append(.init(ipProtocol: .icmp, peer: .cidr(block("10.0.0.0/16")))) }
            if random.chance(50) {
                egress = [.init(ipProtocol: .all, peer: .cidr(.all))]
            } else {
                egress.append(.init(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)))
                for _ in 0..<random.int(1...3) {
                    let port = random.pick(servicePorts)
                    egress.append(.init(ipProtocol: .tcp, ports: ports(port, port), peer: .securityGroup(random.pick(groupIDs))))
                }
            }
            t.securityGroups.append(SecurityGroup(id: id, name: "tier-\(index)", vpcID: vpc, ingress: ingress, egress: egress))
        }

        // Network ACLs: the default one, and one for the private subnets with ephemeral-port rules.
        t.networkACLs.append(
            NetworkACL(id: NetworkACL.ID("acl-" + hex(1)), name: "default-acl", vpcID: vpc, isDefault: true, entries: NetworkACL.defaultEntries))
        var entries: [NetworkACLEntry] = []
        for direction in [Direction.ingress, .egress] {
            if random.chance(50) {
                entries.append(.init(ruleNumber: 50, direction: direction, ipProtocol: .tcp, ports: ports(3389, 3389), cidr: .all, action: .deny))
            }
            entries.append(.init(ruleNumber: 100, direction: direction, ipProtocol: .tcp, ports: ports(1, 1023), cidr: .all, action: .allow))
            entries.append(.init(ruleNumber: 110, direction: direction, ipProtocol: .tcp, ports: ports(1024, 65535), cidr: .all, action: .allow))
            entries.append(.init(ruleNumber: 120, direction: direction, ipProtocol: .icmp, cidr: block("10.0.0.0/16"), action: .allow))
        }
        t.networkACLs.append(
            NetworkACL(
                id: NetworkACL.ID("acl-" + hex(2)), name: "private-acl", vpcID: vpc, associatedSubnets: privateSubnets.map(\.id), entries: entries))

        // Public routes to the gateway; each private subnet through a NAT instance or a NAT gateway.
        t.routeTables.append(RouteTable(id: RouteTable.ID("rtb-" + hex(1)), name: "main", vpcID: vpc, isMain: true))
        t.routeTables.append(
            RouteTable(
                id: RouteTable.ID("rtb-" + hex(2)), name: "public-rt", vpcID: vpc, associatedSubnets: publicSubnets.map(\.id),
                routes: [Route(destination: .all, target: .internetGateway(igw))]))
        for (index, subnet) in privateSubnets.enumerated() {
            let home = publicSubnets[index % publicSubnets.count]
            let target: Route.Target
            if index % 2 == 0 {
                let instance = Instance.ID("i-" + hex(0xA000 + index))
                let interface = NetworkInterface.ID("eni-" + hex(0xA000 + index))
                let address = nextAddress(home)
                t.networkInterfaces.append(
                    NetworkInterface(
                        id: interface, name: "nat-\(index)-eni", subnetID: home.id, privateIPs: [address], securityGroupIDs: [natSG],
                        sourceDestCheck: false, owner: .instance(instance)))
                t.instances.append(Instance(id: instance, name: "nat-\(index)", primaryNetworkInterfaceID: interface, role: .nat))
                t.elasticIPs.append(
                    ElasticIP(
                        id: ElasticIP.ID("eipalloc-" + hex(0xA000 + index)), publicIP: publicAddress(),
                        association: .init(networkInterfaceID: interface, privateIP: address)))
                target = .instance(instance)
            } else {
                let gateway = NATGateway.ID("nat-" + hex(0xB000 + index))
                let interface = NetworkInterface.ID("eni-" + hex(0xB000 + index))
                let eip = ElasticIP.ID("eipalloc-" + hex(0xB000 + index))
                let address = nextAddress(home)
                t.networkInterfaces.append(
                    NetworkInterface(
                        id: interface, name: "natgw-\(index)-eni", subnetID: home.id, privateIPs: [address], securityGroupIDs: [],
                        owner: .natGateway(gateway)))
                t.elasticIPs.append(
                    ElasticIP(id: eip, publicIP: publicAddress(), association: .init(networkInterfaceID: interface, privateIP: address)))
                t.natGateways.append(
                    NATGateway(id: gateway, name: "natgw-\(index)", subnetID: home.id, networkInterfaceID: interface, elasticIPID: eip))
                target = .natGateway(gateway)
            }
            t.routeTables.append(
                RouteTable(
                    id: RouteTable.ID("rtb-" + hex(3 + index)), name: "private-rt-\(index)", vpcID: vpc, associatedSubnets: [subnet.id],
                    routes: [Route(destination: .all, target: target)]))
        }

        // Instances: mostly in private subnets, in one or two tier groups; some stopped; public ones get addresses.
        var web: [Instance.ID] = []
        for index in 0..<instances {
            let subnet =
                random.chance(80) || publicSubnets.isEmpty
                ? random.pick(privateSubnets.isEmpty ? publicSubnets : privateSubnets) : random.pick(publicSubnets)
            guard addresses[subnet.id, default: 4] < 250 else { continue }
            let id = Instance.ID("i-" + hex(index + 1))
            let interface = NetworkInterface.ID("eni-" + hex(index + 1))
            var memberOf = [random.pick(groupIDs)]
            if random.chance(25) { memberOf.append(random.pick(groupIDs)) }
            t.networkInterfaces.append(
                NetworkInterface(
                    id: interface, name: "host-\(index)-eni", subnetID: subnet.id, privateIPs: [nextAddress(subnet)],
                    publicIP: subnet.mapPublicIPOnLaunch ? publicAddress() : nil, securityGroupIDs: Array(Set(memberOf)).sorted(),
                    owner: .instance(id)))
            t.instances.append(
                Instance(id: id, name: "host-\(index)", state: random.chance(10) ? .stopped : .running, primaryNetworkInterfaceID: interface))
            if memberOf.contains(groupIDs[0]) { web.append(id) }
        }

        // Internet-facing Classic ELBs in the public subnets, with the web tier registered.
        for index in 0..<loadBalancers {
            let name = ClassicLoadBalancer.ID("lb-\(index)")
            var nodes: [ClassicLoadBalancer.Node] = []
            for subnet in publicSubnets.prefix(2) {
                let interface = NetworkInterface.ID("eni-" + hex(0xC000 + index * 8 + nodes.count))
                t.networkInterfaces.append(
                    NetworkInterface(
                        id: interface, name: "ELB \(name.rawValue)", subnetID: subnet.id, privateIPs: [nextAddress(subnet)],
                        publicIP: publicAddress(),
                        securityGroupIDs: [elbSG], owner: .loadBalancer(name)))
                nodes.append(.init(subnetID: subnet.id, networkInterfaceID: interface))
            }
            t.loadBalancers.append(
                ClassicLoadBalancer(
                    id: name, vpcID: vpc, securityGroupIDs: [elbSG],
                    listeners: [.init(listenerProtocol: .http, loadBalancerPort: 80, instanceProtocol: .http, instancePort: 80)],
                    instanceIDs: web, crossZone: true, nodes: nodes))
        }
        return t
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
