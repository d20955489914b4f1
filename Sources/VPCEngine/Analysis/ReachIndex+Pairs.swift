import VPCModel

extension ReachIndex {
    /// One attempt of the engine's (a candidate path and its reply): the stages' outcomes in the engine's
    /// order, and the packets that got through.
    struct Attempt {
        var outcomes: [UInt8] = []
        var forward: Int32
        var arrives = true

        /// Two bits per protocol (TCP, UDP, ICMP), set where some stage blocks that protocol entirely.
        var blocked: UInt8 { outcomes.reduce(0) { $0 | ($1 < 0x80 ? $1 & ReachIndex.blocksAll : 0) } }

        mutating func add(_ outcome: UInt8) { outcomes.append(outcome) }
    }

    /// The cell of a pair whose paths are plain (see the type's description), or nil for the engine to answer.
    mutating func cell(_ s: End, _ d: End) throws(ModelError) -> ReachCell? {
        guard s.name != d.name, s.sides[0].subnet.vpcID == d.sides[0].subnet.vpcID else { return nil }
        var key: [UInt8] = [s.kind.rawValue, d.kind.rawValue]
        var balancerKey: [UInt8] = []
        var tcp = IntervalSet.empty
        var udp = IntervalSet.empty
        var icmp = false
        func collect(_ attempt: Attempt) {
            key += attempt.outcomes
            key.append(attempt.arrives ? 0xFE : 0xFD)
            let blocked = attempt.blocked
            guard attempt.arrives else { return }
            let view = views[Int(attempt.forward)]
            if blocked & 0b11 == 0 { tcp = tcp.union(view.tcp) }
            if blocked & 0b1100 == 0 { udp = udp.union(view.udp) }
            if blocked & 0b11_0000 == 0 && view.icmp { icmp = true }
        }
        // A load balancer as the source: one candidate per node, in the order of their interfaces.
        for a in s.sides {
            if let balancer = d.loadBalancer {
                guard let attempts = toLoadBalancer(from: a, balancer, nodes: d.sides) else { return nil }
                attempts.forEach(collect)
                continue
            }
            let b = d.sides[0]
            guard let direct = roundTrip(from: a, to: b, start: allID) else { return nil }
            collect(direct)
            guard s.kind != .loadBalancer else { continue }
            for balancer in d.balancers {
                balancerKey.append(0xFF)
                guard let (ports, outcomes) = throughLoadBalancer(balancer, from: a, to: b) else { return nil }
                tcp = tcp.union(ports)
                balancerKey += outcomes
            }
        }
        // The codes of each protocol depend on its own outcomes; a load balancer carries TCP only (for
        // UDP and ICMP each one is a path blocked by TARGET_PORT_RESTRICTION, whatever its stages).
        var blockers: [String: [String]] = [:]
        for (ipProtocol, shift) in [(IPProtocol.tcp, UInt8(0)), (.udp, 2), (.icmp, 4)] {
            var protocolKey: [UInt8] = [UInt8(ipProtocol.number)]
            protocolKey += key.map { $0 >= 0x80 ? $0 : ($0 >> shift) & 0b11 }
            protocolKey += ipProtocol == .tcp ? balancerKey : balancerKey.filter { $0 == 0xFF }
            if let codes = try self.blockers(protocolKey, ipProtocol, source: s.name, destination: d.name) {
                blockers[ipProtocol.description] = codes
            }
        }
        return ReachCell(source: s.name, destination: d.name, tcp: tcp, udp: udp, icmp: icmp, blockers: blockers)
    }

    /// Applies stages in order (nil: the engine skips it here), narrowing the attempt's packets.
    private mutating func apply(_ stages: [Int32?], to current: inout Int32, _ attempt: inout Attempt) {
        for stage in stages {
            guard let stage else {
                attempt.add(Self.notApplicable)
                continue
            }
            let (next, outcome) = step(current, stage)
            current = next
            attempt.add(outcome)
        }
    }

    /// The state of a side's instance as a stage outcome (nothing for a NAT gateway or node).
    private func state(_ side: Side, _ attempt: inout Attempt) {
        if let running = side.running { attempt.add(running ? Self.pass : Self.blocksAll) }
    }

