import Testing
import VPCEngine
import VPCModel

/// SEMANTICS.md, "Internet gateway and public addresses", and how queries name their ends.
struct EndpointAndStateTests {
    /// "An EIP stays associated across stop/start; an auto-assigned public IP is released on stop."
    @Test func stoppedInstanceKeepsItsElasticIPButNotItsAutoAssignedIP() throws {
        let yaml =
            publicRoute + """
                instances:
                  with-eip: { subnet: public, elastic-ip: true, state: stopped }
                  with-auto: { subnet: public, public-ip: true, state: stopped }

                """
        let net = try network(yaml)
        let interfaces = net.topology.networkInterfaces
        #expect(interfaces.first { $0.name == "with-auto-eni" }?.publicIP == nil)
        let eipInterface = try #require(interfaces.first { $0.name == "with-eip-eni" })
        #expect(net.topology.publicAddresses(of: eipInterface).count == 1)
        // A stopped instance is reported as such, not as unaddressable.
        let result = try net.analyze(PathQuery(from: "internet", to: "with-eip", protocol: .tcp, ports: try PortRange(port: 22)))
        #expect(result.codes.contains("BAD_STATE"))
    }

    /// ICMP carries no ports: an ICMP rule admits all ICMP, a TCP rule none of it.
    @Test func icmpIsMatchedByProtocolNotPorts() throws {
        let yaml =
            publicRoute + """
                security-groups:
                  ping: { ingress: [{ protocol: icmp, from: 0.0.0.0/0 }] }
                  web: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] }
                instances:
                  a: { subnet: public, public-ip: true, security-groups: [ping] }
                  b: { subnet: public, public-ip: true, security-groups: [web] }

                """
        #expect(try analyze(yaml, from: "internet", to: "a", protocol: .icmp).isReachable)
        #expect(!(try analyze(yaml, from: "internet", to: "b", protocol: .icmp).isReachable))
    }

    /// "The IGW drops inbound sources in RFC 1918 / RFC 6598 ranges": such an address is not "the internet".
    @Test func addressEndpointsResolveToInterfacesOrTheInternet() throws {
        let yaml = publicRoute + "instances:\n  host: { subnet: public, public-ip: true, private-ip: 10.0.0.50 }\n"
        let net = try network(yaml)
        #expect(try net.analyze(PathQuery(from: "10.0.0.50", to: "1.1.1.1", protocol: .tcp, ports: try PortRange(port: 443))).isReachable)
        let error = try #require(throws: ModelError.self) {
            try net.analyze(PathQuery(from: "192.168.1.1", to: "host", protocol: .tcp))
        }
        #expect(error.message.contains("not an internet address"))
    }

    /// SEMANTICS.md, "Addresses and return paths" (VPC User Guide, "Internet gateways"): from the internet
    /// only a public IP or Elastic IP reaches an instance; its private address is not routable.
    @Test func addressDestinationsResolveAsTheNetworkDelivers() throws {
        let yaml =
            publicRoute + """
                security-groups: { ssh: { ingress: [{ protocol: tcp, ports: 22, from: 0.0.0.0/0 }] } }
                instances:
                  host: { subnet: public, private-ip: 10.0.0.47, public-ip: 13.58.55.60, security-groups: [ssh] }
                  other: { subnet: public, private-ip: 10.0.0.48, public-ip: true }

                """
        let net = try network(yaml)
        func query(_ from: String, _ to: String) throws -> Reachability {
            try net.analyze(PathQuery(from: from, to: to, protocol: .tcp, ports: try PortRange(port: 22)))
        }
        let privateAddress = try query("internet", "10.0.0.47")
        #expect(!privateAddress.isReachable)
        #expect(privateAddress.codes == ["NO_ROUTE_TO_DESTINATION"])
        #expect(privateAddress.analysis.explanations.first?.message.contains("13.58.55.60") == true)
        let publicAddress = try query("internet", "13.58.55.60")
        #expect(publicAddress.isReachable)
        #expect(
            publicAddress.analysis.forwardPathComponents.first { $0.inboundHeader != nil }?.inboundHeader?.destinationAddresses == ["13.58.55.60/32"])
        // Inside the VPC the private address is delivered by the local route; the public one goes out
        // through the internet gateway and back in.
        #expect(try query("other", "10.0.0.47").isReachable)
        let hairpin = try query("other", "13.58.55.60")
        #expect(hairpin.isReachable)
        #expect(hairpin.analysis.forwardPathComponents.filter { $0.component.name == "igw" }.count == 2)
        // An address of the VPC's CIDR that no interface holds reaches nobody; it is never "the internet".
        let vacant = try query("other", "10.0.0.99")
        #expect(!vacant.isReachable)
        #expect(vacant.codes == ["NO_ROUTE_TO_DESTINATION"])
        #expect(vacant.analysis.explanations.first?.addresses == ["10.0.0.99/32"])
        #expect(!vacant.analysis.forwardPathComponents.contains { $0.component.name == "igw" })
        #expect(try !query("internet", "10.0.0.99").isReachable)
    }

    /// SEMANTICS.md, "NAT instance": an instance with source/destination check off but no NAT role
    /// forwards without translating, and the internet gateway drops the private source
    /// (IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS); the explanation says how to mark it.
    static let forwarderWithoutRole = """
        route-tables:
          public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }
          private-rt: { subnets: [private], routes: [{ destination: 0.0.0.0/0, target: nat-1 }] }
        instances:
          web: { subnet: private }
          nat-1: { subnet: public, source-dest-check: false, elastic-ip: true }

        """

    @Test func forwarderWithoutTheNATRoleIsExplained() throws {
        let result = try analyze(Self.forwarderWithoutRole, from: "web", to: "internet", port: 443)
        #expect(!result.isReachable)
        let e = try #require(result.explanation("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"))
        #expect(e.message.contains("nat-1 forwards without translating: mark it as a NAT (role: nat)"))
    }

    /// Two instances routing to each other forever end in a reported loop, not a hang.
    @Test func routingLoopIsReported() throws {
        let yaml = """
            route-tables:
              a-rt: { subnets: [public], routes: [{ destination: 8.8.8.0/24, target: b }] }
              b-rt: { subnets: [private], routes: [{ destination: 8.8.8.0/24, target: a }] }
            instances:
              a: { subnet: public, source-dest-check: false }
              b: { subnet: private, source-dest-check: false }
              client: { subnet: public }

            """
        let result = try analyze(yaml, from: "client", to: "8.8.8.8", port: 53)
        #expect(!result.isReachable)
        #expect(result.codes.contains("LOCALVPC_ROUTING_LOOP"))
    }
}
