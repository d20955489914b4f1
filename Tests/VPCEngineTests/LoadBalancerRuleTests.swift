import Testing
import VPCEngine
import VPCModel

/// ELB Classic guide; SEMANTICS.md, "Classic Load Balancer in a VPC".
struct LoadBalancerRuleTests {
    static func design(webIngress: String = "{ protocol: tcp, ports: 80, from: elb-sg }", crossZone: Bool = false, webSubnet: String = "private", scheme: String = "internet-facing", acl: String = "") -> String {
        publicRoute + """
            security-groups:
              elb-sg:
                ingress: [{ protocol: all, from: 0.0.0.0/0 }]
                egress: [{ protocol: tcp, ports: 80, to: web-sg }]
              web-sg:
                ingress: [\(webIngress)]
            instances:
              web: { subnet: \(webSubnet), security-groups: [web-sg] }
            load-balancers:
              elb:
                scheme: \(scheme)
                subnets: [public]
                security-groups: [elb-sg]
                listeners: ["HTTP:80 -> HTTP:80", "HTTPS:443 -> HTTP:80"]
                instances: [web]
                cross-zone: \(crossZone)
            \(acl)
            """
    }

    /// "No listener for the port: ELB_LISTENERS_MISMATCH" — over all ports, exactly the listener ports pass.
    @Test func onlyListenerPortsAreAccepted() throws {
        let net = try network(Self.design())
        let all = try net.analyze(PathQuery(from: "internet", to: "elb", protocol: .tcp))
        #expect(all.reachablePorts == IntervalSet([80...80, 443...443]))
        #expect(all.partialCodes.contains("ELB_LISTENERS_MISMATCH"))
        let other = try net.analyze(PathQuery(from: "internet", to: "elb", protocol: .tcp, ports: try PortRange(port: 8080)))
        #expect(other.codes == ["ELB_LISTENERS_MISMATCH"])
    }

    /// "The LB terminates the client connection and opens a new one from the node's private IP":
    /// the instance sees the node as the source, so an instance rule naming the client's CIDR does not match.
    @Test func backendConnectionComesFromTheNodesPrivateAddress() throws {
        #expect(try analyze(Self.design(), from: "internet", to: "web", port: 80, through: ["elb"]).isReachable)
        let clientRule = try analyze(Self.design(webIngress: "{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }"), from: "internet", to: "web", port: 80)
        #expect(clientRule.isReachable)
        let onlyInternet = try analyze(Self.design(webIngress: "{ protocol: tcp, ports: 80, from: 203.0.113.0/24 }"), from: "internet", to: "web", port: 80)
        #expect(!onlyInternet.isReachable)
        #expect(onlyInternet.codes == ["ENI_SG_RULES_MISMATCH"])
        let node = try #require(onlyInternet.analysis.forwardPathComponents.first { $0.component.id == "elb" && $0.outboundHeader != nil })
        #expect(node.outboundHeader?.sourcePortRanges == [AnalysisPortRange(from: 1024, to: 65535)])
    }

    /// HTTPS:443 → HTTP:80 is SSL termination: the instance port is 80 for both listeners.
    @Test func bothListenersReachTheInstancePort() throws {
        let result = try analyze(Self.design(), from: "internet", to: "web", port: 80)
        #expect(result.isReachable)
        #expect(try analyze(Self.design(), from: "internet", to: "web", port: 443, through: ["elb"]).codes == ["TARGET_PORT_RESTRICTION"])
    }

    /// "Cross-zone load balancing is an attribute (ELB_NOT_CROSSZONE)."
    @Test func crossZoneAttributeDecidesWhetherOtherZonesAreServed() throws {
        let off = try analyze(Self.design(webSubnet: "other-zone"), from: "internet", to: "web", port: 80)
        #expect(!off.isReachable)
        #expect(off.codes == ["ELB_NOT_CROSSZONE"])
        #expect(try analyze(Self.design(crossZone: true, webSubnet: "other-zone"), from: "internet", to: "web", port: 80).isReachable)
    }

    /// "NACLs apply to the LB's outbound traffic even to a target in the same subnet (ELB_ACL_RESTRICTION)."
    @Test func aclAppliesToTheLoadBalancersOwnSubnet() throws {
        let acl = """
            network-acls:
              acl:
                subnets: [public]
                ingress: [{ rule: 100, protocol: all, action: allow }]
                egress: [{ rule: 100, protocol: tcp, ports: 443, action: allow }, { rule: 110, protocol: tcp, ports: 1024-65535, action: allow }]
            """
        let result = try analyze(Self.design(webSubnet: "public", acl: acl), from: "internet", to: "web", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes == ["ELB_ACL_RESTRICTION"])
    }

    /// "Internal: private IPs only" — nothing reaches an internal load balancer from the internet.
    @Test func internalLoadBalancerIsNotReachableFromTheInternet() throws {
        let result = try analyze(Self.design(scheme: "internal"), from: "internet", to: "elb", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes == ["IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"])
        // From inside the VPC the internal load balancer answers.
        #expect(try analyze(Self.design(scheme: "internal"), from: "web", to: "elb", port: 80).isReachable)
    }
}
