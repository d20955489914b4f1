import VPCModel

extension ReachIndex {
    /// One attempt's outcome: the stages' outcomes in the engine's order, and the ports that made the round trip.
    private struct Attempt {
        var outcomes: [UInt8] = []
        var forward: Int32
        var reply: Int32

        /// Bit masks of the protocols some stage blocks entirely.
        var blocked: UInt8 { outcomes.reduce(0) { $0 | ($1 & ReachIndex.blocksAll) } }

        mutating func add(_ outcome: UInt8) { outcomes.append(outcome) }
    }

    /// The cell of a pair whose paths are plain (see the type's description), or nil for the engine to answer.
    mutating func cell(_ s: End, _ d: End) throws(ModelError) -> ReachCell? {
        guard s.subnet.vpcID == d.subnet.vpcID, isLocal(s.subnet, d.address), isLocal(d.subnet, s.address) else { return nil }
        guard var direct = leg(from: s.interface, s.subnet, s.address, to: d, fromNode: false, origin: s.running, start: allID) else {
            return nil
        }
        // The reply: the destination's security groups track the connection; the ACLs are stateless.
        var reply = s.replyPorts
        if s.subnet.id != d.subnet.id {
            for stage in [acl(of: d.subnet, egress: true, peer: s.address), acl(of: s.subnet, egress: false, peer: d.address)] {
                let (next, outcome) = step(reply, stage)
                reply = next
                direct.add(outcome)
            }
        } else {
            direct.add(Self.notApplicable)
            direct.add(Self.notApplicable)
        }
        direct.add(s.running ? Self.pass : Self.blocksAll)
        direct.reply = reply

        var key = direct.outcomes
        let view = views[Int(direct.forward)]
        let blocked = direct.blocked
        var tcp = blocked & 0b11 == 0 ? view.tcp : .empty
        let udp = blocked & 0b1100 == 0 ? view.udp : .empty
        let icmp = blocked & 0b11_0000 == 0 && view.icmp

        for balancer in d.balancers {
            key.append(0xFF)
            guard let (ports, outcomes) = try throughLoadBalancer(balancer, from: s, to: d) else { return nil }
            tcp = tcp.union(ports)
            key += outcomes
        }
        let blockers = try self.blockers(key, source: s.name, destination: d.name)
        return ReachCell(source: s.name, destination: d.name, tcp: tcp, udp: udp, icmp: icmp, blockers: blockers)
    }

    /// A forward leg from an interface to an instance: the sender's state and egress groups, the ACLs
    /// when it crosses subnets (the node's outbound ACL always), the receiver's state and ingress groups.
    private mutating func leg(
        from sender: NetworkInterface, _ senderSubnet: Subnet, _ senderAddress: UInt32, to d: End, fromNode: Bool, origin: Bool?,
        start: Int32
    ) -> Attempt? {
        var attempt = Attempt(forward: start, reply: start)
        if let origin { attempt.add(origin ? Self.pass : Self.blocksAll) }
        guard let egress = securityGroups(of: sender, egress: true, peer: d.address),
            let ingress = securityGroups(of: d.interface, egress: false, peer: senderAddress)
        else { return nil }
        var stages: [Int32?] = [egress]
        let crosses = senderSubnet.id != d.subnet.id
        stages.append(crosses || fromNode ? acl(of: senderSubnet, egress: true, peer: d.address) : nil)
        stages.append(crosses ? acl(of: d.subnet, egress: false, peer: senderAddress) : nil)
        for stage in stages {
            guard let stage else {
                attempt.add(Self.notApplicable)
                continue
            }
            let (next, outcome) = step(attempt.forward, stage)
            attempt.forward = next
            attempt.add(outcome)
        }
        attempt.add(d.running ? Self.pass : Self.blocksAll)
        let (next, outcome) = step(attempt.forward, ingress)
        attempt.forward = next
        attempt.add(outcome)
        // Which ACL code a node's own outbound check gives depends on whether it stays in its subnet.
        if fromNode { attempt.add(crosses ? 0x80 : 0x81) }
        return attempt
    }

