import Diagram
import Foundation
import Testing
import TopologyFile
import VPCEngine
import VPCModel

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `localvpc diagram`: the seed's picture, byte for byte, well-formed, with every resource and, with a
/// trace, the blocked hop in red.
struct DiagramTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func seed() throws -> Topology {
        let path = root.appendingPathComponent("examples/seed-elb-nat.yaml").path
        return try TopologyFile(yaml: String(contentsOfFile: path, encoding: .utf8), file: path).topology
    }

    static func traced() throws -> String {
        let topology = try seed()
        let network = CompiledNetwork(topology)
        let result = try network.analyze(PathQuery(from: "web-1", to: "internet", protocol: .tcp, ports: try PortRange(port: 443)))
        return DiagramRenderer(topology: topology, analysis: result).svg()
    }

    static func golden(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "golden/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Same input, same bytes: the seed and the seed with the web-1 → internet:443 trace match the
    /// golden files (regenerate with `localvpc diagram` when the picture changes on purpose).
    @Test func theSeedsPictureIsByteIdenticalToTheGolden() throws {
        let plain = DiagramRenderer(topology: try Self.seed()).svg()
        #expect(plain == DiagramRenderer(topology: try Self.seed()).svg(), "deterministic")
        #expect(plain == (try Self.golden("seed.svg")))
        #expect(try Self.traced() == (try Self.golden("seed-trace.svg")))
    }

    @Test func thePictureIsWellFormedXMLWithEveryResourceName() throws {
        for svg in [DiagramRenderer(topology: try Self.seed()).svg(), try Self.traced()] {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        }
        let svg = DiagramRenderer(topology: try Self.seed()).svg()
        for name in ["seed", "10.0.0.0/16", "public", "private", "igw", "nat", "web-1", "web-2", "elb", "elb-sg", "web-sg", "nat-sg", "us-east-1a"] {
            #expect(svg.contains(">\(name)<") || svg.contains("\(name) ") || svg.contains(" \(name)"), "\(name) is in the picture")
        }
        #expect(!svg.contains("<script") && !svg.contains("href=\"http"), "no scripts, nothing from outside")
    }

    /// The seed's flaw at a glance: web-sg's egress blocks web-1 → internet:443 (ENI_SG_RULES_MISMATCH),
    /// drawn in red with the rule beside it; the hops before it are numbered.
    @Test func aTraceDrawsTheBlockedHopInRed() throws {
        let svg = try Self.traced()
        let webSG = try #require(try Self.seed().securityGroups.first { $0.name == "web-sg" }).id.rawValue
        let badge = try #require(svg.range(of: "data-id=\"\(webSG)\""))
        #expect(svg[badge.upperBound...].prefix(200).contains("stroke=\"#d91515\""), "web-sg's badge is red")
        #expect(svg.contains("ENI_SG_RULES_MISMATCH (egress): Security group web-sg"))
        #expect(svg.contains("NOT REACHABLE"))
        #expect(svg.contains("class=\"leader\""), "a leader line from the blocking group to its rule")
        #expect(svg.contains("class=\"hop\""))
        // Without the trace, nothing is red.
        #expect(!DiagramRenderer(topology: try Self.seed()).svg().contains("#d91515"))
    }

    /// A subnet with more than 12 instances shows 12 and "+N more".
    @Test func crowdedSubnetsShowTwelveAndACount() throws {
        var yaml = "vpc: { name: big, cidr: 10.0.0.0/16 }\nsubnets:\n  a: { cidr: 10.0.0.0/24 }\ninstances:\n"
        for index in 1...20 { yaml += "  host-\(index): { subnet: a }\n" }
        let svg = DiagramRenderer(topology: try TopologyFile(yaml: yaml, file: "big.yaml").topology).svg()
        #expect(svg.components(separatedBy: "class=\"resource card").count - 1 == 12)
        #expect(svg.contains(">+8 more<"))
    }

    /// A stopped instance is greyed.
    @Test func stoppedInstancesAreGreyed() throws {
        let yaml = "vpc: { name: v, cidr: 10.0.0.0/16 }\nsubnets:\n  a: { cidr: 10.0.0.0/24 }\ninstances:\n  off: { subnet: a, state: stopped }\n"
        let svg = DiagramRenderer(topology: try TopologyFile(yaml: yaml, file: "v.yaml").topology).svg()
        #expect(svg.contains("class=\"resource card dimmed\""))
        #expect(svg.contains("state: stopped"))
    }
}
