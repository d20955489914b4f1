import HashTreeCollections
import VPCModel

/// Security groups and their rules.
enum SecurityGroupActions {
    static let handlers: [String: EC2Handler] = [
        "CreateSecurityGroup": createSecurityGroup, "DescribeSecurityGroups": describeSecurityGroups,
        "DeleteSecurityGroup": deleteSecurityGroup,
        "AuthorizeSecurityGroupIngress": { call throws(APIError) in try authorize(call, .ingress) },
        "AuthorizeSecurityGroupEgress": { call throws(APIError) in try authorize(call, .egress) },
        "RevokeSecurityGroupIngress": { call throws(APIError) in try revoke(call, .ingress) },
        "RevokeSecurityGroupEgress": { call throws(APIError) in try revoke(call, .egress) },
        "DescribeSecurityGroupRules": describeSecurityGroupRules,
    ]

    /// AWS's protocol names: "tcp", "udp", "icmp", "-1" (numbers of the first three become names).
    static func protocolName(_ p: IPProtocol) -> String { p.awsName }

    /// Rules grouped as EC2 shows them: one `IpPermission` per protocol and port range.
    static func permissionsXML(_ rules: [SecurityGroupRule], _ state: RegionState, _ account: String) -> [XML] {
        var order: [String] = []
        var groups: [String: [SecurityGroupRule]] = [:]
        for rule in rules {
            let key = "\(rule.ipProtocol.number) \(rule.ports.from) \(rule.ports.to)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(rule)
        }
        return order.map { key in
            let members = groups[key] ?? []
            let first = members[0]
            return XML("item") {
                XML("ipProtocol", protocolName(first.ipProtocol))
                if first.ipProtocol != .all {
                    XML("fromPort", String(first.ipProtocol.hasPorts ? first.ports.from : -1))
                    XML("toPort", String(first.ipProtocol.hasPorts ? first.ports.to : -1))
                }
                XML.set(
                    "groups",
                    members.compactMap { rule -> XML? in
                        guard case .securityGroup(let peer) = rule.peer else { return nil }
                        return XML("item") {
                            XML("userId", account)
                            XML("groupId", peer.rawValue)
                            XML.optional("groupName", state[SecurityGroup.self][peer.rawValue]?.name)
                            XML.optional("description", rule.description)
                        }
                    })
                XML.set(
                    "ipRanges",
                    members.compactMap { rule -> XML? in
                        guard case .cidr(let block) = rule.peer else { return nil }
                        return XML("item", [XML("cidrIp", block.description)] + XML.optional("description", rule.description))
                    })
                XML.set("ipv6Ranges", [])
                XML.set("prefixListIds", [])
            }
        }
    }

    static func groupXML(_ group: SecurityGroup, _ state: RegionState, _ account: String) -> XML {
        let id = group.id.rawValue
        return XML("item") {
            XML("ownerId", account)
            XML("groupId", id)
            XML("groupName", group.name)
            XML("groupDescription", group.description)
            XML("vpcId", group.vpcID.rawValue)
            XML("securityGroupArn", "arn:aws:ec2:\(state.region):\(account):security-group/\(id)")
            XML.set("ipPermissions", permissionsXML(group.ingress, state, account))
            XML.set("ipPermissionsEgress", permissionsXML(group.egress, state, account))
            state.tagXML(id)
        }
    }

