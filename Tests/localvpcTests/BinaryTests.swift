import Foundation
import Testing

/// A handful of runs of the built `localvpc` binary: exit codes and output as a user sees them.
struct BinaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug build of `localvpc`, which `swift test` builds with the tests.
    static func binary() -> URL? {
        let build = root.appendingPathComponent(".build")
        let candidates =
            [build.appendingPathComponent("debug/localvpc")]
            + ((try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? []).map { build.appendingPathComponent("\($0)/debug/localvpc") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        guard let binary = Self.binary() else {
            Issue.record("build the localvpc product first (swift build)")
            return (-1, "", "")
        }
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    /// Every command takes a template: check with --intents (the seed's flaw in the CDK app: exit 1),
    /// trace by a Name tag, import writing a file that check reads, and a bad template with its line (exit 2).
    @Test func templatesAreFirstClassSources() throws {
        let checked = try run(["check", "examples/cdk-seed/template.json", "--intents", "examples/cdk-seed/intents.yaml"])
        #expect(checked.status == 1 && checked.output.contains("6 passed, 2 failed"), "\(checked.error)")
        #expect(checked.error.contains("note: not modelled: AWS::IAM::Role"))
        let traced = try run(["trace", "examples/cdk-seed/template.json", "--from", "internet", "--to", "web-1", "--port", "80"])
        #expect(traced.status == 0 && traced.output.contains("REACHABLE"), "\(traced.error)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let imported = directory.appendingPathComponent("seed.yaml").path
        let written = try run(["import", "examples/cdk-seed/template.json", "-o", imported])
        #expect(written.status == 0, "\(written.error)")
        let yaml = try String(contentsOfFile: imported, encoding: .utf8)
        #expect(yaml.contains("# web118B4D3DD (AWS::EC2::Instance, line "))
        let reread = try run(["trace", imported, "--from", "web118B4D3DD", "--to", "internet", "--port", "443"])
        #expect(reread.status == 1 && reread.output.contains("SG_REFERENCES_NOT_PRESERVED"), "\(reread.error)")
        let bad = directory.appendingPathComponent("bad.yaml").path
        try "Resources:\n  Vpc: { Type: AWS::EC2::VPC, Properties: { CidrBlock: !Ref Missing } }\n".write(
            toFile: bad, atomically: true, encoding: .utf8)
        let refused = try run(["check", bad, "--intents", "examples/cdk-seed/intents.yaml"])
        #expect(refused.status == 2)
        #expect(refused.error.contains("\(bad):2:") && refused.error.contains("'Missing' is not a parameter"), "\(refused.error)")
    }

    /// `check --format json|junit|sarif`: exit codes as with text (1: intents fail) and the report still
    /// written; the SARIF valid against the 2.1.0 schema with each blocker at the line to change (the
    /// seed's web-sg egress rule; in the CDK template, the standalone egress resource), the JUnit read
    /// by a JUnit parser (junitparser), the JSON with every analysis.
    @Test(arguments: [
        ("examples/seed-elb-nat.yaml", nil, "examples/seed-elb-nat.yaml:34"),
        ("examples/cdk-seed/template.json", "examples/cdk-seed/intents.yaml", "examples/cdk-seed/template.json:676"),
    ])
    func checkReportsForCI(source: String, intents: String?, blockerLine: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String: String] = [:]
        for format in ["sarif", "junit", "json"] {
            let path = directory.appendingPathComponent("report.\(format)").path
            let result = try run(["check", source, "--format", format, "-o", path] + (intents.map { ["--intents", $0] } ?? []))
            #expect(result.status == 1, "\(format): \(result.error)")
            #expect(FileManager.default.fileExists(atPath: path))
            paths[format] = path
        }
        let validator = Process()
        validator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        validator.arguments = [
            "python3", Self.root.appendingPathComponent("Tests/clients/validate_reports.py").path,
            Self.root.appendingPathComponent("Tests/fixtures/sarif-schema-2.1.0.json").path, paths["sarif"]!, paths["junit"]!, paths["json"]!, "8",
            "2",
        ]
        validator.currentDirectoryURL = Self.root.appendingPathComponent("Tests/clients")
        let out = Pipe()
        validator.standardOutput = out
        validator.standardError = out
        try validator.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        validator.waitUntilExit()
        #expect(validator.terminationStatus == 0 && output.contains("all checks passed"), "\(output)")
        #expect(output.contains("SG_REFERENCES_NOT_PRESERVED error \(blockerLine)"), "\(output)")
        #expect(output.contains("ENI_SG_RULES_MISMATCH warning"), "the ELB's partial block is a warning: \(output)")
    }

    @Test func checkExitsOneOnTheSeedAndZeroOnTheFix() throws {
        let seed = try run(["check", "examples/seed-elb-nat.yaml"])
        #expect(seed.status == 1)
        #expect(seed.output.contains("6 passed, 2 failed"))
        #expect(seed.output.contains("SG_REFERENCES_NOT_PRESERVED"))
        let fixed = try run(["check", "examples/seed-elb-nat-fixed.yaml"])
        #expect(fixed.status == 0)
        #expect(fixed.output.contains("8 passed, 0 failed"))
    }

    @Test func badFileExitsTwoWithLocatedErrorsAndNoStackTrace() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-bad-\(UUID().uuidString).yaml")
        try "vpc: { name: v, cidr: 10.0.0.0/16 }\nsubnets:\n  a: { cidr: 10.0.0.0/33 }\n".write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try run(["check", path.path])
        #expect(result.status == 2)
        #expect(result.error.contains("\(path.path):3:"))
        #expect(!result.error.contains("Fatal error"))
        let missing = try run(["check", "no/such/file.yaml"])
        #expect(missing.status == 2)
    }

    @Test func traceJSONIsOneNetworkInsightsAnalysis() throws {
        let result = try run(["trace", "examples/seed-elb-nat-fixed.yaml", "--from", "internet", "--to", "web-1", "--port", "80", "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["NetworkPathFound"] as? Bool == true)
        #expect((object["ForwardPathComponents"] as? [Any])?.isEmpty == false)
        let text = try run(["trace", "examples/seed-elb-nat.yaml", "--from", "web-1", "--to", "internet", "--port", "443"])
        #expect(text.status == 1)
        #expect(text.output.contains("NOT REACHABLE"))
        #expect(text.output.contains("web-sg"))
    }

    /// Bad input exits 2, as every command documents (not ArgumentParser's 64).
    @Test(arguments: [["--port", "99999"], ["--protocol", "gre"], ["--port", "http"]])
    func badTrafficOptionsExitTwo(option: [String]) throws {
        let result = try run(["trace", "examples/seed-elb-nat.yaml", "--from", "web-1", "--to", "internet"] + option)
        #expect(result.status == 2)
        #expect(result.error.contains("error:"))
    }

    /// The plain trace names the internet in words and fits on a screen; the JSON keeps AWS's shape
    /// (the internet as its CIDR blocks in each header).
    @Test func plainTraceFitsOnAScreen() throws {
        let text = try run(["trace", "examples/seed-elb-nat-fixed.yaml", "--from", "internet", "--to", "web-1", "--port", "80"])
        #expect(text.output.split(separator: "\n").count <= 40)
        #expect(!text.output.contains("/32,") && !text.output.contains("11.0.0.0/8"))
        let json = try run(["trace", "examples/seed-elb-nat-fixed.yaml", "--from", "internet", "--to", "web-1", "--port", "80", "--json"])
        #expect(json.output.contains("11.0.0.0/8"))
    }

    /// `check` prints partial blocks under a passing `reachable: true` intent as a warning, and
    /// `reachable: fully` fails unless every packet of the query gets through.
    @Test func partialBlocksWarnAndFullyFails() throws {
        let yaml = """
            vpc: { name: v, cidr: 10.0.0.0/16 }
            internet-gateway: igw
            subnets: { pub: { cidr: 10.0.0.0/24 } }
            route-tables: { rt: { subnets: [pub], routes: [{ destination: 0.0.0.0/0, target: igw }] } }
            security-groups: { web-sg: { ingress: [{ protocol: tcp, ports: 80, from: 0.0.0.0/0 }] } }
            network-acls:
              acl:
                subnets: [pub]
                ingress: [{ rule: 100, protocol: tcp, ports: 80, from: 0.0.0.0/0, action: allow }]
                egress: [{ rule: 100, protocol: tcp, ports: 49152-65535, to: 0.0.0.0/0, action: allow }]
            instances: { web: { subnet: pub, public-ip: true, security-groups: [web-sg] } }
            expect:
              - { name: some clients, from: internet, to: web, port: 80, reachable: true }
              - { name: every client, from: internet, to: web, port: 80, reachable: fully }

            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-fully-\(UUID().uuidString).yaml")
        try yaml.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try run(["check", path.path])
        #expect(result.status == 1)
        #expect(result.output.contains("1 passed, 1 failed"))
        let lines = result.output.split(separator: "\n").map(String.init)
        let pass = try #require(lines.firstIndex { $0.hasPrefix("PASS") && $0.contains("some clients") })
        #expect(lines[pass + 2].contains("warning: partly blocked: SUBNET_ACL_RESTRICTION"))
        #expect(
            lines.contains { $0.hasPrefix("FAIL") && $0.contains("every client") && $0.contains("fully reachable") && $0.contains("partly blocked") })
    }

    /// `localvpc fix -o` on the seed: the two web-sg egress rules, a written file that `check` passes (exit 0);
    /// a design it cannot fix exits 1; bad input exits 2.
    @Test func fixWritesAFileThatPassesCheck() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-fixed-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: output) }
        let fix = try run(["fix", "examples/seed-elb-nat.yaml", "-o", output.path])
        #expect(fix.status == 0)
        #expect(fix.output.contains("2 edits:"))
        #expect(fix.output.contains("web-sg: allow outbound tcp 443 to 0.0.0.0/0"))
        #expect(fix.output.contains("aws ec2 authorize-security-group-egress"))
        let check = try run(["check", output.path])
        #expect(check.status == 0)
        #expect(check.output.contains("8 passed, 0 failed"))
        let already = try run(["fix", "examples/seed-elb-nat-fixed.yaml"])
        #expect(already.status == 0)
        #expect(already.output.contains("nothing to change"))
        let stopped = try run(["fix", "no/such/file.yaml"])
        #expect(stopped.status == 2)
    }
}
