import VPCModel

/// The per-pair fast path of ``ReachIndex``: what ``ReachIndex/cell(_:_:)`` reads of a pair, as a key of
/// small integers read from tables filled once per endpoint (and per endpoint and subnet or group set),
/// and its answer kept per key. A pair costs a few array reads and one hash lookup; ``cell(_:_:)`` runs
/// once per distinct key.
struct FastTables {
    var ends: [ReachIndex.End] = []
    var position: [String: Int] = [:]
    var groupOfEnd: [Int] = []
    var subnetOfEnd: [Int] = []
    /// Per end, what a pair reads of it, as plain values (no copies of the model's structures per pair).
    var address: [UInt32] = []
    var vpcOfEnd: [Int] = []
    var kind: [UInt8] = []
    var running: [Bool] = []
    var isGateway: [Bool] = []
    var replyPorts: [Int32] = []
    var hasBalancers: [Bool] = []
    /// Per group set: the compiled rules of an interface with those groups.
    var egressRules: [[CompiledNetwork.CompiledSGRule]] = []
    var ingressRules: [[CompiledNetwork.CompiledSGRule]] = []
    var ruleKeys: [Int32] = []
    /// Per group set and direction, the view of each mask of matching rules (up to 10 rules), -2 unknown.
    var maskViews: [[Int32]] = []
    /// Per subnet position, its ACL's position (-1: none); the ACLs and their keys.
    var aclOfSubnet: [Int] = []
    var acls: [CompiledNetwork.CompiledACL] = []
    var aclKeys: [Int32] = []
    var subnets: [Subnet] = []
    var groups = 0
    /// Tables by (group set or subnet) × end; -2 is not computed yet, -1 not covered.
    var egress: [Int32] = []
    var ingress: [Int32] = []
    var aclOut: [Int32] = []
    var aclIn: [Int32] = []
    var local: [Int8] = []
    var balancerIndex: [ClassicLoadBalancer.ID: Int] = [:]
    var sourceParts: [Int32] = []
    var destinationParts: [Int32] = []
    var tuples: [[Int32]: Int32] = [:]
    var templates: [Key: Template] = [:]
    /// The most group set x end slots kept (beyond, views are found per pair).
    var tableBudget = 4_000_000

    struct Key: Hashable {
        var kinds: UInt16
        var flags: UInt8
        var reply: Int32
        var views: SIMD8<Int32>
        var balancers: Int32
    }

    /// A pair's answer without its names (nil: the engine answers).
    struct Template {
        var cell: ReachCell?
    }
}

extension ReachIndex {
    /// Fills the per-end tables for these ends (every pair among them may then use ``fastCell(_:_:)``).
    mutating func prepare(_ ends: [End]) {
        var subnetPosition: [Subnet.ID: Int] = [:]
        var groupPosition: [Int32: Int] = [:]
        var vpcPosition: [VPC.ID: Int] = [:]
        fast.ends = ends
        for (position, end) in ends.enumerated() {
            fast.position[end.name] = position
            let side = end.sides[0]
            if subnetPosition[side.subnet.id] == nil {
                subnetPosition[side.subnet.id] = fast.subnets.count
                fast.subnets.append(side.subnet)
                if let acl = network.aclOfSubnet[side.subnet.id] {
                    let key = aclKey(acl)
                    if let known = fast.aclKeys.firstIndex(of: key) {
                        fast.aclOfSubnet.append(known)
                    } else {
                        fast.aclOfSubnet.append(fast.acls.count)
                        fast.acls.append(acl)
                        fast.aclKeys.append(key)
                    }
                } else {
                    fast.aclOfSubnet.append(-1)
                }
            }
            fast.subnetOfEnd.append(subnetPosition[side.subnet.id]!)
            if vpcPosition[side.subnet.vpcID] == nil { vpcPosition[side.subnet.vpcID] = vpcPosition.count }
            fast.vpcOfEnd.append(vpcPosition[side.subnet.vpcID]!)
            let key = groupKey(side.interface)
            if groupPosition[key] == nil {
                groupPosition[key] = groupPosition.count
                fast.egressRules.append(network.egressRules[side.interface.id] ?? [])
                fast.ingressRules.append(network.ingressRules[side.interface.id] ?? [])
                fast.ruleKeys.append(key)
            }
            fast.groupOfEnd.append(groupPosition[key]!)
            fast.address.append(side.address)
            fast.kind.append(end.kind.rawValue)
            fast.running.append(side.running == true)
            fast.isGateway.append(side.isNATGateway)
            fast.replyPorts.append(side.replyPorts)
            fast.hasBalancers.append(!end.balancers.isEmpty)
            for balancer in end.balancers where fast.balancerIndex[balancer.id] == nil {
                fast.balancerIndex[balancer.id] = fast.balancerIndex.count
            }
        }
        fast.groups = groupPosition.count
        fast.maskViews = Array(repeating: [], count: fast.groups * 2)
        let n = ends.count
        // Views per group set x end save the rule scan per pair; past a few million slots (10,000
        // instances in 3,000 group sets) the scan per pair is kept instead of the memory.
        if fast.groups * n <= fast.tableBudget {
            fast.egress = Array(repeating: -2, count: fast.groups * n)
            fast.ingress = fast.egress
        }
        fast.aclOut = Array(repeating: -2, count: fast.acls.count * n)
        fast.aclIn = fast.aclOut
        fast.local = Array(repeating: -2, count: fast.subnets.count * n)
        fast.sourceParts = Array(repeating: -2, count: fast.balancerIndex.count * n)
        fast.destinationParts = fast.sourceParts
    }

