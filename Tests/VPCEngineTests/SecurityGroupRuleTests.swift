import Testing
import VPCEngine
import VPCModel

/// VPC User Guide, "Security group rules"; SEMANTICS.md, "Security groups".
struct SecurityGroupRuleTests {
    static let host =
        publicRoute + """
            instances:
              host: { subnet: public, public-ip: true, security-groups: [sg] }

            """

    /// "A new SG has no inbound rules and one outbound rule allowing all traffic."
    @Test func newGroupHasNoInboundRulesAndAllowsAllOutbound() throws {
        let yaml = Self.host + "security-groups:\n  sg: {}\n"
        let inbound = try analyze(yaml, from: "internet", to: "host", port: 22)
        #expect(!inbound.isReachable)
        #expect(inbound.codes == ["ENI_SG_RULES_MISMATCH"])
        #expect(inbound.explanation("ENI_SG_RULES_MISMATCH")?.direction == "ingress")
        #expect(try analyze(yaml, from: "host", to: "internet", port: 443).isReachable)
    }

    /// "An SG whose outbound rules were all revoked allows no outbound traffic."
    @Test func groupWithoutOutboundRulesAllowsNoOutboundTraffic() throws {
        let yaml = Self.host + "security-groups:\n  sg: { egress: [] }\n"
        let result = try analyze(yaml, from: "host", to: "internet", port: 443)
        #expect(!result.isReachable)
        #expect(result.explanation("ENI_SG_RULES_MISMATCH")?.direction == "egress")
    }

    /// "An ENI with several SGs is allowed what the union of their rules allows."
    @Test func severalGroupsAllowTheUnionOfTheirRules() throws {
        let yaml =
            publicRoute + """
                security-groups:
                  ssh: { ingress: [{ protocol: tcp, ports: 22, from: 0.0.0.0/0 }] }
                  web: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] }
                instances:
                  host: { subnet: public, public-ip: true, security-groups: [ssh, web] }
                expect: []
                """
        let net = try network(yaml)
        let result = try net.analyze(PathQuery(from: "internet", to: "host", protocol: .tcp))
        #expect(result.reachablePorts == IntervalSet([22...22, 80...80]))
    }

    /// "Stateful: a response to allowed traffic is allowed back regardless of rules."
    @Test func responsesAreAllowedRegardlessOfRules() throws {
        let yaml = Self.host + "security-groups:\n  sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }], egress: [] }\n"
        let result = try analyze(yaml, from: "internet", to: "host", port: 80)
        #expect(result.isReachable)
        #expect(!result.analysis.returnPathComponents.isEmpty)
    }

    /// "A rule whose peer is another SG matches the private IP addresses of the ENIs in that SG."
    @Test func groupReferenceMatchesMembersPrivateAddressesOnly() throws {
        let yaml = """
            security-groups:
              client: {}
              stranger: {}
              server: { ingress: [{ protocol: tcp, ports: 5432, from: client }] }
            instances:
              app: { subnet: private, security-groups: [client] }
              other: { subnet: private, security-groups: [stranger] }
              db: { subnet: private, security-groups: [server] }

            """
        #expect(try analyze(yaml, from: "app", to: "db", port: 5432).isReachable)
        let denied = try analyze(yaml, from: "other", to: "db", port: 5432)
        #expect(!denied.isReachable)
        #expect(denied.codes == ["ENI_SG_RULES_MISMATCH"])
    }

    /// The user guide's "Limitation": through a middlebox, a group reference does not match the far host
    /// (Reachability Analyzer code SG_REFERENCES_NOT_PRESERVED). The seed design's web SG says exactly this.
    @Test func groupReferenceIsNotPreservedThroughANATInstance() throws {
        let yaml = """
            route-tables:
              public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }
              private-rt: { subnets: [private], routes: [{ destination: 0.0.0.0/0, target: nat }] }
            security-groups:
              nat-sg: { ingress: [{ protocol: all, from: 10.0.1.0/24 }] }
              web-sg: { egress: [{ protocol: all, to: nat-sg }] }
            instances:
              nat: { subnet: public, role: nat, source-dest-check: false, elastic-ip: true, security-groups: [nat-sg] }
              web: { subnet: private, security-groups: [web-sg] }

            """
        let result = try analyze(yaml, from: "web", to: "internet", port: 443)
        #expect(!result.isReachable)
        #expect(result.codes == ["ENI_SG_RULES_MISMATCH", "SG_REFERENCES_NOT_PRESERVED"])
        // The same reference does match the NAT's own address.
        #expect(try analyze(yaml, from: "web", to: "nat", port: 443).isReachable)
    }

    /// "The default SG: inbound all from itself; outbound all to 0.0.0.0/0."
    @Test func defaultGroupAllowsTrafficFromItsMembersOnly() throws {
        let yaml = """
            security-groups:
              outsider: {}
            instances:
              a: { subnet: private }
              b: { subnet: private }
              c: { subnet: private, security-groups: [outsider] }

            """
        #expect(try analyze(yaml, from: "a", to: "b", protocol: .udp, port: 53).isReachable)
        #expect(!(try analyze(yaml, from: "c", to: "b", port: 22).isReachable))
    }
}
