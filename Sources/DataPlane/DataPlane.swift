import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import Synchronization
import VPCEngine
import VPCModel

/// What `localvpc up` runs: every Classic Load Balancer listener as a local reverse proxy (HTTP, or
/// HTTPS terminating TLS), backends for the registered instances, health checks as configured, and an
/// egress proxy per instance; every connection admitted or refused by the engine on the current network.
public struct DataPlaneConfiguration: Sendable {
    /// Listener bindings, "LOADBALANCER:PORT" → local address (default: 127.0.0.1, port + `listenerPortOffset`).
    public var listen: [String: HostAndPort] = [:]
    /// Backend bindings, "INSTANCE" or "INSTANCE:PORT" (name or ID) → the process serving it.
    public var backends: [String: HostAndPort] = [:]
    /// Egress proxy bindings, "INSTANCE" (name or ID) → local address (default: a free port).
    public var egress: [String: HostAndPort] = [:]
    /// Stand-ins for internet hosts, "HOST" or "HOST:PORT" → a local address: an egress connection the
    /// engine allows to HOST:PORT is made to the stand-in (tests keep all traffic on loopback this way).
    public var internet: [String: HostAndPort] = [:]
    /// A PEM certificate (chain) and key for HTTPS listeners; a self-signed one is made when absent.
    public var certificatePath: String?
    public var keyPath: String?
    /// Multiplies health check intervals and timeouts (0.1 runs them ten times as often).
    public var healthCheckScale = 1.0
    /// Overrides every load balancer's idle timeout (a client connection with no request for this long
    /// is closed); nil keeps each one's own `ConnectionSettings.IdleTimeout` (AWS default 60 s).
    public var idleTimeout: TimeAmount?
    /// A backend that does not start its response within this long gets the client a 504.
    public var backendTimeout = TimeAmount.seconds(60)
    public var connectTimeout = TimeAmount.seconds(5)
    /// Request headers larger than this get 431 (ELB Classic's limit is on the order of 16 KB).
    public var maximumHeaderBytes = 16 * 1024
    /// Start a built-in web server for each registered instance that has no backend binding.
    public var demoBackends = true
    /// A listener on port P binds 127.0.0.1:(P + offset) unless bound explicitly; nil picks free ports.
    public var listenerPortOffset: Int? = 8000
    /// Event loop threads of the data plane's own; nil shares SwiftNIO's singleton group (one loop per
    /// core), which `localvpc` also runs the API server and Swift concurrency on.
    ///
    /// LocalVPC's choice: two per core by default. The data plane shares the machine with its clients
    /// and backends; with one loop per core a loop under load stays busy until the scheduler preempts
    /// it, and every connection on it waits out the other threads' turn (measured on 2 cores with a new
    /// connection per request: 265 involuntary context switches per 1,000 requests and a p99 1.57–1.73×
    /// HAProxy's). With two per core a loop empties its queue and sleeps (63 per 1,000; p99 1.16–1.40×),
    /// for about 10% more CPU per request (README, "Data plane benchmark against HAProxy").
    public var threads: Int? = DataPlaneConfiguration.defaultThreads
    public static var defaultThreads: Int { 2 * System.coreCount }

    public init() {}
}

/// "host:port", "http://host:port" or ":port".
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        var rest = Substring(text)
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = rest[..<colon]
        self.init(host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
    }

    public var description: String { "\(host):\(port)" }
}

/// A local endpoint the data plane opened, as printed at start-up.
public struct Endpoint: Sendable, CustomStringConvertible {
    /// "listener", "backend" or "egress".
    public var kind: String
    /// The load balancer listener or the instance it belongs to.
    public var owner: String
    public var url: String
    public var note: String

    public var description: String { "\(kind) \(owner) \(url)\(note.isEmpty ? "" : " (\(note))")" }
}

/// The health of a registered instance, as `DescribeInstanceHealth` reports it.
public struct InstanceHealth: Sendable, Hashable {
    /// "InService", "OutOfService" or "Unknown".
    public var state: String
    /// "Instance", "ELB" or "N/A".
    public var reasonCode: String
    public var description: String
    /// Why the last check failed (LocalVPC's addition), empty when it passed.
    public var detail: String
}

