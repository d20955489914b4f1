import VPCModel

/// `localvpc fix`: the smallest set of edits that makes every intent of a design hold.
///
/// Each round checks every intent, turns the blockers of the failing ones into edits (the narrowest
/// rule for exactly the blocked packets), and applies them one at a time; an edit that makes an intent
/// that held fail is a conflict, and the repair stops there. It only adds what is missing: an intent
/// that expects *less* reachability than the design has is reported as one it cannot fix.
public struct Repair: Sendable {
    public struct Conflict: Hashable, Sendable {
        public var edit: Edit
        /// The intent the edit was for, and the intent it breaks.
        public var fixing: String
        public var breaks: String
    }

    public enum Outcome: Sendable {
        /// Every intent holds after the edits (none when the design already passes).
        case fixed
        /// Some intents still fail: they need something this repair does not write.
        case unfixable([String])
        case conflict(Conflict)
    }

    public private(set) var edits: [Edit] = []
    public private(set) var topology: Topology
    public private(set) var outcome: Outcome = .fixed
    let intents: [Intent]

    /// Rounds of check-and-edit: a blocked request shows its reply's blockers in the same analysis,
    /// so two or three rounds are the most a real design has needed.
    static let maximumRounds = 6

    public init(_ topology: Topology, intents: [Intent]) throws(ModelError) {
        self.topology = topology
        self.intents = intents
        try run()
    }

    private mutating func run() throws(ModelError) {
        for _ in 0..<Self.maximumRounds {
            let network = CompiledNetwork(topology)
            let results = try intents.map { intent throws(ModelError) in try network.check(intent) }
            let failing = results.filter { !$0.holds }
            if failing.isEmpty {
                outcome = .fixed
                return
            }
            var holding = Set(results.filter(\.holds).map(\.intent.name))
            var progressed = false
            for result in failing {
                for edit in network.edits(for: result) where !edits.contains(edit) {
                    var changed = topology
                    guard edit.apply(to: &changed) else { continue }
                    let after = CompiledNetwork(changed)
                    for intent in intents where holding.contains(intent.name) {
                        if try !after.check(intent).holds {
                            outcome = .conflict(Conflict(edit: edit, fixing: result.intent.name, breaks: intent.name))
                            return
                        }
                    }
                    topology = changed
                    edits.append(edit)
                    progressed = true
                }
                // Once it holds, later edits must not break it either.
                if try CompiledNetwork(topology).check(result.intent).holds { holding.insert(result.intent.name) }
            }
            if !progressed {
                outcome = .unfixable(failing.map(\.intent.name))
                return
            }
        }
        let network = CompiledNetwork(topology)
        var still: [String] = []
        for intent in intents where try !network.check(intent).holds { still.append(intent.name) }
        outcome = still.isEmpty ? .fixed : .unfixable(still)
    }
}

extension CompiledNetwork {
    /// The edits that remove the blockers of one failing intent (none for an intent that wants less).
    func edits(for result: IntentResult) -> [Edit] {
        switch result.intent.expectation {
        case .reachable(false):
            return []
        case .exactlyPorts(let ports) where !result.reachablePortsOrNone.subtracting(ports).isEmpty:
            return []
        default:
            break
        }
        let r = result.reachability
        let blockers = r.isReachable ? r.partialBlocks : r.analysis.explanations
        // With `reachable: true` a path that works for some packets already holds; the rest fix partial blocks.
        return blockers.flatMap { edits(removing: $0, query: result.intent.query) }
    }

