import HashTreeCollections
import VPCModel

// The XML of Classic Load Balancers: member lists, listeners, health checks, descriptions.
extension ELBActions {
    static func memberXML(_ name: String, _ items: [XML]) -> XML {
        XML(name, items.map { XML("member", $0.children.isEmpty && $0.text != nil ? [$0] : $0.children) })
    }
    static func stringMembers(_ name: String, _ values: [String]) -> XML { XML(name, values.map { XML("member", $0) }) }
    static func healthCheckXML(_ check: ClassicLoadBalancer.HealthCheck) -> XML {
        XML(
            "HealthCheck",
            [
                XML("Target", check.target), XML("Interval", String(check.interval)), XML("Timeout", String(check.timeout)),
                XML("UnhealthyThreshold", String(check.unhealthyThreshold)), XML("HealthyThreshold", String(check.healthyThreshold)),
            ])
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

    /// One `LoadBalancerDescription`.
    static func loadBalancerXML(_ balancer: ClassicLoadBalancer, _ state: RegionState, _ call: ELBCall) -> XML {
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
            XML(
                "SourceSecurityGroup",
                [
                    XML("OwnerAlias", call.accountID),
                    XML("GroupName", balancer.securityGroupIDs.first.flatMap { state[SecurityGroup.self][$0.rawValue]?.name } ?? "default"),
                ])
            stringMembers("SecurityGroups", balancer.securityGroupIDs.map(\.rawValue))
            XML("CreatedTime", state.meta(tagKey(balancer.name), .createdTime) ?? InstanceActions.now())
            XML("Scheme", balancer.scheme.rawValue)
        }
    }
}