    /// The instance ports a source reaches through one load balancer that registers the destination
    /// (TCP only), with the outcomes of its attempts: one per node and listener, in the engine's order.
    private mutating func throughLoadBalancer(
        _ balancer: ClassicLoadBalancer, from s: End, to d: End
    ) throws(ModelError) -> (IntervalSet, [UInt8])? {
        let nodeList = balancer.nodes.compactMap { nodes[$0.networkInterfaceID] }.sorted { $0.interface.id < $1.interface.id }
        guard nodeList.count == balancer.nodes.count else { return nil }
        let listenerPorts = IntervalSet(balancer.listeners.map { UInt32($0.loadBalancerPort)...UInt32($0.loadBalancerPort) })
        let listeners = View(tcp: listenerPorts, udp: .empty, icmp: false)
        let listenersID = intern(listeners)
        var outcomes: [UInt8] = [s.running ? Self.pass : Self.blocksAll]
        // The client's egress groups judge the packets to every node at once.
        var allowed: [Int32] = []
        var any = false
        var all = true
        for node in nodeList {
            guard isLocal(s.subnet, node.address), isLocal(node.subnet, s.address), isLocal(node.subnet, d.address),
                isLocal(d.subnet, node.address),
                let egress = securityGroups(of: s.interface, egress: true, peer: node.address)
            else { return nil }
            let (next, outcome) = step(listenersID, egress)
            let passes = outcome & 0b11 == 0
            let none = outcome & 0b11 == 2
            allowed.append(none ? -1 : next)
            any = any || !none
            all = all && passes
        }
        outcomes.append(all ? 0 : any ? 1 : 2)
        var ports = IntervalSet.empty
        let clientBlocked = outcomes.contains { $0 & 0b11 == 2 }
        for (index, node) in nodeList.enumerated() {
            let current = any ? allowed[index] : listenersID
            guard current >= 0 else { continue }
            var stages: [Int32?] = []
            let crosses = s.subnet.id != node.subnet.id
            stages.append(crosses ? acl(of: s.subnet, egress: true, peer: node.address) : nil)
            stages.append(crosses ? acl(of: node.subnet, egress: false, peer: s.address) : nil)
            guard let ingress = securityGroups(of: node.interface, egress: false, peer: s.address) else { return nil }
            stages.append(ingress)
            var client = current
            var nodeOutcomes: [UInt8] = []
            for stage in stages {
                guard let stage else {
                    nodeOutcomes.append(Self.notApplicable)
                    continue
                }
                let (next, outcome) = step(client, stage)
                client = next
                nodeOutcomes.append(outcome & 0b11)
            }
            nodeOutcomes.append(zoneOutcome(balancer, node: node, target: d))
            for listener in balancer.listeners where views[Int(client)].tcp.contains(UInt32(listener.loadBalancerPort)) {
                let port = UInt32(listener.instancePort)
                let backendStart = intern(View(tcp: IntervalSet(value: port), udp: .empty, icmp: false))
                guard var backend = leg(from: node.interface, node.subnet, node.address, to: d, fromNode: true, origin: nil, start: backendStart)
                else { return nil }
                // The instance's reply to the node, then the node's answer to the client.
                var replyStages: [Int32?] = []
                let backCrosses = d.subnet.id != node.subnet.id
                replyStages.append(backCrosses ? acl(of: d.subnet, egress: true, peer: node.address) : nil)
                replyStages.append(backCrosses ? acl(of: node.subnet, egress: false, peer: d.address) : nil)
                var backReply = backendPortsID
                for stage in replyStages {
                    guard let stage else {
                        backend.add(Self.notApplicable)
                        continue
                    }
                    let (next, outcome) = step(backReply, stage)
                    backReply = next
                    backend.add(outcome & 0b11)
                }
                var clientReply = s.replyPorts
                let answerStages: [Int32?] = [
                    acl(of: node.subnet, egress: true, peer: s.address), crosses ? acl(of: s.subnet, egress: false, peer: node.address) : nil,
                ]
                for stage in answerStages {
                    guard let stage else {
                        backend.add(Self.notApplicable)
                        continue
                    }
                    let (next, outcome) = step(clientReply, stage)
                    clientReply = next
                    backend.add(outcome & 0b11)
                }
                backend.add(s.running ? Self.pass : 2)
                outcomes.append(0xFE)
                outcomes += nodeOutcomes
                outcomes += backend.outcomes.map { $0 == Self.notApplicable || $0 >= 0x80 ? $0 : $0 & 0b11 }
                let blocked =
                    clientBlocked || nodeOutcomes.contains(2) || nodeOutcomes.contains { $0 >= 0x10 && $0 < 0x80 }
                    || backend.outcomes.contains { $0 != Self.notApplicable && $0 < 0x80 && $0 & 0b11 == 2 }
                if !blocked && !views[Int(backend.forward)].tcp.isEmpty { ports = ports.union(IntervalSet(value: port)) }
            }
        }
        return (ports, outcomes)
    }

    /// 0 when the node may send to the target, 0x11 when the target's zone is not enabled, 0x12 when
    /// cross-zone balancing is off and the node is in another zone.
    private func zoneOutcome(_ balancer: ClassicLoadBalancer, node: Node, target: End) -> UInt8 {
        let enabled = Set(balancer.nodes.compactMap { network.subnets[$0.subnetID]?.availabilityZone })
        if !enabled.contains(target.subnet.availabilityZone) { return 0x11 }
        if !balancer.crossZone && node.subnet.availabilityZone != target.subnet.availabilityZone { return 0x12 }
        return 0
    }
}