/// A listener's identity in the running data plane.
final class ListenerRuntime: Sendable, CustomStringConvertible {
    let plane: DataPlane
    let balancer: String
    let listener: ClassicLoadBalancer.Listener
    /// This listener's metrics, looked up once (not under the registry's lock per connection).
    let latency: DurationHistogram
    private let connectionsAdmitted: Counter
    private let backendsAdmitted: Counter
    /// "\r\nX-Forwarded-Proto: …\r\nX-Forwarded-Port: …\r\n\r\n": what follows the client's address in
    /// every forwarded request head.
    let forwardedProtoAndPort: [UInt8]
    /// The load balancer's routing: its nodes' round robin and the instances they may use.
    let router: BalancerRouter
    init(plane: DataPlane, balancer: String, listener: ClassicLoadBalancer.Listener) {
        self.plane = plane
        self.balancer = balancer
        self.listener = listener
        router = plane.router(balancer: balancer)
        let proto = listener.listenerProtocol == .https ? "https" : "http"
        forwardedProtoAndPort = Array("\r\nX-Forwarded-Proto: \(proto)\r\nX-Forwarded-Port: \(listener.loadBalancerPort)\r\n\r\n".utf8)
        latency = plane.metrics.latency(balancer: balancer, port: listener.loadBalancerPort)
        connectionsAdmitted = plane.metrics.admissionCounter(kind: "listener", allowed: true)
        backendsAdmitted = plane.metrics.admissionCounter(kind: "backend", allowed: true)
    }
    var description: String { "\(balancer) \(listener)" }

    /// Clients of this listener stand for the internet.
    var clientFlow: FlowClass { .listener(loadBalancer: balancer, port: listener.loadBalancerPort) }

    /// Whether the engine lets a new client connection reach this listener, counted in the admission
    /// metrics. `memo` (the loop's last decision for this listener) answers while the network is unchanged.
    func admitClient(memo: inout Admission.Memo?) -> Decision {
        counted(plane.admission.decide(clientFlow, memo: &memo), allowedCounter: connectionsAdmitted, kind: "listener")
    }

    /// Whether the engine lets the load balancer node reach the instance on the instance port, counted.
    func admitBackend(node: String, instance: String, memo: inout Admission.Memo?) -> Decision {
        let flow = FlowClass.backend(node: node, instance: instance, port: listener.instancePort)
        return counted(plane.admission.decide(flow, memo: &memo), allowedCounter: backendsAdmitted, kind: "backend")
    }

    private func counted(_ decision: Decision, allowedCounter: Counter, kind: String) -> Decision {
        if decision.allowed { allowedCounter.increment() } else { plane.metrics.admission(kind: kind, allowed: false) }
        return decision
    }
}

/// What a data-plane event loop keeps of its own: its keep-alive backend connections, the clock of
/// its client connections' deadlines, its last admission decisions and its copies of routing tables.
final class LoopResources {
    let pool: BackendPool
    let clock: ConnectionClock
    /// The last admission decisions made on this loop for each listener's clients and backend
    /// requests: a new connection starts from them instead of the shared cache (no lock while the
    /// network's version is unchanged).
    var listenerMemos: [ObjectIdentifier: Admission.Memo] = [:]
    var backendMemos: [ObjectIdentifier: Admission.Memo] = [:]
    /// This loop's copy of each load balancer's routing table.
    private var routeCaches: [ObjectIdentifier: RouteCache] = [:]
    init(pool: BackendPool, clock: ConnectionClock) {
        self.pool = pool
        self.clock = clock
    }

    /// This loop's copy of the router's table (a connection looks it up once).
    func routeCache(_ router: BalancerRouter) -> RouteCache {
        if let existing = routeCaches[ObjectIdentifier(router)] { return existing }
        let made = RouteCache()
        routeCaches[ObjectIdentifier(router)] = made
        return made
    }
}

/// Where a request goes.
enum Choice {
    case unavailable(String)
    /// `load` counts the request against the instance until the caller ends it (least outstanding requests).
    case instance(String, nodeInterface: String, address: SocketAddress, load: InstanceLoad?)
}

public final class DataPlane: Sendable {
    public let configuration: DataPlaneConfiguration
    public let metrics: DataPlaneMetrics
    let logger: Logger
    let admission: Admission
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    let feed: any NetworkFeed
    private let pools: Pools
    let runtime: Mutex<Runtime>
    let tls: NIOSSLContext
    let tlsNote: String
    private let onEndpoint: @Sendable (Endpoint) -> Void
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    /// Per-loop backend pools and connection clocks, only touched on their own loop.
    private final class Pools: @unchecked Sendable {
        var byLoop: [ObjectIdentifier: LoopResources] = [:]
    }

    struct ListenerKey: Hashable {
        var balancer: String
        var listener: ClassicLoadBalancer.Listener
    }