    /// From one interface to another by the local route: the sender's state and egress groups, the ACLs
    /// when the packets cross subnets (a node's outbound ACL always), the receiver's state and ingress
    /// groups; a NAT gateway has no groups and accepts no connection.
    private mutating func forwardLeg(from a: Side, to b: Side, start: Int32, origin: Bool) -> Attempt? {
        guard isLocal(a.subnet, b.address), isLocal(b.subnet, a.address) else { return nil }
        var attempt = Attempt(forward: start)
        if origin { state(a, &attempt) }
        let crosses = a.subnet.id != b.subnet.id
        var stages: [Int32?] = []
        if !a.isNATGateway {
            guard let egress = securityGroups(of: a.interface, egress: true, peer: b.address) else { return nil }
            stages.append(egress)
        }
        stages.append(crosses || a.isNode ? acl(of: a.subnet, egress: true, peer: b.address) : nil)
        stages.append(crosses ? acl(of: b.subnet, egress: false, peer: a.address) : nil)
        var current = start
        apply(stages, to: &current, &attempt)
        state(b, &attempt)
        if b.isNATGateway {
            attempt.arrives = false
        } else {
            guard let ingress = securityGroups(of: b.interface, egress: false, peer: a.address) else { return nil }
            apply([ingress], to: &current, &attempt)
        }
        attempt.forward = current
        return attempt
    }

    /// The reply of a leg, from b back to a: the ACLs again (they are stateless), a's state.
    private mutating func reply(from b: Side, to a: Side, ports: Int32, _ attempt: inout Attempt) {
        var current = ports
        let crosses = a.subnet.id != b.subnet.id
        apply(
            [
                crosses || b.isNode ? acl(of: b.subnet, egress: true, peer: a.address) : nil,
                crosses ? acl(of: a.subnet, egress: false, peer: b.address) : nil,
            ],
            to: &current, &attempt)
    }

    private mutating func roundTrip(from a: Side, to b: Side, start: Int32) -> Attempt? {
        guard var attempt = forwardLeg(from: a, to: b, start: start, origin: true) else { return nil }
        guard attempt.arrives else { return attempt }
        reply(from: b, to: a, ports: a.replyPorts, &attempt)
        state(a, &attempt)
        return attempt
    }

    /// To a load balancer itself: the packets go to every node at once (the sender's egress groups judge
    /// them together), then each node's ACLs, groups and listeners; the node answers.
    private mutating func toLoadBalancer(from a: Side, _ balancer: ClassicLoadBalancer, nodes: [Side]) -> [Attempt]? {
        var prefix = Attempt(forward: allID)
        state(a, &prefix)
        let all = views[Int(allID)]
        var reaching: [View] = []
        for node in nodes {
            guard isLocal(a.subnet, node.address), isLocal(node.subnet, a.address) else { return nil }
            if a.isNATGateway {
                reaching.append(all)
            } else {
                guard let egress = securityGroups(of: a.interface, egress: true, peer: node.address) else { return nil }
                let allowed = views[Int(egress)]
                reaching.append(View(tcp: allowed.tcp, udp: allowed.udp, icmp: allowed.icmp))
            }
        }
        // Per protocol: every node's packets allowed, some, or none (then the path goes on with all).
        func outcome(_ part: (View) -> Bool, _ full: (View) -> Bool) -> UInt8 {
            reaching.allSatisfy(full) ? 0 : reaching.allSatisfy { !part($0) } ? 2 : 1
        }
        let tcpOutcome = outcome({ !$0.tcp.isEmpty }, { $0.tcp == all.tcp })
        let udpOutcome = outcome({ !$0.udp.isEmpty }, { $0.udp == all.udp })
        let icmpOutcome = outcome({ $0.icmp }, { $0.icmp })
        prefix.add(a.isNATGateway ? Self.notApplicable : tcpOutcome | udpOutcome << 2 | icmpOutcome << 4)
        let listeners = intern(
            View(tcp: IntervalSet(balancer.listeners.map { UInt32($0.loadBalancerPort)...UInt32($0.loadBalancerPort) }), udp: .empty, icmp: false))
        var attempts: [Attempt] = []
        for (index, node) in nodes.enumerated() {
            let view = View(
                tcp: tcpOutcome == 2 ? all.tcp : reaching[index].tcp, udp: udpOutcome == 2 ? all.udp : reaching[index].udp,
                icmp: icmpOutcome == 2 || reaching[index].icmp)
            guard !view.tcp.isEmpty || !view.udp.isEmpty || view.icmp else { continue }
            var attempt = prefix
            attempt.add(0xF0 | UInt8(min(index, 15)))
            var current = intern(view)
            let crosses = a.subnet.id != node.subnet.id
            guard let ingress = securityGroups(of: node.interface, egress: false, peer: a.address) else { return nil }
            apply(
                [
                    crosses || a.isNode ? acl(of: a.subnet, egress: true, peer: node.address) : nil,
                    crosses ? acl(of: node.subnet, egress: false, peer: a.address) : nil, ingress, listeners,
                ], to: &current, &attempt)
            attempt.forward = current
            reply(from: node, to: a, ports: a.replyPorts, &attempt)
            state(a, &attempt)
            attempts.append(attempt)
        }
        return attempts
    }

