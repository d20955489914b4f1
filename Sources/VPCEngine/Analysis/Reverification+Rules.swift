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
struct RuleChange {
    var rules: [(protocols: IntervalSet, ports: IntervalSet)] = []
    var judgesReplies = false
    var listenerPorts = IntervalSet.empty
    var replyPorts = IntervalSet(ClassicLoadBalancer.backendSourcePorts)

    /// nil when something besides rules and entries changed (or the change is not to groups or ACLs).
    init?(from old: Topology, to new: Topology, changed: Set<String>) {
        var forwarders: Set<SecurityGroup.ID> = []
        let routeTargets = old.routeTargetIDs.union(new.routeTargetIDs)
        for topology in [old, new] {
            for interface in topology.networkInterfaces {
                var forwards = !interface.sourceDestCheck || routeTargets.contains(interface.id.rawValue)
                if case .instance(let id) = interface.owner, let instance = topology.instances.first(where: { $0.id == id }) {
                    forwards = forwards || instance.role != nil || routeTargets.contains(id.rawValue)
                    replyPorts = replyPorts.union(IntervalSet(instance.ephemeralPorts))
                }
                if forwards { forwarders.formUnion(interface.securityGroupIDs) }
            }
            for balancer in topology.loadBalancers {
                for listener in balancer.listeners {
                    listenerPorts = listenerPorts.union(IntervalSet(UInt32(listener.loadBalancerPort)...UInt32(listener.loadBalancerPort)))
                    listenerPorts = listenerPorts.union(IntervalSet(UInt32(listener.instancePort)...UInt32(listener.instancePort)))
                }
            }
        }
        func add(_ ipProtocol: IPProtocol, _ ports: PortRange) {
            rules.append((IntervalSet(ipProtocol), ipProtocol.hasPorts ? IntervalSet(ports) : HeaderBox.allPorts))
        }
        for id in changed {
            if let before = old.securityGroups.first(where: { $0.id.rawValue == id }),
                let after = new.securityGroups.first(where: { $0.id.rawValue == id })
            {
                var (a, b) = (before, after)
                (a.ingress, a.egress, b.ingress, b.egress) = ([], [], [], [])
                guard a == b else { return nil }
                for rule in Set(before.ingress).symmetricDifference(after.ingress) { add(rule.ipProtocol, rule.ports) }
                for rule in Set(before.egress).symmetricDifference(after.egress) { add(rule.ipProtocol, rule.ports) }
                if forwarders.contains(before.id) { judgesReplies = true }
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
        return rules.contains { $0.protocols.intersects(protocols) && $0.ports.intersects(ports) }
    }
}
