import Foundation
import VPCModel

// VPCs and what AWS makes with each (main route table, default network ACL, default security group),
// subnets, internet gateways, security groups and network ACLs.
extension CloudFormationImporter {
    mutating func buildNetworks() {
        for resource in resources where resource.type == "AWS::EC2::VPC" {
            guard let cidr = string(resource, "CidrBlock").flatMap(block) else {
                if resource.properties?["CidrBlock"] == nil {
                    notes.append("\(resource.logicalID): a VPC without CidrBlock (IPAM pools are not modelled); left out")
                }
                continue
            }
            let id: VPC.ID = modelID(resource.logicalID)
            topology.vpcs.append(VPC(id: id, name: resource.logicalID, cidrBlocks: [cidr]))
            place(id.rawValue, resource)
            nameTag(resource, for: id.rawValue)
            addDefaults(of: id, seed: "\(options.stackName)/\(resource.logicalID)")
        }
        for resource in resources where resource.type == "AWS::EC2::VPCCidrBlock" {
            guard let vpc = reference(resource, "VpcId", types: ["AWS::EC2::VPC"]), let cidr = string(resource, "CidrBlock").flatMap(block),
                let index = topology.vpcs.firstIndex(where: { $0.id == (modelID(vpc) as VPC.ID) })
            else { continue }
            topology.vpcs[index].cidrBlocks.append(cidr)
        }
        for resource in resources where resource.type == "AWS::EC2::InternetGateway" {
            let id: InternetGateway.ID = modelID(resource.logicalID)
            topology.internetGateways.append(InternetGateway(id: id, name: resource.logicalID, attachedVPC: nil))
            place(id.rawValue, resource)
        }
        for resource in resources where resource.type == "AWS::EC2::VPCGatewayAttachment" {
            guard resource.properties?["InternetGatewayId"] != nil else {
                notes.append("\(resource.logicalID): VPN gateways are not modelled; the attachment is left out")
                continue
            }
            guard let vpc = reference(resource, "VpcId", types: ["AWS::EC2::VPC"]),
                let gateway = reference(resource, "InternetGatewayId", types: ["AWS::EC2::InternetGateway"]),
                let index = topology.internetGateways.firstIndex(where: { $0.id == modelID(gateway) })
            else { continue }
            topology.internetGateways[index].attachedVPC = modelID(vpc)
        }
        for resource in resources where resource.type == "AWS::EC2::Subnet" {
            guard let vpc = reference(resource, "VpcId", types: ["AWS::EC2::VPC"]), let cidr = string(resource, "CidrBlock").flatMap(block) else {
                continue
            }
            let id: Subnet.ID = modelID(resource.logicalID)
            let zone = string(resource, "AvailabilityZone") ?? "\(options.region)a"
            let mapPublic = property(resource, "MapPublicIpOnLaunch")?.bool ?? false
            topology.subnets.append(
                Subnet(id: id, name: resource.logicalID, vpcID: modelID(vpc), cidrBlock: cidr, availabilityZone: zone, mapPublicIPOnLaunch: mapPublic)
            )
            place(id.rawValue, resource)
            nameTag(resource, for: id.rawValue)
        }
        eachInVPC("AWS::EC2::RouteTable", into: \.routeTables) { id, vpc, name in RouteTable(id: id, name: name, vpcID: vpc) }
        for resource in resources where resource.type == "AWS::EC2::SubnetRouteTableAssociation" {
            guard let table = reference(resource, "RouteTableId", types: ["AWS::EC2::RouteTable"]),
                let subnet = reference(resource, "SubnetId", types: ["AWS::EC2::Subnet"]),
                let index = topology.routeTables.firstIndex(where: { $0.id == modelID(table) })
            else { continue }
            topology.routeTables[index].associatedSubnets.append(modelID(subnet))
        }
    }

    /// A CIDR as CloudFormation accepts it (host bits are cleared, as EC2 does).
    func block(_ text: String) -> CIDRBlock? { CIDRBlock(storedByEC2: text) }

    /// Adds each resource of a type whose `VpcId` names a VPC of the template, placed and named.
    mutating func eachInVPC<R: NetworkResource>(
        _ type: String, into list: WritableKeyPath<Topology, [R]>, _ make: (ResourceID<R>, VPC.ID, String) -> R
    ) {
        for resource in resources where resource.type == type {
            guard let vpc = reference(resource, "VpcId", types: ["AWS::EC2::VPC"]) else { continue }
            let id: ResourceID<R> = modelID(resource.logicalID)
            topology[keyPath: list].append(make(id, modelID(vpc), resource.logicalID))
            place(id.rawValue, resource)
            nameTag(resource, for: id.rawValue)
        }
    }

