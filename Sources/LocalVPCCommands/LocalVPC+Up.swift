import ArgumentParser
import DataPlane
import Foundation
import Importers
import Logging
import NIOCore
import QueryAPI
import Synchronization
import TopologyFile
import VPCEngine
import VPCModel
import VPCStore

/// The options of the data plane, shared by `up` and `serve --data-plane`.
struct DataPlaneOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Bind a listener: LOADBALANCER:PORT=HOST:PORT (repeatable). Default: 127.0.0.1 and the listener's port + 8000 (80 -> 8080, 443 -> "
                + "8443), or a free port if that is taken.",
            valueName: "binding"))
    var listen: [String] = []

    @Option(
        help: ArgumentHelp(
            "The process serving an instance: INSTANCE[:PORT]=HOST:PORT, INSTANCE a name or ID (repeatable). Default: a built-in web server per "
                + "registered instance.",
            valueName: "binding"))
    var backend: [String] = []

    @Option(
        help: ArgumentHelp(
            "Bind an instance's egress proxy: INSTANCE=HOST:PORT (repeatable). Default: a free port on 127.0.0.1.", valueName: "binding"))
    var egress: [String] = []

    @Option(
        help: ArgumentHelp(
            "A stand-in for an internet host: HOST[:PORT]=LOCALHOST:PORT (repeatable). Egress to HOST:PORT that the network allows is connected to "
                + "the stand-in.",
            valueName: "binding"))
    var internet: [String] = []

    @Option(help: "PEM certificate (chain) for HTTPS/SSL listeners (default: a self-signed one made at start-up).")
    var certificate: String?

    @Option(help: "PEM private key of --certificate.")
    var key: String?

    @Option(help: "Multiply health check intervals and timeouts (0.1 checks ten times as often).")
    var healthCheckScale = 1.0

    @Option(help: "Seconds a client connection may stay without a request, for every load balancer (default: each one's own idle timeout).")
    var idleTimeout: Double?

    @Option(help: "Seconds an instance has to start its response before the client gets 504.")
    var backendTimeout = 60.0

    @Flag(help: "Do not start built-in web servers for instances without --backend.")
    var noDemoBackends = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @Option(
        help:
            ArgumentHelp(
                "Event loop threads of the data plane (default: two per core, so a loop preempted by the clients and backends on the same "
                    + "machine "
                    + "holds fewer connections).")
    )
    var threads: Int?

    func validate() throws {
        _ = try configuration()
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error.")
        }
        guard healthCheckScale > 0, idleTimeout ?? 1 > 0, backendTimeout > 0 else {
            throw ValidationError("--health-check-scale, --idle-timeout and --backend-timeout must be positive.")
        }
        guard (certificate == nil) == (key == nil) else { throw ValidationError("--certificate and --key go together.") }
    }

    func configuration() throws -> DataPlaneConfiguration {
        func bindings(_ values: [String], _ option: String) throws -> [String: HostAndPort] {
            var result: [String: HostAndPort] = [:]
            for value in values {
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, let address = HostAndPort(parsing: parts[1]) else {
                    throw ValidationError("--\(option) takes NAME=HOST:PORT, not '\(value)'.")
                }
                result[parts[0]] = address
            }
            return result
        }
        var configuration = DataPlaneConfiguration()
        configuration.listen = try bindings(listen, "listen")
        configuration.backends = try bindings(backend, "backend")
        configuration.egress = try bindings(egress, "egress")
        configuration.internet = try bindings(internet, "internet")
        configuration.certificatePath = certificate
        configuration.keyPath = key
        configuration.healthCheckScale = healthCheckScale
        configuration.idleTimeout = idleTimeout.map { .nanoseconds(Int64($0 * 1e9)) }
        configuration.backendTimeout = .nanoseconds(Int64(backendTimeout * 1e9))
        configuration.demoBackends = !noDemoBackends
        if let threads { configuration.threads = max(1, threads) }
        return configuration
    }

    func logger() -> Logger {
        var logger = Logger(label: "localvpc.dataplane") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    /// Starts the data plane on a region of the API server's state and wires its health into `DescribeInstanceHealth`.
    func start(server: QueryAPIServer, region: String) async throws -> DataPlane {
        let plane: DataPlane
        do {
            plane = try await DataPlane.start(feed: LiveFeed(server: server, region: region), configuration: configuration(), logger: logger()) {
                endpoint in
                // Unbuffered: scripts and tests read the endpoints from these lines.
                FileHandle.standardOutput.write(Data("\(endpoint)\n".utf8))
            }
        } catch {
            printError("error: cannot start the data plane: \(error)")
            throw ExitCode(2)
        }
        server.reportHealth { asked, balancer, instance in
            guard asked == region, let health = plane.health(balancer: balancer, instance: instance) else { return nil }
            return LiveInstanceHealth(state: health.state, reasonCode: health.reasonCode, description: health.description)
        }
        return plane
    }
}

