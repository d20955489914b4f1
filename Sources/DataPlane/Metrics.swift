import Prometheus
import Synchronization
import VPCModel

/// The data plane's Prometheus metrics: requests by listener, instance and status code, request
/// latency, admission decisions, and the health of every registered instance.
public final class DataPlaneMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private struct RequestKey: Hashable {
        var balancer: String
        var port: Int
        var instance: String
        var status: Int
    }
    private struct ListenerKey: Hashable {
        var balancer: String
        var port: Int
    }
    private struct AdmissionKey: Hashable {
        var kind: String
        var allowed: Bool
    }
    private let requests = Mutex<[RequestKey: Counter]>([:])
    private let admissions = Mutex<[AdmissionKey: Counter]>([:])
    private let histograms = Mutex<[ListenerKey: DurationHistogram]>([:])

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func responded(_ listener: ListenerRuntime, instance: String, status: Int) {
        requestCounter(listener, instance: instance, status: status).increment()
    }

    /// The counter of a listener's requests answered by an instance with a status (a connection keeps
    /// the one it used last, so a request does not look it up under the shared lock).
    func requestCounter(_ listener: ListenerRuntime, instance: String, status: Int) -> Counter {
        let key = RequestKey(balancer: listener.balancer, port: listener.listener.loadBalancerPort, instance: instance, status: status)
        return Self.cached(requests, key) {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "localvpc", subsystem: "elb", metricName: "requests", unitName: "total",
                    helpText: "Requests answered by load balancer listeners, by instance and status code."),
                labels: [
                    ("load_balancer", listener.balancer), ("listener_port", String(listener.listener.loadBalancerPort)),
                    ("instance", instance), ("code", String(status)),
                ])
        }
    }

    /// The latency histogram of a listener (its `ListenerRuntime` keeps it).
    func latency(balancer: String, port: Int) -> DurationHistogram {
        let key = ListenerKey(balancer: balancer, port: port)
        return Self.cached(histograms, key) {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    namespace: "localvpc", subsystem: "elb", metricName: "request_duration", unitName: "seconds",
                    helpText: "Time from a request's head to the end of its response."),
                labels: [("load_balancer", balancer), ("listener_port", String(port))],
                buckets: Self.latencyBuckets)
        }
    }

    func admission(kind: String, allowed: Bool) {
        admissionCounter(kind: kind, allowed: allowed).increment()
    }

    func admissionCounter(kind: String, allowed: Bool) -> Counter {
        let key = AdmissionKey(kind: kind, allowed: allowed)
        return Self.cached(admissions, key) {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "localvpc", subsystem: "admission", metricName: "decisions", unitName: "total",
                    helpText: "Connections admitted or refused by the engine, by flow kind."),
                labels: [("kind", kind), ("verdict", allowed ? "allowed" : "refused")])
        }
    }

    /// The metric for a key, made on first use.
    private static func cached<Key: Hashable & Sendable, Metric: Sendable>(
        _ metrics: borrowing Mutex<[Key: Metric]>, _ key: Key, make: () -> Metric
    ) -> Metric {
        metrics.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }

    func health(balancer: String, instance: String, inService: Bool) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "localvpc", subsystem: "elb", metricName: "backend_in_service", unitName: "",
                helpText: "1 when the instance is InService, 0 when OutOfService."),
            labels: [("load_balancer", balancer), ("instance", instance)]
        )
        .set(to: inService ? 1 : 0)
    }

    /// The metrics in Prometheus' text format.
    public func render() -> String { registry.emitToString() }
}