    /// What AWS creates with a VPC: the main route table (local routes only), the default network ACL
    /// (allow all both ways) and the default security group (VPC User Guide, "Default VPC components").
    mutating func addDefaults(of vpc: VPC.ID, seed: String) {
        topology.routeTables.append(RouteTable(id: RouteTable.ID(IDGenerator.makeRaw("rtb", seed: "\(seed)/main")), vpcID: vpc, isMain: true))
        topology.networkACLs.append(
            NetworkACL(
                id: NetworkACL.ID(IDGenerator.makeRaw("acl", seed: "\(seed)/default")), vpcID: vpc, isDefault: true,
                entries: NetworkACL.defaultEntries))
        let group = SecurityGroup.ID(IDGenerator.makeRaw("sg", seed: "\(seed)/default"))
        topology.securityGroups.append(
            SecurityGroup(
                id: group, name: "default", description: "default VPC security group", vpcID: vpc,
                ingress: [SecurityGroupRule(ipProtocol: .all, peer: .securityGroup(group))]))
    }

    /// The region's default VPC, made the first time a resource needs it: 172.31.0.0/16, a default
    /// subnet per zone (public addresses on launch), an internet gateway and a main route to it.
    mutating func ensureDefaultVPC() -> VPC.ID {
        if let defaultVPC { return defaultVPC }
        let seed = "\(options.region)/default-vpc"
        let id = VPC.ID(IDGenerator.makeRaw("vpc", seed: seed))
        defaultVPC = id
        topology.vpcs.append(VPC(id: id, name: "default-vpc", cidrBlocks: [CIDRBlock(containing: IPv4Address(0xAC1F_0000), prefixLength: 16)]))
        addDefaults(of: id, seed: seed)
        let gateway = InternetGateway.ID(IDGenerator.makeRaw("igw", seed: seed))
        topology.internetGateways.append(InternetGateway(id: gateway, name: "default-igw", attachedVPC: id))
        if let main = topology.routeTables.firstIndex(where: { $0.vpcID == id && $0.isMain }) {
            topology.routeTables[main].routes.append(Route(destination: .all, target: .internetGateway(gateway)))
        }
        for (index, zone) in Self.zones(options.region).enumerated() {
            topology.subnets.append(
                Subnet(
                    id: Subnet.ID(IDGenerator.makeRaw("subnet", seed: "\(seed)/\(zone)")), name: "default-\(zone)", vpcID: id,
                    cidrBlock: CIDRBlock(containing: IPv4Address(0xAC1F_0000 | UInt32(index) << 12), prefixLength: 20), availabilityZone: zone,
                    mapPublicIPOnLaunch: true))
        }
        notes.append("the default VPC (172.31.0.0/16, a public /20 default subnet per zone) holds the resources that name no VPC or subnet")
        return id
    }

    /// The default subnet of a zone (the first zone's when none is given).
    mutating func defaultSubnet(zone: String? = nil) -> Subnet.ID {
        let vpc = ensureDefaultVPC()
        let subnets = topology.subnets.filter { $0.vpcID == vpc }
        return (subnets.first { $0.availabilityZone == zone } ?? subnets[0]).id
    }

    // MARK: Security groups

