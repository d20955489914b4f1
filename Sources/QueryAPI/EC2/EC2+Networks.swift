import HashTreeCollections
import VPCModel

/// VPCs, subnets and internet gateways.
enum NetworkActions {
    static let handlers: [String: EC2Handler] = [
        "CreateVpc": createVpc, "DescribeVpcs": describeVpcs, "DeleteVpc": deleteVpc,
        "DescribeVpcAttribute": describeVpcAttribute, "ModifyVpcAttribute": modifyVpcAttribute,
        "CreateSubnet": createSubnet, "DescribeSubnets": describeSubnets, "DeleteSubnet": deleteSubnet,
        "ModifySubnetAttribute": modifySubnetAttribute,
        "CreateInternetGateway": createInternetGateway, "AttachInternetGateway": attachInternetGateway,
        "DetachInternetGateway": detachInternetGateway, "DescribeInternetGateways": describeInternetGateways,
        "DeleteInternetGateway": deleteInternetGateway,
    ]

    static func cidr(_ text: String) throws(APIError) -> CIDRBlock {
        let prefix = text.firstIndex(of: "/").map { String(text[text.index(after: $0)...]) } ?? ""
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")), let address = IPv4Address(text[..<slash]),
            let length = Int(prefix), prefix == String(length), (0...32).contains(length)
        else { throw APIError.invalidParameterValue("Value (\(text)) for parameter cidrBlock is invalid. This is not a valid CIDR block.") }
        // AWS accepts host bits and stores the network address (10.0.0.28/29 is 10.0.0.24/29), in VPCs,
        // subnets, security group rules and network ACL entries alike (docs/api.md).
        return CIDRBlock(containing: address, prefixLength: length)
    }

    static func vpcXML(_ vpc: VPC, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        let id = vpc.id.rawValue
        return XML(name) {
            XML("vpcId", id)
            XML("ownerId", account)
            XML("state", "available")
            XML("cidrBlock", vpc.cidrBlocks.first?.description ?? "")
            XML.set(
                "cidrBlockAssociationSet",
                vpc.cidrBlocks.map { block in
                    XML("item") {
                        XML("cidrBlock", block.description)
                        XML("associationId", state.meta(id, .cidrAssociation) ?? "vpc-cidr-assoc-" + id.dropFirst(4))
                        XML("cidrBlockState", [XML("state", "associated")])
                    }
                })
            XML("dhcpOptionsId", "default")
            XML("instanceTenancy", "default")
            XML("isDefault", state.meta(id, .isDefault) ?? "false")
            state.tagXML(id)
        }
    }

