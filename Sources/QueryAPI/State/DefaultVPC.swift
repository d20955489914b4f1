import HashTreeCollections
import VPCModel

/// What a new VPC and a new account get from AWS.
enum DefaultVPC {
    /// A new AWS account has, in every region, a default VPC 172.31.0.0/16 with one default /20
    /// subnet per Availability Zone, an attached internet gateway and a main route table routing
    /// 0.0.0.0/0 to it (VPC User Guide, "Default VPCs").
    static func create(in state: inout RegionState, accountID: String) {
        let vpc = makeVPC(in: &state, cidr: try! CIDRBlock(parsing: "172.31.0.0/16"), isDefault: true)
        let gateway = InternetGateway(id: .init(AWSID.make("igw")), attachedVPC: vpc.id)
        state.put(gateway)
        if var main = state[RouteTable.self].values.first(where: { $0.vpcID == vpc.id && $0.isMain }) {
            main.routes.append(Route(destination: .all, target: .internetGateway(gateway.id)))
            state.put(main)
        }
        for (index, zone) in Regions.zones(state.region).enumerated() {
            let block = try! CIDRBlock(parsing: "172.31.\(index * 16).0/20")
            let subnet = Subnet(id: .init(AWSID.make("subnet")), vpcID: vpc.id, cidrBlock: block, availabilityZone: zone, mapPublicIPOnLaunch: true)
            state.put(subnet)
            state.setMeta(subnet.id.rawValue, .defaultForAz, "true")
        }
    }

    /// A VPC with what AWS creates along with it: a main route table (local routes only), a default
    /// network ACL (allow all both ways) and a default security group (VPC User Guide).
    @discardableResult
    static func makeVPC(in state: inout RegionState, cidr: CIDRBlock, isDefault: Bool) -> VPC {
        let vpc = VPC(id: .init(AWSID.make("vpc")), cidrBlocks: [cidr])
        state.put(vpc)
        state.setMeta(vpc.id.rawValue, .isDefault, isDefault.xml)
        state.setMeta(vpc.id.rawValue, .cidrAssociation, AWSID.make("vpc-cidr-assoc"))
        state.setMeta(vpc.id.rawValue, .enableDnsSupport, "true")
        state.setMeta(vpc.id.rawValue, .enableDnsHostnames, isDefault.xml)
        let main = RouteTable(id: .init(AWSID.make("rtb")), vpcID: vpc.id, isMain: true)
        state.put(main)
        state.setMeta(main.id.rawValue, .mainAssociation, AWSID.make("rtbassoc"))
        var acl = NetworkACL(id: .init(AWSID.make("acl")), vpcID: vpc.id, isDefault: true, entries: NetworkACL.defaultEntries)
        acl.associatedSubnets = []
        state.put(acl)
        let groupID = SecurityGroup.ID(AWSID.make("sg"))
        var group = SecurityGroup(
            id: groupID, name: "default", description: "default VPC security group", vpcID: vpc.id,
            ingress: [SecurityGroupRule(ipProtocol: .all, peer: .securityGroup(groupID))])
        group.ingress = group.ingress.map {
            var r = $0
            r.id = AWSID.make("sgr")
            return r
        }
        group.egress = group.egress.map {
            var r = $0
            r.id = AWSID.make("sgr")
            return r
        }
        state.put(group)
        return vpc
    }
}
