import Logging
import Synchronization
import VPCEngine
import VPCModel

/// The network the data plane enforces: one version of a region's state, compiled once.
public struct NetworkView: Sendable {
    /// Changes whenever the state changes (the API server's region version, or 0 for a file).
    public var version: Int
    public var network: CompiledNetwork
    public var topology: Topology { network.topology }

    public init(version: Int, network: CompiledNetwork) {
        self.version = version
        self.network = network
    }
}

/// Where the data plane reads the current network from: a topology file, or the API server's live state.
public protocol NetworkFeed: Sendable {
    func current() async throws -> NetworkView
}

/// A network that never changes (a topology file without an API server).
public struct FixedNetwork: NetworkFeed {
    let view: NetworkView
    public init(_ topology: Topology) { view = NetworkView(version: 0, network: CompiledNetwork(topology)) }
    public func current() async throws -> NetworkView { view }
}

/// A class of flows the data plane admits or refuses as a whole: the engine's answer is the same for
/// every connection of the class, so it is computed once per network version.
public enum FlowClass: Hashable, Sendable, CustomStringConvertible {
    /// A client from the internet to a load balancer listener port.
    case listener(loadBalancer: String, port: Int)
    /// A load balancer node (its network interface) to an instance port: requests and health checks.
    case backend(node: String, instance: String, port: Int)
    /// An instance to a destination ("internet" or a public IPv4 address) on a TCP port.
    case egress(instance: String, destination: String, port: Int)

    public var description: String {
        switch self {
        case .listener(let balancer, let port): "internet -> \(balancer):\(port)"
        case .backend(let node, let instance, let port): "\(node) -> \(instance):\(port)"
        case .egress(let instance, let destination, let port): "\(instance) -> \(destination):\(port)"
        }
    }

    var query: PathQuery {
        switch self {
        case .listener(let balancer, let port):
            PathQuery(from: "internet", to: balancer, protocol: .tcp, ports: try? PortRange(port: port))
        case .backend(let node, let instance, let port):
            PathQuery(from: node, to: instance, protocol: .tcp, ports: try? PortRange(port: port))
        case .egress(let instance, let destination, let port):
            PathQuery(from: instance, to: destination, protocol: .tcp, ports: try? PortRange(port: port))
        }
    }
}

/// The engine's verdict on a flow class, with the reason: the path when allowed, every blocker when not.
public struct Decision: Sendable, Hashable {
    public var allowed: Bool
    public var reason: String
    /// The explanation codes of the blockers (empty when allowed).
    public var codes: [String]
}

/// Admission decisions from the compiled network, cached per flow class and network version.
///
/// A lookup is a dictionary read under a mutex; the engine runs only on the first connection of a
/// class after each change, so admission does not slow the proxy.
public final class Admission: Sendable {
    private struct State {
        var view: NetworkView
        var decisions: [FlowClass: Decision] = [:]
    }
    private let state: Mutex<State>
    /// The version of `state.view`, readable without the lock (for `Memo`).
    private let version: Atomic<Int>
    private let logger: Logger

    public init(_ view: NetworkView, logger: Logger) {
        state = Mutex(State(view: view))
        version = Atomic(view.version)
        self.logger = logger
    }

    /// One connection's last decision: while the network's version is unchanged, the same flow class
    /// gets it again without the shared lock (a keep-alive connection re-checks every request).
    public struct Memo {
        var version: Int
        var flow: FlowClass
        var decision: Decision
    }

    /// `decide(_:)`, answered from the connection's memo when the network has not changed since.
    public func decide(_ flow: FlowClass, memo: inout Memo?) -> Decision {
        let current = version.load(ordering: .acquiring)
        if let memo, memo.version == current, memo.flow == flow { return memo.decision }
        let decision = decide(flow)
        memo = Memo(version: current, flow: flow, decision: decision)
        return decision
    }

    public var view: NetworkView { state.withLock { $0.view } }

    /// Moves to a new version of the network; every cached decision is dropped.
    public func update(_ view: NetworkView) {
        state.withLock { state in
            guard state.view.version != view.version else { return }
            state = State(view: view)
            version.store(view.version, ordering: .releasing)
        }
    }

    /// Whether the network lets this class of flows through, and why.
    public func decide(_ flow: FlowClass) -> Decision {
        // The view is copied out only on a miss (a copy retains every part of it).
        if let cached = state.withLock({ $0.decisions[flow] }) { return cached }
        let view = state.withLock { $0.view }
        let decision = Self.evaluate(flow, in: view.network)
        state.withLock { state in
            if state.view.version == view.version { state.decisions[flow] = decision }
        }
        logger.info(
            "admission decision",
            metadata: [
                "flow": "\(flow)", "allowed": "\(decision.allowed)", "reason": "\(decision.reason)",
                "codes": "\(decision.codes.joined(separator: ","))", "version": "\(view.version)",
            ])
        return decision
    }

    public static func evaluate(_ flow: FlowClass, in network: CompiledNetwork) -> Decision {
        do {
            let result = try network.analyze(flow.query)
            if result.isReachable { return Decision(allowed: true, reason: result.reason, codes: []) }
            let explanations = result.analysis.explanations
            let reason = explanations.isEmpty ? result.reason : explanations.map { "\($0.explanationCode): \($0.message)" }.joined(separator: " ")
            return Decision(allowed: false, reason: reason, codes: explanations.map(\.explanationCode.rawValue))
        } catch {
            return Decision(allowed: false, reason: "\(error)", codes: [])
        }
    }

    /// What an egress request is for, decided with the model (LocalVPC choice, docs/data-plane.md): a
    /// host name is the internet at large; a public IPv4 address is itself, on the internet; an address an
    /// instance of the network holds is that instance (its backend, when the engine allows); every other
    /// address (private, loopback, link-local, reserved) is refused: nothing leaves for the host's networks.
    public enum EgressTarget: Equatable, Sendable {
        case internet(destination: String)
        case instance(id: String)
        case refused(reason: String)
    }

    public static func egressTarget(host: String, in network: CompiledNetwork) -> EgressTarget {
        guard let address = IPv4Address(host) else {
            if host.lowercased() == "localhost" || host.lowercased().hasSuffix(".localhost") {
                return .refused(reason: "\(host) is this machine, not a host of the internet or of the network")
            }
            return .internet(destination: "internet")
        }
        if let id = network.instance(holding: address) { return .instance(id: id.rawValue) }
        if AddressSpace.internet.contains(address.value) { return .internet(destination: host) }
        if network.topology.vpcs.contains(where: { $0.contains(address) }) {
            return .refused(reason: "\(host) is in a VPC of the network, but no instance holds it")
        }
        return .refused(reason: "\(host) is not an internet address (private, loopback, link-local or reserved) and no instance holds it")
    }
}