    /// The instance ports a source reaches through one load balancer that registers the destination
    /// (TCP only), with the outcomes of its attempts: one per node and listener, in the engine's order.
    private mutating func throughLoadBalancer(_ balancer: ClassicLoadBalancer, from a: Side, to d: Side) -> (IntervalSet, [UInt8])? {
        let nodeList = balancer.nodes.compactMap { nodes[$0.networkInterfaceID] }.sorted { $0.interface.id < $1.interface.id }
        guard nodeList.count == balancer.nodes.count else { return nil }
        let listenersID = intern(
            View(tcp: IntervalSet(balancer.listeners.map { UInt32($0.loadBalancerPort)...UInt32($0.loadBalancerPort) }), udp: .empty, icmp: false))
        var head = Attempt(forward: listenersID)
        state(a, &head)
        // The client's egress groups judge the packets to every node at once.
        var allowed: [Int32] = []
        var any = false
        var all = true
        for node in nodeList {
            guard isLocal(a.subnet, node.address), isLocal(node.subnet, a.address), isLocal(node.subnet, d.address), isLocal(d.subnet, node.address)
            else { return nil }
            if a.isNATGateway {
                allowed.append(listenersID)
                continue
            }
            guard let egress = securityGroups(of: a.interface, egress: true, peer: node.address) else { return nil }
            let (next, outcome) = step(listenersID, egress)
            let none = outcome & 0b11 == 2
            allowed.append(none ? -1 : next)
            any = any || !none
            all = all && outcome & 0b11 == 0
        }
        if a.isNATGateway { (any, all) = (true, true) }
        head.add(a.isNATGateway ? Self.notApplicable : all ? 0 : any ? 1 : 2)
        var outcomes = head.outcomes
        var ports = IntervalSet.empty
        for (index, node) in nodeList.enumerated() {
            var client = any ? allowed[index] : listenersID
            guard client >= 0 else { continue }
            let crosses = a.subnet.id != node.subnet.id
            guard let ingress = securityGroups(of: node.interface, egress: false, peer: a.address) else { return nil }
            var reaching = head
            apply(
                [
                    crosses || a.isNode ? acl(of: a.subnet, egress: true, peer: node.address) : nil,
                    crosses ? acl(of: node.subnet, egress: false, peer: a.address) : nil, ingress,
                ],
                to: &client, &reaching)
            reaching.add(zoneOutcome(balancer, node: node, target: d))
            for listener in balancer.listeners where views[Int(client)].tcp.contains(UInt32(listener.loadBalancerPort)) {
                let port = UInt32(listener.instancePort)
                let start = intern(View(tcp: IntervalSet(value: port), udp: .empty, icmp: false))
                guard var backend = forwardLeg(from: node, to: d, start: start, origin: false) else { return nil }
                // The instance's reply to the node, then the node's answer to the client.
                reply(from: d, to: node, ports: backendPortsID, &backend)
                reply(from: node, to: a, ports: a.replyPorts, &backend)
                state(a, &backend)
                var attempt = reaching
                attempt.add(0xF0)
                attempt.outcomes += backend.outcomes
                outcomes += attempt.outcomes.dropFirst(head.outcomes.count)
                let tcpBlocked = attempt.outcomes.contains { $0 < 0x80 && $0 & 0b11 == 2 }
                if !tcpBlocked && !views[Int(backend.forward)].tcp.isEmpty { ports = ports.union(IntervalSet(value: port)) }
            }
        }
        return (ports, outcomes)
    }

    /// 0 when the node may send to the target, 0x12 (blocking) when the target's zone is not enabled,
    /// 0x22 when cross-zone balancing is off and the node is in another zone.
    func zoneOutcome(_ balancer: ClassicLoadBalancer, node: Side, target: Side) -> UInt8 {
        let enabled = Set(balancer.nodes.compactMap { network.subnets[$0.subnetID]?.availabilityZone })
        if !enabled.contains(target.subnet.availabilityZone) { return 0x12 }
        if !balancer.crossZone && node.subnet.availabilityZone != target.subnet.availabilityZone { return 0x22 }
        return 0
    }
}
