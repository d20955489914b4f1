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
    /// The endpoints a whole-network question covers by default: every instance, NAT gateway (by its
    /// network interface, which is what an analysis can start or end at) and load balancer, by name where
    /// it has one, and the internet.
    public func reachEndpoints() -> [String] {
        let topology = self.topology
        var endpoints = topology.instances.filter { $0.state != .terminated }.map { $0.name ?? $0.id.rawValue }
        endpoints += topology.natGateways.filter { $0.state == .available }.compactMap { gateway in
            topology.networkInterface(gateway.networkInterfaceID).map { $0.name ?? $0.id.rawValue }
        }
        endpoints += topology.loadBalancers.map(\.name)
        return endpoints.sorted() + ["internet"]
    }

    /// Every ordered pair of distinct endpoints (sources × destinations): what gets through and back,
    /// computed once per pair of classes of interchangeable endpoints (see `reachAll`).
    public func reach(from sources: [String], to destinations: [String]) throws(ModelError) -> [ReachCell] {
        try reachCounting(from: sources, to: destinations).cells
    }

    /// How a whole-network answer was computed: pairs composed from stage views, pairs answered by the
    /// single-trace engine (one run per class pair, the rest shared), and the engine runs in all.
    public struct ReachStatistics: Sendable {
        public var composedPairs = 0
        public var enginePairs = 0
        /// Pairs the engine answered (three analyses each), the rest of the engine pairs shared their answers.
        public var engineRuns = 0
        /// Single-protocol analyses run for the explanation codes of composed pairs (one per vector of outcomes).
        public var codeAnalyses = 0
    }

    /// ``reach(from:to:)`` with how it was computed.
    public func reachCounting(
        from sources: [String], to destinations: [String]
    ) throws(ModelError) -> (
        cells: [ReachCell], statistics: ReachStatistics
    ) {
        var cells: [ReachCell] = []
        cells.reserveCapacity(sources.count * destinations.count)
        let statistics = try reachEach(from: sources, to: destinations) { cells.append($0) }
        return (cells, statistics)
    }

    /// Every cell of ``reach(from:to:)``, handed over one by one in the same order, none kept (for
    /// networks whose cells would not fit in memory at once).
    public func reachEach(
        from sources: [String], to destinations: [String], _ body: (ReachCell) -> Void
    ) throws(ModelError)
        -> ReachStatistics
    {
        var statistics = ReachStatistics()
        var all: [String] = []
        var seen: Set<String> = []
        for endpoint in sources + destinations where seen.insert(endpoint).inserted { all.append(endpoint) }
        let classOf = Dictionary(uniqueKeysWithValues: zip(all, endpointClasses(all)))
        var members: [String: [String]] = [:]
        for endpoint in all { members[classOf[endpoint]!, default: []].append(endpoint) }
        var memo: [String: ReachCell] = [:]
        let internetClassOf = all.contains("internet") ? internetClasses(all) : [:]
        var index = ReachIndex(network: self)
        let plain = index.plainEnds(all)
        index.prepare(all.compactMap { plain[$0] })
        for source in sources {
            let plainSource = index.fast.position[source]
            for destination in destinations where destination != source {
                if let plainSource, let plainDestination = index.fast.position[destination],
                    let cell = try index.fastCell(plainSource, plainDestination)
                {
                    body(cell)
                    statistics.composedPairs += 1
                    continue
                }
                statistics.enginePairs += 1
                var (sourceClass, destinationClass) = (classOf[source]!, classOf[destination]!)
                // With the internet, what the instance's paths to and from it read (see `internetClasses`).
                if source == "internet", let key = internetClassOf[destination]?.to {
                    (sourceClass, destinationClass) = ("internet", "to:" + key)
                } else if destination == "internet", let key = internetClassOf[source]?.from {
                    (sourceClass, destinationClass) = ("from:" + key, "internet")
                }
                let key = sourceClass + "\u{0}" + destinationClass
                var cell: ReachCell
                if let known = memo[key] {
                    cell = known
                } else {
                    // Two distinct members stand for a class to itself; else the pair itself answers.
                    let twins = sourceClass == destinationClass ? members[sourceClass]! : []
                    cell = twins.count >= 2 ? try reach(twins[0], twins[1]) : try reach(source, destination)
                    memo[key] = cell
                    statistics.engineRuns += 1
                }
                cell.source = source
                cell.destination = destination
                body(cell)
            }
        }
        statistics.codeAnalyses = index.distinctOutcomeVectors
        return statistics
    }

    public func reach(_ source: String, _ destination: String) throws(ModelError) -> ReachCell {
        var cell = ReachCell(source: source, destination: destination, tcp: .empty, udp: .empty, icmp: false, blockers: [:])
        for ipProtocol in [IPProtocol.tcp, .udp, .icmp] {
            let result = try analyze(PathQuery(from: source, to: destination, protocol: ipProtocol), detail: .verdict)
            switch ipProtocol {
            case .tcp: cell.tcp = result.reachablePorts
            case .udp: cell.udp = result.reachablePorts
            default: cell.icmp = result.isReachable
            }
            cell.blockers[ipProtocol.description] = Self.codes(of: result)
        }
        return cell
    }

    /// The explanation codes of what blocks one protocol between two endpoints (nil: nothing blocks).
    func blockerCodes(_ source: String, _ destination: String, _ ipProtocol: IPProtocol) throws(ModelError) -> [String]? {
        Self.codes(of: try analyze(PathQuery(from: source, to: destination, protocol: ipProtocol), detail: .verdict))
    }

    private static func codes(of result: Reachability) -> [String]? {
        let codes = (result.analysis.explanations + result.partialBlocks).map(\.explanationCode.rawValue)
        return codes.isEmpty ? nil : Array(Set(codes)).sorted()
    }
}

extension CompiledNetwork {
    /// Every ordered pair of distinct endpoints, computed once per class of interchangeable endpoints.
    ///
    /// Two instances are interchangeable when nothing the engine reads tells them apart: the same
    /// state, subnet, security groups, ephemeral ports, load balancer registrations, public address or
    /// not, and the same set of CIDRs of the network (rules, entries, routes, subnets) holding each of
    /// their addresses; an instance that forwards (a NAT instance, a route target, source/destination
    /// check off) is a class of its own, as are load balancers, NAT gateways and the internet. One pair
    /// of representatives answers for every pair of their classes (two distinct members for a class to
    /// itself). The answer per pair is exactly `reach(_:_:)`'s (held so by property tests).
    public func reachAll(_ endpoints: [String]) throws(ModelError) -> [ReachCell] { try reach(from: endpoints, to: endpoints) }
}
