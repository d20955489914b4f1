import VPCModel

extension CompiledNetwork {
    /// Picks the path to report and builds the AWS-shaped analysis.
    ///
    /// A path is found when some packet makes the whole round trip without a blocker; the shortest such
    /// path is reported (as Reachability Analyzer does). Otherwise the reported path is the one that
    /// needs the fewest changes, with every blocker on it, forward and return.
    func conclude(
        _ query: PathQuery, attempts: [Attempt], eligible: [Attempt], ports: IntervalSet, through: [Set<String>],
        avoiding: [Set<String>], detail: Detail = .full
    ) -> Reachability {
        let working = eligible.filter(\.works)
        let seed =
            "\(query.source)|\(query.destination)|\(query.ipProtocol)|\(query.destinationPorts?.description ?? "all")|"
            + "\(query.through)|\(query.avoiding)"
        let analysisID = IDGenerator.makeRaw("nia", seed: seed)
        var analysis = NetworkInsightsAnalysis(
            networkInsightsAnalysisID: analysisID,
            networkInsightsAnalysisArn: "arn:aws:ec2:\(topology.region):\(topology.accountID):network-insights-analysis/\(analysisID)",
            networkInsightsPathID: IDGenerator.makeRaw("nip", seed: seed),
            filterInArns: through.isEmpty ? nil : through.compactMap { $0.sorted().first.map(arn) },
            filterOutArns: avoiding.isEmpty ? nil : avoiding.compactMap { $0.sorted().first.map(arn) },
            status: "succeeded", networkPathFound: !working.isEmpty,
            forwardPathComponents: [], returnPathComponents: [], explanations: [])

        if let chosen = working.min(by: { $0.length < $1.length }) {
            let forward = chosen.forward.branch.components
            if detail != .verdict {
                analysis.forwardPathComponents = numbered(forward, headers: detail == .full)
                analysis.returnPathComponents = numbered(chosen.back?.branch.components ?? [], headers: detail == .full)
            }
            let reachable = working.reduce(IntervalSet.empty) { $0.union($1.back?.branch.packets.labels ?? .empty) }
            let partial = unique(chosen.forward.branch.notes + (chosen.back?.branch.notes ?? []))
            // Waypoints: the ends, gateways, load balancers, and instances that forward (a NAT instance).
            let via = forward.compactMap { hop -> String? in
                if hop.component.id.hasPrefix("eni-"), hop.inboundPackets != nil, hop.outboundPackets != nil, let owner = hop.attachedTo {
                    return owner.name ?? owner.id
                }
                return isWaypoint(hop.component.id) ? hop.component.name ?? hop.component.id : nil
            }
            // A hairpin through the internet gateway passes it twice in a row: name it once.
            let waypoints = via.enumerated().filter { $0.offset == 0 || via[$0.offset - 1] != $0.element }.map(\.element)
            var reason = "reachable via " + waypoints.joined(separator: " -> ")
            if ports != reachable && query.ipProtocol.hasPorts { reason += " (ports \(reachable) of \(CompiledNetwork.describePorts(ports)))" }
            return Reachability(
                query: query, analysis: analysis, reachablePorts: reachable, queriedPorts: ports, partialBlocks: partial, reason: reason)
        }

        var explanations: [Explanation]
        if let chosen = eligible.min(by: { rank($0) < rank($1) }) {
            if detail != .verdict {
                analysis.forwardPathComponents = numbered(chosen.forward.branch.components, headers: detail == .full)
                analysis.returnPathComponents = numbered(chosen.back?.branch.components ?? [], headers: detail == .full)
            }
            explanations = unique(chosen.blockers)
        } else if !attempts.isEmpty {
            var e = Explanation(
                .componentFilterRestriction,
                message:
                    "Every path from \(query.source) to \(query.destination) "
                    + [
                        through.isEmpty ? nil : "misses \(query.through.joined(separator: ", "))",
                        avoiding.isEmpty ? nil : "passes through \(query.avoiding.joined(separator: ", "))",
                    ].compactMap { $0 }.joined(separator: " or ") + "."
            )
            e.component = AnalysisComponent(id: query.destination)
            explanations = [e]
        } else {
            explanations = [
                Explanation(
                    .noRouteToDestination,
                    message:
                        "There is no way from \(query.source) to \(query.destination): they are not in one VPC, or neither end can be addressed by "
                        + "the other."
                )
            ]
        }
        analysis.explanations = explanations
        let reason = explanations.map(\.message).joined(separator: " ")
        return Reachability(query: query, analysis: analysis, reachablePorts: .empty, queriedPorts: ports, partialBlocks: [], reason: reason)
    }

    /// Fewest blockers first (the fewest changes), then paths that reached the destination, then the shortest.
    private func rank(_ attempt: Attempt) -> (Int, Int, Int) {
        (unique(attempt.blockers).count, attempt.forward.arrived ? 0 : 1, attempt.length)
    }

    private func isWaypoint(_ id: String) -> Bool {
        id == "internet" || id.hasPrefix("i-") || id.hasPrefix("igw-") || id.hasPrefix("nat-") || loadBalancers[ClassicLoadBalancer.ID(id)] != nil
            || (id.hasPrefix("eni-") && natGatewayOfInterface[NetworkInterface.ID(id)] != nil)
    }

    private func numbered(_ components: [PathComponent], headers: Bool) -> [PathComponent] {
        // Consecutive hops mostly carry the same packets: each set's header is rendered once.
        var rendered: [PacketSet: AnalysisPacketHeader] = [:]
        func cached(_ packets: PacketSet) -> AnalysisPacketHeader {
            if let known = rendered[packets] { return known }
            let made = header(packets)
            rendered[packets] = made
            return made
        }
        var result = components
        for index in result.indices {
            result[index].sequenceNumber = index + 1
            guard headers else { continue }
            if let packets = result[index].inboundPackets { result[index].inboundHeader = cached(packets) }
            if let packets = result[index].outboundPackets { result[index].outboundHeader = cached(packets) }
        }
        return result
    }

    /// Drops repeats (the same code, component and direction), keeping the first.
    func unique(_ explanations: [Explanation]) -> [Explanation] {
        var seen: Set<String> = []
        return explanations.filter { e in
            let key =
                "\(e.explanationCode)|\(e.component?.id ?? "")|\(e.acl?.id ?? "")|\(e.aclRule?.ruleNumber ?? 0)|\(e.direction ?? "")|\(e.message)"
            return seen.insert(key).inserted
        }
    }
}
