import Foundation
import Testing
import VPCModel
import VPCStore
import VPCTesting

@testable import QueryAPI

/// The hand-written record encoding must be read back by `JSONDecoder` exactly as the synthesized
/// `Codable` encoding is: records written by either one load the same.
struct RecordJSONTests {
    static let awkward = "quote \" backslash \\ newline \n tab \t cr \r bell \u{07} nul \u{00} é 漢字 😀 </>&"

    static var groups: [SecurityGroup] {
        var plain = SecurityGroup(id: "sg-0123456789abcdef0", name: "web", description: "web servers", vpcID: "vpc-01")
        plain.ingress = [
            SecurityGroupRule(id: "sgr-1", ipProtocol: .tcp, ports: try! PortRange(from: 80, to: 80), peer: .securityGroup("sg-elb")),
            SecurityGroupRule(
                ipProtocol: .udp, ports: try! PortRange(from: 1024, to: 65535), peer: .cidr(try! CIDRBlock(parsing: "10.1.0.0/16")),
                description: "udp"),
            SecurityGroupRule(id: "sgr-3", ipProtocol: IPProtocol(number: 1), peer: .cidr(.all), description: awkward),
        ]
        let odd = SecurityGroup(id: "sg-odd", name: awkward, description: "", vpcID: "vpc-02", ingress: [], egress: [])
        return [plain, odd, SecurityGroup(id: "sg-default", name: "default", vpcID: "vpc-03")]
    }

    @Test func securityGroupsRoundTripThroughJSONDecoder() throws {
        for group in Self.groups {
            let fast = RecordJSON.encode(group)
            let decoded = try JSONDecoder().decode(SecurityGroup.self, from: fast)
            #expect(decoded == group)
            // Same value as the synthesized encoding reads back to.
            let synthesized = try JSONDecoder().decode(SecurityGroup.self, from: JSONEncoder().encode(group))
            #expect(decoded == synthesized)
            // And structurally the same JSON, key for key.
            let a = try JSONSerialization.jsonObject(with: fast) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: JSONEncoder().encode(group)) as? NSDictionary
            #expect(a != nil && a == b)
        }
    }

    @Test func tagsAndMetadataRoundTrip() throws {
        let tags = TagSet(resourceID: "i-1", tags: ["Name": "web-1", Self.awkward: Self.awkward, "": ""])
        #expect(try JSONDecoder().decode(TagSet.self, from: RecordJSON.encode(tags)) == tags)
        let metadata = Metadata(resourceID: "sg-1", values: ["isDefault": "true", "k\"": "v\\"])
        #expect(try JSONDecoder().decode(Metadata.self, from: RecordJSON.encode(metadata)) == metadata)
        let empty = Metadata(resourceID: "x", values: [:])
        #expect(try JSONDecoder().decode(Metadata.self, from: RecordJSON.encode(empty)) == empty)
    }
}

/// A call's change lists every record it touched once, however many it touched (the store writes each
/// record once per transaction).
struct ChangeLogTests {
    @Test(arguments: [3, 16, 40])
    func touchedRecordsAreWrittenOnce(count: Int) throws {
        var state = RegionState(region: "us-east-1")
        for round in 0..<2 {
            for index in 0..<count {
                state.setMeta("sg-\(index)", MetaKey(rawValue: "round"), String(round))
            }
        }
        state.remove(Metadata.self, "sg-0")
        let change = try state.change(encoder: JSONEncoder())
        #expect(change.upserts.count == count - 1)
        #expect(Set(change.upserts.map(\.id)).count == count - 1)
        #expect(change.deletions.map(\.id) == ["sg-0"])
        #expect(change.upserts.allSatisfy { String(decoding: $0.body, as: UTF8.self).contains("\"round\":\"1\"") })
        state.clearChanges()
        #expect(try state.change(encoder: JSONEncoder()).isEmpty)
    }
}

/// The table of kinds drives the store: every kind of a network, written as a call's change and read
/// back into a new region, gives the same network and the same names.
struct KindTableTests {
    @Test func everyKindRoundTripsThroughTheStoreRecords() throws {
        var topology = Fixtures.scaledSeed(instances: 3)
        topology.natGateways.append(
            NATGateway(
                id: "nat-0000000000000000a", name: "ngw", subnetID: "subnet-public",
                networkInterfaceID: "eni-nat", elasticIPID: "eipalloc-nat"))
        let kindsHeld = Set(Topology.kinds.filter { !$0.ids(in: topology).isEmpty }.map(\.kind.name))
        #expect(kindsHeld == Set(Topology.kinds.map(\.kind.name)), "the fixture holds every kind of the table")
        var state = RegionState(region: "us-east-1")
        for row in Topology.kinds { Self.put(row, of: topology, into: &state) }
        state.setTags(["Name": "web"], on: "sg-web")
        let change = try state.change(encoder: JSONEncoder())
        #expect(
            Set(change.upserts.map(\.kind))
                == Set(RecordKinds.all.map { $0.kind.name }).subtracting([
                    "metadata", "insightsPath", "insightsAnalysis", "launchTemplate", "accessScope", "accessScopeAnalysis",
                ]))
        var loaded = RegionState(region: "us-east-1")
        for record in change.upserts { try loaded.load(record, decoder: JSONDecoder()) }
        #expect(loaded.topology == state.topology)
        #expect(loaded.topology.instances.count == 4)
        #expect(loaded.groupID(vpc: "vpc-0000000000000000a", name: "web-sg") == "sg-web", "the group name index is rebuilt on load")
        #expect(loaded.tags(of: "sg-web") == ["Name": "web"])
    }

    private static func put<K: TopologyKind>(_ row: K, of topology: Topology, into state: inout RegionState) {
        for resource in topology[keyPath: row.list] { state.put(resource) }
    }
}
