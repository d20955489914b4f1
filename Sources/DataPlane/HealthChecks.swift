import HTTPWire
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import VPCModel

/// Health checks exactly as configured on each load balancer (ELB Classic guide, "Health checks for
/// your Classic Load Balancer"): every `Interval` seconds, a check of `Target` (`TCP:port`,
/// `HTTP:port/path`, `HTTPS:port/path`, `SSL:port`) that must succeed within `Timeout` (HTTP: status
/// 200); `UnhealthyThreshold` consecutive failures take an InService instance OutOfService, and
/// `HealthyThreshold` consecutive successes bring it back. A check is also a connection from a load
/// balancer node to the instance: it fails when the engine says the network drops it.
///
/// LocalVPC choice: a newly registered instance is "registration in progress" (OutOfService) until its
/// first check, and InService after its first passing check, so `localvpc up` serves at once.
extension DataPlane {
    func reconcileHealthChecks(_ topology: Topology) {
        let scale = configuration.healthCheckScale
        runtime.withLock { runtime in
            var changed = false
            defer { if changed { DataPlane.rebuildRoutes(&runtime) } }
            var wanted: [HealthKey: ClassicLoadBalancer.HealthCheck] = [:]
            for balancer in topology.loadBalancers {
                for instance in balancer.instanceIDs {
                    wanted[HealthKey(balancer: balancer.id.rawValue, instance: instance.rawValue)] = balancer.healthCheck
                }
            }
            for (key, entry) in runtime.healthTasks where wanted[key] != entry.check {
                entry.task.cancel()
                runtime.healthTasks[key] = nil
                if wanted[key] == nil {
                    changed = true
                    runtime.health[key] = nil
                    metrics.health(balancer: key.balancer, instance: key.instance, inService: false)
                }
            }
            for (key, check) in wanted where runtime.healthTasks[key] == nil {
                if runtime.health[key] == nil { runtime.health[key] = HealthRecord() }
                changed = true
                let interval = TimeAmount.nanoseconds(Int64(Double(max(check.interval, 1)) * scale * 1e9))
                let loop = group.next()
                let task = loop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: max(interval, .milliseconds(10))) { [weak self] task in
                    guard let self else {
                        task.cancel()
                        return loop.makeSucceededVoidFuture()
                    }
                    return self.runCheck(key, check: check, on: loop)
                }
                runtime.healthTasks[key] = (task, check)
            }
        }
    }

    private func runCheck(_ key: HealthKey, check: ClassicLoadBalancer.HealthCheck, on loop: any EventLoop) -> EventLoopFuture<Void> {
        let (state, nodes, address) = runtime.withLock { runtime in
            let nodes = runtime.balancers[key.balancer]?.nodes.map(\.networkInterfaceID.rawValue) ?? []
            let port = check.port ?? 80
            return (
                runtime.instanceStates[key.instance],
                nodes,
                runtime.backendAddresses["\(key.instance):\(port)"] ?? runtime.backendAddresses[key.instance]
            )
        }
        guard let state, state == .running else {
            record(key, check: check, result: .stopped(state?.rawValue ?? "terminated"))
            return loop.makeSucceededVoidFuture()
        }
        let port = check.port ?? 80
        let decisions = nodes.map { admit(.backend(node: $0, instance: key.instance, port: port), kind: "health-check") }
        guard decisions.contains(where: \.allowed) else {
            let reason = decisions.first?.reason ?? "the load balancer has no nodes"
            record(key, check: check, result: .failed("the network drops the check: \(reason)"))
            return loop.makeSucceededVoidFuture()
        }
        guard let address else {
            record(key, check: check, result: .failed("no backend process serves port \(port)"))
            return loop.makeSucceededVoidFuture()
        }
        let timeout = TimeAmount.nanoseconds(Int64(Double(max(check.timeout, 1)) * configuration.healthCheckScale * 1e9))
        return probe(check.target, address: address, timeout: max(timeout, .milliseconds(50)), on: loop)
            .map { [self] failure in record(key, check: check, result: failure.map { .failed($0) } ?? .passed) }
    }

    enum CheckResult {
        case passed
        case failed(String)
        case stopped(String)
    }

    private func record(_ key: HealthKey, check: ClassicLoadBalancer.HealthCheck, result: CheckResult) {
        let (before, after, detail) =
            runtime.withLock { runtime -> (HealthRecord.Phase, HealthRecord.Phase, String)? in
                guard var health = runtime.health[key] else { return nil }
                let before = health.phase
                switch result {
                case .stopped(let state):
                    health.phase = .outOfService
                    health.successes = 0
                    health.failures = 0
                    health.reasonCode = "Instance"
                    health.description = "Instance is in \(state) state."
                    health.detail = ""
                case .passed:
                    health.failures = 0
                    health.successes += 1
                    health.detail = ""
                    if health.phase == .registering || health.successes >= check.healthyThreshold {
                        health.phase = .inService
                    } else if health.phase == .outOfService {
                        health.reasonCode = "Instance"
                        health.description = "Instance has not passed the configured HealthyThreshold number of health checks consecutively."
                    }
                case .failed(let detail):
                    health.successes = 0
                    health.failures += 1
                    health.detail = detail
                    if health.failures >= check.unhealthyThreshold || health.phase == .outOfService {
                        health.phase = .outOfService
                        health.reasonCode = "Instance"
                        health.description = "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
                    }
                }
                runtime.health[key] = health
                if before != health.phase || health.phase != .inService { DataPlane.rebuildRoutes(&runtime) }
                return (before, health.phase, health.detail)
            } ?? (.registering, .registering, "")
        if before != after {
            metrics.health(balancer: key.balancer, instance: key.instance, inService: after == .inService)
            logger.notice(
                "instance health changed",
                metadata: [
                    "load_balancer": "\(key.balancer)", "instance": "\(key.instance)",
                    "state": "\(after == .inService ? "InService" : "OutOfService")", "detail": "\(detail)",
                ])
        }
    }

    /// One check of a target; the future holds nil when it passed, else why it failed.
    private func probe(_ target: String, address: SocketAddress, timeout: TimeAmount, on loop: any EventLoop) -> EventLoopFuture<String?> {
        let parts = target.split(separator: ":", maxSplits: 1)
        let scheme = parts.first?.uppercased() ?? "TCP"
        let path = parts.count > 1 ? String(parts[1].drop { $0.isNumber }) : ""
        let promise = loop.makePromise(of: String?.self)
        let tls = scheme == "HTTPS" || scheme == "SSL" ? TLSSupport.insecureClient : nil
        let http = scheme == "HTTP" || scheme == "HTTPS"
        let deadline = loop.scheduleTask(in: timeout) { promise.succeed("no answer within the \(timeout.nanoseconds / 1_000_000) ms timeout") }
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    if http {
                        try channel.pipeline.syncOperations.addHandler(ProbeHandler(path: path.isEmpty ? "/" : path, promise: promise))
                    } else if tls != nil {
                        try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(promise: promise))
                    }
                }
            }
            .connect(to: address)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.succeed("connection failed: \(error)")
                case .success(let channel):
                    // TCP: the connection is the check (SSL: the handshake, HTTP(S): the status).
                    if !http && tls == nil { promise.succeed(nil) }
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                }
            }
        return promise.futureResult.always { _ in deadline.cancel() }
    }
}

/// Sends one `GET` and reads the status line: 200 passes, anything else fails.
final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let path: String
    let promise: EventLoopPromise<String?>
    private var received = ByteBuffer()

    init(path: String, promise: EventLoopPromise<String?>) {
        self.path = path
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let request =
            "GET \(path) HTTP/1.1\r\nHost: \(context.channel.remoteAddress?.ipAddress ?? "localhost")\r\nUser-Agent: "
            + "ELB-HealthChecker/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        received.writeBuffer(&buffer)
        switch MessageHead.parse(received, limit: BackendHandler.maximumHeadBytes, isRequest: false, visit: { _, _, _ in }) {
        case .failure(.incomplete):
            return
        case .failure(let failure):
            promise.succeed("the answer to GET \(path) is not HTTP: \(failure)")
        case .success(let head) where head.status == 200:
            promise.succeed(nil)
        case .success(let head):
            promise.succeed("HTTP status \(head.status) from \(path)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed("connection closed before a status line")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.succeed("\(error)")
        context.close(promise: nil)
    }
}

/// An SSL check passes when the TLS handshake completes.
final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String?>
    init(promise: EventLoopPromise<String?>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed(nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.succeed("TLS handshake failed: \(error)")
        context.close(promise: nil)
    }
}