/// Binds the API server, or exits 2 with the reason.
func listen(_ server: QueryAPIServer, host: String, port: Int, metrics: (@Sendable () -> String)?) async throws -> any Channel {
    do {
        return try await server.startHTTP(host: host, port: port, metrics: metrics)
    } catch {
        printError("error: cannot listen on \(host):\(port): \(listenFailure(error))")
        throw ExitCode(2)
    }
}

/// Serves until SIGINT or SIGTERM, then closes the listening channel and returns.
func serveUntilSignalled(_ channel: any Channel) async {
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { channel.close(promise: nil) }
        source.resume()
        sources.append(source)
    }
    try? await channel.closeFuture.get()
    for source in sources { source.cancel() }
}

/// The API server's region as the data plane sees it, compiled once per state version.
final class LiveFeed: NetworkFeed {
    let server: QueryAPIServer
    let region: String
    private let cache = Mutex<NetworkView?>(nil)

    init(server: QueryAPIServer, region: String) {
        self.server = server
        self.region = region
    }

    func current() async throws -> NetworkView {
        let version = server.stateVersion(region: region)
        if let cached = cache.withLock({ $0 }), cached.version == version { return cached }
        let (liveVersion, topology) = try await server.liveNetwork(region: region)
        let view = NetworkView(version: liveVersion, network: CompiledNetwork(topology))
        cache.withLock { $0 = view }
        return view
    }
}

extension LocalVPC {
    /// `localvpc up FILE`: the network of a topology file, running for real.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a topology file's network for real: its load balancers as local reverse proxies, its instances' egress through the NAT.",
            discussion: """
                Starts the API server on the file's network (so `aws ec2 stop-instances` and friends change it live) \
                and the data plane: every listener of every Classic Load Balancer on a local port (HTTPS terminates \
                TLS), health checks as configured, and an egress proxy (HTTP_PROXY) per instance. Every connection is \
                admitted or refused by the engine on the current network, with the reason in the log.

                  localvpc up examples/seed-elb-nat-fixed.yaml
                  curl http://127.0.0.1:8080/    curl -k https://127.0.0.1:8443/
                """
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @OptionGroup(title: "Reading a template") var source: SourceOptions

        @Option(help: "Address the API server binds (loopback by default).")
        var host = "127.0.0.1"

        @Option(help: "Port of the API server (0 picks a free one; printed). 4567, so that it runs beside `localvpc serve` on 4566.")
        var apiPort = 4567

        @Option(help: "A SQLite state file to keep the state in (default: in memory, gone at exit).")
        var state: String?

        @OptionGroup var dataPlane: DataPlaneOptions

        func run() async throws {
            let (file, _) = try loadDesign(self.file, options: source)
            let store: Store
            do {
                store = try state.map { try Store(path: $0) } ?? Store.inMemory()
            } catch {
                printError(error is Store.InUse ? "error: \(error)" : "error: cannot open the state file \(state ?? ""): \(error)")
                throw ExitCode(2)
            }
            let server: QueryAPIServer
            do {
                server = try QueryAPIServer(store: store, accountID: file.topology.accountID)
                try await server.replaceRegion(with: file.topology)
                server.setClaims(region: file.topology.region, intents: file.intents, scopes: file.scopes)
            } catch {
                printError("error: cannot load \(self.file): \(error)")
                throw ExitCode(2)
            }
            let plane = try await dataPlane.start(server: server, region: file.topology.region)
            let channel = try await listen(server, host: host, port: apiPort, metrics: { plane.metrics.render() })
            let port = channel.localAddress?.port ?? apiPort
            FileHandle.standardOutput.write(
                Data("api http://\(host):\(port) (region \(file.topology.region))\nmetrics http://\(host):\(port)/metrics\nready\n".utf8))
            await serveUntilSignalled(channel)
            await plane.shutdown()
        }
    }

    /// `localvpc backend`: the built-in web server as a process of its own, to stand in for an instance.
    struct Backend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the built-in web server (answers every path with its name and the X-Forwarded-* headers it got).")

        @Option(help: "HOST:PORT to listen on (port 0 picks a free one; printed).")
        var listen = "127.0.0.1:0"

        @Option(help: "The name it answers with.")
        var name = "backend"

        func run() async throws {
            guard let address = HostAndPort(parsing: listen) else { throw ValidationError("--listen takes HOST:PORT.") }
            let channel = try await DemoBackend.start(host: address.host, port: address.port, identity: name)
            FileHandle.standardOutput.write(Data("backend \(name) http://\(address.host):\(channel.localAddress?.port ?? 0)\n".utf8))
            try await channel.closeFuture.get()
        }
    }
}

/// Why a listener could not bind, in words: "address already in use (errno 98)", and what to do.
func listenFailure(_ error: any Error) -> String {
    guard let failure = error as? IOError else { return "\(error)" }
    let reason = String(cString: strerror(failure.errnoCode))
    let hint = failure.errnoCode == EADDRINUSE ? "; another server (localvpc serve or up?) has the port: stop it, or choose another port" : ""
    return "\(reason.prefix(1).lowercased() + reason.dropFirst()) (errno \(failure.errnoCode))\(hint)"
}
