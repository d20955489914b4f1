import Foundation
import Importers
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// The seed design as an AWS CDK app (`examples/cdk-seed`), and `import` written back as YAML: the same
/// verdicts whichever door the design comes in by.
struct RoundTripTests {
    static let seed = repositoryRoot.appendingPathComponent("examples/seed-elb-nat.yaml").path
    static let cdkTemplate = repositoryRoot.appendingPathComponent("examples/cdk-seed/template.json").path
    static let cdkIntents = repositoryRoot.appendingPathComponent("examples/cdk-seed/intents.yaml").path

    static func verdicts(_ design: Design) throws -> [(name: String, holds: Bool, codes: [String])] {
        let network = CompiledNetwork(design.topology)
        return try design.intents.map { intent in
            let result = try network.check(intent)
            return (intent.name, result.holds, result.reachability.analysis.explanations.map(\.explanationCode.rawValue).sorted())
        }
    }

    /// The CDK app (web servers behind a Classic ELB, CDK's NAT instance provider, the web group's egress
    /// only to the NAT's group) has the seed's flaw, found exactly as in examples/seed-elb-nat.yaml: the
    /// same intents pass and fail, for the same reasons.
    @Test func theCDKSeedHasTheSeedsVerdicts() throws {
        let cdk = try DesignLoader.load(Self.cdkTemplate, intents: Self.cdkIntents)
        let seed = try DesignLoader.load(Self.seed)
        let (cdkVerdicts, seedVerdicts) = (try Self.verdicts(cdk), try Self.verdicts(seed))
        #expect(cdkVerdicts.count == 8)
        #expect(cdkVerdicts.map(\.name) == seedVerdicts.map(\.name))
        #expect(cdkVerdicts.map(\.holds) == seedVerdicts.map(\.holds))
        #expect(cdkVerdicts.map(\.codes) == seedVerdicts.map(\.codes))
        #expect(cdkVerdicts.filter { !$0.holds }.allSatisfy { $0.codes.contains("SG_REFERENCES_NOT_PRESERVED") })
        #expect(cdk.notes.contains { $0.contains("the default allow-all egress rule is replaced by 1 standalone egress rule") })
        #expect(cdk.notes.contains { $0.contains("taken as a NAT instance") })
    }

    /// The committed template is what the app synthesizes (when AWS CDK is installed here).
    @Test(.enabled(if: RoundTripTests.hasCDK, "aws-cdk-lib is not installed (pip install aws-cdk-lib constructs)"))
    func theCDKTemplateIsWhatTheAppSynthesizes() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appendingPathComponent("examples/cdk-seed/app.py").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let synthesized = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let committed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.cdkTemplate))) as? NSDictionary
        #expect(synthesized != nil && synthesized == committed)
    }

    static let hasCDK: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import aws_cdk"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// `localvpc import` then `check` gives what checking the source gives: every instance and load
    /// balancer against each other and the internet, on the ports that matter, both ways.
    @Test(
        arguments: ["examples/cdk-seed/template.json"]
            + (hasSharedCases
                ? [
                    "../shared/cases/cloudformation/02-aws-sample-vpc-multiple-subnets/vpc_multiple_subnets.template",
                    "../shared/cases/cloudformation/05-awscfn-vpc-managed-nat-private-subnet/VPC_With_Managed_NAT_And_Private_Subnet.yaml",
                    "../shared/cases/snapshots/batfish-test-nat-gateway",
                ] : []))
    func importThenCheckGivesTheSameVerdicts(source: String) throws {
        let design = try DesignLoader.load(repositoryRoot.appendingPathComponent(source).path)
        let vpc = try #require(design.topology.vpcs.first { $0.name != "default-vpc" })
        let yaml = try TopologyWriter().yaml(design.topology, vpc: vpc.id, comments: design.origins)
        let file = try TopologyFile(yaml: yaml, file: "imported.yaml")
        let (original, imported) = (CompiledNetwork(design.topology), CompiledNetwork(file.topology))
        // Endpoints by the names the written file uses (a resource's name, else its ID).
        let endpoints =
            ["internet"] + file.topology.instances.compactMap(\.name) + file.topology.loadBalancers.map(\.id.rawValue)
            + file.topology.elasticIPs.map(\.publicIP.description)
        #expect(endpoints.count >= 2)
        func reference(_ name: String, in topology: Topology) -> String {
            topology.instances.first { $0.name == name || $0.id.rawValue == name }?.id.rawValue ?? name
        }
        var compared = 0
        for from in endpoints {
            for to in endpoints where to != from && !(from == "internet" && to == "internet") {
                for port in [22, 80, 443] {
                    let ports = try PortRange(port: port)
                    let before = try? original.analyze(
                        PathQuery(from: reference(from, in: design.topology), to: reference(to, in: design.topology), protocol: .tcp, ports: ports))
                    let after = try? imported.analyze(PathQuery(from: from, to: to, protocol: .tcp, ports: ports))
                    #expect(before?.isReachable == after?.isReachable, "\(source): \(from) -> \(to):\(port)")
                    compared += 1
                }
            }
        }
        #expect(compared >= 3)
        #expect(yaml.contains("# "), "each resource carries a comment naming where it came from")
    }
}