    private func edits(removing e: Explanation, query: PathQuery) -> [Edit] {
        switch e.explanationCode {
        case .eniSGRulesMismatch:
            return securityGroupEdits(e)
        case .subnetACLRestriction, .elbACLRestriction:
            return aclEdits(e)
        case .eniSourceDestCheckRestriction:
            guard let id = e.networkInterface?.id else { return [] }
            return [
                Edit(
                    change: .disableSourceDestCheck(NetworkInterface.ID(id)),
                    summary: "\(label(id)): turn the source/destination check off (it forwards for others)",
                    awsCommand: awsInstanceOrInterface(id, "--no-source-dest-check"))
            ]
        case .igwPublicIPAssociationForEgress:
            // A forwarder without the NAT role passes private sources on: it is meant to be a NAT.
            guard let id = e.networkInterface?.id, let interface = interfaces[NetworkInterface.ID(id)],
                let instance = instance(owning: interface), instance.role != .nat, !interface.sourceDestCheck
            else { return [] }
            return [
                Edit(
                    change: .markAsNAT(instance.id),
                    summary: "\(label(instance.id.rawValue)): mark it as a NAT instance (role: nat), as its image masquerades",
                    awsCommand: "aws ec2 create-tags --resources \(instance.id) --tags Key=localvpc:role,Value=nat")
            ]
        case .badState, .badStateRoute:
            let id = e.component?.id ?? ""
            guard let instance = instances[Instance.ID(id)], instance.state != .terminated else { return [] }
            return [
                Edit(
                    change: .start(instance.id), summary: "\(label(id)): start it (it is \(instance.state.rawValue))",
                    awsCommand: "aws ec2 start-instances --instance-ids \(instance.id)")
            ]
        case .elbNotCrossZone:
            guard let id = e.component?.id else { return [] }
            return [
                Edit(
                    change: .enableCrossZone(ClassicLoadBalancer.ID(id)), summary: "load balancer \(id): enable cross-zone load balancing",
                    awsCommand:
                        "aws elb modify-load-balancer-attributes --load-balancer-name \(id) --load-balancer-attributes "
                        + "\"{\\\"CrossZoneLoadBalancing\\\":{\\\"Enabled\\\":true}}\""
                )
            ]
        case .targetPortRestriction, .elbListenersMismatch:
            guard let id = e.component?.id, query.ipProtocol == .tcp, let ports = query.destinationPorts, ports.from == ports.to else { return [] }
            let listener = ClassicLoadBalancer.Listener(
                listenerProtocol: .tcp, loadBalancerPort: ports.from, instanceProtocol: .tcp, instancePort: ports.from)
            return [
                Edit(
                    change: .addListener(ClassicLoadBalancer.ID(id), listener), summary: "load balancer \(id): add listener \(listener)",
                    awsCommand:
                        "aws elb create-load-balancer-listeners --load-balancer-name \(id) --listeners Protocol=TCP,LoadBalancerPort=\(ports.from),"
                        + "InstanceProtocol=TCP,InstancePort=\(ports.from)"
                )
            ]
        case .asymmetricReturn:
            // Send the replies' destinations back to the internet gateway, the way the requests came.
            guard let table = e.routeTable?.id, let cidr = e.routeTableRoute?.destinationCidr, let block = try? CIDRBlock(parsing: cidr),
                let compiled = topology.routeTable(RouteTable.ID(table)), let gateway = internetGatewayOfVPC[compiled.vpcID]
            else { return [] }
            return [
                Edit(
                    change: .retargetRoute(RouteTable.ID(table), block, .internetGateway(gateway.id)),
                    summary:
                        "\(label(table)): send \(cidr) to \(label(gateway.id.rawValue)) instead of \(label(e.component?.id ?? "the NAT")) (replies "
                        + "return the way requests came)",
                    awsCommand: "aws ec2 replace-route --route-table-id \(table) --destination-cidr-block \(cidr) --gateway-id \(gateway.id)")
            ]
        default:
            return []
        }
    }

