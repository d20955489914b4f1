import NIOCore
import Synchronization

/// One load balancer's routing, shared by its listeners and kept while the network changes: where
/// each node may send requests (a `RoutingTable`, replaced when the network or an instance's health
/// changes), the DNS round robin over its nodes, the round robin over instances and each instance's
/// requests in flight.
///
/// A request reads the table its event loop already holds (a `RouteCache`) while the router's version
/// is unchanged, and counts on atomics: no shared lock and no hashing of names per request.
final class BalancerRouter: Sendable {
    let name: String
    private let current: Mutex<(table: RoutingTable, version: Int)>
    private let version = Atomic<Int>(0)
    private let nodeTurn = Atomic<Int>(0)
    private let instanceTurn = Atomic<Int>(0)
    /// Each instance's requests in flight, kept across tables.
    private let loads = Mutex<[String: InstanceLoad]>([:])
    /// The load balancer's idle timeout (`ConnectionSettings.IdleTimeout`) in nanoseconds, set with each table.
    private let idleNanoseconds = Atomic<Int64>(60_000_000_000)

    /// The load balancer's idle timeout, as the network last said.
    var idleTimeout: TimeAmount { .nanoseconds(idleNanoseconds.load(ordering: .relaxed)) }
    func setIdleTimeout(seconds: Int) { idleNanoseconds.store(Int64(seconds) * 1_000_000_000, ordering: .relaxed) }

    init(name: String) {
        self.name = name
        current = Mutex((RoutingTable(nodes: [], missing: "load balancer \(name) has no routes yet"), 0))
    }

    /// The node (an index into the balancer's nodes) for a new client connection: DNS round robin.
    func nextNode() -> Int { nodeTurn.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max }

    /// The instance's in-flight counter, made on first use.
    func load(of instance: String) -> InstanceLoad {
        loads.withLock { loads in
            if let existing = loads[instance] { return existing }
            let made = InstanceLoad()
            loads[instance] = made
            return made
        }
    }

    /// Replaces the table (under the data plane's runtime lock, so installs do not race each other).
    func install(_ table: RoutingTable) {
        current.withLock { current in
            current = (table, current.version + 1)
            version.store(current.version, ordering: .releasing)
        }
    }

    /// The instance for a request or connection, among the InService instances the node may use (its
    /// own zone's unless cross-zone load balancing is on). Classic ELB "selects a registered instance
    /// using the round robin routing algorithm for TCP listeners and the least outstanding requests
    /// routing algorithm for HTTP and HTTPS listeners" (ELB Classic guide, "How Elastic Load Balancing
    /// works"); ties go round robin, so sequential requests alternate. With `leastOutstanding`, the
    /// choice counts a request in flight until the caller ends it (`Choice.instance`'s load).
    func choose(node: Int, port: Int, leastOutstanding: Bool, cache: RouteCache) -> Choice {
        let seen = version.load(ordering: .acquiring)
        if cache.version != seen {
            (cache.table, cache.version) = current.withLock { ($0.table, $0.version) }
        }
        let table = cache.table
        if let missing = table.missing { return .unavailable(missing) }
        guard !table.nodes.isEmpty else { return .unavailable("load balancer \(name) has no subnets, so no nodes") }
        let route = table.nodes[node % table.nodes.count]
        guard !route.targets.isEmpty else { return .unavailable(route.unavailable) }
        let turn = instanceTurn.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        var chosen = route.targets[turn % route.targets.count]
        if leastOutstanding {
            var fewest = chosen.load.count
            for offset in 1..<max(route.targets.count, 1) where fewest > 0 {
                let candidate = route.targets[(turn + offset) % route.targets.count]
                let load = candidate.load.count
                if load < fewest {
                    fewest = load
                    chosen = candidate
                }
            }
        }
        guard let address = chosen.addresses[port] ?? chosen.fallback else {
            return .unavailable("instance \(chosen.instance) has no backend process for port \(port)")
        }
        if leastOutstanding { chosen.load.begin() }
        return .instance(chosen.instance, nodeInterface: route.interface, address: address, load: leastOutstanding ? chosen.load : nil)
    }
}

/// Where each node of a load balancer may send requests: made when the network or an instance's
/// health changes, read by requests as it is.
final class RoutingTable: Sendable {
    struct Target: Sendable {
        let instance: String
        let addresses: [Int: SocketAddress]
        let fallback: SocketAddress?
        let load: InstanceLoad
    }
    struct NodeRoute: Sendable {
        let interface: String
        let targets: [Target]
        /// Why there is no target (the 503's reason).
        let unavailable: String
    }
    let nodes: [NodeRoute]
    /// Why the load balancer has no routes at all (it no longer exists), or nil.
    let missing: String?

    init(nodes: [NodeRoute], missing: String? = nil) {
        self.nodes = nodes
        self.missing = missing
    }
}

/// An instance's requests in flight (least outstanding requests).
final class InstanceLoad: Sendable {
    private let outstanding = Atomic<Int>(0)
    var count: Int { outstanding.load(ordering: .relaxed) }
    func begin() { outstanding.wrappingAdd(1, ordering: .relaxed) }
    func end() { outstanding.wrappingSubtract(1, ordering: .relaxed) }
}

/// An event loop's copy of a router's table and the version it was read at.
final class RouteCache {
    var version = -1
    var table = RoutingTable(nodes: [], missing: "")
}
