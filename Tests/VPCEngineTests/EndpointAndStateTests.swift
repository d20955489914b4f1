import Testing
import VPCEngine
import VPCModel

/// SEMANTICS.md, "Internet gateway and public addresses", and how queries name their ends.
struct EndpointAndStateTests {
    /// "An EIP stays associated across stop/start; an auto-assigned public IP is released on stop."
    @Test func stoppedInstanceKeepsItsElasticIPButNotItsAutoAssignedIP() throws {
        let yaml = publicRoute + """
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
        let yaml = publicRoute + """
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
