import Testing
import VPCEngine
import VPCModel

/// SEMANTICS.md, "Addresses and return paths": a reply must arrive as the same connection. A reply
/// routed into a NAT that the request never crossed gets its source rewritten, and the client drops
/// it (VPC User Guide, "NAT gateways": a NAT's clients "can't receive unsolicited inbound connections";
/// "NAT instances": the instance translates what it forwards).
struct ReturnPathRuleTests {
    /// The issue's design: `web` has an Elastic IP but lives in a subnet whose default route goes to a NAT gateway.
    static func design(privateRoutes: String = "[{ destination: 0.0.0.0/0, target: natgw }]", webSubnet: String = "private") -> String {
        """
        route-tables:
          pub-rt:  { subnets: [public],  routes: [{ destination: 0.0.0.0/0, target: igw }] }
          priv-rt: { subnets: [private], routes: \(privateRoutes) }
        security-groups: { web-sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] } }
        instances:
          web: { subnet: \(webSubnet), security-groups: [web-sg], private-ip: \(webSubnet == "private" ? "10.0.1.10" : "10.0.0.10"), \
                 elastic-ip: 198.51.100.50 }
        nat-gateways: { natgw: { subnet: public } }

        """
    }

    /// "A reply must arrive as the same connection": the reply to 8.8.8.8 follows priv-rt's default
    /// route into the NAT gateway, which the request (through the internet gateway) never crossed.
    @Test func replyRoutedIntoANATGatewayTheRequestNeverCrossedBreaksThePath() throws {
        let result = try analyze(Self.design(), from: "8.8.8.8", to: "web", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes == ["LOCALVPC_ASYMMETRIC_RETURN"])
        let e = try #require(result.explanation("LOCALVPC_ASYMMETRIC_RETURN"))
        #expect(e.routeTable?.name == "priv-rt")
        #expect(e.routeTableRoute?.destinationCidr == "0.0.0.0/0")
        #expect(e.routeTableRoute?.natGatewayID == e.natGateway?.id)
        #expect(e.natGateway?.name == "natgw")
        #expect(e.message.contains("priv-rt") && e.message.contains("natgw"))
        // The blocker sits on the return path, at the NAT gateway, after the route that sent the reply there.
        let back = result.analysis.returnPathComponents
        let natHop = try #require(back.firstIndex { $0.explanations?.first?.explanationCode == .asymmetricReturn })
        let routeHop = try #require(back.firstIndex { $0.routeTableRoute?.natGatewayID != nil })
        #expect(routeHop < natHop)
        // The forward leg itself is fine.
        #expect(result.analysis.forwardPathComponents.contains { $0.component.name == "web" })
    }

    /// The same design from the whole internet: no client gets its reply.
    @Test func everyInternetClientLosesItsReply() throws {
        let result = try analyze(Self.design(), from: "internet", to: "web", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes == ["LOCALVPC_ASYMMETRIC_RETURN"])
    }

    /// The fixes: the private subnet's default route to the internet gateway, or web in the public subnet.
    @Test func replyBackThroughTheInternetGatewayWorks() throws {
        let viaIGW = try analyze(Self.design(privateRoutes: "[{ destination: 0.0.0.0/0, target: igw }]"), from: "8.8.8.8", to: "web", port: 80)
        #expect(viaIGW.isReachable)
        #expect(viaIGW.partialBlocks.isEmpty)
        let moved = try analyze(Self.design(webSubnet: "public"), from: "8.8.8.8", to: "web", port: 80)
        #expect(moved.isReachable)
        #expect(moved.analysis.returnPathComponents.allSatisfy { $0.component.name != "natgw" })
    }

    /// A more specific route (8.0.0.0/8 -> NAT) breaks the path for just those clients; the rest of the
    /// internet is reachable, with the cut-off clients reported as partly blocked.
    @Test func moreSpecificRouteIntoTheNATBreaksOnlyThoseClients() throws {
        let routes = "[{ destination: 0.0.0.0/0, target: igw }, { destination: 8.0.0.0/8, target: natgw }]"
        let cutOff = try analyze(Self.design(privateRoutes: routes), from: "8.8.8.8", to: "web", port: 80)
        #expect(!cutOff.isReachable)
        #expect(cutOff.explanation("LOCALVPC_ASYMMETRIC_RETURN")?.routeTableRoute?.destinationCidr == "8.0.0.0/8")
        let other = try analyze(Self.design(privateRoutes: routes), from: "1.1.1.1", to: "web", port: 80)
        #expect(other.isReachable)
        let everyone = try analyze(Self.design(privateRoutes: routes), from: "internet", to: "web", port: 80)
        #expect(everyone.isReachable)
        let partial = try #require(everyone.partialBlocks.first { $0.explanationCode == .asymmetricReturn })
        #expect(partial.addresses == ["8.0.0.0/8"])
    }

