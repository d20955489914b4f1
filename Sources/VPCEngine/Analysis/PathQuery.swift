import VPCModel

/// A question for the engine: can traffic from a source reach a destination?
///
/// Mirrors `CreateNetworkInsightsPath` + `StartNetworkInsightsAnalysis`: source and destination,
/// protocol, destination ports, and the components a path must (`FilterInArns`) or must not
/// (`FilterOutArns`) traverse.
public struct PathQuery: Hashable, Sendable {
    /// "internet", an IPv4 address, or a resource name or ID (instance, network interface, load balancer).
    public var source: String
    public var destination: String
    public var ipProtocol: IPProtocol
    /// The ports at the destination; `nil` means every port (or, for a protocol without ports, none).
    public var destinationPorts: PortRange?
    /// Overrides the source ports (default: every port from the internet, the OS's ephemeral range from an instance).
    public var sourcePorts: PortRange?
    /// Components the path must traverse (names or IDs).
    public var through: [String]
    /// Components the path must not traverse (names or IDs).
    public var avoiding: [String]
    /// Narrows "internet" as the source or destination to these addresses (Network Access Analyzer's
    /// packet header statements).
    public var sourceAddresses: IntervalSet?
    public var destinationAddresses: IntervalSet?

    public init(
        from source: String, to destination: String, protocol ipProtocol: IPProtocol = .tcp, ports: PortRange? = nil,
        sourcePorts: PortRange? = nil, through: [String] = [], avoiding: [String] = []
    ) {
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.destinationPorts = ports
        self.sourcePorts = sourcePorts
        self.through = through
        self.avoiding = avoiding
    }
}

/// What the engine found, with the analysis in AWS's shape.
public struct Reachability: Sendable {
    public var query: PathQuery
    public var analysis: NetworkInsightsAnalysis
    public var isReachable: Bool { analysis.networkPathFound }
    /// The destination ports (as the query means them) for which some packet makes the round trip.
    public var reachablePorts: IntervalSet
    /// The asked-for destination ports.
    public var queriedPorts: IntervalSet
    /// Components that block part of the packets on the reported path (empty when none).
    public var partialBlocks: [Explanation]
    /// The component and rule that decide the verdict, in one sentence.
    public var reason: String
}
