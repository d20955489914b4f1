import VPCModel

/// What one source can send to one destination and get answered: the destination ports of TCP and UDP,
/// and ICMP, for which some packet makes the round trip (forward and return, translations included).
public struct ReachCell: Hashable, Sendable {
    public var source: String
    public var destination: String
    public var tcp: IntervalSet
    public var udp: IntervalSet
    public var icmp: Bool
    /// For each protocol that is blocked in part or whole, the explanation codes of what blocks it.
    public var blockers: [String: [String]]

    public init(source: String, destination: String, tcp: IntervalSet, udp: IntervalSet, icmp: Bool, blockers: [String: [String]]) {
        self.source = source
        self.destination = destination
        self.tcp = tcp
        self.udp = udp
        self.icmp = icmp
        self.blockers = blockers
    }

    public var isEmpty: Bool { tcp.isEmpty && udp.isEmpty && !icmp }

    /// "tcp 80,443 · icmp", or "nothing".
    public var summary: String {
        var parts: [String] = []
        if !tcp.isEmpty { parts.append("tcp \(Self.ports(tcp))") }
        if !udp.isEmpty { parts.append("udp \(Self.ports(udp))") }
        if icmp { parts.append("icmp") }
        return parts.isEmpty ? "nothing" : parts.joined(separator: " · ")
    }

    public static func ports(_ set: IntervalSet) -> String {
        if set == HeaderBox.allPorts { return "all" }
        return set.ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}

extension CompiledNetwork {
    /// The endpoints a whole-network question covers by default: every instance, NAT gateway and load
    /// balancer (by name where it has one), and the internet.
    public func reachEndpoints() -> [String] {
        let topology = self.topology
        var endpoints = topology.instances.filter { $0.state != .terminated }.map { $0.name ?? $0.id.rawValue }
        endpoints += topology.natGateways.map { $0.name ?? $0.id.rawValue }
        endpoints += topology.loadBalancers.map(\.name)
        return endpoints.sorted() + ["internet"]
    }

    /// Every ordered pair of distinct endpoints (sources × destinations): what gets through and back.
    /// Each cell is the single-trace engine's answer for the pair, per protocol (LocalVPC's current way;
    /// a shared computation over header-space classes is the planned next step, held to these answers).
    public func reach(from sources: [String], to destinations: [String]) throws(ModelError) -> [ReachCell] {
        var cells: [ReachCell] = []
        for source in sources {
            for destination in destinations where destination != source {
                cells.append(try reach(source, destination))
            }
        }
        return cells
    }

    public func reach(_ source: String, _ destination: String) throws(ModelError) -> ReachCell {
        var cell = ReachCell(source: source, destination: destination, tcp: .empty, udp: .empty, icmp: false, blockers: [:])
        for ipProtocol in [IPProtocol.tcp, .udp, .icmp] {
            let result = try analyze(PathQuery(from: source, to: destination, protocol: ipProtocol))
            let name = ipProtocol.description
            switch ipProtocol {
            case .tcp: cell.tcp = result.reachablePorts
            case .udp: cell.udp = result.reachablePorts
            default: cell.icmp = result.isReachable
            }
            let codes = (result.analysis.explanations + result.partialBlocks).map(\.explanationCode.rawValue)
            if !codes.isEmpty { cell.blockers[name] = Array(Set(codes)).sorted() }
        }
        return cell
    }
}