    struct HealthKey: Hashable {
        var balancer: String
        var instance: String
    }

    struct HealthRecord {
        enum Phase { case registering, inService, outOfService }
        var phase = Phase.registering
        var successes = 0
        var failures = 0
        var reasonCode = "ELB"
        var description = "Instance registration is still in progress."
        var detail = ""
    }

    struct Runtime {
        var balancers: [String: ClassicLoadBalancer] = [:]
        var zoneOfSubnet: [Subnet.ID: String] = [:]
        var instanceZone: [String: String] = [:]
        var instanceNames: [String: String] = [:]
        var instanceStates: [String: Instance.State] = [:]
        var health: [HealthKey: HealthRecord] = [:]
        var healthTasks: [HealthKey: (task: RepeatedTask, check: ClassicLoadBalancer.HealthCheck)] = [:]
        var listeners: [ListenerKey: [any Channel]] = [:]
        var demoServers: [String: (channel: any Channel, address: SocketAddress)] = [:]
        var egress: [String: (channel: any Channel, address: SocketAddress)] = [:]
        var backendAddresses: [String: SocketAddress] = [:]
        /// Each load balancer's routing, shared by its listeners (kept after the balancer is deleted,
        /// with a table that says so).
        var routers: [String: BalancerRouter] = [:]
        var endpoints: [Endpoint] = []
    }

    private init(
        feed: any NetworkFeed, view: NetworkView, configuration: DataPlaneConfiguration, logger: Logger, metrics: DataPlaneMetrics,
        onEndpoint: @escaping @Sendable (Endpoint) -> Void
    ) throws {
        self.feed = feed
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.onEndpoint = onEndpoint
        self.admission = Admission(view, logger: logger)
        self.ownsGroup = configuration.threads != nil
        self.group = configuration.threads.map { MultiThreadedEventLoopGroup(numberOfThreads: max(1, $0)) } ?? .singleton
        let pools = Pools()
        for loop in group.makeIterator() {
            pools.byLoop[ObjectIdentifier(loop)] = LoopResources(
                pool: BackendPool(eventLoop: loop),
                clock: ConnectionClock(
                    eventLoop: loop, idleTimeout: configuration.idleTimeout ?? .seconds(1), backendTimeout: configuration.backendTimeout))
        }
        self.pools = pools
        self.runtime = Mutex(Runtime())
        (self.tls, self.tlsNote) = try TLSSupport.serverContext(certificatePath: configuration.certificatePath, keyPath: configuration.keyPath)
    }

