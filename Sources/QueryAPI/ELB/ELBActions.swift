import HashTreeCollections
import VPCEngine
import VPCModel

/// One Classic ELB call (API 2012-06-01): the same parts as an EC2 call.
typealias ELBCall = EC2Call

/// An ELB action: the children of its `<ActionResult>` element.
typealias ELBHandler = @Sendable (ELBCall) throws(APIError) -> [XML]

/// The Classic Load Balancer actions. Lists are `Name.member.N` on the way in and `<Name><member>` out.
enum ELBActions {
    static let handlers: [String: ELBHandler] = [
        "CreateLoadBalancer": createLoadBalancer, "DeleteLoadBalancer": deleteLoadBalancer,
        "DescribeLoadBalancers": describeLoadBalancers,
        "CreateLoadBalancerListeners": createListeners, "DeleteLoadBalancerListeners": deleteListeners,
        "RegisterInstancesWithLoadBalancer": { call throws(APIError) in try changeInstances(call, register: true) },
        "DeregisterInstancesFromLoadBalancer": { call throws(APIError) in try changeInstances(call, register: false) },
        "ConfigureHealthCheck": configureHealthCheck, "DescribeInstanceHealth": describeInstanceHealth,
        "ApplySecurityGroupsToLoadBalancer": applySecurityGroups,
        "AttachLoadBalancerToSubnets": { call throws(APIError) in try changeSubnets(call, attach: true) },
        "DetachLoadBalancerFromSubnets": { call throws(APIError) in try changeSubnets(call, attach: false) },
        "DescribeLoadBalancerAttributes": describeAttributes, "ModifyLoadBalancerAttributes": modifyAttributes,
        "AddTags": addTags, "RemoveTags": removeTags, "DescribeTags": describeTags,
    ]

    static func notFound(_ name: String) -> APIError {
        APIError(code: "LoadBalancerNotFound", message: "There is no ACTIVE Load Balancer named '\(name)'")
    }

    static func members(_ parameters: QueryParameters, _ name: String) -> [String] { parameters.list("\(name).member") }
    static func tagKey(_ name: String) -> String { "elb/\(name)" }

    static func dnsName(_ balancer: ClassicLoadBalancer, region: String) -> String {
        let prefix = balancer.scheme == .internal ? "internal-" : ""
        return "\(prefix)\(balancer.name)-\(abs(balancer.name.hashValue % 1_000_000_000)).\(region).elb.amazonaws.com"
    }

