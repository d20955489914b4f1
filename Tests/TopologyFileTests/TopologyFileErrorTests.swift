import Foundation
import Testing
import TopologyFile
import VPCModel

/// Bad files: every problem at once, each with line and column, never a crash.
struct TopologyFileErrorTests {
    func diagnostics(_ yaml: String) throws -> [Diagnostic] {
        let error = try #require(throws: TopologyFileError.self) { try TopologyFile(yaml: yaml, file: "bad.yaml") }
        return error.diagnostics
    }

    @Test func reportsEveryProblemWithItsLine() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.0.0/24 }
              b: { cidr: 10.0.0.128/25 }
              c: { cidr: 10.1.0.0/24 }
              d: { cidr: 10.0.5.1/24 }
            security-groups:
              sg:
                ingress:
                  - { protocol: tcp, ports: 70000, from: 0.0.0.0/0 }
                  - { protocol: tcp, ports: 22, from: no-such-group }
            instances:
              web: { subnet: nowhere }
            """
        let found = try diagnostics(yaml)
        let lines = Dictionary(grouping: found, by: \.line)
        #expect(lines[6]?.first?.message.contains("host bits") == true)  // invalid CIDR
        #expect(lines[10]?.first?.message.contains("0-65535") == true)  // port out of range
        #expect(lines[11]?.first?.message.contains("no-such-group") == true)  // dangling name
        #expect(lines[13]?.first?.message.contains("nowhere") == true)  // dangling subnet
        // Model rules are reported with the file's own errors, not after they are fixed.
        #expect(lines[4]?.first?.message.contains("overlaps") == true)  // overlapping subnets
        #expect(lines[5]?.first?.message.contains("not inside") == true)  // subnet outside the VPC
        #expect(found.allSatisfy { $0.file == "bad.yaml" && $0.column >= 1 })
        #expect(found.count == 6)
    }

    @Test func modelRulesPointAtTheLinesThatBreakThem() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.0.0/24 }
              b: { cidr: 10.0.0.128/25 }
              c: { cidr: 10.1.0.0/24 }
            network-acls:
              acl:
                ingress:
                  - { rule: 100, protocol: all, action: allow }
                  - { rule: 100, protocol: all, action: deny }
            """
        let found = try diagnostics(yaml)
        #expect(found.contains { $0.line == 4 && $0.message.contains("overlaps") })  // overlapping subnets
        #expect(found.contains { $0.line == 5 && $0.message.contains("not inside its VPC") })  // subnet outside VPC
        #expect(found.contains { $0.line == 10 && $0.message.contains("used twice") })  // duplicate rule number
    }

    @Test func malformedYAMLIsALocatedErrorNotACrash() throws {
        let found = try diagnostics("vpc: { name: v, cidr: 10.0.0.0/16\nsubnets: [")
        #expect(found.count == 1)
        #expect(found[0].message.contains("not valid YAML"))
        #expect(found[0].line >= 1)
    }

    @Test func unknownKeysSuggestTheIntendedOne() throws {
        let found = try diagnostics("vpc: { name: v, cidr: 10.0.0.0/16 }\nsubnet:\n  a: { cidr: 10.0.0.0/24 }\n")
        #expect(found.first?.line == 2)
        #expect(found.first?.message.contains("Did you mean 'subnets'") == true)
    }

    @Test func emptyFileIsReported() throws {
        #expect(try diagnostics("").first?.message.contains("empty") == true)
    }

    @Test func validFileGeneratesDefaultsLikeAWS() throws {
        let file = try TopologyFile(yaml: "vpc: { name: v, cidr: 10.0.0.0/16 }\nsubnets:\n  a: { cidr: 10.0.0.0/24 }\n")
        #expect(file.topology.routeTables.filter(\.isMain).count == 1)
        #expect(file.topology.networkACLs.filter(\.isDefault).count == 1)
        #expect(file.topology.securityGroups.map(\.name) == ["default"])
        #expect(file.topology.validate().isEmpty)
    }

    /// A subnet whose CIDR has host bits is one error at its line, not also "no free address" at every
    /// instance placed in it.
    @Test func badSubnetCIDRIsReportedOnce() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.5.1/24 }
            instances:
              web: { subnet: a }
              web2: { subnet: a }
            """
        let found = try diagnostics(yaml)
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.message.contains("host bits") == true)
    }
}

/// A public address has one owner: an address written in the file is not handed out again to a load
/// balancer node or another instance, and two resources naming the same one is an error.
struct PublicAddressTests {
    static let base = """
        vpc: { name: v, cidr: 10.0.0.0/16 }
        internet-gateway: igw
        subnets: { public: { cidr: 10.0.0.0/24, zone: us-east-1a, map-public-ip: true } }
        route-tables: { rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] } }
        security-groups: { sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] } }

        """

    @Test func writtenPublicAddressesAreNotHandedOutAgain() throws {
        let yaml =
            Self.base + """
                instances:
                  a: { subnet: public, security-groups: [sg], public-ip: 203.0.113.10 }
                  b: { subnet: public, security-groups: [sg] }
                load-balancers:
                  lb: { subnets: [public], security-groups: [sg], listeners: ["HTTP:80 -> HTTP:80"], instances: [b] }
                """
        let topology = try TopologyFile(yaml: yaml, file: "t.yaml").topology
        let addresses = topology.networkInterfaces.compactMap(\.publicIP)
        #expect(addresses.count == 3)
        #expect(Set(addresses).count == 3, "\(addresses)")
    }

    @Test func twoOwnersOfOnePublicAddressIsAnError() throws {
        let yaml =
            Self.base + """
                instances:
                  a: { subnet: public, security-groups: [sg], public-ip: 203.0.113.50 }
                  b: { subnet: public, security-groups: [sg], public-ip: 203.0.113.50 }
                """
        #expect {
            _ = try TopologyFile(yaml: yaml, file: "t.yaml")
        } throws: { error in
            "\(error)".contains("Public IP 203.0.113.50") && "\(error)".contains("has one owner")
        }
    }
}

/// `ids:` keeps the AWS IDs an export wrote; an ID of the wrong kind is an error at its line.
struct ExplicitIDTests {
    @Test func idsKeepTheExportedIDsAndRefuseTheWrongKind() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            subnets:
              a: { cidr: 10.0.0.0/24 }
            instances:
              web: { subnet: a }
            ids:
              vpc: { v: vpc-0123456789abcdef0 }
              subnet: { a: subnet-0aaaaaaaaaaaaaaaa }
              i: { web: i-0bbbbbbbbbbbbbbbb }
              eni: { web: eni-0cccccccccccccccc }
            """
        let topology = try TopologyFile(yaml: yaml, file: "ids.yaml").topology
        #expect(topology.vpcs.map(\.id.rawValue) == ["vpc-0123456789abcdef0"])
        #expect(topology.subnets.first?.vpcID.rawValue == "vpc-0123456789abcdef0")
        #expect(topology.subnets.map(\.id.rawValue) == ["subnet-0aaaaaaaaaaaaaaaa"])
        #expect(topology.instances.map(\.id.rawValue) == ["i-0bbbbbbbbbbbbbbbb"])
        #expect(topology.instances.first?.primaryNetworkInterfaceID.rawValue == "eni-0cccccccccccccccc")
        // Without ids, the same file gets IDs derived from the names.
        let derived = try TopologyFile(yaml: String(yaml[..<yaml.range(of: "ids:")!.lowerBound]), file: "derived.yaml").topology
        #expect(derived.subnets.first?.id.rawValue != "subnet-0aaaaaaaaaaaaaaaa")

        let bad = try #require(throws: TopologyFileError.self) {
            try TopologyFile(yaml: yaml.replacingOccurrences(of: "subnet-0aaaaaaaaaaaaaaaa", with: "sg-0aaaaaaaaaaaaaaaa"), file: "bad.yaml")
        }
        #expect(bad.diagnostics.contains { $0.line == 8 && $0.message.contains("not an ID of kind 'subnet'") }, "\(bad.diagnostics)")
    }
}
