import HashTreeCollections
import VPCEngine
import VPCModel

/// Network ACLs: entries, associations, the default ACL's subnets.
extension RoutingActions {
    /// The subnets an ACL covers: its explicit ones, or for the default ACL every other subnet of its VPC.
    static func subnets(of acl: NetworkACL, _ state: RegionState) -> [Subnet.ID] {
        guard acl.isDefault else { return acl.associatedSubnets }
        let explicit = Set(state[NetworkACL.self].values.filter { !$0.isDefault }.flatMap(\.associatedSubnets))
        return state[Subnet.self].values.filter { $0.vpcID == acl.vpcID && !explicit.contains($0.id) }.map(\.id).sorted() + acl.associatedSubnets
    }

    static func aclAssociationID(_ subnet: Subnet.ID, _ state: RegionState) -> String {
        state.meta(subnet.rawValue, .aclAssociation) ?? "aclassoc-" + String(subnet.rawValue.dropFirst("subnet-".count))
    }

    static func aclXML(_ acl: NetworkACL, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        let id = acl.id.rawValue
        let entries = acl.entries + [.catchAll(.ingress), .catchAll(.egress)]
        return XML(name) {
            XML("networkAclId", id)
            XML("vpcId", acl.vpcID.rawValue)
            XML("default", acl.isDefault.xml)
            XML("ownerId", account)
            XML.set(
                "entrySet",
                entries.sorted { ($0.direction.rawValue, $0.ruleNumber) < ($1.direction.rawValue, $1.ruleNumber) }.map { entry in
                    XML("item") {
                        XML("ruleNumber", String(entry.ruleNumber))
                        XML("protocol", String(entry.ipProtocol.number))
                        XML("ruleAction", entry.action.rawValue)
                        XML("egress", (entry.direction == .egress).xml)
                        XML("cidrBlock", entry.cidr.description)
                        if entry.ipProtocol.hasPorts { XML("portRange", [XML("from", String(entry.ports.from)), XML("to", String(entry.ports.to))]) }
                    }
                })
            XML.set(
                "associationSet",
                subnets(of: acl, state).map { subnet in
                    XML(
                        "item",
                        [XML("networkAclAssociationId", aclAssociationID(subnet, state)), XML("networkAclId", id), XML("subnetId", subnet.rawValue)])
                })
            state.tagXML(id)
        }
    }

