import VPCModel

extension CloudFormationImporter {
    /// `Fn::GetAtt` of the modelled types (CloudFormation User Guide, each type's "Return values");
    /// other attributes of a template's resources give a placeholder, as a deployed stack would give
    /// some value LocalVPC does not need.
    static func attribute(
        _ logicalID: String, _ name: String, resources: [Resource], byLogicalID: [String: Int], options: ImportOptions,
        _ intrinsics: inout Intrinsics
    ) -> TemplateValue? {
        guard let index = byLogicalID[logicalID] else { return nil }
        let resource = resources[index]
        let seed = "\(options.stackName)/\(logicalID)"
        let ref = intrinsics.resourceRefs[logicalID] ?? logicalID
        func property(_ key: String) -> TemplateValue? { resource.properties?[key].flatMap { intrinsics.evaluate($0) } }
        switch (resource.type, name) {
        case ("AWS::EC2::VPC", "CidrBlock"): return property("CidrBlock")
        case ("AWS::EC2::VPC", "CidrBlockAssociations"): return .list([.string(IDGenerator.makeRaw("vpc-cidr-assoc", seed: seed))])
        case ("AWS::EC2::VPC", "DefaultSecurityGroup"): return .string(IDGenerator.makeRaw("sg", seed: "\(seed)/default"))
        case ("AWS::EC2::VPC", "DefaultNetworkAcl"): return .string(IDGenerator.makeRaw("acl", seed: "\(seed)/default"))
        case ("AWS::EC2::VPC", "Ipv6CidrBlocks"): return .list([])
        case ("AWS::EC2::VPC", "VpcId"), ("AWS::EC2::Subnet", "SubnetId"), ("AWS::EC2::SecurityGroup", "GroupId"),
            ("AWS::EC2::NetworkInterface", "Id"), ("AWS::EC2::LaunchTemplate", "LaunchTemplateId"),
            ("AWS::EC2::InternetGateway", "InternetGatewayId"), ("AWS::EC2::RouteTable", "RouteTableId"),
            ("AWS::EC2::NatGateway", "NatGatewayId"), ("AWS::EC2::NetworkAcl", "Id"), ("AWS::EC2::Instance", "InstanceId"):
            return .string(ref)
        case ("AWS::EC2::Subnet", "AvailabilityZone"):
            return property("AvailabilityZone") ?? .string("\(options.region)a")
        case ("AWS::EC2::Subnet", "CidrBlock"): return property("CidrBlock")
        case ("AWS::EC2::Subnet", "VpcId"), ("AWS::EC2::SecurityGroup", "VpcId"): return property("VpcId")
        case ("AWS::EC2::Subnet", "NetworkAclAssociationId"): return .string(IDGenerator.makeRaw("aclassoc", seed: seed))
        case ("AWS::EC2::SecurityGroup", "GroupName"): return .string(groupName(resource, options: options, &intrinsics))
        case ("AWS::EC2::EIP", "AllocationId"): return .string(IDGenerator.makeRaw("eipalloc", seed: seed))
        case ("AWS::EC2::EIP", "PublicIp"): return .string(ref)
        case ("AWS::EC2::LaunchTemplate", "LatestVersionNumber"), ("AWS::EC2::LaunchTemplate", "DefaultVersionNumber"):
            return .string("1")
        case ("AWS::ElasticLoadBalancing::LoadBalancer", "DNSName"), ("AWS::ElasticLoadBalancing::LoadBalancer", "CanonicalHostedZoneName"):
            return .string("\(ref)-\(abs(ref.hashValue % 1_000_000)).\(options.region).elb.amazonaws.com")
        case ("AWS::ElasticLoadBalancing::LoadBalancer", "CanonicalHostedZoneNameID"): return .string("Z35SXDOTRQ7X7K")
        case ("AWS::ElasticLoadBalancing::LoadBalancer", "SourceSecurityGroup.OwnerAlias"): return .string(options.accountID)
        case ("AWS::ElasticLoadBalancing::LoadBalancer", "SourceSecurityGroup.GroupName"):
            // The group the load balancer's nodes send from: its first security group (the VPC's
            // default group when it names none, as CreateLoadBalancer does in a VPC).
            let groups = property("SecurityGroups")?.strings ?? []
            if groups.isEmpty && resource.properties?["Subnets"] == nil { return .string(defaultELBGroupName(options)) }
            if let first = groups.first, let group = resources.first(where: { intrinsics.resourceRefs[$0.logicalID] == first }) {
                return .string(groupName(group, options: options, &intrinsics))
            }
            return .string(groups.first ?? "default")
        default:
            return .string("{\(logicalID).\(name)}")
        }
    }

    /// The group ELB makes for load balancers created in the default VPC without groups, one per account
    /// (ELB Classic guide, "Configure security groups for your Classic Load Balancer": `default_elb_id`).
    static func defaultELBGroupName(_ options: ImportOptions) -> String {
        let hex = IDGenerator.makeRaw("x", seed: "default_elb/\(options.accountID)").dropFirst(3)
        return "default_elb_\(hex.prefix(8))-\(hex.dropFirst(8).prefix(4))-\(hex.dropFirst(12).prefix(4))"
    }

    /// A group's name: `GroupName`, else what CloudFormation generates (stack name, logical ID, a suffix).
    static func groupName(_ resource: Resource, options: ImportOptions, _ intrinsics: inout Intrinsics) -> String {
        if let node = resource.properties?["GroupName"], let name = intrinsics.evaluate(node)?.string { return name }
        return "\(options.stackName)-\(resource.logicalID)-\(IDGenerator.makeRaw("x", seed: resource.logicalID).suffix(12).uppercased())"
    }
}
