import Testing
import VPCEngine
import VPCModel

/// VPC User Guide, "Route tables", "Internet gateways", "Elastic IPs"; EC2 User Guide, source/destination checks.
struct RouteAndGatewayRuleTests {
    static let natDesign = """
        route-tables:
          public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }
          private-rt: { subnets: [private], routes: [{ destination: 0.0.0.0/0, target: nat }] }
        security-groups:
          nat-sg: { ingress: [{ protocol: tcp, ports: 443, from: 10.0.1.0/24 }] }
        instances:
          web: { subnet: private }

        """

    static func nat(_ extra: String) -> String {
        natDesign + "  nat: { subnet: public, role: nat, elastic-ip: true, security-groups: [nat-sg]\(extra) }\n"
    }

    /// "Longest prefix wins."
    @Test func longestPrefixWins() throws {
        let yaml = """
            route-tables:
              public-rt:
                subnets: [public]
                routes:
                  - { destination: 0.0.0.0/0, target: igw }
                  - { destination: 8.8.8.0/24, target: nat }
            security-groups:
              nat-sg: { ingress: [{ protocol: all, from: 10.0.0.0/16 }] }
            instances:
              host: { subnet: public, public-ip: true }
              nat: { subnet: private, role: nat, source-dest-check: false, security-groups: [nat-sg] }

            """
        let viaNAT = try analyze(yaml, from: "host", to: "8.8.8.8", port: 53)
        #expect(viaNAT.analysis.forwardPathComponents.contains { $0.routeTableRoute?.destinationCidr == "8.8.8.0/24" })
        let direct = try analyze(yaml, from: "host", to: "1.1.1.1", port: 443)
        #expect(direct.isReachable)
        #expect(direct.analysis.forwardPathComponents.contains { $0.routeTableRoute?.destinationCidr == "0.0.0.0/0" })
    }

    /// "No matching route: NO_ROUTE_TO_DESTINATION."
    @Test func noMatchingRouteIsReported() throws {
        let yaml = "instances:\n  web: { subnet: private, public-ip: true }\n"
        let result = try analyze(yaml, from: "web", to: "internet", port: 443)
        #expect(!result.isReachable)
        #expect(result.codes == ["NO_ROUTE_TO_DESTINATION"])
    }

    /// "A subnet uses its explicitly associated table, otherwise the VPC's main table."
    @Test func subnetWithoutAssociationUsesTheMainTable() throws {
        let yaml = """
            route-tables:
              main-rt: { main: true, routes: [{ destination: 0.0.0.0/0, target: igw }] }
            instances:
              web: { subnet: private, public-ip: true }

            """
        #expect(try analyze(yaml, from: "web", to: "internet", port: 443).isReachable)
    }

    /// Blackhole: "the NAT instance terminated"; LocalVPC treats a stopped target as blackhole too
    /// (SEMANTICS.md, "Route tables"), and a stopping one as still active.
    @Test(arguments: [("stopped", false), ("terminated", false), ("stopping", true), ("running", true)])
    func routeToAnInstanceFollowsItsState(state: String, active: Bool) throws {
        let result = try analyze(Self.nat(", source-dest-check: false, state: \(state)"), from: "web", to: "internet", port: 443)
        #expect(result.isReachable == active)
        if !active {
            let e = try #require(result.explanation("BAD_STATE_ROUTE"))
            #expect(e.routeTableRoute?.state == "blackhole")
        }
    }

    /// "Outbound through the IGW requires the source private IP to have a public IP or EIP."
    @Test func internetGatewayNeedsAPublicAddressForEgress() throws {
        let yaml = publicRoute + "instances:\n  host: { subnet: public }\n"
        let result = try analyze(yaml, from: "host", to: "internet", port: 443)
        #expect(result.codes == ["IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"])
    }

    /// "Inbound requires the destination to be a public IP of an ENI attached in the VPC."
    @Test func internetGatewayNeedsAPublicAddressForIngress() throws {
        let yaml = publicRoute + "instances:\n  host: { subnet: public }\n"
        let result = try analyze(yaml, from: "internet", to: "host", port: 22)
        #expect(result.codes == ["IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"])
    }