    mutating func buildSecurityGroups() {
        var groupOf: [String: SecurityGroup.ID] = [:]
        for resource in resources where resource.type == "AWS::EC2::SecurityGroup" {
            let vpc: VPC.ID
            if resource.properties?["VpcId"] != nil {
                guard let logical = reference(resource, "VpcId", types: ["AWS::EC2::VPC"]) else { continue }
                vpc = modelID(logical)
            } else {
                vpc = ensureDefaultVPC()
            }
            let id: SecurityGroup.ID = modelID(resource.logicalID)
            let name = Self.groupName(resource, options: options, &intrinsics)
            topology.securityGroups.append(
                SecurityGroup(id: id, name: name, description: string(resource, "GroupDescription") ?? "", vpcID: vpc, ingress: [], egress: []))
            groupOf[resource.logicalID] = id
            place(id.rawValue, resource)
            claim(name, for: id.rawValue)
        }
        // Load balancers in the default VPC without groups share ELB's default_elb group, open on their listener ports.
        for resource in resources where resource.type == "AWS::ElasticLoadBalancing::LoadBalancer" {
            guard resource.properties?["Subnets"] == nil, strings(resource, "SecurityGroups").isEmpty else { continue }
            let vpc = ensureDefaultVPC()
            let name = Self.defaultELBGroupName(options)
            let id = SecurityGroup.ID(IDGenerator.makeRaw("sg", seed: name))
            if !topology.securityGroups.contains(where: { $0.id == id }) {
                topology.securityGroups.append(SecurityGroup(id: id, name: name, description: "ELB created security group", vpcID: vpc))
                notes.append("\(resource.logicalID): in the default VPC without security groups, it uses ELB's \(name), open on its listener ports")
            }
            let index = topology.securityGroups.firstIndex { $0.id == id }!
            for listener in property(resource, "Listeners")?.list ?? [] {
                guard let port = listener["LoadBalancerPort"]?.int, let ports = try? PortRange(port: port) else { continue }
                let rule = SecurityGroupRule(ipProtocol: .tcp, ports: ports, peer: .cidr(.all))
                if !topology.securityGroups[index].ingress.contains(rule) { topology.securityGroups[index].ingress.append(rule) }
            }
        }
        // Inline rules; a group with no SecurityGroupEgress property keeps AWS's default allow-all egress rule.
        var standaloneEgress: [SecurityGroup.ID: Int] = [:]
        for resource in resources where resource.type == "AWS::EC2::SecurityGroupEgress" {
            if let logical = reference(resource, "GroupId", types: ["AWS::EC2::SecurityGroup"], required: false), let id = groupOf[logical] {
                standaloneEgress[id, default: 0] += 1
            }
        }
        for resource in resources where resource.type == "AWS::EC2::SecurityGroup" {
            guard let id = groupOf[resource.logicalID], let index = topology.securityGroups.firstIndex(where: { $0.id == id }) else { continue }
            let vpc = topology.securityGroups[index].vpcID
            for rule in property(resource, "SecurityGroupIngress")?.list ?? [] {
                if let parsed = self.rule(rule, direction: .ingress, vpc: vpc, in: resource) { add(parsed, .ingress, to: index, from: resource) }
            }
            if resource.properties?["SecurityGroupEgress"] != nil {
                for rule in property(resource, "SecurityGroupEgress")?.list ?? [] {
                    if let parsed = self.rule(rule, direction: .egress, vpc: vpc, in: resource) { add(parsed, .egress, to: index, from: resource) }
                }
            } else if let count = standaloneEgress[id] {
                // CloudFormation removes the default egress rule when a stack adds egress rules to the
                // group (aws-cdk issue #987, PR #998).
                notes.append(
                    "\(resource.logicalID): the default allow-all egress rule is replaced by \(count) standalone egress rule\(count == 1 ? "" : "s")")
            } else {
                topology.securityGroups[index].egress = [.allowAllEgress]
            }
        }
        for resource in resources where resource.type == "AWS::EC2::SecurityGroupIngress" || resource.type == "AWS::EC2::SecurityGroupEgress" {
            let direction: Direction = resource.type.hasSuffix("Ingress") ? .ingress : .egress
            var target: SecurityGroup.ID?
            if resource.properties?["GroupId"] != nil {
                target = reference(resource, "GroupId", types: ["AWS::EC2::SecurityGroup"]).flatMap { groupOf[$0] }
            } else if let name = string(resource, "GroupName") {
                target = topology.securityGroups.first { $0.name == name && $0.vpcID == ensureDefaultVPC() }?.id
            }
            guard let target, let index = topology.securityGroups.firstIndex(where: { $0.id == target }) else { continue }
            let vpc = topology.securityGroups[index].vpcID
            guard let properties = property(resource, "IpProtocol") != nil ? propertiesValue(resource) : nil,
                let parsed = rule(properties, direction: direction, vpc: vpc, in: resource)
            else { continue }
            add(parsed, direction, to: index, from: resource)
        }
    }

    /// Adds a rule to a group, remembering the line of the resource that writes it.
    mutating func add(_ rule: SecurityGroupRule, _ direction: Direction, to index: Int, from resource: Resource) {
        let group = topology.securityGroups[index].id.rawValue
        let position = direction == .ingress ? topology.securityGroups[index].ingress.count : topology.securityGroups[index].egress.count
        lines["\(group).\(direction.rawValue).\(position)"] = resource.location.line
        if direction == .ingress { topology.securityGroups[index].ingress.append(rule) } else { topology.securityGroups[index].egress.append(rule) }
    }

    /// All properties of a resource, evaluated.
    mutating func propertiesValue(_ resource: Resource) -> TemplateValue? {
        resource.properties.flatMap { intrinsics.evaluate($0) }
    }

