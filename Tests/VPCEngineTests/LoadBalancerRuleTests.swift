import Testing
import VPCEngine
import VPCModel

/// ELB Classic guide; SEMANTICS.md, "Classic Load Balancer in a VPC".
struct LoadBalancerRuleTests {
    static func design(
        webIngress: String = "{ protocol: tcp, ports: 80, from: elb-sg }", crossZone: Bool = false, webSubnet: String = "private",
        scheme: String = "internet-facing", acl: String = "", elbSubnets: String = "[public]", routes: String = publicRoute
    ) -> String {
        routes + """
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
                subnets: \(elbSubnets)
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
        let onlyInternet = try analyze(
            Self.design(webIngress: "{ protocol: tcp, ports: 80, from: 203.0.113.0/24 }"), from: "internet", to: "web", port: 80)
        #expect(!onlyInternet.isReachable)
        #expect(onlyInternet.codes == ["ENI_SG_RULES_MISMATCH"])
        let node = try #require(onlyInternet.analysis.forwardPathComponents.first { $0.component.id == "elb" && $0.outboundHeader != nil })
        #expect(node.outboundHeader?.sourcePortRanges == [AnalysisPortRange(from: 1024, to: 65535)])
    }

    /// HTTPS:443 → HTTP:80 is SSL termination: the instance port is 80 for both listeners.
    @Test func bothListenersReachTheInstancePort() throws {
        let result = try analyze(Self.design(), from: "internet", to: "web", port: 80)
        #expect(result.isReachable)
        // No listener sends to 443: TARGET_PORT_RESTRICTION, and the rest of the path (web-sg allows only 80) too.
        let codes = try analyze(Self.design(), from: "internet", to: "web", port: 443, through: ["elb"]).codes
        #expect(codes.first == "TARGET_PORT_RESTRICTION")
        #expect(codes.contains("ENI_SG_RULES_MISMATCH"))
    }

    /// "This load balancer can send traffic only to targets in Availability Zones that are enabled for
    /// the load balancer" (RA explanation codes, ELB_INSTALLED_AZ_RESTRICTION): with the ELB in us-east-1a
    /// only, an instance in us-east-1b is unreachable through it, with or without cross-zone.
    @Test(arguments: [false, true])
    func targetsOutsideTheEnabledZonesAreNotServed(crossZone: Bool) throws {
        let result = try analyze(Self.design(crossZone: crossZone, webSubnet: "other-zone"), from: "internet", to: "web", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes == ["ELB_INSTALLED_AZ_RESTRICTION"])
        #expect(result.explanation("ELB_INSTALLED_AZ_RESTRICTION")?.availabilityZones == ["us-east-1a"])
    }

    /// "This load balancer can't send traffic to some targets because cross-zone load balancing is
    /// disabled" (ELB_NOT_CROSSZONE): with nodes in both zones and the same-zone node shut off by an ACL,
    /// only the other zone's node is left, and it may send across zones only with cross-zone on.
    @Test func crossZoneDecidesWhetherANodeServesAnotherEnabledZone() throws {
        let twoZones = { (crossZone: Bool) in
            Self.design(
                crossZone: crossZone, acl: "network-acls:\n  closed: { subnets: [public] }\n", elbSubnets: "[public, other-zone]",
                routes: "route-tables:\n  public-rt: { subnets: [public, other-zone], routes: [{ destination: 0.0.0.0/0, target: igw }] }\n")
        }
        let off = try analyze(twoZones(false), from: "internet", to: "web", port: 80)
        #expect(!off.isReachable)
        #expect(off.codes == ["ELB_NOT_CROSSZONE"])
        #expect(try analyze(twoZones(true), from: "internet", to: "web", port: 80).isReachable)
    }

    /// "Traffic from a load balancer starts at a node's network interface in its subnet, with the LB's
    /// security groups applied as egress" (SEMANTICS.md): `from: elb` is a source like an instance.
    @Test func loadBalancerAsTheSource() throws {
        let oneSubnet = """
            instances: { web: { subnet: public } }
            load-balancers: { elb: { subnets: [public], listeners: [HTTP:80 -> HTTP:80], instances: [web] } }

            """
        let result = try analyze(oneSubnet, from: "elb", to: "web", port: 80)
        #expect(result.isReachable)
        let first = try #require(result.analysis.forwardPathComponents.first)
        #expect(first.component.id == "elb")
        let sent = try #require(result.analysis.forwardPathComponents.first { $0.outboundHeader != nil })
        #expect(sent.outboundHeader?.sourcePortRanges == [AnalysisPortRange(from: 1024, to: 65535)])
        #expect(result.analysis.returnPathComponents.last?.component.id == "elb")
        // The ELB's security group applies as egress: elb-sg allows only 80 to web-sg.
        let blocked = try analyze(Self.design(), from: "elb", to: "web", port: 22)
        #expect(!blocked.isReachable)
        #expect(blocked.explanation("ENI_SG_RULES_MISMATCH")?.securityGroups?.first?.name == "elb-sg")
        #expect(try analyze(Self.design(), from: "elb", to: "web", port: 80).isReachable)
    }

    /// A complete blocked path (Reachability Analyzer reports every blocker, SEMANTICS.md): to an instance
    /// behind an internal ELB that listens only on 80, port 22 lists the source's and destination's
    /// security-group rules, not only TARGET_PORT_RESTRICTION.
    @Test func blockedPathBesideALoadBalancerListsEverySecurityGroup() throws {
        let yaml = """
            security-groups:
              a-sg: { egress: [{ protocol: tcp, ports: 80, to: 0.0.0.0/0 }] }
              elb-sg: { ingress: [{ protocol: tcp, ports: 80, from: 10.0.0.0/16 }] }
              b-sg: { ingress: [{ protocol: tcp, ports: 80, from: elb-sg }] }
            instances:
              a: { subnet: private, security-groups: [a-sg] }
              b: { subnet: private, security-groups: [b-sg] }
            load-balancers:
              elb: { scheme: internal, subnets: [private], security-groups: [elb-sg], listeners: [HTTP:80 -> HTTP:80], instances: [b] }

            """
        let result = try analyze(yaml, from: "a", to: "b", port: 22)
        #expect(!result.isReachable)
        let groups = Set(
            result.analysis.explanations.filter { $0.explanationCode == .eniSGRulesMismatch }.compactMap { $0.securityGroups?.first?.name })
        #expect(groups.isSuperset(of: ["a-sg", "b-sg"]))
        // Through the load balancer the path goes on past TARGET_PORT_RESTRICTION and meets elb-sg too.
        let through = try analyze(yaml, from: "a", to: "b", port: 22, through: ["elb"])
        #expect(through.codes.first == "TARGET_PORT_RESTRICTION")
        let throughGroups = Set(through.analysis.explanations.compactMap { $0.securityGroups?.first?.name })
        #expect(throughGroups.isSuperset(of: ["a-sg", "elb-sg", "b-sg"]))
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
