import Foundation
import Testing

/// `localvpc reach` and `localvpc diff` as a user runs them.
struct WholeNetworkTests {
    let cli = BinaryTests()

    @Test func reachPrintsTheMatrixAndJSONLines() throws {
        let matrix = try cli.run(["reach", "examples/seed-elb-nat.yaml"])
        #expect(matrix.status == 0, "\(matrix.error)")
        let internetRow = try #require(matrix.output.split(separator: "\n").first { $0.hasPrefix("internet ") })
        #expect(internetRow.contains("tcp 80,443"), "the internet reaches the ELB on 80 and 443: \(internetRow)")
        #expect(matrix.output.contains("20 pairs"))
        let lines = try cli.run(["reach", "examples/seed-elb-nat.yaml", "--from", "web-1", "--to", "internet", "--json"])
        #expect(lines.status == 0)
        let objects = lines.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 1)
        #expect(objects.first?["reachable"] as? Bool == false && objects.first?["tcp"] as? String == "")
        #expect((objects.first?["blockedBy"] as? [String: [String]])?["tcp"]?.contains("ENI_SG_RULES_MISMATCH") == true)
        let bad = try cli.run(["reach", "examples/seed-elb-nat.yaml", "--from", "nowhere"])
        #expect(bad.status == 2 && bad.error.contains("nowhere"), "\(bad.error)")
    }

    /// The seed against its fix: exactly the web servers' new egress differs; the fixed seed with the
    /// NAT instance running against stopped: the NAT's paths. The same file twice: no difference, exit 0.
    @Test func diffShowsWhatOneVersionAllowsAndTheOtherDoesNot() throws {
        let same = try cli.run(["diff", "examples/seed-elb-nat.yaml", "examples/seed-elb-nat.yaml"])
        #expect(same.status == 0 && same.output.contains("no difference"), "\(same.output)")
        let fix = try cli.run(["diff", "examples/seed-elb-nat.yaml", "examples/seed-elb-nat-fixed.yaml"])
        #expect(fix.status == 1, "\(fix.error)")
        #expect(fix.output.contains("web-1 -> internet:\n  only in examples/seed-elb-nat-fixed.yaml: tcp 80,443"), "\(fix.output)")
        #expect(fix.output.contains("SG_REFERENCES_NOT_PRESERVED") && fix.output.contains("6 pairs differ"))
        let stopped = try cli.run(["diff", "examples/seed-elb-nat-fixed.yaml", "examples/seed-elb-nat-stopped.yaml", "--json"])
        #expect(stopped.status == 1)
        let changes = stopped.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let webOut = try #require(changes.first { $0["source"] as? String == "web-1" && $0["destination"] as? String == "internet" })
        #expect((webOut["onlyFirst"] as? [String: Any])?["tcp"] as? String == "80,443", "stopping the NAT ends the web servers' way out")
    }

    /// `check` evaluates a file's scopes: the fixed seed's two hold; a scope with findings fails the
    /// check (exit 1) and prints each finding with its traffic and path.
    @Test func checkEvaluatesScopes() throws {
        let fixed = try cli.run(["check", "examples/seed-elb-nat-fixed.yaml"])
        #expect(fixed.status == 0 && fixed.output.contains("scopes: 2 without findings, 0 with findings"), "\(fixed.output)")
        let text = try String(contentsOf: BinaryTests.root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml"), encoding: .utf8)
        let strict =
            text + """
                  - name: the web servers never reach the internet
                    match:
                      - { source: private, destination: AWS::EC2::InternetGateway, packet: { protocols: [tcp], destination-ports: ["443"] } }

                """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("strict-\(UUID().uuidString).yaml")
        try strict.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try cli.run(["check", file.path])
        #expect(result.status == 1, "\(result.error)")
        #expect(result.output.contains("FAIL  scope: the web servers never reach the internet (2 findings)"), "\(result.output)")
        #expect(result.output.contains("finding: web-1 -> internet tcp 443: web-1 -> web-1-eni"), "\(result.output)")
        // The CI formats carry the scopes too.
        let json = try cli.run(["check", file.path, "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let scopes = try #require(report["scopes"] as? [[String: Any]])
        #expect(scopes.count == 3 && scopes.filter { $0["pass"] as? Bool == false }.count == 1)
        #expect((scopes.last?["findings"] as? [String])?.count == 2)
        let junit = try cli.run(["check", file.path, "--format", "junit"])
        #expect(
            junit.output.contains("tests=\"11\" failures=\"1\"") && junit.output.contains("type=\"LOCALVPC_SCOPE_FINDING\""),
            "\(junit.output.prefix(300))")
        let sarif = try cli.run(["check", file.path, "--format", "sarif"])
        #expect(sarif.output.components(separatedBy: "\"ruleId\" : \"LOCALVPC_SCOPE_FINDING\"").count - 1 == 2, "\(sarif.output.prefix(600))")
    }
}