    /// A character EC2 allows in a VPC security group's name and description.
    static func isGroupTextCharacter(_ character: Character) -> Bool {
        guard character.isASCII, let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 48...57, 65...90, 97...122, 32: return true
        default: return "._-:/()#,@[]+=&;{}!$*".unicodeScalars.contains(scalar)
        }
    }

    static func createSecurityGroup(_ call: EC2Call) throws(APIError) -> [XML] {
        let name = try call.parameters.required("GroupName")
        let description = try call.parameters.required("GroupDescription")
        let vpcParameter = call.parameters.string("VpcId")
        let tags = call.parameters.tags(for: "security-group")
        guard name.count <= 255, description.count <= 255 else {
            throw APIError.invalidParameterValue("Value for parameter GroupName/GroupDescription is too long (maximum 255 characters)")
        }
        // EC2 API Reference, CreateSecurityGroup: in a VPC, names and descriptions are a-z, A-Z, 0-9, spaces
        // and ._-:/()#,@[]+=&;{}!$* (no control characters: "x\0y" would show as a duplicate "xy").
        for (parameter, value) in [("GroupName", name), ("GroupDescription", description)] where !value.allSatisfy(Self.isGroupTextCharacter) {
            let shown = value.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
            throw APIError.invalidParameterValue(
                "Value (\(shown.joined())) for parameter \(parameter) is invalid. Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*")
        }
        if name.lowercased().hasPrefix("sg-") {
            throw APIError.invalidParameterValue("Group names may not be in the format sg-*.")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpcID: VPC.ID
            if let vpcParameter {
                vpcID = try state.vpc(vpcParameter).id
            } else if let defaultVPC = state[VPC.self].values.first(where: { state.meta($0.id.rawValue, .isDefault) == "true" }) {
                vpcID = defaultVPC.id
            } else {
                throw APIError(code: "VPCIdNotSpecified", message: "No default VPC for this user")
            }
            if state.groupID(vpc: vpcID, name: name) != nil {
                throw APIError(code: "InvalidGroup.Duplicate", message: "The security group '\(name)' already exists for VPC '\(vpcID)'")
            }
            let id = SecurityGroup.ID(AWSID.make("sg"))
            var group = SecurityGroup(id: id, name: name, description: description, vpcID: vpcID)
            group.egress = group.egress.map {
                var rule = $0
                rule.id = AWSID.make("sgr")
                return rule
            }
            state.put(group)
            if !tags.isEmpty { state.setTags(tags, on: id.rawValue) }
            return [
                XML("return", "true"), XML("groupId", id.rawValue),
                XML("securityGroupArn", "arn:aws:ec2:\(call.region):\(call.accountID):security-group/\(id)"),
            ]
        }
    }

    /// The group a call names, by ID or (in the default VPC) by name.
    static func group(_ parameters: QueryParameters, _ state: RegionState) throws(APIError) -> SecurityGroup {
        if let id = parameters.string("GroupId") { return try state.securityGroup(id) }
        if let name = parameters.string("GroupName") {
            let defaultVPC = state[VPC.self].values.first { state.meta($0.id.rawValue, .isDefault) == "true" }
            guard let group = defaultVPC.flatMap({ state.groupID(vpc: $0.id, name: name) }).flatMap({ state[SecurityGroup.self][$0] }) else {
                throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(name)' does not exist in default VPC")
            }
            return group
        }
        throw APIError.missingParameter("The request must contain the parameter groupId or groupName")
    }

    /// The rules an Authorize/Revoke call describes (`IpPermissions.N`, or the legacy top-level fields).
    static func rules(_ parameters: QueryParameters, _ state: RegionState, in group: SecurityGroup) throws(APIError) -> [SecurityGroupRule] {
        var permissions = parameters.structures("IpPermissions")
        if permissions.isEmpty, let ipProtocol = parameters.string("IpProtocol") {
            var legacy: [String: String] = ["IpProtocol": ipProtocol]
            legacy["FromPort"] = parameters["FromPort"]
            legacy["ToPort"] = parameters["ToPort"]
            if let cidr = parameters.string("CidrIp") { legacy["IpRanges.1.CidrIp"] = cidr }
            if let source = parameters.string("SourceSecurityGroupName") { legacy["Groups.1.GroupName"] = source }
            permissions = [QueryParameters(legacy)]
        }
        var result: [SecurityGroupRule] = []
        for permission in permissions {
            let protocolText = try permission.required("IpProtocol")
            let ipProtocol: IPProtocol
            do { ipProtocol = try IPProtocol(parsing: protocolText) } catch {
                throw APIError.invalidParameterValue("Invalid IP protocol: \(protocolText)")
            }
            var ports = PortRange.all
            if ipProtocol == .icmp {
                // ICMP: FromPort is the type and ToPort the code, each -1 (all) to 255 (EC2 API Reference,
                // IpPermission). LocalVPC judges ICMP as a whole, but what EC2 refuses is refused.
                for field in ["FromPort", "ToPort"] {
                    if let value = try permission.int(field), !(-1...255).contains(value) {
                        throw APIError.invalidParameterValue("Invalid value '\(value)' for \(field): an ICMP type or code is -1 to 255")
                    }
                }
            } else if !ipProtocol.hasPorts {
                for field in ["FromPort", "ToPort"] { _ = try permission.int(field) }
            }
            if ipProtocol.hasPorts {
                guard let from = try permission.int("FromPort"), let to = try permission.int("ToPort") else {
                    throw APIError.invalidParameterValue("Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")
                }
                do { ports = try PortRange(from: from, to: to) } catch {
                    throw APIError.invalidParameterValue("Invalid value for portRange. \(error.message)")
                }
            }
            var peers: [(SecurityGroupRule.Peer, String?)] = []
            for range in permission.structures("IpRanges") {
                let text = try range.required("CidrIp")
                peers.append((.cidr(try NetworkActions.cidr(text)), range.string("Description")))
            }
            for pair in permission.structures("Groups") {
                let peer: SecurityGroup
                if let id = pair.string("GroupId") {
                    peer = try state.securityGroup(id)
                } else if let name = pair.string("GroupName") {
                    guard let found = state.groupID(vpc: group.vpcID, name: name).flatMap({ state[SecurityGroup.self][$0] }) else {
                        throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(name)' does not exist")
                    }
                    peer = found
                } else {
                    throw APIError.missingParameter("A group pair must name a GroupId or GroupName")
                }
                peers.append((.securityGroup(peer.id), pair.string("Description")))
            }
            guard !peers.isEmpty else {
                throw APIError.missingParameter("The request must contain at least one of IpRanges, Groups (UserIdGroupPairs)")
            }
            for (peer, description) in peers {
                result.append(SecurityGroupRule(id: nil, ipProtocol: ipProtocol, ports: ports, peer: peer, description: description))
            }
        }
        guard !result.isEmpty else { throw APIError.missingParameter("The request must contain the parameter ipPermissions") }
        return result
    }

    static func same(_ a: SecurityGroupRule, _ b: SecurityGroupRule) -> Bool {
        a.ipProtocol == b.ipProtocol && a.ports == b.ports && a.peer == b.peer
    }

    static func describeRule(_ rule: SecurityGroupRule) -> String {
        let ports = rule.ipProtocol.hasPorts ? ", from port: \(rule.ports.from), to port: \(rule.ports.to)" : ""
        return "peer: \(rule.peer), \(rule.ipProtocol.awsName.uppercased())\(ports), ALLOW"
    }

    static func ruleXML(_ rule: SecurityGroupRule, group: SecurityGroup, egress: Bool, _ state: RegionState, _ account: String) -> XML {
        XML("item") {
            XML("securityGroupRuleId", rule.id ?? "")
            XML("groupId", group.id.rawValue)
            XML("groupOwnerId", account)
            XML("isEgress", egress.xml)
            XML("ipProtocol", protocolName(rule.ipProtocol))
            XML("fromPort", String(rule.ipProtocol.hasPorts ? rule.ports.from : -1))
            XML("toPort", String(rule.ipProtocol.hasPorts ? rule.ports.to : -1))
            switch rule.peer {
            case .cidr(let block): XML("cidrIpv4", block.description)
            case .securityGroup(let peer): XML("referencedGroupInfo", [XML("groupId", peer.rawValue), XML("userId", account)])
            }
            XML.optional("description", rule.description)
            XML("securityGroupRuleArn", "arn:aws:ec2:\(state.region):\(account):security-group-rule/\(rule.id ?? "")")
            XML.set("tagSet", [])
        }
    }

    static func authorize(_ call: EC2Call, _ direction: Direction) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            var group = try group(call.parameters, state)
            var added = try rules(call.parameters, state, in: group)
            let existing = group.rules(direction)
            for (index, rule) in added.enumerated() {
                if existing.contains(where: { same($0, rule) }) || added[..<index].contains(where: { same($0, rule) }) {
                    throw APIError(code: "InvalidPermission.Duplicate", message: "the specified rule \"\(describeRule(rule))\" already exists")
                }
                added[index].id = AWSID.make("sgr")
            }
            if direction == .ingress { group.ingress += added } else { group.egress += added }
            state.put(group)
            return [
                XML("return", "true"),
                XML.set("securityGroupRuleSet", added.map { ruleXML($0, group: group, egress: direction == .egress, state, call.accountID) }),
            ]
        }
    }

    static func revoke(_ call: EC2Call, _ direction: Direction) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            var group = try group(call.parameters, state)
            var rules = group.rules(direction)
            let ids = call.parameters.list("SecurityGroupRuleId")
            if !ids.isEmpty {
                for id in ids {
                    guard let index = rules.firstIndex(where: { $0.id == id }) else {
                        throw APIError(code: "InvalidSecurityGroupRuleId.NotFound", message: "The security group rule ID '\(id)' does not exist")
                    }
                    rules.remove(at: index)
                }
            } else {
                for rule in try Self.rules(call.parameters, state, in: group) {
                    guard let index = rules.firstIndex(where: { same($0, rule) }) else {
                        throw APIError(code: "InvalidPermission.NotFound", message: "The specified rule does not exist in this security group.")
                    }
                    rules.remove(at: index)
                }
            }
            if direction == .ingress { group.ingress = rules } else { group.egress = rules }
            state.put(group)
            return [XML("return", "true")]
        }
    }

    static func describeSecurityGroups(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("GroupId")
        let names = call.parameters.list("GroupName")
        let state = try call.emulator.snapshot(call.region)
        for id in ids where state[SecurityGroup.self][id] == nil {
            throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(id)' does not exist")
        }
        // Fast path: one group by ID (the most common call of all).
        let candidates: [SecurityGroup] =
            ids.count == 1 && names.isEmpty
            ? state[SecurityGroup.self][ids[0]].map { [$0] } ?? [] : state[SecurityGroup.self].values.sorted { $0.id < $1.id }
        let groups = candidates.filter { (ids.isEmpty || ids.contains($0.id.rawValue)) && (names.isEmpty || names.contains($0.name)) }
        if !names.isEmpty && groups.isEmpty {
            throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(names[0])' does not exist in default VPC")
        }
        return try call.describe("securityGroupInfo", groups, .securityGroups, paged: 5...1000, id: \.id.rawValue) {
            groupXML($0, state, call.accountID)
        }
    }

    static func describeSecurityGroupRules(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("SecurityGroupRuleId")
        let state = try call.emulator.snapshot(call.region)
        var rules: [(id: String, group: SecurityGroup, rule: SecurityGroupRule, egress: Bool)] = []
        for group in state[SecurityGroup.self].values {
            for (egress, list) in [(false, group.ingress), (true, group.egress)] {
                for rule in list where ids.isEmpty || ids.contains(rule.id ?? "") { rules.append((rule.id ?? "", group, rule, egress)) }
            }
        }
        for id in ids where !rules.contains(where: { $0.id == id }) {
            throw APIError(code: "InvalidSecurityGroupRuleId.NotFound", message: "The security group rule ID '\(id)' does not exist")
        }
        return try call.describe("securityGroupRuleSet", rules.sorted { $0.id < $1.id }, .securityGroupRules, paged: 5...1000, id: \.id) {
            ruleXML($0.rule, group: $0.group, egress: $0.egress, state, call.accountID)
        }
    }

    static func deleteSecurityGroup(_ call: EC2Call) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            let group = try group(call.parameters, state)
            let id = group.id.rawValue
            if group.name == "default" {
                throw APIError(code: "CannotDelete", message: "the specified group: \"\(id)\" name: \"default\" cannot be deleted by a user")
            }
            if state[NetworkInterface.self].values.contains(where: { $0.securityGroupIDs.contains(group.id) })
                || state[ClassicLoadBalancer.self].values.contains(where: { $0.securityGroupIDs.contains(group.id) })
            {
                throw APIError.dependencyViolation("resource \(id) has a dependent object")
            }
            let referenced = state[SecurityGroup.self].values.contains { other in
                other.id != group.id && (other.ingress + other.egress).contains { $0.peer == .securityGroup(group.id) }
            }
            if referenced {
                throw APIError.dependencyViolation("resource \(id) has a dependent object")
            }
            state.remove(SecurityGroup.self, id)
            return [XML("return", "true"), XML("groupId", id)]
        }
    }
}
