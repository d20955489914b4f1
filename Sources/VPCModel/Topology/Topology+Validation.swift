extension Topology {
    /// Every problem that keeps this topology from being a valid AWS network, all at once.
    ///
    /// Errors name the resource (and field) they are about, so a file loader can point at a line.
    public func validate() -> [ModelError] {
        var errors: [ModelError] = []
        func fail(_ code: ModelError.Code, _ message: String, _ resource: String, _ field: String? = nil) {
            errors.append(ModelError(code, message, subject: .init(resource: resource, field: field)))
        }
        let vpcsByID = Dictionary(vpcs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let subnetsByID = Dictionary(subnets.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let groupsByID = Dictionary(securityGroups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let interfacesByID = Dictionary(networkInterfaces.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let instanceIDs = Set(instances.map(\.id))
        let name = { (id: String) in self.displayName(of: id) }

        for vpc in vpcs {
            if vpc.cidrBlocks.isEmpty { fail(.missingValue, "VPC \(name(vpc.id.rawValue)) has no CIDR block.", vpc.id.rawValue, "cidr") }
            for block in vpc.cidrBlocks where !(16...28).contains(block.prefixLength) {
                fail(
                    .invalidCIDRBlock, "VPC \(name(vpc.id.rawValue)): \(block) is not allowed; a VPC block must be between /16 and /28.",
                    vpc.id.rawValue, "cidr")
            }
        }

        // Subnets: inside their VPC, sized /16-/28, not overlapping a sibling.
        for (index, subnet) in subnets.enumerated() {
            let label = "Subnet \(name(subnet.id.rawValue))"
            guard let vpc = vpcsByID[subnet.vpcID] else {
                fail(.unknownReference, "\(label) refers to VPC \(subnet.vpcID), which does not exist.", subnet.id.rawValue, "vpc")
                continue
            }
            if !(16...28).contains(subnet.cidrBlock.prefixLength) {
                fail(
                    .invalidCIDRBlock, "\(label): \(subnet.cidrBlock) is not allowed; a subnet block must be between /16 and /28.",
                    subnet.id.rawValue, "cidr")
            }
            if !vpc.contains(subnet.cidrBlock) {
                let blocks = vpc.cidrBlocks.map(\.description).joined(separator: ", ")
                fail(.cidrOutsideVPC, "\(label): \(subnet.cidrBlock) is not inside its VPC's CIDR \(blocks).", subnet.id.rawValue, "cidr")
            }
            for other in subnets[..<index] where other.vpcID == subnet.vpcID && other.cidrBlock.overlaps(subnet.cidrBlock) {
                fail(
                    .overlappingSubnets, "\(label): \(subnet.cidrBlock) overlaps subnet \(name(other.id.rawValue)) (\(other.cidrBlock)).",
                    subnet.id.rawValue, "cidr")
            }
        }

        for gateway in internetGateways {
            if let vpc = gateway.attachedVPC, vpcsByID[vpc] == nil {
                fail(
                    .unknownReference, "Internet gateway \(name(gateway.id.rawValue)) is attached to VPC \(vpc), which does not exist.",
                    gateway.id.rawValue, "vpc")
            }
        }
        for vpc in vpcs where internetGateways.filter({ $0.attachedVPC == vpc.id }).count > 1 {
            fail(.invalidValue, "VPC \(name(vpc.id.rawValue)) has more than one internet gateway attached; AWS allows one.", vpc.id.rawValue)
        }

        // Route tables.
        var tableOfSubnet: [Subnet.ID: RouteTable.ID] = [:]
        for table in routeTables {
            let label = "Route table \(name(table.id.rawValue))"
            let id = table.id.rawValue
            if vpcsByID[table.vpcID] == nil { fail(.unknownReference, "\(label) refers to VPC \(table.vpcID), which does not exist.", id, "vpc") }
            for subnetID in table.associatedSubnets {
                guard let subnet = subnetsByID[subnetID] else {
                    fail(.unknownReference, "\(label) is associated with subnet \(subnetID), which does not exist.", id, "subnets")
                    continue
                }
                if subnet.vpcID != table.vpcID {
                    fail(.invalidValue, "\(label) and subnet \(name(subnetID.rawValue)) are in different VPCs.", id, "subnets")
                }
                if let previous = tableOfSubnet[subnetID] {
                    fail(
                        .invalidValue,
                        "Subnet \(name(subnetID.rawValue)) is associated with both \(name(previous.rawValue)) and \(name(id)); a subnet has one "
                            + "route table.",
                        id, "subnets")
                }
                tableOfSubnet[subnetID] = table.id
            }
            var seen: Set<CIDRBlock> = []
            for route in table.routes {
                if !seen.insert(route.destination).inserted {
                    fail(.invalidValue, "\(label) has two routes for \(route.destination) (AWS: RouteAlreadyExists).", id, "routes")
                }
                if let vpc = vpcsByID[table.vpcID], vpc.cidrBlocks.contains(route.destination), route.target != .local {
                    fail(.invalidValue, "\(label): \(route.destination) is the VPC's local route and cannot point at \(route.target).", id, "routes")
                }
                switch route.target {
                case .local: break
                case .internetGateway(let g) where internetGateway(g) == nil:
                    fail(.unknownReference, "\(label): route \(route.destination) targets internet gateway \(g), which does not exist.", id, "routes")
                case .natGateway(let g) where natGateway(g) == nil:
                    fail(.unknownReference, "\(label): route \(route.destination) targets NAT gateway \(g), which does not exist.", id, "routes")
                case .instance(let i) where !instanceIDs.contains(i):
                    fail(.unknownReference, "\(label): route \(route.destination) targets instance \(i), which does not exist.", id, "routes")
                case .networkInterface(let n) where interfacesByID[n] == nil:
                    fail(
                        .unknownReference, "\(label): route \(route.destination) targets network interface \(n), which does not exist.", id, "routes")
                default: break
                }
            }
        }
        for vpc in vpcs where routeTables.filter({ $0.vpcID == vpc.id && $0.isMain }).count != 1 {
            fail(.invalidValue, "VPC \(name(vpc.id.rawValue)) must have exactly one main route table.", vpc.id.rawValue)
        }

        // Security groups.
        for group in securityGroups {
            let label = "Security group \(group.name)"
            if vpcsByID[group.vpcID] == nil {
                fail(.unknownReference, "\(label) refers to VPC \(group.vpcID), which does not exist.", group.id.rawValue, "vpc")
            }
            for (direction, rules) in [("ingress", group.ingress), ("egress", group.egress)] {
                for rule in rules {
                    if case .securityGroup(let peer) = rule.peer, groupsByID[peer] == nil {
                        fail(
                            .unknownReference, "\(label): an \(direction) rule refers to security group \(peer), which does not exist.",
                            group.id.rawValue, direction)
                    }
                }
            }
        }

        // Network ACLs.
        var aclOfSubnet: [Subnet.ID: NetworkACL.ID] = [:]
        for acl in networkACLs {
            let label = "Network ACL \(name(acl.id.rawValue))"
            let id = acl.id.rawValue
            if vpcsByID[acl.vpcID] == nil { fail(.unknownReference, "\(label) refers to VPC \(acl.vpcID), which does not exist.", id, "vpc") }
            for subnetID in acl.associatedSubnets {
                guard subnetsByID[subnetID] != nil else {
                    fail(.unknownReference, "\(label) is associated with subnet \(subnetID), which does not exist.", id, "subnets")
                    continue
                }
                if let previous = aclOfSubnet[subnetID] {
                    fail(
                        .invalidValue,
                        "Subnet \(name(subnetID.rawValue)) is associated with both \(name(previous.rawValue)) and \(name(id)); a subnet has one "
                            + "network ACL.",
                        id, "subnets")
                }
                aclOfSubnet[subnetID] = acl.id
            }
            var numbers: Set<String> = []
            for entry in acl.entries {
                if !NetworkACLEntry.userRuleNumbers.contains(entry.ruleNumber) {
                    fail(
                        .invalidRuleNumber, "\(label): rule number \(entry.ruleNumber) is outside 1-32766.", id,
                        "\(entry.direction.rawValue).\(entry.ruleNumber)")
                }
                if !numbers.insert("\(entry.direction.rawValue) \(entry.ruleNumber)").inserted {
                    fail(
                        .duplicateRuleNumber,
                        "\(label): \(entry.direction.rawValue) rule number \(entry.ruleNumber) is used twice; rule numbers are unique per direction.",
                        id, "\(entry.direction.rawValue).\(entry.ruleNumber)")
                }
            }
        }
        for vpc in vpcs where networkACLs.filter({ $0.vpcID == vpc.id && $0.isDefault }).count != 1 {
            fail(.invalidValue, "VPC \(name(vpc.id.rawValue)) must have exactly one default network ACL.", vpc.id.rawValue)
        }

        // Network interfaces: addresses inside the subnet, not reserved, unique in the VPC.
        var owners: [String: String] = [:]
        for interface in networkInterfaces {
            let id = interface.id.rawValue
            let label = "Network interface \(name(id))"
            guard let subnet = subnetsByID[interface.subnetID] else {
                fail(.unknownReference, "\(label) refers to subnet \(interface.subnetID), which does not exist.", id, "subnet")
                continue
            }
            if interface.privateIPs.isEmpty { fail(.missingValue, "\(label) has no private IP address.", id, "private-ip") }
            for address in interface.privateIPs {
                if !subnet.cidrBlock.contains(address) {
                    fail(
                        .addressOutsideSubnet, "\(label): \(address) is not inside subnet \(name(subnet.id.rawValue)) (\(subnet.cidrBlock)).", id,
                        "private-ip")
                } else if subnet.isReserved(address) {
                    fail(
                        .addressOutsideSubnet,
                        "\(label): \(address) is reserved by AWS (the first four and the last address of \(subnet.cidrBlock)).", id, "private-ip")
                }
                let key = "\(subnet.vpcID.rawValue) \(address)"
                if let other = owners[key] {
                    fail(.duplicateAddress, "\(label): \(address) is already used by \(name(other)).", id, "private-ip")
                }
                owners[key] = id
            }
            for group in interface.securityGroupIDs {
                if let sg = groupsByID[group] {
                    if sg.vpcID != subnet.vpcID {
                        fail(.invalidValue, "\(label): security group \(sg.name) belongs to another VPC.", id, "security-groups")
                    }
                } else {
                    fail(.unknownReference, "\(label) refers to security group \(group), which does not exist.", id, "security-groups")
                }
            }
        }
        for instance in instances where interfacesByID[instance.primaryNetworkInterfaceID] == nil {
            fail(
                .unknownReference,
                "Instance \(name(instance.id.rawValue)) refers to network interface \(instance.primaryNetworkInterfaceID), which does not exist.",
                instance.id.rawValue)
        }

        var publicOwners: [IPv4Address: String] = [:]
        for eip in elasticIPs {
            if let other = publicOwners[eip.publicIP] {
                fail(
                    .duplicateAddress, "Elastic IP \(eip.publicIP) is allocated twice (\(name(other)) and \(name(eip.id.rawValue))).", eip.id.rawValue
                )
            }
            publicOwners[eip.publicIP] = eip.id.rawValue
            if let association = eip.association {
                if let interface = interfacesByID[association.networkInterfaceID] {
                    if !interface.privateIPs.contains(association.privateIP) {
                        fail(
                            .invalidValue,
                            "Elastic IP \(eip.publicIP) is associated with \(association.privateIP), which is not an "
                                + "address of \(name(interface.id.rawValue)).",
                            eip.id.rawValue)
                    }
                } else {
                    fail(
                        .unknownReference,
                        "Elastic IP \(eip.publicIP) is associated with network interface \(association.networkInterfaceID), which does not exist.",
                        eip.id.rawValue)
                }
            }
        }
        // An auto-assigned public address belongs to one interface, and is not an Elastic IP.
        for interface in networkInterfaces {
            guard let publicIP = interface.publicIP else { continue }
            if let other = publicOwners[publicIP] {
                fail(
                    .duplicateAddress,
                    "Public IP \(publicIP) of \(name(interface.id.rawValue)) is also held by \(name(other)); a public address has one owner.",
                    interface.id.rawValue)
            }
            publicOwners[publicIP] = interface.id.rawValue
        }
        for gateway in natGateways {
            if subnetsByID[gateway.subnetID] == nil {
                fail(
                    .unknownReference, "NAT gateway \(name(gateway.id.rawValue)) refers to subnet \(gateway.subnetID), which does not exist.",
                    gateway.id.rawValue, "subnet")
            }
            if let eip = gateway.elasticIPID, elasticIP(eip) == nil {
                fail(
                    .unknownReference, "NAT gateway \(name(gateway.id.rawValue)) refers to Elastic IP \(eip), which does not exist.",
                    gateway.id.rawValue, "elastic-ip")
            }
        }

        for balancer in loadBalancers { errors += validate(balancer, subnetsByID: subnetsByID, groupsByID: groupsByID, instanceIDs: instanceIDs) }
        return errors
    }

    private func validate(
        _ balancer: ClassicLoadBalancer, subnetsByID: [Subnet.ID: Subnet], groupsByID: [SecurityGroup.ID: SecurityGroup],
        instanceIDs: Set<Instance.ID>
    ) -> [ModelError] {
        var errors: [ModelError] = []
        let id = balancer.id.rawValue
        func fail(_ code: ModelError.Code, _ message: String, _ field: String) {
            errors.append(ModelError(code, "Load balancer \(balancer.name): \(message)", subject: .init(resource: id, field: field)))
        }
        if balancer.nodes.isEmpty { fail(.missingValue, "it has no subnets; a load balancer in a VPC needs at least one.", "subnets") }
        var zones: Set<String> = []
        for node in balancer.nodes {
            guard let subnet = subnetsByID[node.subnetID] else {
                fail(.unknownReference, "subnet \(node.subnetID) does not exist.", "subnets")
                continue
            }
            if !zones.insert(subnet.availabilityZone).inserted {
                fail(
                    .invalidValue, "two of its subnets are in \(subnet.availabilityZone); a load balancer takes one subnet per Availability Zone.",
                    "subnets")
            }
        }
        for group in balancer.securityGroupIDs where groupsByID[group] == nil {
            fail(.unknownReference, "security group \(group) does not exist.", "security-groups")
        }
        for instance in balancer.instanceIDs where !instanceIDs.contains(instance) {
            fail(.unknownReference, "registered instance \(instance) does not exist.", "instances")
        }
        var ports: Set<Int> = []
        for listener in balancer.listeners {
            for port in [listener.loadBalancerPort, listener.instancePort] where !(1...65535).contains(port) {
                fail(.invalidPortRange, "listener \(listener) uses port \(port), outside 1-65535.", "listeners")
            }
            if !listener.hasCompatibleProtocols {
                fail(
                    .invalidValue,
                    "listener \(listener) pairs \(listener.listenerProtocol.rawValue) with \(listener.instanceProtocol.rawValue); HTTP/HTTPS pair "
                        + "with HTTP/HTTPS and TCP/SSL with TCP/SSL.",
                    "listeners")
            }
            if !ports.insert(listener.loadBalancerPort).inserted {
                fail(.invalidValue, "two listeners use port \(listener.loadBalancerPort).", "listeners")
            }
        }
        return errors
    }
}