    private mutating func egressView(_ s: Int, _ d: Int) -> Int32 {
        if fast.egress.isEmpty { return fast.isGateway[s] ? -3 : groupView(fast.groupOfEnd[s], egress: true, peer: fast.address[d]) ?? -1 }
        let slot = fast.groupOfEnd[s] * fast.ends.count + d
        if fast.egress[slot] == -2 {
            fast.egress[slot] = fast.isGateway[s] ? -3 : groupView(fast.groupOfEnd[s], egress: true, peer: fast.address[d]) ?? -1
        }
        return fast.egress[slot]
    }

    private mutating func ingressView(_ d: Int, _ s: Int) -> Int32 {
        if fast.ingress.isEmpty { return fast.isGateway[d] ? -3 : groupView(fast.groupOfEnd[d], egress: false, peer: fast.address[s]) ?? -1 }
        let slot = fast.groupOfEnd[d] * fast.ends.count + s
        if fast.ingress[slot] == -2 {
            fast.ingress[slot] = fast.isGateway[d] ? -3 : groupView(fast.groupOfEnd[d], egress: false, peer: fast.address[s]) ?? -1
        }
        return fast.ingress[slot]
    }

    /// ``securityGroups(of:egress:peer:)`` by group set position, without looking the interface up.
    private mutating func groupView(_ group: Int, egress: Bool, peer: UInt32) -> Int32? {
        let rules = egress ? fast.egressRules[group] : fast.ingressRules[group]
        guard rules.count <= 10 else { return securityGroups(rules: rules, key: fast.ruleKeys[group], egress: egress, peer: peer) }
        let table = group * 2 + (egress ? 1 : 0)
        if fast.maskViews[table].isEmpty { fast.maskViews[table] = Array(repeating: -2, count: 1 << rules.count) }
        var mask = 0
        for (index, rule) in rules.enumerated() where (egress ? rule.box.destinations : rule.box.sources).contains(peer) { mask |= 1 << index }
        if fast.maskViews[table][mask] == -2 {
            fast.maskViews[table][mask] = securityGroups(rules: rules, key: fast.ruleKeys[group], egress: egress, peer: peer) ?? -1
        }
        return fast.maskViews[table][mask]
    }

    /// The ACL of end `a`'s subnet towards (egress) or from (ingress) end `b`.
    private mutating func aclView(_ a: Int, egress: Bool, _ b: Int) -> Int32 {
        let position = fast.aclOfSubnet[fast.subnetOfEnd[a]]
        guard position >= 0 else { return allID }
        let slot = position * fast.ends.count + b
        let known = egress ? fast.aclOut[slot] : fast.aclIn[slot]
        if known != -2 { return known }
        let view = acl(fast.acls[position], key: fast.aclKeys[position], egress: egress, peer: fast.address[b])
        if egress { fast.aclOut[slot] = view } else { fast.aclIn[slot] = view }
        return view
    }

    private mutating func localTo(_ a: Int, _ b: Int) -> Bool {
        let slot = fast.subnetOfEnd[a] * fast.ends.count + b
        if fast.local[slot] == -2 { fast.local[slot] = isLocal(fast.subnets[fast.subnetOfEnd[a]], fast.address[b]) ? 1 : 0 }
        return fast.local[slot] == 1
    }

    private mutating func intern(tuple: [Int32]) -> Int32 {
        if let id = fast.tuples[tuple] { return id }
        let id = Int32(fast.tuples.count)
        fast.tuples[tuple] = id
        return id
    }

