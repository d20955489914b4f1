import VPCModel

/// Builders of generated networks, for the benchmark and scale tests.
public enum Fixtures {
    /// A VPC in the shape of the seed design, scaled: a public subnet with a NAT instance and an
    /// internet-facing Classic ELB, private /24 subnets of up to 250 web instances each, security
    /// groups of realistic size (CIDR and group references), 20-entry network ACLs both ways, and
    /// extra routes in every private table.
    public static func scaledSeed(instances count: Int) -> Topology {
        var t = Topology()
        let vpc: VPC.ID = "vpc-0000000000000000a"
        t.vpcs = [VPC(id: vpc, name: "scaled", cidrBlocks: [try! CIDRBlock(parsing: "10.0.0.0/16")])]
        let igw: InternetGateway.ID = "igw-0000000000000000a"
        t.internetGateways = [InternetGateway(id: igw, name: "igw", attachedVPC: vpc)]
        func block(_ s: String) -> CIDRBlock { try! CIDRBlock(parsing: s) }
        func ports(_ a: Int, _ b: Int) -> PortRange { try! PortRange(from: a, to: b) }

        let publicSubnet: Subnet.ID = "subnet-public"
        t.subnets.append(Subnet(id: publicSubnet, name: "public", vpcID: vpc, cidrBlock: block("10.0.0.0/24"), availabilityZone: "us-east-1a"))
        // The load balancer's second zone: it sends only to instances in its enabled zones.
        let publicSubnetB: Subnet.ID = "subnet-public-b"
        t.subnets.append(Subnet(id: publicSubnetB, name: "public-b", vpcID: vpc, cidrBlock: block("10.0.255.0/24"), availabilityZone: "us-east-1b"))
        let privateCount = max(1, (count + 249) / 250)
        var privateSubnets: [Subnet.ID] = []
        for index in 0..<privateCount {
            let id = Subnet.ID("subnet-private-\(index)")
            privateSubnets.append(id)
            t.subnets.append(
                Subnet(
                    id: id, name: "private-\(index)", vpcID: vpc, cidrBlock: block("10.0.\(index + 1).0/24"),
                    availabilityZone: index % 2 == 0 ? "us-east-1a" : "us-east-1b"))
        }

        let elbSG: SecurityGroup.ID = "sg-elb"
        let webSG: SecurityGroup.ID = "sg-web"
        let natSG: SecurityGroup.ID = "sg-nat"
        t.securityGroups.append(
            SecurityGroup(
                id: elbSG, name: "elb-sg", vpcID: vpc,
                ingress: [
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(.all)),
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)),
                ],
                egress: [SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .securityGroup(webSG))]))
        // Web: the realistic clutter of a long-lived group — admin CIDRs, monitoring ports, references.
        var webIngress = [SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .securityGroup(elbSG))]
        for k in 0..<15 {
            webIngress.append(SecurityGroupRule(ipProtocol: .tcp, ports: ports(9000 + k, 9000 + k), peer: .cidr(block("192.168.\(k).0/24"))))
        }
        webIngress.append(SecurityGroupRule(ipProtocol: .tcp, ports: ports(22, 22), peer: .cidr(block("203.0.113.0/24"))))
        t.securityGroups.append(
            SecurityGroup(
                id: webSG, name: "web-sg", vpcID: vpc, ingress: webIngress,
                egress: [
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(.all)),
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)),
                    SecurityGroupRule(ipProtocol: .all, peer: .securityGroup(natSG)),
                ]))
        t.securityGroups.append(
            SecurityGroup(
                id: natSG, name: "nat-sg", vpcID: vpc,
                ingress: [
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(block("10.0.0.0/16"))),
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(block("10.0.0.0/16"))),
                ],
                egress: [
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(80, 80), peer: .cidr(.all)),
                    SecurityGroupRule(ipProtocol: .tcp, ports: ports(443, 443), peer: .cidr(.all)),
                ]))

        // Network ACLs: 20 entries each way, a few denies before the allows, as audited ACLs look.
        func entries() -> [NetworkACLEntry] {
            var result: [NetworkACLEntry] = []
            for direction in [Direction.ingress, .egress] {
                for k in 0..<8 {
                    result.append(
                        NetworkACLEntry(
                            ruleNumber: 10 + k, direction: direction, ipProtocol: .tcp, ports: ports(1000 + k, 1000 + k),
                            cidr: block("198.18.\(k).0/24"), action: .deny))
                }
                result.append(
                    NetworkACLEntry(ruleNumber: 100, direction: direction, ipProtocol: .tcp, ports: ports(80, 80), cidr: .all, action: .allow))
                result.append(
                    NetworkACLEntry(ruleNumber: 110, direction: direction, ipProtocol: .tcp, ports: ports(443, 443), cidr: .all, action: .allow))
                result.append(
                    NetworkACLEntry(ruleNumber: 120, direction: direction, ipProtocol: .tcp, ports: ports(1024, 65535), cidr: .all, action: .allow))
                for k in 0..<9 {
                    result.append(
                        NetworkACLEntry(
                            ruleNumber: 200 + k, direction: direction, ipProtocol: .udp, ports: ports(5000 + k, 5000 + k), cidr: block("10.0.0.0/16"),
                            action: .allow))
                }
            }
            return result
        }
        t.networkACLs.append(NetworkACL(id: "acl-default", name: "default-acl", vpcID: vpc, isDefault: true, entries: NetworkACL.defaultEntries))
        t.networkACLs.append(
            NetworkACL(id: "acl-public", name: "public-acl", vpcID: vpc, associatedSubnets: [publicSubnet, publicSubnetB], entries: entries()))
        t.networkACLs.append(NetworkACL(id: "acl-private", name: "private-acl", vpcID: vpc, associatedSubnets: privateSubnets, entries: entries()))

        // The NAT instance.
        let natInterface: NetworkInterface.ID = "eni-nat"
        t.networkInterfaces.append(
            NetworkInterface(
                id: natInterface, name: "nat-eni", subnetID: publicSubnet, privateIPs: [try! IPv4Address(parsing: "10.0.0.10")],
                securityGroupIDs: [natSG], sourceDestCheck: false, owner: .instance("i-nat")))
        t.instances.append(Instance(id: "i-nat", name: "nat", primaryNetworkInterfaceID: natInterface, role: .nat))
        t.elasticIPs.append(
            ElasticIP(
                id: "eipalloc-nat", publicIP: try! IPv4Address(parsing: "198.51.100.10"),
                association: .init(networkInterfaceID: natInterface, privateIP: try! IPv4Address(parsing: "10.0.0.10"))))

        // Route tables: public -> IGW; private -> NAT, plus extra routes to peered-looking ranges.
        t.routeTables.append(RouteTable(id: "rtb-main", name: "main", vpcID: vpc, isMain: true))
        t.routeTables.append(
            RouteTable(
                id: "rtb-public", name: "public-rt", vpcID: vpc, associatedSubnets: [publicSubnet, publicSubnetB],
                routes: [Route(destination: .all, target: .internetGateway(igw))]))
        var privateRoutes = [Route(destination: .all, target: .instance("i-nat"))]
        for k in 0..<10 { privateRoutes.append(Route(destination: block("172.16.\(k).0/24"), target: .instance("i-nat"))) }
        t.routeTables.append(RouteTable(id: "rtb-private", name: "private-rt", vpcID: vpc, associatedSubnets: privateSubnets, routes: privateRoutes))

        // Web instances.
        var webIDs: [Instance.ID] = []
        for index in 0..<count {
            let subnetIndex = index / 250
            let address = IPv4Address(0x0A00_0000 | UInt32(subnetIndex + 1) << 8 | UInt32(index % 250 + 4))
            let interface = NetworkInterface.ID("eni-web-\(index)")
            let instance = Instance.ID("i-web-\(index)")
            webIDs.append(instance)
            t.networkInterfaces.append(
                NetworkInterface(
                    id: interface, name: "web-\(index)-eni", subnetID: privateSubnets[subnetIndex], privateIPs: [address], securityGroupIDs: [webSG],
                    owner: .instance(instance)))
            t.instances.append(Instance(id: instance, name: "web-\(index)", primaryNetworkInterfaceID: interface))
        }

        // The load balancer, cross-zone, in both zones of the web subnets, with every web instance registered.
        let node: NetworkInterface.ID = "eni-elb-a"
        let nodeB: NetworkInterface.ID = "eni-elb-b"
        t.networkInterfaces.append(
            NetworkInterface(
                id: node, name: "ELB elb", subnetID: publicSubnet, privateIPs: [try! IPv4Address(parsing: "10.0.0.20")],
                publicIP: try! IPv4Address(parsing: "203.0.113.20"), securityGroupIDs: [elbSG], owner: .loadBalancer("elb")))
        t.networkInterfaces.append(
            NetworkInterface(
                id: nodeB, name: "ELB elb b", subnetID: publicSubnetB, privateIPs: [try! IPv4Address(parsing: "10.0.255.20")],
                publicIP: try! IPv4Address(parsing: "203.0.113.21"), securityGroupIDs: [elbSG], owner: .loadBalancer("elb")))
        t.loadBalancers.append(
            ClassicLoadBalancer(
                id: "elb", vpcID: vpc, securityGroupIDs: [elbSG],
                listeners: [
                    .init(listenerProtocol: .http, loadBalancerPort: 80, instanceProtocol: .http, instancePort: 80),
                    .init(listenerProtocol: .https, loadBalancerPort: 443, instanceProtocol: .http, instancePort: 80),
                ],
                instanceIDs: webIDs, crossZone: true,
                nodes: [.init(subnetID: publicSubnet, networkInterfaceID: node), .init(subnetID: publicSubnetB, networkInterfaceID: nodeB)]))
        return t
    }
}
