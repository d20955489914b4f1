import Foundation
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// `localvpc fix`: edits that make every intent hold, never widening more than a blocker needs.
struct RepairTests {
    static let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    func repair(_ yaml: String) throws -> (Repair, TopologyFile) {
        let file = try TopologyFile(yaml: base + yaml, file: "test.yaml")
        return (try Repair(file.topology, intents: file.intents), file)
    }

    /// Applies the repair's edits, writes the file and reads it back: every intent holds in what is written.
    func recheck(_ repair: Repair, _ file: TopologyFile) throws -> Bool {
        let vpc = try #require(repair.topology.vpcs.first)
        let text = try TopologyWriter().yaml(repair.topology, vpc: vpc.id, intents: file.intents)
        let written = try TopologyFile(yaml: text, file: "fixed.yaml")
        let network = CompiledNetwork(written.topology)
        return try written.intents.allSatisfy { try network.check($0).holds }
    }

    /// The seed design: the web servers' egress rules for 80 and 443 to the internet, and nothing else
    /// ("only through the NAT" keeps holding: the private route still goes to the NAT instance).
    @Test func seedDesignGetsExactlyTheWebEgressRules() throws {
        let text = try String(contentsOfFile: "/" + Self.root + "/examples/seed-elb-nat.yaml", encoding: .utf8)
        let file = try TopologyFile(yaml: text, file: "seed-elb-nat.yaml")
        let repair = try Repair(file.topology, intents: file.intents)
        guard case .fixed = repair.outcome else {
            Issue.record("not fixed: \(repair.outcome)")
            return
        }
        let added = repair.edits.compactMap { edit -> SecurityGroupRule? in
            if case .addSecurityGroupRule(_, .egress, let rule) = edit.change { return rule }
            return nil
        }
        #expect(repair.edits.count == 2)
        #expect(Set(added.map(\.ports)) == [try PortRange(port: 80), try PortRange(port: 443)])
        #expect(added.allSatisfy { $0.peer == .cidr(.all) && $0.ipProtocol == .tcp })
        #expect(repair.edits.allSatisfy { $0.summary.hasPrefix("web-sg:") && $0.awsCommand.hasPrefix("aws ec2 authorize-security-group-egress") })
        #expect(try recheck(repair, file))
    }