    /// The NAT-instance variant: the reply enters the NAT instance, whose security group sees a new
    /// flow (it never saw the request) and judges it: a NAT instance is an instance on every leg.
    @Test func replyRoutedIntoANATInstanceBreaksThePathAndMeetsItsSecurityGroup() throws {
        let yaml = """
            route-tables:
              pub-rt:  { subnets: [public],  routes: [{ destination: 0.0.0.0/0, target: igw }] }
              priv-rt: { subnets: [private], routes: [{ destination: 0.0.0.0/0, target: nat }] }
            security-groups:
              web-sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] }
              nat-sg:
                ingress: [{ protocol: tcp, ports: 443, from: 10.0.1.0/24 }]
                egress: [{ protocol: tcp, ports: 443, to: 0.0.0.0/0 }]
            instances:
              web: { subnet: private, security-groups: [web-sg], private-ip: 10.0.1.10, elastic-ip: 198.51.100.50 }
              nat: { subnet: public, role: nat, source-dest-check: false, elastic-ip: true, security-groups: [nat-sg] }

            """
        // A Linux client's source port: the reply goes to port 40000, which nat-sg allows neither in nor out.
        let result = try network(yaml).analyze(
            PathQuery(
                from: "8.8.8.8", to: "web", protocol: .tcp, ports: try PortRange(port: 80), sourcePorts: try PortRange(port: 40000)))
        #expect(!result.isReachable)
        #expect(result.codes.contains("LOCALVPC_ASYMMETRIC_RETURN"))
        let sg = result.analysis.explanations.filter { $0.explanationCode == .eniSGRulesMismatch }
        // nat-sg lets in only 443 from the private subnet and out only 443: the reply meets both on the return leg.
        #expect(Set(sg.compactMap(\.direction)) == ["ingress", "egress"])
        #expect(sg.allSatisfy { $0.securityGroups?.first?.name == "nat-sg" })
        #expect(sg.allSatisfy { $0.message.contains("nat") })
    }

    /// A NAT instance the request did cross keeps its connection: its security group lets the reply
    /// back without a rule (stateful), and the path works (the seed's outbound path).
    @Test func natInstanceOnTheRequestsPathTranslatesTheReplyBack() throws {
        let yaml = RouteAndGatewayRuleTests.nat(", source-dest-check: false")
        let result = try analyze(yaml, from: "web", to: "internet", port: 443)
        #expect(result.isReachable)
        #expect(result.analysis.returnPathComponents.contains { $0.component.name == "nat" || $0.attachedTo?.name == "nat" })
        #expect(!result.codes.contains("LOCALVPC_ASYMMETRIC_RETURN"))
    }

    /// A load balancer's replies go back to the node that proxied: a route more specific than the
    /// VPC's that sends the node's subnet through a NAT instance breaks the ELB path.
    @Test func replyToALoadBalancerNodeThroughANATBreaksThePath() throws {
        let yaml = """
            route-tables:
              public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }
              private-rt: { subnets: [private], routes: [{ destination: 10.0.0.0/24, target: nat }] }
            security-groups:
              elb-sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }], egress: [{ protocol: tcp, ports: 80, to: 10.0.1.0/24 }] }
              web-sg: { ingress: [{ protocol: tcp, ports: 80, from: elb-sg }] }
              nat-sg: { ingress: [{ protocol: all, from: 10.0.0.0/16 }] }
            instances:
              web: { subnet: private, security-groups: [web-sg] }
              nat: { subnet: public, role: nat, source-dest-check: false, security-groups: [nat-sg] }
            load-balancers:
              elb: { subnets: [public], security-groups: [elb-sg], listeners: [HTTP:80 -> HTTP:80], instances: [web] }

            """
        let result = try analyze(yaml, from: "internet", to: "web", port: 80)
        #expect(!result.isReachable)
        #expect(result.codes.contains("LOCALVPC_ASYMMETRIC_RETURN"))
        #expect(result.explanation("LOCALVPC_ASYMMETRIC_RETURN")?.routeTableRoute?.destinationCidr == "10.0.0.0/24")
    }
}