    static func listener(_ p: QueryParameters) throws(APIError) -> ClassicLoadBalancer.Listener {
        let protocolText = try p.required("Protocol").uppercased()
        guard let front = ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: protocolText) else {
            throw APIError(code: "ValidationError", message: "Invalid protocol '\(protocolText)'; valid protocols are HTTP, HTTPS, TCP, SSL.")
        }
        guard let port = try p.int("LoadBalancerPort"), (1...65535).contains(port), let instancePort = try p.int("InstancePort"),
            (1...65535).contains(instancePort)
        else {
            throw APIError(code: "ValidationError", message: "LoadBalancerPort and InstancePort must be between 1 and 65535.")
        }
        let backText = (p.string("InstanceProtocol") ?? protocolText).uppercased()
        guard let back = ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: backText) else {
            throw APIError(code: "ValidationError", message: "Invalid instance protocol '\(backText)'.")
        }
        let listener = ClassicLoadBalancer.Listener(
            listenerProtocol: front, loadBalancerPort: port, instanceProtocol: back, instancePort: instancePort,
            sslCertificateID: p.string("SSLCertificateId"))
        guard listener.hasCompatibleProtocols else {
            throw APIError(
                code: "ValidationError",
                message:
                    "\(front.rawValue) front-end listeners pair with \(front == .http || front == .https ? "HTTP or HTTPS" : "TCP or SSL") "
                    + "back-end protocols, not \(back.rawValue)."
            )
        }
        if (front == .https || front == .ssl) && listener.sslCertificateID == nil {
            throw APIError(code: "ValidationError", message: "SSLCertificateId is required for an \(front.rawValue) listener.")
        }
        return listener
    }

    static func createLoadBalancer(_ call: ELBCall) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LoadBalancerName")
        guard name.count <= 32, name.first?.isLetter == true || name.first?.isNumber == true,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), !name.hasSuffix("-")
        else {
            throw APIError(
                code: "ValidationError",
                message: "LoadBalancerName '\(name)' is invalid: up to 32 letters, digits and hyphens, not starting or ending with a hyphen.")
        }
        let listeners = try p.structures("Listeners.member").map { spec throws(APIError) in try listener(spec) }
        guard !listeners.isEmpty else { throw APIError(code: "ValidationError", message: "At least one listener is required.") }
        let subnetIDs = members(p, "Subnets")
        let zones = members(p, "AvailabilityZones")
        guard !subnetIDs.isEmpty || !zones.isEmpty else {
            throw APIError(code: "ValidationError", message: "Either AvailabilityZones or Subnets must be specified.")
        }
        let scheme = ClassicLoadBalancer.Scheme(rawValue: p.string("Scheme") ?? "internet-facing")
        guard let scheme else { throw APIError(code: "InvalidScheme", message: "Scheme must be internet-facing or internal.") }
        let tags = Dictionary(
            p.structures("Tags.member").compactMap { tag in tag.string("Key").map { ($0, tag["Value"] ?? "") } },
            uniquingKeysWith: { _, last in last })
        let request = LoadBalancerRequest(
            name: name, listeners: listeners, subnetIDs: subnetIDs, zones: zones, groupIDs: members(p, "SecurityGroups"), scheme: scheme,
            tags: tags)
        let balancer = try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.createLoadBalancer(request, createdTime: InstanceActions.now())
        }
        return [XML("DNSName", dnsName(balancer, region: call.region))]
    }

    static func deleteLoadBalancer(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        try call.emulator.mutate(call.region) { state throws(APIError) in state.deleteLoadBalancer(name) }
        return []
    }

    static func describeLoadBalancers(_ call: ELBCall) throws(APIError) -> [XML] {
        let names = members(call.parameters, "LoadBalancerNames")
        let state = try call.emulator.snapshot(call.region)
        for name in names where state[ClassicLoadBalancer.self][name] == nil { throw notFound(name) }
        let items = state[ClassicLoadBalancer.self].values.sorted { $0.id < $1.id }.filter { names.isEmpty || names.contains($0.name) }
        return [XML("LoadBalancerDescriptions", items.map { loadBalancerXML($0, state, call) })]
    }

    static func createListeners(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let listeners = try call.parameters.structures("Listeners.member").map { spec throws(APIError) in try listener(spec) }
        guard !listeners.isEmpty else { throw APIError(code: "ValidationError", message: "At least one listener is required.") }
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.addListeners(listeners, to: name) }
        return []
    }

    static func deleteListeners(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ports = members(call.parameters, "LoadBalancerPorts").compactMap(Int.init)
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.deleteListeners(ports: ports, from: name) }
        return []
    }

    static func changeInstances(_ call: ELBCall, register: Bool) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = call.parameters.structures("Instances.member").compactMap { $0.string("InstanceId") }
        guard !ids.isEmpty else { throw APIError(code: "ValidationError", message: "Instances is required.") }
        let balancer = try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.changeRegistrations(ids, of: name, register: register)
        }
        return [XML("Instances", balancer.instanceIDs.map { XML("member", [XML("InstanceId", $0.rawValue)]) })]
    }

    static func configureHealthCheck(_ call: ELBCall) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LoadBalancerName")
        var check = ClassicLoadBalancer.HealthCheck(target: try p.required("HealthCheck.Target"))
        guard let interval = try p.int("HealthCheck.Interval"), let timeout = try p.int("HealthCheck.Timeout"),
            let unhealthy = try p.int("HealthCheck.UnhealthyThreshold"), let healthy = try p.int("HealthCheck.HealthyThreshold")
        else {
            throw APIError(code: "ValidationError", message: "HealthCheck needs Target, Interval, Timeout, UnhealthyThreshold and HealthyThreshold.")
        }
        guard (5...300).contains(interval), (2...60).contains(timeout), timeout < interval, (2...10).contains(unhealthy), (2...10).contains(healthy)
        else {
            throw APIError(
                code: "ValidationError",
                message: "HealthCheck values out of range: Interval 5-300, Timeout 2-60 and less than Interval, thresholds 2-10.")
        }
        guard check.port != nil, ["HTTP", "HTTPS", "TCP", "SSL"].contains(check.target.split(separator: ":").first.map { $0.uppercased() } ?? "")
        else {
            throw APIError(code: "ValidationError", message: "HealthCheck Target must be PROTOCOL:PORT[/path], e.g. HTTP:80/index.html or TCP:80.")
        }
        (check.interval, check.timeout, check.unhealthyThreshold, check.healthyThreshold) = (interval, timeout, unhealthy, healthy)
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.configureHealthCheck(check, of: name) }
        return [healthCheckXML(check)]
    }

    /// Instance health as the network allows it: an instance that is not running is OutOfService
    /// (reason Instance); one the load balancer's nodes cannot reach on the health-check port (security
    /// groups, ACLs, routes, as the engine decides) is OutOfService after failed checks; otherwise
    /// InService. The data plane (`localvpc up`) will replace this with real checks.
    static func describeInstanceHealth(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let asked = call.parameters.structures("Instances.member").compactMap { $0.string("InstanceId") }
        let state = try call.emulator.snapshot(call.region)
        let balancer = try state.loadBalancer(name)
        for id in asked where !balancer.instanceIDs.contains(.init(id)) {
            throw APIError(code: "InvalidInstance", message: "Could not find EC2 instance \(id).")
        }
        let network = try call.emulator.network(call.region)
        let port = balancer.healthCheck.port ?? 80
        var items: [XML] = []
        for id in balancer.instanceIDs where asked.isEmpty || asked.contains(id.rawValue) {
            let instance = state[Instance.self][id.rawValue]
            var health = ("InService", "N/A", "N/A")
            if let live = call.emulator.healthSource.lookup(region: call.region, balancer: name, instance: id.rawValue) {
                health = (live.state, live.reasonCode, live.description)
            } else if instance?.state != .running {
                health = ("OutOfService", "Instance", "Instance is in \(instance?.state.rawValue ?? "terminated") state.")
            } else {
                let reachable = balancer.nodes.contains { node in
                    let query = PathQuery(from: node.networkInterfaceID.rawValue, to: id.rawValue, protocol: .tcp, ports: try? PortRange(port: port))
                    return (try? network.analyze(query).isReachable) == true
                }
                if !reachable {
                    health = (
                        "OutOfService", "Instance", "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
                    )
                }
            }
            items.append(
                XML("member", [XML("InstanceId", id.rawValue), XML("State", health.0), XML("ReasonCode", health.1), XML("Description", health.2)]))
        }
        return [XML("InstanceStates", items)]
    }
}
