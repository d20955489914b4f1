import ArgumentParser
import Foundation
import Testing
import TopologyFile
import VPCEngine
import VPCModel

@testable import LocalVPCCommands

/// The examples' verdicts and explanations (golden): what `localvpc check` says about the seed design.
struct ExampleTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    func results(_ name: String) throws -> [String: IntentResult] {
        let path = Self.examples.appendingPathComponent(name).path
        let file = try TopologyFile(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
        let network = CompiledNetwork(file.topology)
        return Dictionary(uniqueKeysWithValues: try file.intents.map { ($0.name, try network.check($0)) })
    }

    @Test func seedDesignFailsExactlyItsOutboundClaims() throws {
        let results = try results("seed-elb-nat.yaml")
        #expect(results.count == 8)
        let failed = results.filter { !$0.value.holds }.keys.sorted()
        #expect(
            failed == [
                "web servers reach the internet (HTTP) through the NAT instance",
                "web servers reach the internet (HTTPS) through the NAT instance",
            ])
        let https = try #require(results["web servers reach the internet (HTTPS) through the NAT instance"])
        #expect(https.reachability.analysis.explanations.map(\.explanationCode.rawValue) == ["ENI_SG_RULES_MISMATCH", "SG_REFERENCES_NOT_PRESERVED"])
        #expect(https.reachability.analysis.explanations.first?.message.contains("web-sg") == true)
        let exposed = try #require(results["the ELB serves HTTP and HTTPS to the internet, and nothing else"])
        #expect(exposed.holds && exposed.reachability.reachablePorts == IntervalSet([80...80, 443...443]))
    }

    @Test func fixedDesignHoldsEveryClaim() throws {
        let results = try results("seed-elb-nat-fixed.yaml")
        #expect(results.count == 8)
        #expect(results.values.filter { !$0.holds }.isEmpty)
        let nat = try #require(results["web servers reach the internet (HTTPS) through the NAT instance"])
        #expect(nat.reachability.reason.contains("nat"))
    }

    @Test func stoppingTheNATEndsOutboundAccessOnly() throws {
        let results = try results("seed-elb-nat-stopped.yaml")
        #expect(results.values.filter { !$0.holds }.isEmpty)
        let outbound = try #require(results["with the NAT stopped, web servers cannot reach the internet (HTTPS)"])
        #expect(outbound.reachability.analysis.explanations.first?.explanationCode == .badStateRoute)
        #expect(try #require(results["the internet reaches web-1 on port 80 through the ELB"]).reachability.isReachable)
    }

    @Test func traceJSONParsesAsANetworkInsightsAnalysis() throws {
        let path = Self.examples.appendingPathComponent("seed-elb-nat.yaml").path
        let file = try TopologyFile(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
        let result = try CompiledNetwork(file.topology).analyze(PathQuery(from: "web-1", to: "internet", protocol: .tcp, ports: try .init(port: 443)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(result.analysis)
        let decoded = try JSONDecoder().decode(NetworkInsightsAnalysis.self, from: data)
        #expect(try encoder.encode(decoded) == data)
        #expect(decoded.forwardPathComponents.count == result.analysis.forwardPathComponents.count)
        #expect(!decoded.networkPathFound)
        #expect(String(decoding: data, as: UTF8.self).contains("\"ExplanationCode\":\"SG_REFERENCES_NOT_PRESERVED\""))
    }

    @Test func commandLineParses() throws {
        let command = try LocalVPC.parseAsRoot(["trace", "f.yaml", "--from", "internet", "--to", "elb", "--port", "443", "--json"])
        let trace = try #require(command as? LocalVPC.Trace)
        #expect(trace.json && trace.to == "elb" && trace.traffic.port == "443")
        #expect(throws: (any Error).self) { try LocalVPC.parseAsRoot(["trace", "f.yaml"]) }
    }
}