    /// Starts the data plane on the feed's current network and follows its changes (polled every 200 ms).
    public static func start(
        feed: any NetworkFeed, configuration: DataPlaneConfiguration = DataPlaneConfiguration(), logger: Logger,
        metrics: DataPlaneMetrics = DataPlaneMetrics(), onEndpoint: @escaping @Sendable (Endpoint) -> Void = { _ in }
    ) async throws -> DataPlane {
        let view = try await feed.current()
        let plane = try DataPlane(feed: feed, view: view, configuration: configuration, logger: logger, metrics: metrics, onEndpoint: onEndpoint)
        do {
            try await plane.reconcile(view)
        } catch {
            await plane.shutdown()
            throw error
        }
        plane.watcher.withLock { task in
            task = Task { [weak plane] in
                var version = view.version
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    guard let plane, let next = try? await plane.feed.current() else { continue }
                    guard next.version != version else { continue }
                    version = next.version
                    do {
                        try await plane.reconcile(next)
                    } catch {
                        plane.logger.error("cannot apply the network change", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        return plane
    }

    /// Stops every listener, proxy, server and health check.
    public func shutdown() async {
        watcher.withLock { $0?.cancel() }
        let channels = runtime.withLock { runtime -> [any Channel] in
            for (_, entry) in runtime.healthTasks { entry.task.cancel() }
            runtime.healthTasks = [:]
            return runtime.listeners.values.flatMap { $0 } + runtime.demoServers.values.map(\.channel) + runtime.egress.values.map(\.channel)
        }
        for channel in channels { try? await channel.close() }
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Every endpoint opened so far.
    public var endpoints: [Endpoint] { runtime.withLock { $0.endpoints } }

    /// The health of an instance registered with a load balancer, or nil if it is not registered.
    public func health(balancer: String, instance: String) -> InstanceHealth? {
        runtime.withLock { runtime in
            guard let record = runtime.health[HealthKey(balancer: balancer, instance: instance)] else { return nil }
            let state = record.phase == .inService ? "InService" : "OutOfService"
            return InstanceHealth(
                state: state, reasonCode: record.phase == .inService ? "N/A" : record.reasonCode,
                description: record.phase == .inService ? "N/A" : record.description, detail: record.detail)
        }
    }

    /// A loop's backend pool and connection clock (a client connection looks them up once).
    func resources(for loop: any EventLoop) -> LoopResources { pools.byLoop[ObjectIdentifier(loop)]! }

    /// A load balancer's routing (a listener looks it up once).
    func router(balancer: String) -> BalancerRouter {
        runtime.withLock { runtime in
            if let existing = runtime.routers[balancer] { return existing }
            let made = BalancerRouter(name: balancer)
            runtime.routers[balancer] = made
            if let found = runtime.balancers[balancer] { made.setIdleTimeout(seconds: found.idleTimeout) }
            made.install(Self.routingTable(balancer, router: made, runtime))
            return made
        }
    }

    /// Gives every load balancer's router a new table: called, under the runtime lock, when the
    /// network or an instance's health changes, so a request only indexes into a table. (A router is
    /// made, with its first table, when a listener first asks for it.)
    static func rebuildRoutes(_ runtime: inout Runtime) {
        for (name, router) in runtime.routers {
            if let balancer = runtime.balancers[name] { router.setIdleTimeout(seconds: balancer.idleTimeout) }
            router.install(routingTable(name, router: router, runtime))
        }
    }

    private static func routingTable(_ name: String, router: BalancerRouter, _ runtime: Runtime) -> RoutingTable {
        guard let balancer = runtime.balancers[name] else { return RoutingTable(nodes: [], missing: "load balancer \(name) no longer exists") }
        let registered = balancer.instanceIDs.map(\.rawValue)
        let inService = registered.filter { runtime.health[HealthKey(balancer: name, instance: $0)]?.phase == .inService }
        let nodes = balancer.nodes.map { node -> RoutingTable.NodeRoute in
            let zone = runtime.zoneOfSubnet[node.subnetID]
            let usable = balancer.crossZone ? inService : inService.filter { runtime.instanceZone[$0] == zone }
            let targets = usable.map { id in
                var addresses: [Int: SocketAddress] = [:]
                for (key, address) in runtime.backendAddresses where key.hasPrefix(id + ":") {
                    if let port = Int(key.dropFirst(id.count + 1)) { addresses[port] = address }
                }
                return RoutingTable.Target(instance: id, addresses: addresses, fallback: runtime.backendAddresses[id], load: router.load(of: id))
            }
            var reason = ""
            if registered.isEmpty {
                reason = "no instances are registered with load balancer \(name)"
            } else if inService.isEmpty {
                let why = registered.map { id -> String in
                    let record = runtime.health[HealthKey(balancer: name, instance: id)]
                    let detail = record.map { $0.detail.isEmpty ? $0.description : $0.detail } ?? "not checked yet"
                    return "\(runtime.instanceNames[id] ?? id): \(detail)"
                }
                reason = "no instance of load balancer \(name) is InService (\(why.joined(separator: "; ")))"
            } else if targets.isEmpty {
                reason = "the node in \(zone ?? "?") has no InService instance in its zone and cross-zone load balancing is off (ELB_NOT_CROSSZONE)"
            }
            return RoutingTable.NodeRoute(interface: node.networkInterfaceID.rawValue, targets: targets, unavailable: reason)
        }
        return RoutingTable(nodes: nodes)
    }

    /// A flow's verdict, counted in the metrics.
    /// Where an instance of the network is served on a port in this data plane (its backend), if anywhere.
    func backendAddress(instance: String, port: Int) -> HostAndPort? {
        let address = runtime.withLock { $0.backendAddresses["\(instance):\(port)"] ?? $0.backendAddresses[instance] }
        guard let address, let ip = address.ipAddress, let boundPort = address.port else { return nil }
        return HostAndPort(host: ip, port: boundPort)
    }

    func admit(_ flow: FlowClass, kind: String) -> Decision {
        let decision = admission.decide(flow)
        metrics.admission(kind: kind, allowed: decision.allowed)
        return decision
    }

    func announce(_ endpoint: Endpoint) {
        runtime.withLock { $0.endpoints.append(endpoint) }
        logger.info("endpoint", metadata: ["kind": "\(endpoint.kind)", "owner": "\(endpoint.owner)", "url": "\(endpoint.url)"])
        onEndpoint(endpoint)
    }
}
