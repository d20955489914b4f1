import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Prometheus
import Synchronization
import VPCEngine
import VPCModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A binding on the command line that names nothing in the network.
public struct DataPlaneError: Error, CustomStringConvertible {
    public var description: String
}

struct RefusedConnection: Error {}

extension DataPlane {
    /// Brings the running data plane in line with a network version: listeners for every listener of
    /// every load balancer, backends and egress proxies for the instances, health checks as configured.
    func reconcile(_ view: NetworkView) async throws {
        admission.update(view)
        let topology = view.topology
        let instanceByReference = Self.instanceReferences(topology)
        try validateBindings(instanceByReference)

        // Indexes for request routing, swapped in at once.
        var zoneOfSubnet: [Subnet.ID: String] = [:]
        for subnet in topology.subnets { zoneOfSubnet[subnet.id] = subnet.availabilityZone }
        var instanceZone: [String: String] = [:]
        var instanceAddresses: [String: String] = [:]
        var instanceNames: [String: String] = [:]
        var instanceStates: [String: Instance.State] = [:]
        for instance in topology.instances {
            instanceStates[instance.id.rawValue] = instance.state
            instanceNames[instance.id.rawValue] = instance.name ?? instance.id.rawValue
            if let interface = topology.networkInterface(instance.primaryNetworkInterfaceID) {
                instanceZone[instance.id.rawValue] = zoneOfSubnet[interface.subnetID]
                instanceAddresses[instance.id.rawValue] = interface.primaryPrivateIP.description
            }
        }
        let balancers = Dictionary(topology.loadBalancers.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        let registered = Set(topology.loadBalancers.flatMap { $0.instanceIDs.map(\.rawValue) })

        let (wantedListeners, staleListeners, needDemo, needEgress) = runtime.withLock { runtime in
            runtime.balancers = balancers
            runtime.zoneOfSubnet = zoneOfSubnet
            runtime.instanceZone = instanceZone
            runtime.instanceNames = instanceNames
            runtime.instanceStates = instanceStates
            let wanted = topology.loadBalancers.flatMap { balancer in
                balancer.listeners.map { ListenerKey(balancer: balancer.id.rawValue, listener: $0) }
            }
            let missing = wanted.filter { runtime.listeners[$0] == nil }
            let stale = runtime.listeners.filter { !wanted.contains($0.key) }
            for key in stale.keys { runtime.listeners[key] = nil }
            let demo =
                configuration.demoBackends
                ? registered.filter { id in runtime.demoServers[id] == nil && !self.hasExplicitBackend(id, instanceByReference) }.sorted() : []
            let egress = topology.instances.map(\.id.rawValue).filter { runtime.egress[$0] == nil }
            return (missing, stale.values.flatMap { $0 }, demo, egress)
        }
        for channel in staleListeners { try? await channel.close() }

        for id in needDemo {
            let identity = "\(instanceNames[id] ?? id) (\(id)) \(instanceAddresses[id] ?? "")"
            let channel = try await DemoBackend.start(group: group, identity: identity)
            guard let address = channel.localAddress else { continue }
            runtime.withLock { $0.demoServers[id] = (channel, address) }
            announce(
                Endpoint(
                    kind: "backend", owner: "\(instanceNames[id] ?? id) \(id)", url: "http://127.0.0.1:\(address.port ?? 0)",
                    note: "built-in web server"))
        }
        try resolveBackends(instanceByReference, names: instanceNames)
        for id in needEgress {
            let name = instanceNames[id] ?? id
            let requested = configuration.egress[name] ?? configuration.egress[id] ?? HostAndPort(host: "127.0.0.1", port: 0)
            let channel = try await bindEgress(instance: id, at: requested)
            guard let address = channel.localAddress else { continue }
            runtime.withLock { $0.egress[id] = (channel, address) }
            announce(
                Endpoint(kind: "egress", owner: "\(name) \(id)", url: "http://\(requested.host):\(address.port ?? 0)", note: "HTTP_PROXY/HTTPS_PROXY")
            )
        }
        for key in wantedListeners {
            let channels = try await bindListener(key)
            runtime.withLock { $0.listeners[key] = channels }
        }
        reconcileHealthChecks(topology)
    }

    /// Instance names and IDs → instance IDs.
    static func instanceReferences(_ topology: Topology) -> [String: String] {
        var references: [String: String] = [:]
        for instance in topology.instances {
            references[instance.id.rawValue] = instance.id.rawValue
            if let name = instance.name { references[name] = instance.id.rawValue }
        }
        return references
    }

    /// A binding key "NAME" or "NAME:PORT" split into the instance ID and the port.
    static func split(_ key: String, _ references: [String: String]) -> (instance: String, port: Int?)? {
        if let id = references[key] { return (id, nil) }
        if let colon = key.lastIndex(of: ":"), let port = Int(key[key.index(after: colon)...]), let id = references[String(key[..<colon])] {
            return (id, port)
        }
        return nil
    }

    private func hasExplicitBackend(_ id: String, _ references: [String: String]) -> Bool {
        configuration.backends.keys.contains { Self.split($0, references)?.instance == id }
    }

    private func validateBindings(_ references: [String: String]) throws {
        for key in configuration.backends.keys.sorted() where Self.split(key, references) == nil {
            throw DataPlaneError(description: "--backend \(key): no instance is named or has the ID '\(key.split(separator: ":").first ?? "")'")
        }
        for key in configuration.egress.keys.sorted() where references[key] == nil {
            throw DataPlaneError(description: "--egress \(key): no instance is named or has the ID '\(key)'")
        }
    }

    /// The address each instance port is served at: the user's binding, else the built-in server.
    private func resolveBackends(_ references: [String: String], names: [String: String]) throws {
        var addresses: [String: SocketAddress] = [:]
        for (key, target) in configuration.backends {
            guard let (id, port) = Self.split(key, references) else { continue }
            let address = try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
            addresses[port.map { "\(id):\($0)" } ?? id] = address
        }
        let announced = runtime.withLock { runtime in
            for (id, server) in runtime.demoServers where addresses[id] == nil { addresses[id] = server.address }
            let isNew = runtime.backendAddresses.isEmpty
            runtime.backendAddresses = addresses
            DataPlane.rebuildRoutes(&runtime)
            return isNew
        }
        if announced {
            for (key, target) in configuration.backends.sorted(by: { $0.key < $1.key }) {
                guard let (id, _) = Self.split(key, references) else { continue }
                announce(Endpoint(kind: "backend", owner: "\(key) \(id)", url: "http://\(target)", note: "\(names[id] ?? id)'s process"))
            }
        }
    }

    private func listenAddress(_ key: ListenerKey) -> HostAndPort {
        let port = key.listener.loadBalancerPort
        if let explicit = configuration.listen["\(key.balancer):\(port)"] { return explicit }
        return HostAndPort(host: "127.0.0.1", port: configuration.listenerPortOffset.map { $0 + port } ?? 0)
    }

    /// Binds a listener once per event loop on one port (SO_REUSEPORT): each loop accepts its own
    /// connections and keeps them, so no connection is handed between threads.
    private func bindListener(_ key: ListenerKey) async throws -> [any Channel] {
        let requested = listenAddress(key)
        let listenerRuntime = ListenerRuntime(plane: self, balancer: key.balancer, listener: key.listener)
        let loops = Array(group.makeIterator())
        var channels: [any Channel] = []
        do {
            channels.append(try await listenerBootstrap(listenerRuntime, on: loops[0]).bind(host: requested.host, port: requested.port).get())
        } catch  where configuration.listen["\(key.balancer):\(key.listener.loadBalancerPort)"] == nil {
            // The default port is taken: any free port will do (it is printed).
            logger.warning(
                "default listener port taken, using a free one", metadata: ["listener": "\(listenerRuntime)", "port": "\(requested.port)"])
            channels.append(try await listenerBootstrap(listenerRuntime, on: loops[0]).bind(host: requested.host, port: 0).get())
        }
        let port = channels[0].localAddress?.port ?? requested.port
        for loop in loops.dropFirst() {
            do {
                channels.append(try await listenerBootstrap(listenerRuntime, on: loop).bind(host: requested.host, port: port).get())
            } catch {
                logger.warning(
                    "cannot share the listener port with another event loop", metadata: ["listener": "\(listenerRuntime)", "error": "\(error)"])
                break
            }
        }
        let secure = key.listener.listenerProtocol == .https || key.listener.listenerProtocol == .ssl
        let scheme = key.listener.listenerProtocol == .https ? "https" : key.listener.listenerProtocol == .http ? "http" : secure ? "ssl" : "tcp"
        announce(
            Endpoint(
                kind: "listener", owner: "\(key.balancer) \(key.listener)",
                url: "\(scheme)://\(requested.host):\(port)", note: secure ? tlsNote : ""))
        return channels
    }

    private func listenerBootstrap(_ listener: ListenerRuntime, on loop: any EventLoop) -> ServerBootstrap {
        let tls = listener.listener.listenerProtocol == .https || listener.listener.listenerProtocol == .ssl ? self.tls : nil
        let layer7 = listener.listener.listenerProtocol == .http || listener.listener.listenerProtocol == .https
        return ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 16)
            // Accepted sockets inherit TCP_NODELAY from the listening socket on Linux: no setsockopt per connection.
            .serverChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                do {
                    guard layer7 else {
                        return tcpListenerConnection(channel, listener: listener, node: try admitClient(channel, listener: listener).node, tls: tls)
                    }
                    try admitHTTPClient(channel, listener: listener, tls: tls)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }

    /// Admission: the engine must let the internet reach this listener. Returns the load balancer
    /// node DNS gives the client, and the decision to reuse for the connection's first request.
    private func admitClient(_ channel: any Channel, listener: ListenerRuntime) throws -> (node: Int, memo: Admission.Memo?) {
        let resources = resources(for: channel.eventLoop)
        var memo = resources.listenerMemos[ObjectIdentifier(listener)]
        let decision = listener.admitClient(memo: &memo)
        resources.listenerMemos[ObjectIdentifier(listener)] = memo
        guard decision.allowed else {
            logger.notice(
                "connection refused",
                metadata: ["listener": "\(listener)", "client": "\(channel.remoteAddress?.description ?? "?")", "reason": "\(decision.reason)"])
            throw RefusedConnection()
        }
        return (listener.router.nextNode(), memo)
    }

    /// An HTTP or HTTPS listener's new connection: admitted, then TLS (HTTPS) and the proxy handler.
    private func admitHTTPClient(_ channel: any Channel, listener: ListenerRuntime, tls: NIOSSLContext?) throws {
        let (node, memo) = try admitClient(channel, listener: listener)
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        try sync.addHandler(FrontendHandler(listener: listener, node: node, resources: resources(for: channel.eventLoop), admitted: memo))
    }

    /// A TCP or SSL listener: bytes relayed to the chosen instance (TLS terminated for SSL).
    private func tcpListenerConnection(_ channel: any Channel, listener: ListenerRuntime, node: Int, tls: NIOSSLContext?) -> EventLoopFuture<Void> {
        let port = listener.listener.instancePort
        let routes = resources(for: channel.eventLoop).routeCache(listener.router)
        guard
            case .instance(let instance, let nodeInterface, let address, _) = listener.router.choose(
                node: node, port: port, leastOutstanding: false, cache: routes)
        else {
            return channel.eventLoop.makeFailedFuture(RefusedConnection())
        }
        var memo: Admission.Memo?
        let decision = listener.admitBackend(node: nodeInterface, instance: instance, memo: &memo)
        guard decision.allowed else {
            logger.notice(
                "backend connection refused", metadata: ["listener": "\(listener)", "instance": "\(instance)", "reason": "\(decision.reason)"])
            return channel.eventLoop.makeFailedFuture(RefusedConnection())
        }
        let (clientGlue, serverGlue) = GlueHandler.pair()
        let boundGlue = NIOLoopBound(serverGlue, eventLoop: channel.eventLoop)
        do {
            if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
            try channel.pipeline.syncOperations.addHandler(clientGlue)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: channel.eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { server in server.eventLoop.makeCompletedFuture { try server.pipeline.syncOperations.addHandler(boundGlue.value) } }
            .connect(to: address)
            .map { _ in }
    }

    private func bindEgress(instance: String, at address: HostAndPort) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EgressHandler(plane: self, instance: instance))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}