    /// What the client's side of a path through a load balancer reads: its state, ports, and per node
    /// its egress view, the ACLs both ways, the node's ingress view, whether the routes are local.
    private mutating func sourcePart(_ s: Int, _ balancer: ClassicLoadBalancer) -> Int32 {
        let slot = fast.balancerIndex[balancer.id]! * fast.ends.count + s
        if fast.sourceParts[slot] != -2 { return fast.sourceParts[slot] }
        let a = fast.ends[s].sides[0]
        var tuple: [Int32] = [a.running == true ? 1 : 0, a.replyPorts, a.isNATGateway ? 1 : 0]
        for node in balancer.nodes.compactMap({ nodes[$0.networkInterfaceID] }) {
            let crosses = a.subnet.id != node.subnet.id
            tuple += [
                isLocal(a.subnet, node.address) && isLocal(node.subnet, a.address) ? 1 : 0, crosses ? 1 : 0,
                a.isNATGateway ? -3 : securityGroups(of: a.interface, egress: true, peer: node.address) ?? -1,
                securityGroups(of: node.interface, egress: false, peer: a.address) ?? -1, acl(of: a.subnet, egress: true, peer: node.address),
                acl(of: node.subnet, egress: false, peer: a.address), acl(of: node.subnet, egress: true, peer: a.address),
                acl(of: a.subnet, egress: false, peer: node.address),
            ]
        }
        fast.sourceParts[slot] = intern(tuple: tuple)
        return fast.sourceParts[slot]
    }

    /// What the instance's side of a path through a load balancer reads: its state, zone, and per node
    /// the node's egress view, the ACLs both ways, its ingress view, whether the routes are local.
    private mutating func destinationPart(_ d: Int, _ balancer: ClassicLoadBalancer) -> Int32 {
        let slot = fast.balancerIndex[balancer.id]! * fast.ends.count + d
        if fast.destinationParts[slot] != -2 { return fast.destinationParts[slot] }
        let b = fast.ends[d].sides[0]
        var tuple: [Int32] = [-7, b.running == true ? 1 : 0]
        for node in balancer.nodes.compactMap({ nodes[$0.networkInterfaceID] }) {
            let crosses = b.subnet.id != node.subnet.id
            tuple += [
                isLocal(b.subnet, node.address) && isLocal(node.subnet, b.address) ? 1 : 0, crosses ? 1 : 0,
                securityGroups(of: node.interface, egress: true, peer: b.address) ?? -1,
                securityGroups(of: b.interface, egress: false, peer: node.address) ?? -1, acl(of: node.subnet, egress: true, peer: b.address),
                acl(of: b.subnet, egress: false, peer: node.address), acl(of: b.subnet, egress: true, peer: node.address),
                acl(of: node.subnet, egress: false, peer: b.address), Int32(zoneOutcome(balancer, node: node, target: b)),
            ]
        }
        fast.destinationParts[slot] = intern(tuple: tuple)
        return fast.destinationParts[slot]
    }

    /// The cell of ends `s` and `d` (positions in the prepared ends), or nil for the engine to answer.
    mutating func fastCell(_ s: Int, _ d: Int) throws(ModelError) -> ReachCell? {
        let loadBalancer = End.Kind.loadBalancer.rawValue
        guard fast.kind[s] != loadBalancer, fast.kind[d] != loadBalancer else { return try cell(fast.ends[s], fast.ends[d]) }
        guard fast.vpcOfEnd[s] == fast.vpcOfEnd[d], localTo(s, d), localTo(d, s) else { return nil }
        let crosses = fast.subnetOfEnd[s] != fast.subnetOfEnd[d]
        var views = SIMD8<Int32>(repeating: -4)
        views[0] = egressView(s, d)
        views[1] = ingressView(d, s)
        if crosses {
            views[2] = aclView(s, egress: true, d)
            views[3] = aclView(d, egress: false, s)
            views[4] = aclView(d, egress: true, s)
            views[5] = aclView(s, egress: false, d)
        }
        var balancers: Int32 = -1
        if fast.hasBalancers[d] {
            for balancer in fast.ends[d].balancers {
                balancers = intern(tuple: [balancers, Int32(fast.balancerIndex[balancer.id]!), sourcePart(s, balancer), destinationPart(d, balancer)])
            }
        }
        let flags: UInt8 = (fast.running[s] ? 1 : 0) | (fast.running[d] ? 2 : 0) | (crosses ? 4 : 0)
        let key = FastTables.Key(
            kinds: UInt16(fast.kind[s]) << 8 | UInt16(fast.kind[d]), flags: flags, reply: fast.replyPorts[s], views: views, balancers: balancers)
        let template: FastTables.Template
        if let known = fast.templates[key] {
            template = known
        } else {
            template = FastTables.Template(cell: try cell(fast.ends[s], fast.ends[d]))
            fast.templates[key] = template
        }
        guard var cell = template.cell else { return nil }
        cell.source = fast.ends[s].name
        cell.destination = fast.ends[d].name
        return cell
    }
}