    /// The narrowest rule for an instance peer is its security group, on the asked port only.
    @Test func blockedSecurityGroupsGetTheAskedPortFromThePeersGroup() throws {
        let yaml = """
            security-groups:
              a-sg: { egress: [{ protocol: tcp, ports: 80, to: 0.0.0.0/0 }] }
              b-sg: { ingress: [{ protocol: tcp, ports: 80, from: 10.0.0.0/16 }] }
            instances:
              a: { subnet: private, security-groups: [a-sg] }
              b: { subnet: private, security-groups: [b-sg] }
            expect:
              - { name: ssh from a to b, from: a, to: b, port: 22, reachable: true }

            """
        let (repair, file) = try repair(yaml)
        let changes = repair.edits.map(\.change)
        let aSG = try #require(file.topology.securityGroups.first { $0.name == "a-sg" }?.id)
        let bSG = try #require(file.topology.securityGroups.first { $0.name == "b-sg" }?.id)
        #expect(
            changes.contains(
                .addSecurityGroupRule(aSG, .egress, SecurityGroupRule(ipProtocol: .tcp, ports: try PortRange(port: 22), peer: .securityGroup(bSG)))))
        #expect(
            changes.contains(
                .addSecurityGroupRule(bSG, .ingress, SecurityGroupRule(ipProtocol: .tcp, ports: try PortRange(port: 22), peer: .securityGroup(aSG)))))
        #expect(changes.count == 2)
        #expect(try recheck(repair, file))
    }

    /// Network ACLs are stateless: the fix adds the request's entry before the deny and the replies'
    /// ephemeral entry (AWS's recommended 1024-65535) on the way back.
    @Test func aclGetsTheRequestAndItsReturnEntry() throws {
        let yaml =
            publicRoute + """
                security-groups: { web-sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] } }
                network-acls:
                  acl:
                    subnets: [public]
                    ingress: [{ rule: 100, protocol: tcp, ports: 443, from: 0.0.0.0/0, action: allow }]
                instances: { web: { subnet: public, public-ip: true, security-groups: [web-sg] } }
                expect:
                  - { name: web serves http, from: internet, to: web, port: 80, reachable: true }

                """
        let (repair, file) = try repair(yaml)
        let entries = repair.edits.compactMap { edit -> NetworkACLEntry? in
            if case .addACLEntry(_, let entry) = edit.change { return entry }
            return nil
        }
        #expect(entries.contains { $0.direction == .ingress && $0.ports == (try? PortRange(port: 80)) && $0.ruleNumber == 110 })
        #expect(entries.contains { $0.direction == .egress && $0.ports == (try? PortRange(from: 1024, to: 65535)) })
        #expect(entries.count == 2)
        #expect(try recheck(repair, file))
    }

    /// Issue's asymmetric-return design: the fix sends the private subnet's default route to the
    /// internet gateway (LOCALVPC_ASYMMETRIC_RETURN names that route).
    @Test func asymmetricReturnGetsTheRouteChange() throws {
        let yaml =
            ReturnPathRuleTests.design() + """
                expect:
                  - { name: web serves the internet, from: internet, to: web, port: 80, reachable: true }

                """
        let (repair, file) = try repair(yaml)
        #expect(repair.edits.count == 1)
        guard case .retargetRoute(_, let block, .internetGateway) = repair.edits.first?.change else {
            Issue.record("expected a route change, got \(repair.edits)")
            return
        }
        #expect(block == .all)
        #expect(repair.edits.first?.awsCommand.hasPrefix("aws ec2 replace-route") == true)
        #expect(try recheck(repair, file))
    }

    /// A forwarder known only by its image gets the NAT role (SEMANTICS.md, "NAT instance").
    @Test func forwarderWithoutTheRoleIsMarkedAsANAT() throws {
        let yaml =
            EndpointAndStateTests.forwarderWithoutRole + """
                expect:
                  - { name: web reaches the internet, from: web, to: internet, port: 443, reachable: true }

                """
        let (repair, file) = try repair(yaml)
        let nat = try #require(file.topology.instances.first { $0.name == "nat-1" }?.id)
        #expect(repair.edits.map(\.change) == [.markAsNAT(nat)])
        #expect(try recheck(repair, file))
    }

    /// Two intents that cannot both hold: the edit for one breaks the other, and the repair says so.
    @Test func conflictingIntentsAreReported() throws {
        let yaml =
            publicRoute + """
                security-groups: { web-sg: { egress: [] } }
                instances: { web: { subnet: public, public-ip: true, security-groups: [web-sg] } }
                expect:
                  - { name: no https to 1.1.1.1, from: web, to: 1.1.1.1, port: 443, reachable: false }
                  - { name: https to the internet, from: web, to: internet, port: 443, reachable: true }

                """
        let (repair, _) = try repair(yaml)
        guard case .conflict(let conflict) = repair.outcome else {
            Issue.record("expected a conflict, got \(repair.outcome)")
            return
        }
        #expect(conflict.fixing == "https to the internet")
        #expect(conflict.breaks == "no https to 1.1.1.1")
    }

    /// The repair only adds: an intent that wants less than the design allows is not fixed, and a
    /// target outside the load balancer's zones (ELB_INSTALLED_AZ_RESTRICTION) needs a new subnet.
    @Test func whatItCannotWriteIsReportedUnfixable() throws {
        let yaml =
            LoadBalancerRuleTests.design(webSubnet: "other-zone") + """
                expect:
                  - { name: web through the elb, from: internet, to: web, port: 80, through: elb, reachable: true }
                  - { name: no http to the elb, from: internet, to: elb, port: 80, reachable: false }

                """
        let (repair, _) = try repair(yaml)
        guard case .unfixable(let names) = repair.outcome else {
            Issue.record("expected unfixable, got \(repair.outcome)")
            return
        }
        #expect(Set(names) == ["web through the elb", "no http to the elb"])
        #expect(repair.edits.isEmpty)
    }
}
