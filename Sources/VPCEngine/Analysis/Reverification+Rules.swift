import VPCModel

/// A change made of security group rules and network ACL entries only: what packets the rules that
/// differ can match. An analysis none of whose packets any of them can match is left as it was, even
/// when its path crosses the changed group or ACL (a rule that matches none of an analysis' packets
/// changes no filter's outcome, no matched-rule hop and no explanation).
///
/// Along a path the protocol never changes; the destination ports a filter sees are the query's, a
/// load balancer's listener and instance ports, and, where replies are judged (network ACLs, which are
/// stateless, and the groups of an interface that forwards, which sees replies it did not track), the
/// source ports of the request: an instance's ephemeral ports, 1024-65535 after a translation, or the
/// query's own.
///
/// And a security group's egress rules judge only packets its interfaces send as new flows: the source's,
/// or those of an interface that forwards or balances for others; its ingress rules only packets they
/// receive as new flows: the destination's, or a forwarder's or balancer node's (everything else an
/// interface sees is a reply to a flow it tracked).
struct RuleChange {
    struct Rule {
        var protocols: IntervalSet
        var ports: IntervalSet
        /// The group whose rule changed, and in which direction (nil: a network ACL entry).
        var group: SecurityGroup.ID?
        var egress = false
    }
    var rules: [Rule] = []
    var judgesReplies = false
    var listenerPorts = IntervalSet.empty
    var replyPorts = IntervalSet(ClassicLoadBalancer.backendSourcePorts)
    /// Groups of interfaces that forward or balance for others (they judge every direction).
    var forwarders: Set<SecurityGroup.ID> = []
    let networks: [CompiledNetwork]

    /// nil when something besides rules and entries changed (or the change is not to groups or ACLs).
    init?(from oldNetwork: CompiledNetwork, to newNetwork: CompiledNetwork, changed: Set<String>) {
        let (old, new) = (oldNetwork.topology, newNetwork.topology)
        var replyJudges: Set<SecurityGroup.ID> = []
        networks = [oldNetwork, newNetwork]
        for topology in [old, new] {
            let forwarding = topology.forwardingInterfaceIDs
            for instance in topology.instances { replyPorts = replyPorts.union(IntervalSet(instance.ephemeralPorts)) }
            var nodes: Set<NetworkInterface.ID> = []
            for balancer in topology.loadBalancers {
                nodes.formUnion(balancer.nodes.map(\.networkInterfaceID))
                forwarders.formUnion(balancer.securityGroupIDs)
            }
            for interface in topology.networkInterfaces {
                let forwards = forwarding.contains(interface.id)
                if forwards { replyJudges.formUnion(interface.securityGroupIDs) }
                if forwards || nodes.contains(interface.id) { forwarders.formUnion(interface.securityGroupIDs) }
            }
            for balancer in topology.loadBalancers {
                for listener in balancer.listeners {
                    listenerPorts = listenerPorts.union(IntervalSet(UInt32(listener.loadBalancerPort)...UInt32(listener.loadBalancerPort)))
                    listenerPorts = listenerPorts.union(IntervalSet(UInt32(listener.instancePort)...UInt32(listener.instancePort)))
                }
            }
        }
        func add(_ ipProtocol: IPProtocol, _ ports: PortRange, group: SecurityGroup.ID? = nil, egress: Bool = false) {
            rules.append(
                Rule(
                    protocols: IntervalSet(ipProtocol), ports: ipProtocol.hasPorts ? IntervalSet(ports) : HeaderBox.allPorts, group: group,
                    egress: egress))
        }
        for id in changed {
            if let before = old.securityGroups.first(where: { $0.id.rawValue == id }),
                let after = new.securityGroups.first(where: { $0.id.rawValue == id })
            {
                var (a, b) = (before, after)
                (a.ingress, a.egress, b.ingress, b.egress) = ([], [], [], [])
                guard a == b else { return nil }
                for rule in Set(before.ingress).symmetricDifference(after.ingress) { add(rule.ipProtocol, rule.ports, group: before.id) }
                for rule in Set(before.egress).symmetricDifference(after.egress) { add(rule.ipProtocol, rule.ports, group: before.id, egress: true) }
                if replyJudges.contains(before.id) { judgesReplies = true }
            } else if let before = old.networkACLs.first(where: { $0.id.rawValue == id }),
                let after = new.networkACLs.first(where: { $0.id.rawValue == id })
            {
                var (a, b) = (before, after)
                (a.entries, b.entries) = ([], [])
                guard a == b else { return nil }
                for entry in Set(before.entries).symmetricDifference(after.entries) { add(entry.ipProtocol, entry.ports) }
                judgesReplies = true
            } else {
                return nil
            }
        }
    }

    /// Whether some packet of an analysis of this query can meet a changed rule.
    func mayAffect(_ query: PathQuery) -> Bool {
        let protocols = IntervalSet(query.ipProtocol)
        var ports = query.ipProtocol.hasPorts ? IntervalSet(query.destinationPorts ?? .all) : HeaderBox.allPorts
        ports = ports.union(listenerPorts)
        if judgesReplies {
            ports = ports.union(replyPorts)
            if let source = query.sourcePorts { ports = ports.union(IntervalSet(source)) }
        }
        var ends: [Bool: Set<SecurityGroup.ID>?] = [:]
        func judges(_ rule: Rule) -> Bool {
            guard let group = rule.group, !forwarders.contains(group) else { return true }
            if ends[rule.egress] == nil { ends[rule.egress] = groups(of: rule.egress ? query.source : query.destination) }
            guard let groups = ends[rule.egress]! else { return true }
            return groups.contains(group)
        }
        return rules.contains { $0.protocols.intersects(protocols) && $0.ports.intersects(ports) && judges($0) }
    }

    /// The groups of the interfaces an endpoint sends from or receives on, in either version (nil: unknown).
    private func groups(of endpoint: String) -> Set<SecurityGroup.ID>? {
        var groups: Set<SecurityGroup.ID> = []
        for network in networks {
            switch try? network.endpoint(endpoint, role: "destination") {
            case .interface(let interface)?, .address(_, let interface)?: groups.formUnion(interface.securityGroupIDs)
            case .loadBalancer(let balancer)?:
                groups.formUnion(balancer.securityGroupIDs)
                for node in balancer.nodes { groups.formUnion(network.interfaces[node.networkInterfaceID]?.securityGroupIDs ?? []) }
            case .internet?, .vacant?: break
            case nil: return nil
            }
        }
        return groups
    }
}