    /// The narrowest rule for the blocked packets: their protocol and destination ports, to (or from)
    /// the peer's own security group when every peer address is an interface of one group, else the
    /// peer's CIDR blocks (0.0.0.0/0 for the internet).
    private func securityGroupEdits(_ e: Explanation) -> [Edit] {
        guard let blocked = e.blocked, let direction = e.direction.flatMap(Direction.init(rawValue:)),
            let groupID = e.securityGroups?.first?.id
        else { return [] }
        let group = SecurityGroup.ID(groupID)
        let peers = direction == .ingress ? blocked.projection(\.sources) : blocked.projection(\.destinations)
        var rules: [SecurityGroupRule] = []
        for (ipProtocol, ports) in protocolsAndPorts(blocked) {
            for peer in peerChoices(peers) {
                rules.append(SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: peer))
            }
        }
        return rules.map { rule in
            let way = direction == .ingress ? "inbound" : "outbound"
            let peer = rule.peer.description
            let portText = rule.ipProtocol.hasPorts ? " \(rule.ports)" : ""
            let permission: String
            switch rule.peer {
            case .cidr(let block): permission = "IpRanges=[{CidrIp=\(block)}]"
            case .securityGroup(let id): permission = "UserIdGroupPairs=[{GroupId=\(id)}]"
            }
            let portsPart = rule.ipProtocol.hasPorts ? ",FromPort=\(rule.ports.from),ToPort=\(rule.ports.to)" : ""
            return Edit(
                change: .addSecurityGroupRule(group, direction, rule),
                summary: "\(label(groupID)): allow \(way) \(rule.ipProtocol)\(portText) \(direction == .ingress ? "from" : "to") \(label(peer))",
                awsCommand:
                    "aws ec2 authorize-security-group-\(direction == .ingress ? "ingress" : "egress") --group-id \(groupID) --ip-permissions "
                    + "'IpProtocol=\(rule.ipProtocol.awsName)\(portsPart),\(permission)'"
            )
        }
    }

    /// An allow entry placed before the deny that matched: the free rule number just below it, on a
    /// multiple of 10 where one is free. Reply ports of a whole range narrow to AWS's recommended 1024-65535.
    private func aclEdits(_ e: Explanation) -> [Edit] {
        guard let blocked = e.blocked, let direction = e.direction.flatMap(Direction.init(rawValue:)), let aclID = e.acl?.id,
            let acl = topology.networkACL(NetworkACL.ID(aclID)), let deny = e.aclRule?.ruleNumber
        else { return [] }
        let used = Set(acl.entries.filter { $0.direction == direction }.map(\.ruleNumber))
        let peers = direction == .ingress ? blocked.projection(\.sources) : blocked.projection(\.destinations)
        var edits: [Edit] = []
        var taken = used
        for (ipProtocol, ports) in protocolsAndPorts(blocked, replies: true) {
            for block in cidrChoices(peers) {
                // Ten past the last entry before the deny, as people number them; else any free number below it.
                let below = min(deny - 1, NetworkACLEntry.userRuleNumbers.upperBound)
                let last = taken.filter { $0 <= below }.max() ?? 0
                let next = (last / 10 + 1) * 10
                let free = next <= below && !taken.contains(next) ? next : (1...max(1, below)).reversed().first { !taken.contains($0) }
                guard let number = free, number <= below else { continue }
                taken.insert(number)
                let entry = NetworkACLEntry(
                    ruleNumber: number, direction: direction, ipProtocol: ipProtocol, ports: ports, cidr: block, action: .allow)
                let portText = ipProtocol.hasPorts ? " \(ports)" : ""
                let portsPart = ipProtocol.hasPorts ? " --port-range From=\(ports.from),To=\(ports.to)" : ""
                edits.append(
                    Edit(
                        change: .addACLEntry(NetworkACL.ID(aclID), entry),
                        summary:
                            "\(label(aclID)): \(direction == .ingress ? "inbound" : "outbound") rule \(number) allows \(ipProtocol)\(portText) "
                            + "\(direction == .ingress ? "from" : "to") \(block)",
                        awsCommand:
                            "aws ec2 create-network-acl-entry --network-acl-id \(aclID) --\(direction == .ingress ? "ingress" : "egress") "
                            + "--rule-number \(number) --protocol \(ipProtocol.awsName)\(portsPart) --cidr-block \(block) "
                            + "--rule-action allow"
                    ))
            }
        }
        return edits
    }

    /// The protocols and destination-port ranges of blocked packets, one pair per range.
    private func protocolsAndPorts(_ blocked: PacketSet, replies: Bool = false) -> [(IPProtocol, PortRange)] {
        let protocols = blocked.projection(\.protocols)
        if protocols == HeaderBox.allProtocols { return [(.all, .all)] }
        var result: [(IPProtocol, PortRange)] = []
        for number in protocols.ranges.flatMap({ Array($0) }).prefix(4) {
            let ipProtocol = IPProtocol(number: Int(number))
            guard ipProtocol.hasPorts else {
                result.append((ipProtocol, .all))
                continue
            }
            var box = HeaderBox.everything
            box.protocols = IntervalSet(value: number)
            var ports = blocked.intersection(box).projection(\.destinationPorts)
            // Replies to clients of every source port: AWS recommends 1024-65535 (ephemeral ports).
            let ephemeral = IntervalSet(1024...65535)
            if replies && ephemeral.isSubset(of: ports) { ports = ephemeral }
            for range in ports.ranges {
                guard let portRange = try? PortRange(from: Int(range.lowerBound), to: Int(range.upperBound)) else { continue }
                result.append((ipProtocol, portRange))
            }
        }
        return result
    }

    /// One security group when every address is a member of it, else the CIDR blocks.
    private func peerChoices(_ addresses: IntervalSet) -> [SecurityGroupRule.Peer] {
        let owners =
            addresses.count <= 64
            ? addresses.ranges.flatMap { Array($0) }.compactMap { value in
                interfaceByPrivateIP.values.lazy.compactMap { $0[value] }.first
            } : []
        if !owners.isEmpty, owners.count == Int(addresses.count) {
            let groups = owners.map { Set(interfaces[$0]?.securityGroupIDs ?? []) }
            if let shared = groups.dropFirst().reduce(groups[0], { $0.intersection($1) }).sorted().first {
                return [.securityGroup(shared)]
            }
        }
        return cidrChoices(addresses).map { .cidr($0) }
    }

    /// The internet as 0.0.0.0/0; anything else as its CIDR blocks.
    private func cidrChoices(_ addresses: IntervalSet) -> [CIDRBlock] {
        if AddressSpace.internet.isSubset(of: addresses) || addresses == AddressSpace.internet { return [.all] }
        return AddressSpace.cidrs(of: addresses).prefix(8).compactMap { try? CIDRBlock(parsing: $0) }
    }

    private func awsInstanceOrInterface(_ interfaceID: String, _ flag: String) -> String {
        if let interface = interfaces[NetworkInterface.ID(interfaceID)], let instance = instance(owning: interface) {
            return "aws ec2 modify-instance-attribute --instance-id \(instance.id) \(flag)"
        }
        return "aws ec2 modify-network-interface-attribute --network-interface-id \(interfaceID) \(flag)"
    }
}

extension IntentResult {
    var reachablePortsOrNone: IntervalSet { reachability.isReachable ? reachability.reachablePorts : .empty }
}
