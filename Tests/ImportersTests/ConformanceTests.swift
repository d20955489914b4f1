import Foundation
import Importers
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// The repository's root, and the shared conformance inputs beside it (absent from a user's clone).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let sharedCases = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/cases")
let hasSharedCases = FileManager.default.fileExists(atPath: sharedCases.path)

/// Real templates and snapshots from public projects (`../shared/cases`, see its README): every file
/// loads without a crash, unmodelled types are listed, and verdicts hold where the README states them.
@Suite(.enabled(if: hasSharedCases, "../shared/cases is not here (a user's clone)"))
struct ConformanceTests {
    /// What each template needs from the command line: parameters without defaults, other stacks' exports.
    static let options: [String: ImportOptions] = [
        "03-quickstart-aws-vpc-2017-nat-instance": ImportOptions(parameters: ["AvailabilityZones": "us-east-1a,us-east-1b"]),
        "04-quickstart-aws-vpc-current-yaml": ImportOptions(parameters: ["AvailabilityZones": "us-east-1a,us-east-1b"]),
        "07-widdix-vpc-2azs-plus-nat-instance": ImportOptions(
            parameters: ["ParentVPCStack": "vpc"],
            importValues: [
                "vpc-VPC": "vpc-0123456789abcdef0", "vpc-CidrBlock": "10.0.0.0/16", "vpc-SubnetAPublic": "subnet-0a",
                "vpc-SubnetBPublic": "subnet-0b", "vpc-RouteTableAPrivate": "rtb-0a", "vpc-RouteTableBPrivate": "rtb-0b",
                "vpc-SubnetAPrivate": "subnet-1a", "vpc-SubnetBPrivate": "subnet-1b",
            ]),
    ]

    static func templates() throws -> [URL] {
        let folder = sharedCases.appendingPathComponent("cloudformation")
        return try FileManager.default.subpathsOfDirectory(atPath: folder.path).sorted()
            .filter { path in [".json", ".yaml", ".yml", ".template"].contains { path.hasSuffix($0) } }
            .map { folder.appendingPathComponent($0) }
    }

    @Test func everyTemplateLoadsAndListsWhatItDoesNotModel() throws {
        var unmodelled: Set<String> = []
        var loaded = 0
        for file in try Self.templates() {
            let caseName = file.deletingLastPathComponent().lastPathComponent
            do {
                let design = try DesignLoader.load(file.path, options: Self.options[caseName] ?? ImportOptions())
                #expect(design.source == .cloudFormation, "\(file.lastPathComponent)")
                if file.lastPathComponent == "vpc-nat-instance.yaml" {
                    // Its VPC and subnets are another stack's (Fn::ImportValue): what refers to them is left out, and said.
                    #expect(design.notes.contains { $0.contains("is not a resource of this template; left out") })
                    #expect(
                        design.notes.contains { $0.contains("UserData changes the network at boot") || $0.contains("its instances are left out") })
                } else {
                    #expect(!design.topology.vpcs.isEmpty, "\(file.lastPathComponent) has a VPC")
                }
                _ = CompiledNetwork(design.topology)
                for note in design.notes where note.hasPrefix("not modelled: ") { unmodelled.insert(note) }
                loaded += 1
            } catch {
                Issue.record("\(file.lastPathComponent) does not load: \(error)")
            }
        }
        #expect(loaded == 10, "the ten templates of the seven cases")
        #expect(unmodelled.contains { $0.hasPrefix("not modelled: AWS::ElasticLoadBalancingV2::LoadBalancer") }, "\(unmodelled)")
    }

    /// Case 05: the same template in YAML and JSON reads the same.
    @Test func yamlAndJSONOfOneTemplateAreTheSame() throws {
        let folder = sharedCases.appendingPathComponent("cloudformation/05-awscfn-vpc-managed-nat-private-subnet")
        let yaml = try DesignLoader.load(folder.appendingPathComponent("VPC_With_Managed_NAT_And_Private_Subnet.yaml").path)
        let json = try DesignLoader.load(folder.appendingPathComponent("VPC_With_Managed_NAT_And_Private_Subnet.json").path)
        #expect(yaml.topology == json.topology)
    }

    /// Case 02: a public ELB in front of a private web tier whose group admits port 80 from the ELB's
    /// group only; the NACLs work because they allow the ephemeral ports 1024-65535 back.
    @Test func sampleWithELBAndPrivateWebTier() throws {
        let file = sharedCases.appendingPathComponent("cloudformation/02-aws-sample-vpc-multiple-subnets/vpc_multiple_subnets.template")
        let design = try DesignLoader.load(file.path)
        let web = try #require(design.topology.instances.first).name ?? ""
        let through = try design.analyze("internet", web, port: 80)
        #expect(through.isReachable)
        #expect(through.analysis.forwardPathComponents.contains { $0.component.id == "ElasticLoadBalancer" })
        #expect(try !design.analyze("internet", web, port: 22).isReachable)
        #expect(try design.analyze("internet", "ElasticLoadBalancer", port: 80).isReachable)
    }

    /// Case 06 (default-VPC style): instances admit port 80 only from the ELB's
    /// `SourceSecurityGroup.GroupName`.
    @Test func lockedDownInstancesBehindAClassicELB() throws {
        let file = sharedCases.appendingPathComponent("cloudformation/06-awscfn-elb-locked-down-instances/ELBWithLockedDownAutoScaledInstances.yaml")
        let design = try DesignLoader.load(file.path)
        let viaELB = try design.analyze("internet", "WebServerGroup-1", port: 80)
        #expect(viaELB.isReachable)
        #expect(viaELB.analysis.forwardPathComponents.contains { $0.component.id == "ElasticLoadBalancer" })
    }

    /// Batfish's `AwsConfigurationNatGatewayTest` on its snapshot: a private instance reaches the internet
    /// through the NAT gateway and back; traffic from the internet to the NAT's public IP is denied.
    @Test func batfishNATGatewaySnapshot() throws {
        let design = try DesignLoader.load(sharedCases.appendingPathComponent("snapshots/batfish-test-nat-gateway").path)
        let out = try design.analyze("test1", "internet", port: 443)
        #expect(out.isReachable)
        #expect(out.analysis.forwardPathComponents.contains { $0.routeTableRoute?.natGatewayID == "nat-07ab4846da51f4612" })
        let unsolicited = try design.analyze("internet", "3.135.127.225", port: 22)
        #expect(!unsolicited.isReachable)
        #expect(unsolicited.codes.contains("LOCALVPC_NAT_GATEWAY_INBOUND"))
    }

    /// The other snapshots load; what they hold that LocalVPC does not model is named and skipped.
    @Test func everySnapshotLoads() throws {
        for name in ["batfish-test-load-balancer", "cloudmapper-demo-us-east-1"] {
            let design = try DesignLoader.load(sharedCases.appendingPathComponent("snapshots/\(name)").path)
            #expect(!design.topology.vpcs.isEmpty, "\(name)")
            #expect(design.notes.contains { $0.contains("Application and Network Load Balancers are not modelled") }, "\(name)")
            _ = CompiledNetwork(design.topology)
        }
        let demo = try DesignLoader.load(sharedCases.appendingPathComponent("snapshots/cloudmapper-demo-us-east-1").path)
        #expect(demo.topology.loadBalancers.map(\.id.rawValue) == ["weblb"], "the only Classic ELB body of the cases")
    }
}

extension Reachability {
    var codes: [String] { analysis.explanations.map(\.explanationCode.rawValue) }
}
