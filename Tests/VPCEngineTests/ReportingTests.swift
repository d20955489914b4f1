import Foundation
import Testing
import VPCEngine
import VPCModel

/// SEMANTICS.md, "How verdicts are reported": AWS's shape, every blocker, sets of packets.
struct ReportingTests {
    /// "A complete blocked path with every setting that would have to change" (Bayless et al., CAV 2021).
    @Test func blockedPathListsEveryBlocker() throws {
        let yaml =
            publicRoute + """
                security-groups:
                  sg: {}
                network-acls:
                  locked: { subnets: [public] }
                instances:
                  host: { subnet: public, public-ip: true, security-groups: [sg] }

                """
        let result = try analyze(yaml, from: "internet", to: "host", port: 22)
        #expect(!result.isReachable)
        #expect(result.codes == ["SUBNET_ACL_RESTRICTION", "ENI_SG_RULES_MISMATCH", "SUBNET_ACL_RESTRICTION"])
        #expect(result.analysis.explanations.map(\.direction) == ["ingress", "ingress", "egress"])
    }

    /// The analysis encodes with the field names of `describe-network-insights-analyses`.
    @Test func analysisEncodesWithAWSFieldNames() throws {
        let result = try analyze(LoadBalancerRuleTests.design(), from: "internet", to: "web", port: 80)
        let data = try JSONEncoder().encode(result.analysis)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["NetworkInsightsAnalysisId", "NetworkPathFound", "ForwardPathComponents", "ReturnPathComponents", "Explanations", "Status"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let first = try #require((object["ForwardPathComponents"] as? [[String: Any]])?.first)
        #expect(first["SequenceNumber"] as? Int == 1)
        #expect((first["Component"] as? [String: Any])?["Id"] as? String == "internet")
        #expect(object["NetworkPathFound"] as? Bool == true)
    }

    /// "Analyses reason over sets of packets: 'from the internet' means every public source address."
    @Test func internetSourceIsEveryPublicAddress() throws {
        let result = try analyze(LoadBalancerRuleTests.design(), from: "internet", to: "elb", port: 80)
        let source = try #require(result.analysis.forwardPathComponents.first?.outboundHeader)
        #expect(source.sourceAddresses == AddressSpace.cidrs(of: AddressSpace.internet))
        #expect(source.sourcePortRanges == [AnalysisPortRange(from: 0, to: 65535)])
        #expect(!(source.sourceAddresses ?? []).contains("10.0.0.0/8"))
    }

    @Test func unknownEndpointsAreErrorsNotCrashes() throws {
        let net = try network(LoadBalancerRuleTests.design())
        let error = try #require(throws: ModelError.self) { try net.analyze(PathQuery(from: "internet", to: "web-9")) }
        #expect(error.code == .unknownReference)
        #expect(error.message.contains("web-9"))
    }
}