    static func createVpc(_ call: EC2Call) throws(APIError) -> [XML] {
        let block = try cidr(try call.parameters.required("CidrBlock"))
        guard (16...28).contains(block.prefixLength) else {
            throw APIError(code: "InvalidVpc.Range", message: "The CIDR '\(block)' is invalid.")
        }
        let tags = call.parameters.tags(for: "vpc")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpc = DefaultVPC.makeVPC(in: &state, cidr: block, isDefault: false)
            if !tags.isEmpty { state.setTags(tags, on: vpc.id.rawValue) }
            return [vpcXML(vpc, state, call.accountID, name: "vpc")]
        }
    }

    static func describeVpcs(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("VpcId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[VPC.self][$0] != nil }, code: "InvalidVpcID.NotFound", noun: "vpc")
        let vpcs = state[VPC.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("vpcSet", vpcs, .vpcs, paged: 5...1000, id: \.id.rawValue) { vpcXML($0, state, call.accountID) }
    }

    static func deleteVpc(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("VpcId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpc = try state.vpc(id)
            // AWS refuses while anything but the VPC's own defaults remains (DependencyViolation).
            let inUse =
                !state[Subnet.self].values.filter { $0.vpcID == vpc.id }.isEmpty
                || state[InternetGateway.self].values.contains { $0.attachedVPC == vpc.id }
                || state[RouteTable.self].values.contains { $0.vpcID == vpc.id && !$0.isMain }
                || state[SecurityGroup.self].values.contains { $0.vpcID == vpc.id && $0.name != "default" }
                || state[NetworkACL.self].values.contains { $0.vpcID == vpc.id && !$0.isDefault }
            if inUse {
                throw APIError.dependencyViolation("The vpc '\(id)' has dependencies and cannot be deleted.")
            }
            for table in state[RouteTable.self].values where table.vpcID == vpc.id { state.remove(RouteTable.self, table.id.rawValue) }
            for acl in state[NetworkACL.self].values where acl.vpcID == vpc.id { state.remove(NetworkACL.self, acl.id.rawValue) }
            for group in state[SecurityGroup.self].values where group.vpcID == vpc.id { state.remove(SecurityGroup.self, group.id.rawValue) }
            state.remove(VPC.self, id)
            return [XML("return", "true")]
        }
    }

    static func describeVpcAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("VpcId")
        let attribute = try call.parameters.required("Attribute")
        let state = try call.emulator.snapshot(call.region)
        _ = try state.vpc(id)
        guard ["enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"].contains(attribute) else {
            throw APIError.invalidParameterValue("Value (\(attribute)) for parameter attribute is invalid. Unknown attribute.")
        }
        return [XML("vpcId", id), XML(attribute, [XML("value", state.meta(id, .vpcAttribute(attribute)) ?? "false")])]
    }

    static func modifyVpcAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("VpcId")
        var changes: [(String, Bool)] = []
        for attribute in ["EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"] {
            if let value = try call.parameters.bool("\(attribute).Value") {
                changes.append((attribute.prefix(1).lowercased() + attribute.dropFirst(), value))
            }
        }
        guard changes.count == 1 else {
            throw APIError.invalidParameterCombination(
                "Fields for multiple attribute types specified: exactly one attribute must be modified per call.")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            _ = try state.vpc(id)
            for (attribute, value) in changes { state.setMeta(id, .vpcAttribute(attribute), value.xml) }
            return [XML("return", "true")]
        }
    }

    // MARK: Subnets

    static func subnetXML(_ subnet: Subnet, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        let id = subnet.id.rawValue
        let used = state[NetworkInterface.self].values.filter { $0.subnetID == subnet.id }.reduce(0) { $0 + $1.privateIPs.count }
        return XML(name) {
            XML("subnetId", id)
            XML("subnetArn", "arn:aws:ec2:\(state.region):\(account):subnet/\(id)")
            XML("state", "available")
            XML("vpcId", subnet.vpcID.rawValue)
            XML("cidrBlock", subnet.cidrBlock.description)
            XML("availableIpAddressCount", String(max(0, Int(subnet.cidrBlock.size) - 5 - used)))
            XML("availabilityZone", subnet.availabilityZone)
            XML("availabilityZoneId", Regions.zoneID(subnet.availabilityZone))
            XML("defaultForAz", state.meta(id, .defaultForAz) ?? "false")
            XML("mapPublicIpOnLaunch", subnet.mapPublicIPOnLaunch.xml)
            XML("mapCustomerOwnedIpOnLaunch", "false")
            XML("enableDns64", "false")
            XML("ipv6Native", "false")
            XML("privateDnsNameOptionsOnLaunch") {
                XML("hostnameType", "ip-name")
                XML("enableResourceNameDnsARecord", "false")
                XML("enableResourceNameDnsAAAARecord", "false")
            }
            XML("ownerId", account)
            state.tagXML(id)
        }
    }

    static func createSubnet(_ call: EC2Call) throws(APIError) -> [XML] {
        let vpcID = try call.parameters.required("VpcId")
        let block = try cidr(try call.parameters.required("CidrBlock"))
        let zone = call.parameters.string("AvailabilityZone")
        let tags = call.parameters.tags(for: "subnet")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpc = try state.vpc(vpcID)
            guard (16...28).contains(block.prefixLength) else {
                throw APIError(code: "InvalidSubnet.Range", message: "The CIDR '\(block)' is invalid.")
            }
            guard vpc.contains(block) else {
                throw APIError(code: "InvalidSubnet.Range", message: "The CIDR '\(block)' is invalid.")
            }
            if let clash = state[Subnet.self].values.first(where: { $0.vpcID == vpc.id && $0.cidrBlock.overlaps(block) }) {
                throw APIError(code: "InvalidSubnet.Conflict", message: "The CIDR '\(block)' conflicts with another subnet (\(clash.id)).")
            }
            let zones = Regions.zones(call.region)
            let az = zone ?? zones[0]
            guard zones.contains(az) else {
                throw APIError.invalidParameterValue(
                    "Value (\(az)) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability "
                        + "zones: \(zones.joined(separator: ", "))."
                )
            }
            let subnet = Subnet(id: .init(AWSID.make("subnet")), vpcID: vpc.id, cidrBlock: block, availabilityZone: az)
            state.put(subnet)
            if !tags.isEmpty { state.setTags(tags, on: subnet.id.rawValue) }
            return [subnetXML(subnet, state, call.accountID, name: "subnet")]
        }
    }

    static func describeSubnets(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("SubnetId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[Subnet.self][$0] != nil }, code: "InvalidSubnetID.NotFound", noun: "subnet")
        let subnets = state[Subnet.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("subnetSet", subnets, .subnets, paged: 5...1000, id: \.id.rawValue) { subnetXML($0, state, call.accountID) }
    }

    static func deleteSubnet(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("SubnetId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let subnet = try state.subnet(id)
            if state[NetworkInterface.self].values.contains(where: { $0.subnetID == subnet.id }) {
                throw APIError.dependencyViolation("The subnet '\(id)' has dependencies and cannot be deleted.")
            }
            for var table in state[RouteTable.self].values where table.associatedSubnets.contains(subnet.id) {
                table.associatedSubnets.removeAll { $0 == subnet.id }
                state.put(table)
            }
            for var acl in state[NetworkACL.self].values where acl.associatedSubnets.contains(subnet.id) {
                acl.associatedSubnets.removeAll { $0 == subnet.id }
                state.put(acl)
            }
            state.remove(Subnet.self, id)
            return [XML("return", "true")]
        }
    }

    static func modifySubnetAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("SubnetId")
        guard let mapPublic = try call.parameters.bool("MapPublicIpOnLaunch.Value") else {
            throw APIError.missingParameter("The request must contain exactly one attribute to modify (MapPublicIpOnLaunch is supported).")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var subnet = try state.subnet(id)
            subnet.mapPublicIPOnLaunch = mapPublic
            state.put(subnet)
            return [XML("return", "true")]
        }
    }

    // MARK: Internet gateways

    static func gatewayXML(_ gateway: InternetGateway, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        XML(name) {
            XML("internetGatewayId", gateway.id.rawValue)
            XML("ownerId", account)
            XML.set("attachmentSet", gateway.attachedVPC.map { [XML("item", [XML("vpcId", $0.rawValue), XML("state", "available")])] } ?? [])
            state.tagXML(gateway.id.rawValue)
        }
    }

    static func createInternetGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let tags = call.parameters.tags(for: "internet-gateway")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let gateway = InternetGateway(id: .init(AWSID.make("igw")))
            state.put(gateway)
            if !tags.isEmpty { state.setTags(tags, on: gateway.id.rawValue) }
            return [gatewayXML(gateway, state, call.accountID, name: "internetGateway")]
        }
    }

    static func attachInternetGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("InternetGatewayId")
        let vpcID = try call.parameters.required("VpcId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var gateway = try state.internetGateway(id)
            let vpc = try state.vpc(vpcID)
            if let attached = gateway.attachedVPC {
                throw APIError(code: "Resource.AlreadyAssociated", message: "resource \(id) is already attached to network \(attached)")
            }
            if let other = state[InternetGateway.self].values.first(where: { $0.attachedVPC == vpc.id }) {
                throw APIError(
                    code: "Resource.AlreadyAssociated", message: "Network \(vpcID) already has an internet gateway attached (\(other.id)).")
            }
            gateway.attachedVPC = vpc.id
            state.put(gateway)
            return [XML("return", "true")]
        }
    }

    static func detachInternetGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("InternetGatewayId")
        let vpcID = try call.parameters.required("VpcId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var gateway = try state.internetGateway(id)
            _ = try state.vpc(vpcID)
            guard gateway.attachedVPC?.rawValue == vpcID else {
                throw APIError(code: "Gateway.NotAttached", message: "resource \(id) is not attached to network \(vpcID)")
            }
            // AWS refuses while instances in the VPC hold public addresses.
            let vpcSubnets = Set(state[Subnet.self].values.filter { $0.vpcID.rawValue == vpcID }.map(\.id))
            let mapped = state[NetworkInterface.self].values.contains { interface in
                vpcSubnets.contains(interface.subnetID)
                    && (interface.publicIP != nil || state[ElasticIP.self].values.contains { $0.association?.networkInterfaceID == interface.id })
            }
            if mapped {
                throw APIError.dependencyViolation(
                    "Network \(vpcID) has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.")
            }
            gateway.attachedVPC = nil
            state.put(gateway)
            return [XML("return", "true")]
        }
    }

    static func describeInternetGateways(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InternetGatewayId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[InternetGateway.self][$0] != nil }, code: "InvalidInternetGatewayID.NotFound", noun: "internetGateway")
        let gateways = state[InternetGateway.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("internetGatewaySet", gateways, .internetGateways, paged: 5...1000, id: \.id.rawValue) {
            gatewayXML($0, state, call.accountID)
        }
    }

    static func deleteInternetGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("InternetGatewayId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let gateway = try state.internetGateway(id)
            if let vpc = gateway.attachedVPC {
                throw APIError.dependencyViolation("The internetGateway '\(id)' has dependencies and cannot be deleted (attached to \(vpc)).")
            }
            state.remove(InternetGateway.self, id)
            return [XML("return", "true")]
        }
    }
}