    /// "The IGW does 1:1 NAT: outbound, source private IP → the ENI's public IP or Elastic IP."
    @Test func internetGatewayTranslatesOneToOne() throws {
        let yaml = publicRoute + "instances:\n  host: { subnet: public, elastic-ip: 198.51.100.77, private-ip: 10.0.0.50 }\n"
        let result = try analyze(yaml, from: "host", to: "internet", port: 443)
        let gateway = try #require(result.analysis.forwardPathComponents.first { $0.component.id.hasPrefix("igw-") })
        #expect(gateway.inboundHeader?.sourceAddresses == ["10.0.0.50/32"])
        #expect(gateway.outboundHeader?.sourceAddresses == ["198.51.100.77/32"])
    }

    /// "With [source/destination check] on, an ENI drops inbound packets whose destination is not one of its IPs."
    @Test func sourceDestinationCheckStopsForwarding() throws {
        let result = try analyze(Self.nat(""), from: "web", to: "internet", port: 443)
        #expect(!result.isReachable)
        #expect(result.codes.contains("ENI_SOURCE_DEST_CHECK_RESTRICTION"))
    }

    /// NAT instance: "translates the source to its own private IP and a high port; the IGW then maps its
    /// private IP to its EIP"; return traffic is translated back.
    @Test func natInstanceTranslatesInTwoStages() throws {
        let result = try analyze(Self.nat(", source-dest-check: false"), from: "web", to: "internet", port: 443)
        #expect(result.isReachable)
        let natHop = try #require(result.analysis.forwardPathComponents.first { $0.attachedTo?.name == "nat" && $0.outboundHeader != nil })
        #expect(natHop.inboundHeader?.sourceAddresses == ["10.0.1.4/32"])
        #expect(natHop.outboundHeader?.sourceAddresses == ["10.0.0.4/32"])
        #expect(natHop.outboundHeader?.sourcePortRanges == [AnalysisPortRange(from: 1024, to: 65535)])
        #expect(result.analysis.returnPathComponents.last?.component.name == "web")
    }

    /// LocalVPC choice: "an instance with source/dest check off and no NAT role forwards without translating",
    /// so the internet gateway then refuses the private source.
    @Test func forwardingWithoutNATRoleKeepsThePrivateSource() throws {
        let yaml = Self.natDesign + "  nat: { subnet: public, source-dest-check: false, elastic-ip: true, security-groups: [nat-sg] }\n"
        let result = try analyze(yaml, from: "web", to: "internet", port: 443)
        #expect(!result.isReachable)
        #expect(result.codes == ["IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"])
    }

    /// NAT gateway: no security groups, source port remapped to 1024-65535, drops unsolicited inbound.
    @Test func natGatewayTranslatesAndDropsUnsolicitedInbound() throws {
        let yaml = """
            route-tables:
              public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }
              private-rt: { subnets: [private], routes: [{ destination: 0.0.0.0/0, target: natgw }] }
            nat-gateways:
              natgw: { subnet: public }
            instances:
              web: { subnet: private }

            """
        let out = try analyze(yaml, from: "web", to: "internet", port: 443)
        #expect(out.isReachable)
        let hop = try #require(out.analysis.forwardPathComponents.first { $0.attachedTo?.id.hasPrefix("nat-") == true && $0.outboundHeader != nil })
        #expect(hop.outboundHeader?.sourcePortRanges == [AnalysisPortRange(from: 1024, to: 65535)])
        #expect(!(try analyze(yaml, from: "internet", to: "web", port: 22).isReachable))
    }
}

/// VPC User Guide, "NAT gateways": "external services can't initiate a connection" through a NAT
/// gateway; the gateway itself (its Elastic IP) accepts no connection either.
struct NATGatewayInboundTests {
    @Test func aNATGatewayAcceptsNoConnectionStartedTowardsIt() throws {
        let yaml =
            publicRoute + """
                nat-gateways: { natgw: { subnet: public, elastic-ip: 198.51.100.7 } }
                """
        let result = try analyze(yaml, from: "internet", to: "198.51.100.7", port: 443)
        #expect(!result.isReachable)
        #expect(result.codes == ["LOCALVPC_NAT_GATEWAY_INBOUND"])
        #expect(result.explanation("LOCALVPC_NAT_GATEWAY_INBOUND")?.natGateway?.name == "natgw")
    }
}
