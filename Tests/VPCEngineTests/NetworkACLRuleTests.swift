import Testing
import VPCEngine
import VPCModel

/// VPC User Guide, "Network ACLs"; SEMANTICS.md, "Network ACLs (stateless)".
struct NetworkACLRuleTests {
    static let web =
        publicRoute + """
            security-groups:
              sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] }
            instances:
              host: { subnet: public, public-ip: true, security-groups: [sg] }

            """

    /// "The VPC's default NACL allows all" — and "a new custom NACL denies everything" (the `*` rule, 32767).
    @Test func newCustomACLDeniesEverything() throws {
        #expect(try analyze(Self.web, from: "internet", to: "host", port: 80).isReachable)
        let yaml = Self.web + "network-acls:\n  locked: { subnets: [public] }\n"
        let result = try analyze(yaml, from: "internet", to: "host", port: 80)
        #expect(!result.isReachable)
        let e = try #require(result.explanation("SUBNET_ACL_RESTRICTION"))
        #expect(e.aclRule?.ruleNumber == 32767)
        #expect(e.aclRule?.ruleAction == "deny")
        #expect(e.direction == "ingress")
    }

    /// "Rules are evaluated in ascending rule number; first match wins. Input order is not evaluation order."
    @Test func entriesAreEvaluatedInAscendingRuleNumber() throws {
        let yaml =
            Self.web + """
                network-acls:
                  acl:
                    subnets: [public]
                    ingress:
                      - { rule: 200, protocol: all, action: allow }
                      - { rule: 100, protocol: tcp, ports: 80, from: 198.51.100.0/24, action: deny }
                    egress:
                      - { rule: 100, protocol: all, action: allow }

                """
        let net = try network(yaml)
        let blocked = try net.analyze(PathQuery(from: "198.51.100.7", to: "host", protocol: .tcp, ports: try PortRange(port: 80)))
        #expect(!blocked.isReachable)
        #expect(blocked.explanation("SUBNET_ACL_RESTRICTION")?.aclRule?.ruleNumber == 100)
        #expect(try net.analyze(PathQuery(from: "8.8.8.8", to: "host", protocol: .tcp, ports: try PortRange(port: 80))).isReachable)
    }

    /// "Stateless: a response is checked again against the opposite direction's rules", on ephemeral ports.
    @Test func responsesAreCheckedAgainOnEphemeralPorts() throws {
        let yaml =
            Self.web + """
                network-acls:
                  acl:
                    subnets: [public]
                    ingress: [{ rule: 100, protocol: tcp, ports: 80, action: allow }]
                    egress: [{ rule: 100, protocol: tcp, ports: 80, action: allow }]

                """
        // Clients with Linux ephemeral ports: every reply goes to 32768-61000, which the egress rules deny.
        let query = PathQuery(
            from: "internet", to: "host", protocol: .tcp, ports: try PortRange(port: 80), sourcePorts: try PortRange(from: 32768, to: 61000))
        let result = try network(yaml).analyze(query)
        #expect(!result.isReachable)
        let e = try #require(result.explanation("SUBNET_ACL_RESTRICTION"))
        #expect(e.direction == "egress")
        #expect(e.message.contains("return traffic"))
        #expect(!result.analysis.forwardPathComponents.isEmpty && !result.analysis.returnPathComponents.isEmpty)
    }

    /// With 1024-65535 allowed for replies, the clients that use ports below 1024 are the only ones cut off:
    /// the engine reports that as a partial block over the set of all source ports.
    @Test func ephemeralRuleLeavesOnlyPrivilegedClientPortsBlocked() throws {
        let yaml =
            Self.web + """
                network-acls:
                  acl:
                    subnets: [public]
                    ingress: [{ rule: 100, protocol: tcp, ports: 80, action: allow }]
                    egress: [{ rule: 100, protocol: tcp, ports: 1024-65535, action: allow }]

                """
        let result = try analyze(yaml, from: "internet", to: "host", port: 80)
        #expect(result.isReachable)
        #expect(result.partialCodes == ["SUBNET_ACL_RESTRICTION"])
    }

    /// "NACLs filter traffic entering or leaving a subnet, not traffic inside one subnet."
    @Test func aclDoesNotFilterTrafficWithinASubnet() throws {
        let yaml = """
            network-acls:
              locked: { subnets: [private] }
            instances:
              a: { subnet: private }
              b: { subnet: private }
              c: { subnet: public }

            """
        #expect(try analyze(yaml, from: "a", to: "b", port: 22).isReachable)
        let crossing = try analyze(yaml, from: "a", to: "c", port: 22)
        #expect(crossing.codes.contains("SUBNET_ACL_RESTRICTION"))
    }

    /// "The port range always matches the packet's destination port."
    @Test func portRangeMatchesTheDestinationPort() throws {
        let yaml =
            Self.web + """
                network-acls:
                  acl:
                    subnets: [public]
                    ingress: [{ rule: 100, protocol: tcp, ports: 32768-65535, action: allow }]
                    egress: [{ rule: 100, protocol: all, action: allow }]

                """
        // The client's source port is in 32768-65535, but its destination port 80 is not: denied.
        let result = try network(yaml).analyze(
            PathQuery(
                from: "internet", to: "host", protocol: .tcp, ports: try PortRange(port: 80), sourcePorts: try PortRange(from: 40000, to: 40010)))
        #expect(!result.isReachable)
        #expect(result.codes == ["SUBNET_ACL_RESTRICTION"])
    }
}
