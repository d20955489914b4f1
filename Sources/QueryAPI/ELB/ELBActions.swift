import VPCEngine
import VPCModel
import HashTreeCollections

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

    static func balancer(_ name: String, _ state: RegionState) throws(APIError) -> ClassicLoadBalancer {
        guard let balancer = state[ClassicLoadBalancer.self][name] else { throw notFound(name) }
        return balancer
    }

    static func members(_ parameters: QueryParameters, _ name: String) -> [String] { parameters.list("\(name).member") }
    static func memberXML(_ name: String, _ items: [XML]) -> XML { XML(name, items.map { XML("member", $0.children.isEmpty && $0.text != nil ? [$0] : $0.children) }) }
    static func stringMembers(_ name: String, _ values: [String]) -> XML { XML(name, values.map { XML("member", $0) }) }
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
        guard let port = try p.int("LoadBalancerPort"), (1...65535).contains(port), let instancePort = try p.int("InstancePort"), (1...65535).contains(instancePort) else {
            throw APIError(code: "ValidationError", message: "LoadBalancerPort and InstancePort must be between 1 and 65535.")
        }
        let backText = (p.string("InstanceProtocol") ?? protocolText).uppercased()
        guard let back = ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: backText) else {
            throw APIError(code: "ValidationError", message: "Invalid instance protocol '\(backText)'.")
        }
        let listener = ClassicLoadBalancer.Listener(listenerProtocol: front, loadBalancerPort: port, instanceProtocol: back, instancePort: instancePort, sslCertificateID: p.string("SSLCertificateId"))
        guard listener.hasCompatibleProtocols else {
            throw APIError(code: "ValidationError", message: "\(front.rawValue) front-end listeners pair with \(front == .http || front == .https ? "HTTP or HTTPS" : "TCP or SSL") back-end protocols, not \(back.rawValue).")
        }
        if (front == .https || front == .ssl) && listener.sslCertificateID == nil {
            throw APIError(code: "ValidationError", message: "SSLCertificateId is required for an \(front.rawValue) listener.")
        }
        return listener
    }

    /// One node per subnet: an interface with the load balancer's groups and, when internet-facing, a public IP.
    static func addNode(_ balancer: inout ClassicLoadBalancer, subnet: Subnet, _ state: inout RegionState) throws(APIError) {
        guard let address = state.freeAddress(in: subnet) else {
            throw APIError(code: "InvalidSubnet", message: "Not enough IP space available in \(subnet.id). ELB requires at least 8 free IP addresses in each subnet.")
        }
        let interface = NetworkInterface(
            id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address],
            publicIP: balancer.scheme == .internetFacing ? state.freePublicAddress() : nil,
            securityGroupIDs: balancer.securityGroupIDs, owner: .loadBalancer(balancer.id))
        state.put(interface)
        state.setMeta(interface.id.rawValue, .description, "ELB \(balancer.name)")
        balancer.nodes.append(.init(subnetID: subnet.id, networkInterfaceID: interface.id))
    }

    static func subnets(_ ids: [String], _ state: RegionState, vpc: VPC.ID?) throws(APIError) -> [Subnet] {
        var zones: Set<String> = []
        var result: [Subnet] = []
        for id in ids {
            guard let subnet = state[Subnet.self][id] else { throw APIError(code: "SubnetNotFound", message: "One or more subnets were not found: \(id)") }
            if let vpc, subnet.vpcID != vpc { throw APIError(code: "InvalidSubnet", message: "Subnet \(id) is in another VPC than the load balancer.") }
            if !zones.insert(subnet.availabilityZone).inserted {
                throw APIError(code: "InvalidConfigurationRequest", message: "Only one subnet per Availability Zone may be attached (\(subnet.availabilityZone)).", status: 409)
            }
            result.append(subnet)
        }
        return result
    }

    static func createLoadBalancer(_ call: ELBCall) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LoadBalancerName")
        guard name.count <= 32, name.first?.isLetter == true || name.first?.isNumber == true, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }), !name.hasSuffix("-") else {
            throw APIError(code: "ValidationError", message: "LoadBalancerName '\(name)' is invalid: up to 32 letters, digits and hyphens, not starting or ending with a hyphen.")
        }
        let listeners = try p.structures("Listeners.member").map { spec throws(APIError) in try listener(spec) }
        guard !listeners.isEmpty else { throw APIError(code: "ValidationError", message: "At least one listener is required.") }
        let subnetIDs = members(p, "Subnets")
        guard !subnetIDs.isEmpty else {
            throw APIError(code: "ValidationError", message: "LocalVPC models load balancers in a VPC: Subnets is required (EC2-Classic AvailabilityZones are not supported).")
        }
        let scheme = ClassicLoadBalancer.Scheme(rawValue: p.string("Scheme") ?? "internet-facing")
        guard let scheme else { throw APIError(code: "InvalidScheme", message: "Scheme must be internet-facing or internal.") }
        let tags = Dictionary(p.structures("Tags.member").compactMap { tag in tag.string("Key").map { ($0, tag["Value"] ?? "") } }, uniquingKeysWith: { _, last in last })
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            if state[ClassicLoadBalancer.self][name] != nil {
                throw APIError(code: "DuplicateLoadBalancerName", message: "Load balancer name '\(name)' already exists for this account.")
            }
            let subnets = try subnets(subnetIDs, state, vpc: nil)
            let vpc = subnets[0].vpcID
            guard subnets.allSatisfy({ $0.vpcID == vpc }) else { throw APIError(code: "InvalidSubnet", message: "All subnets must be in one VPC.") }
            if scheme == .internetFacing, !state[InternetGateway.self].values.contains(where: { $0.attachedVPC == vpc }) {
                throw APIError(code: "InvalidSubnet", message: "VPC \(vpc) has no internet gateway")
            }
            var groups: [SecurityGroup.ID] = []
            for id in members(p, "SecurityGroups") {
                guard let group = state[SecurityGroup.self][id], group.vpcID == vpc else {
                    throw APIError(code: "InvalidSecurityGroup", message: "Security group \(id) does not exist in VPC \(vpc).")
                }
                groups.append(group.id)
            }
            if groups.isEmpty, let group = state.defaultGroup(of: vpc) { groups = [group.id] }
            var balancer = ClassicLoadBalancer(id: .init(name), scheme: scheme, vpcID: vpc, securityGroupIDs: groups, listeners: listeners, nodes: [])
            for subnet in subnets { try addNode(&balancer, subnet: subnet, &state) }
            state.put(balancer)
            state.setMeta(tagKey(name), .createdTime, InstanceActions.now())
            if !tags.isEmpty { state.setTags(tags, on: tagKey(name)) }
            return [XML("DNSName", dnsName(balancer, region: call.region))]
        }
    }

    static func deleteLoadBalancer(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            // Deleting a load balancer that does not exist succeeds (AWS is idempotent here).
            guard let balancer = state[ClassicLoadBalancer.self][name] else { return [] }
            for node in balancer.nodes { state.remove(NetworkInterface.self, node.networkInterfaceID.rawValue) }
            state.remove(ClassicLoadBalancer.self, name)
            if state[TagSet.self][tagKey(name)] != nil { state.remove(TagSet.self, tagKey(name)) }
            if state[Metadata.self][tagKey(name)] != nil { state.remove(Metadata.self, tagKey(name)) }
            return []
        }
    }

    static func healthCheckXML(_ check: ClassicLoadBalancer.HealthCheck) -> XML {
        XML("HealthCheck", [XML("Target", check.target), XML("Interval", String(check.interval)), XML("Timeout", String(check.timeout)),
                            XML("UnhealthyThreshold", String(check.unhealthyThreshold)), XML("HealthyThreshold", String(check.healthyThreshold))])
    }

    static func listenerXML(_ listener: ClassicLoadBalancer.Listener) -> XML {
        XML("Listener") {
            XML("Protocol", listener.listenerProtocol.rawValue)
            XML("LoadBalancerPort", String(listener.loadBalancerPort))
            XML("InstanceProtocol", listener.instanceProtocol.rawValue)
            XML("InstancePort", String(listener.instancePort))
            XML.optional("SSLCertificateId", listener.sslCertificateID)
        }
    }

    static func describeLoadBalancers(_ call: ELBCall) throws(APIError) -> [XML] {
        let names = members(call.parameters, "LoadBalancerNames")
        let state = try call.emulator.snapshot(call.region)
        for name in names where state[ClassicLoadBalancer.self][name] == nil { throw notFound(name) }
        let items = state[ClassicLoadBalancer.self].values.sorted { $0.id < $1.id }.filter { names.isEmpty || names.contains($0.name) }.map { balancer in
            XML("member") {
                XML("LoadBalancerName", balancer.name)
                XML("DNSName", dnsName(balancer, region: call.region))
                XML("CanonicalHostedZoneName", dnsName(balancer, region: call.region))
                XML("CanonicalHostedZoneNameID", "Z35SXDOTRQ7X7K")
                XML("ListenerDescriptions", balancer.listeners.map { XML("member", [listenerXML($0), XML("PolicyNames")]) })
                XML("Policies", [XML("AppCookieStickinessPolicies"), XML("LBCookieStickinessPolicies"), XML("OtherPolicies")])
                XML("BackendServerDescriptions")
                stringMembers("AvailabilityZones", balancer.nodes.compactMap { state[Subnet.self][$0.subnetID.rawValue]?.availabilityZone })
                stringMembers("Subnets", balancer.nodes.map(\.subnetID.rawValue))
                XML("VPCId", balancer.vpcID.rawValue)
                XML("Instances", balancer.instanceIDs.map { XML("member", [XML("InstanceId", $0.rawValue)]) })
                healthCheckXML(balancer.healthCheck)
                XML("SourceSecurityGroup", [XML("OwnerAlias", call.accountID), XML("GroupName", balancer.securityGroupIDs.first.flatMap { state[SecurityGroup.self][$0.rawValue]?.name } ?? "default")])
                stringMembers("SecurityGroups", balancer.securityGroupIDs.map(\.rawValue))
                XML("CreatedTime", state.meta(tagKey(balancer.name), .createdTime) ?? InstanceActions.now())
                XML("Scheme", balancer.scheme.rawValue)
            }
        }
        return [XML("LoadBalancerDescriptions", items)]
    }

    static func createListeners(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let listeners = try call.parameters.structures("Listeners.member").map { spec throws(APIError) in try listener(spec) }
        guard !listeners.isEmpty else { throw APIError(code: "ValidationError", message: "At least one listener is required.") }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            for listener in listeners {
                if let existing = balancer.listeners.first(where: { $0.loadBalancerPort == listener.loadBalancerPort }) {
                    if existing == listener { continue }
                    throw APIError(code: "DuplicateListener", message: "A listener already exists for \(name) with LoadBalancerPort \(listener.loadBalancerPort), but with a different InstancePort, Protocol, or SSLCertificateId")
                }
                balancer.listeners.append(listener)
            }
            state.put(balancer)
            return []
        }
    }

    static func deleteListeners(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ports = members(call.parameters, "LoadBalancerPorts").compactMap(Int.init)
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            balancer.listeners.removeAll { ports.contains($0.loadBalancerPort) }
            state.put(balancer)
            return []
        }
    }

    static func changeInstances(_ call: ELBCall, register: Bool) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = call.parameters.structures("Instances.member").compactMap { $0.string("InstanceId") }
        guard !ids.isEmpty else { throw APIError(code: "ValidationError", message: "Instances is required.") }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            for id in ids {
                guard let instance = state[Instance.self][id], instance.state != .terminated else {
                    throw APIError(code: "InvalidInstance", message: "The requested instance \(id) is not valid or is not in a state that allows registration.")
                }
                if register {
                    guard let interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue], state.vpcID(of: interface.subnetID) == balancer.vpcID else {
                        throw APIError(code: "InvalidInstance", message: "Instance \(id) is not in the load balancer's VPC.")
                    }
                    if !balancer.instanceIDs.contains(instance.id) { balancer.instanceIDs.append(instance.id) }
                } else {
                    guard balancer.instanceIDs.contains(instance.id) else {
                        throw APIError(code: "InvalidInstance", message: "The instance \(id) is not registered with \(name).")
                    }
                    balancer.instanceIDs.removeAll { $0 == instance.id }
                }
            }
            state.put(balancer)
            return [XML("Instances", balancer.instanceIDs.map { XML("member", [XML("InstanceId", $0.rawValue)]) })]
        }
    }

    static func configureHealthCheck(_ call: ELBCall) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LoadBalancerName")
        var check = ClassicLoadBalancer.HealthCheck(target: try p.required("HealthCheck.Target"))
        guard let interval = try p.int("HealthCheck.Interval"), let timeout = try p.int("HealthCheck.Timeout"),
            let unhealthy = try p.int("HealthCheck.UnhealthyThreshold"), let healthy = try p.int("HealthCheck.HealthyThreshold")
        else { throw APIError(code: "ValidationError", message: "HealthCheck needs Target, Interval, Timeout, UnhealthyThreshold and HealthyThreshold.") }
        guard (5...300).contains(interval), (2...60).contains(timeout), timeout < interval, (2...10).contains(unhealthy), (2...10).contains(healthy) else {
            throw APIError(code: "ValidationError", message: "HealthCheck values out of range: Interval 5-300, Timeout 2-60 and less than Interval, thresholds 2-10.")
        }
        guard check.port != nil, ["HTTP", "HTTPS", "TCP", "SSL"].contains(check.target.split(separator: ":").first.map { $0.uppercased() } ?? "") else {
            throw APIError(code: "ValidationError", message: "HealthCheck Target must be PROTOCOL:PORT[/path], e.g. HTTP:80/index.html or TCP:80.")
        }
        (check.interval, check.timeout, check.unhealthyThreshold, check.healthyThreshold) = (interval, timeout, unhealthy, healthy)
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            balancer.healthCheck = check
            state.put(balancer)
            return [healthCheckXML(check)]
        }
    }

    /// Instance health as the network allows it: an instance that is not running is OutOfService
    /// (reason Instance); one the load balancer's nodes cannot reach on the health-check port (security
    /// groups, ACLs, routes, as the engine decides) is OutOfService after failed checks; otherwise
    /// InService. The data plane (`localvpc up`) will replace this with real checks.
    static func describeInstanceHealth(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let asked = call.parameters.structures("Instances.member").compactMap { $0.string("InstanceId") }
        let state = try call.emulator.snapshot(call.region)
        let balancer = try balancer(name, state)
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
                    health = ("OutOfService", "Instance", "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.")
                }
            }
            items.append(XML("member", [XML("InstanceId", id.rawValue), XML("State", health.0), XML("ReasonCode", health.1), XML("Description", health.2)]))
        }
        return [XML("InstanceStates", items)]
    }
}