    /// One security group rule (an `Ingress`/`Egress` property type, or a standalone rule's properties).
    mutating func rule(_ value: TemplateValue, direction: Direction, vpc: VPC.ID, in resource: Resource) -> SecurityGroupRule? {
        guard let protocolText = value["IpProtocol"]?.string, let ipProtocol = try? IPProtocol(parsing: protocolText) else {
            notes.append("\(resource.logicalID): a rule without a valid IpProtocol; left out")
            return nil
        }
        var ports = PortRange.all
        if ipProtocol.hasPorts {
            let from = value["FromPort"]?.int ?? 0
            let to = value["ToPort"]?.int ?? 65535
            ports = (try? PortRange(from: max(from, 0), to: to < 0 ? 65535 : to)) ?? .all
        }
        let peer: SecurityGroupRule.Peer
        if let cidr = value["CidrIp"]?.string ?? value[direction == .ingress ? "CidrIp" : "CidrIp"]?.string {
            guard let parsed = block(cidr) else {
                notes.append("\(resource.logicalID): rule CIDR \(cidr) is not an IPv4 block; left out")
                return nil
            }
            peer = .cidr(parsed)
        } else if let group = value[direction == .ingress ? "SourceSecurityGroupId" : "DestinationSecurityGroupId"]?.string {
            guard let logical = lookUp(group, types: ["AWS::EC2::SecurityGroup"], from: resource, key: "security group") else {
                if let known = topology.securityGroups.first(where: { $0.id.rawValue == group }) {
                    return rule(value, peer: known.id, ipProtocol, ports)
                }
                return nil
            }
            peer = .securityGroup(modelID(logical))
        } else if let name = value["SourceSecurityGroupName"]?.string {
            guard let group = topology.securityGroups.first(where: { $0.name == name && $0.vpcID == vpc }) else {
                notes.append("\(resource.logicalID): no security group named \(name) in the group's VPC; the rule is left out")
                return nil
            }
            peer = .securityGroup(group.id)
        } else if value["CidrIpv6"] != nil || value["SourcePrefixListId"] != nil || value["DestinationPrefixListId"] != nil {
            notes.append("\(resource.logicalID): IPv6 and prefix-list rules are not modelled; left out")
            return nil
        } else {
            notes.append("\(resource.logicalID): a rule with no peer (CidrIp or a security group); left out")
            return nil
        }
        return SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: peer, description: value["Description"]?.string)
    }

    private func rule(_ value: TemplateValue, peer: SecurityGroup.ID, _ ipProtocol: IPProtocol, _ ports: PortRange) -> SecurityGroupRule {
        SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: .securityGroup(peer), description: value["Description"]?.string)
    }

    // MARK: Network ACLs

    mutating func buildNetworkACLs() {
        eachInVPC("AWS::EC2::NetworkAcl", into: \.networkACLs) { id, vpc, name in NetworkACL(id: id, name: name, vpcID: vpc) }
        for resource in resources where resource.type == "AWS::EC2::NetworkAclEntry" {
            guard let acl = reference(resource, "NetworkAclId", types: ["AWS::EC2::NetworkAcl"]),
                let index = topology.networkACLs.firstIndex(where: { $0.id == modelID(acl) })
            else { continue }
            guard let number = property(resource, "RuleNumber")?.int, let protocolText = string(resource, "Protocol"),
                let ipProtocol = try? IPProtocol(parsing: protocolText), let actionText = string(resource, "RuleAction"),
                let action = NetworkACLEntry.Action(rawValue: actionText.lowercased())
            else {
                intrinsics.error(
                    "\(resource.logicalID): a network ACL entry needs RuleNumber, Protocol and RuleAction (allow or deny).", at: resource.location)
                continue
            }
            guard let cidr = string(resource, "CidrBlock").flatMap(block) else {
                notes.append("\(resource.logicalID): IPv6 network ACL entries are not modelled; left out")
                continue
            }
            let egress = property(resource, "Egress")?.bool ?? false
            var ports = PortRange.all
            if let range = property(resource, "PortRange"), let from = range["From"]?.int, let to = range["To"]?.int {
                ports = (try? PortRange(from: from, to: to)) ?? .all
            }
            lines["\(topology.networkACLs[index].id).\(egress ? "egress" : "ingress").\(number)"] = resource.location.line
            topology.networkACLs[index].entries.append(
                NetworkACLEntry(
                    ruleNumber: number, direction: egress ? .egress : .ingress, ipProtocol: ipProtocol, ports: ports, cidr: cidr, action: action))
        }
        for resource in resources where resource.type == "AWS::EC2::SubnetNetworkAclAssociation" {
            guard let acl = reference(resource, "NetworkAclId", types: ["AWS::EC2::NetworkAcl"]),
                let subnet = reference(resource, "SubnetId", types: ["AWS::EC2::Subnet"]),
                let index = topology.networkACLs.firstIndex(where: { $0.id == modelID(acl) })
            else { continue }
            topology.networkACLs[index].associatedSubnets.append(modelID(subnet))
        }
    }
}
