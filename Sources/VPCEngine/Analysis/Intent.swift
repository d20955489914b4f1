import VPCModel

/// A claim about a design, checked against the engine: "the internet reaches the ELB on 80 and 443 only".
public struct Intent: Hashable, Sendable {
    /// What the claim says about reachability.
    public enum Expectation: Hashable, Sendable, CustomStringConvertible {
        /// Some packet of the query makes the round trip (true) or none does (false).
        case reachable(Bool)
        /// Exactly these destination ports of the query are reachable.
        case exactlyPorts(IntervalSet)
        /// Every packet of the query makes the round trip: every source port of the source's range,
        /// every asked-for destination port, nothing partly blocked.
        case fully

        public var description: String {
            switch self {
            case .reachable(true): "reachable"
            case .reachable(false): "unreachable"
            case .fully: "fully reachable"
            case .exactlyPorts(let ports): "only \(ports.isEmpty ? "no ports" : "port\(ports.count == 1 ? "" : "s") \(ports)")"
            }
        }
    }

    public var name: String
    public var query: PathQuery
    public var expectation: Expectation
    /// Where the intent is written (line number in its file), for messages.
    public var line: Int?

    public init(name: String, query: PathQuery, expectation: Expectation, line: Int? = nil) {
        self.name = name
        self.query = query
        self.expectation = expectation
        self.line = line
    }
}

/// The verdict on one intent.
public struct IntentResult: Sendable {
    public var intent: Intent
    public var reachability: Reachability
    public var holds: Bool
    /// What the engine found, in the expectation's terms.
    public var actual: String
}

extension CompiledNetwork {
    /// Checks one intent.
    public func check(_ intent: Intent) throws(ModelError) -> IntentResult { try check(intent, detail: .full) }

    func check(_ intent: Intent, detail: Detail) throws(ModelError) -> IntentResult {
        let result = try analyze(intent.query, detail: detail)
        switch intent.expectation {
        case .reachable(let expected):
            let actual = result.isReachable
            let text =
                actual
                ? (result.reachablePorts == result.queriedPorts || !intent.query.ipProtocol.hasPorts
                    ? "reachable" : "reachable on \(result.reachablePorts)")
                : "unreachable"
            return IntentResult(intent: intent, reachability: result, holds: actual == expected, actual: text)
        case .fully:
            let whole = result.isReachable && result.reachablePorts == result.queriedPorts && result.partialBlocks.isEmpty
            let text =
                !result.isReachable
                ? "unreachable"
                : whole
                    ? "fully reachable"
                    : result.reachablePorts != result.queriedPorts ? "reachable on \(result.reachablePorts) only" : "partly blocked"
            return IntentResult(intent: intent, reachability: result, holds: whole, actual: text)
        case .exactlyPorts(let expected):
            let actual = result.isReachable ? result.reachablePorts : .empty
            return IntentResult(
                intent: intent, reachability: result, holds: actual == expected,
                actual: actual.isEmpty ? "unreachable" : "only \(actual)")
        }
    }
}