    static func createNetworkAcl(_ call: EC2Call) throws(APIError) -> [XML] {
        let vpcID = try call.parameters.required("VpcId")
        let tags = call.parameters.tags(for: "network-acl")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpc = try state.vpc(vpcID)
            // A new custom ACL denies everything until entries are added (VPC User Guide, "Custom network ACLs").
            let acl = NetworkACL(id: .init(AWSID.make("acl")), vpcID: vpc.id)
            state.put(acl)
            if !tags.isEmpty { state.setTags(tags, on: acl.id.rawValue) }
            return [aclXML(acl, state, call.accountID, name: "networkAcl")]
        }
    }

    static func describeNetworkAcls(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkAclId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[NetworkACL.self][$0] != nil }, code: "InvalidNetworkAclID.NotFound", noun: "networkAcl")
        let acls = state[NetworkACL.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("networkAclSet", acls, .networkACLs, paged: 5...1000, id: \.id.rawValue) { aclXML($0, state, call.accountID) }
    }

    static func deleteNetworkAcl(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NetworkAclId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let acl = try state.networkACL(id)
            if acl.isDefault {
                throw APIError(code: "InvalidParameterValue", message: "cannot delete default network ACL \(id)")
            }
            if !acl.associatedSubnets.isEmpty {
                throw APIError.dependencyViolation("The network ACL '\(id)' has dependencies and cannot be deleted.")
            }
            state.remove(NetworkACL.self, id)
            return [XML("return", "true")]
        }
    }

    static func changeEntry(_ call: EC2Call, replacing: Bool) throws(APIError) -> [XML] {
        let p = call.parameters
        let id = try p.required("NetworkAclId")
        guard let number = try p.int("RuleNumber") else { throw APIError.missingParameter("The request must contain the parameter ruleNumber") }
        guard NetworkACLEntry.userRuleNumbers.contains(number) else {
            throw APIError(
                code: "InvalidParameterValue",
                message: "Invalid value for parameter 'ruleNumber': \(number). Rule numbers must be between 1 and 32766.")
        }
        let protocolText = try p.required("Protocol")
        let ipProtocol: IPProtocol
        do { ipProtocol = try IPProtocol(parsing: protocolText) } catch {
            throw APIError.invalidParameterValue("Invalid value for parameter 'protocol': \(protocolText)")
        }
        guard let action = NetworkACLEntry.Action(rawValue: try p.required("RuleAction").lowercased()) else {
            throw APIError.invalidParameterValue("Invalid value for parameter 'ruleAction': \(p["RuleAction"] ?? ""). Valid values: allow, deny")
        }
        let egress = try p.bool("Egress") ?? false
        let block = try NetworkActions.cidr(try p.required("CidrBlock"))
        var ports = PortRange.all
        if ipProtocol.hasPorts {
            guard let from = try p.int("PortRange.From"), let to = try p.int("PortRange.To") else {
                throw APIError.missingParameter("The request must contain the parameter portRange for protocol \(protocolText)")
            }
            do { ports = try PortRange(from: from, to: to) } catch { throw APIError.invalidParameterValue(error.message) }
        }
        let entry = NetworkACLEntry(
            ruleNumber: number, direction: egress ? .egress : .ingress, ipProtocol: ipProtocol, ports: ports, cidr: block, action: action)
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var acl = try state.networkACL(id)
            let existing = acl.entries.firstIndex { $0.ruleNumber == number && $0.direction == entry.direction }
            if replacing {
                guard let existing else {
                    throw APIError(code: "InvalidNetworkAclEntry.NotFound", message: "The network acl entry identified by \(number) does not exist.")
                }
                acl.entries[existing] = entry
            } else {
                if existing != nil {
                    throw APIError(code: "NetworkAclEntryAlreadyExists", message: "The network acl entry identified by \(number) already exists.")
                }
                acl.entries.append(entry)
            }
            state.put(acl)
            return [XML("return", "true")]
        }
    }

    static func deleteNetworkAclEntry(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NetworkAclId")
        guard let number = try call.parameters.int("RuleNumber") else {
            throw APIError.missingParameter("The request must contain the parameter ruleNumber")
        }
        let egress = try call.parameters.bool("Egress") ?? false
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var acl = try state.networkACL(id)
            guard let index = acl.entries.firstIndex(where: { $0.ruleNumber == number && ($0.direction == .egress) == egress }) else {
                throw APIError(code: "InvalidNetworkAclEntry.NotFound", message: "The network acl entry identified by \(number) does not exist.")
            }
            acl.entries.remove(at: index)
            state.put(acl)
            return [XML("return", "true")]
        }
    }

    static func replaceNetworkAclAssociation(_ call: EC2Call) throws(APIError) -> [XML] {
        let associationID = try call.parameters.required("AssociationId")
        let aclID = try call.parameters.required("NetworkAclId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var target = try state.networkACL(aclID)
            guard let subnet = state[Subnet.self].values.first(where: { aclAssociationID($0.id, state) == associationID }) else {
                throw APIError.notFound("InvalidAssociationID.NotFound", "association", associationID)
            }
            guard subnet.vpcID == target.vpcID else {
                throw APIError.invalidParameterValue("Network ACL \(aclID) and subnet \(subnet.id) belong to different networks")
            }
            for var acl in state[NetworkACL.self].values where acl.associatedSubnets.contains(subnet.id) {
                acl.associatedSubnets.removeAll { $0 == subnet.id }
                state.put(acl)
            }
            target = state[NetworkACL.self][aclID] ?? target
            if !target.isDefault { target.associatedSubnets.append(subnet.id) }
            state.put(target)
            let newAssociation = AWSID.make("aclassoc")
            state.setMeta(subnet.id.rawValue, .aclAssociation, newAssociation)
            return [XML("newAssociationId", newAssociation)]
        }
    }
}
