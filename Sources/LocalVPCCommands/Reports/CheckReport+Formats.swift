import ArgumentParser
import Foundation
import VPCEngine
import VPCModel

// The machine-readable renderings of a check report: JSON, JUnit XML and SARIF 2.1.0.
extension CheckReport {
    // MARK: JSON

    struct JSONBlocker: Encodable {
        var code: String
        var message: String
        var lines: [Int]
    }

    struct JSONIntent: Encodable {
        var name: String
        var from: String
        var to: String
        var `protocol`: String
        var ports: String?
        var through: [String]
        var avoiding: [String]
        var expected: String
        var actual: String
        var pass: Bool
        var line: Int?
        var explanationCodes: [String]
        var blockers: [JSONBlocker]
        var partialBlocks: [JSONBlocker]
        var analysis: NetworkInsightsAnalysis
    }

    struct JSONReport: Encodable {
        struct Summary: Encodable {
            var intents: Int
            var passed: Int
            var failed: Int
        }
        var source: String
        var sourceKind: String
        var intentsFile: String
        var summary: Summary
        var intents: [JSONIntent]
        var scopes: [JSONScope]
    }

    struct JSONScope: Encodable {
        var name: String
        var pass: Bool
        var findings: [String]
    }

    func json() throws -> String {
        let intents = entries.map { entry in
            let query = entry.intent.query
            let blockers = entry.blockers.map { JSONBlocker(code: $0.code, message: $0.message, lines: $0.lines) }
            return JSONIntent(
                name: entry.intent.name, from: query.source, to: query.destination, protocol: query.ipProtocol.awsName,
                ports: query.ipProtocol.hasPorts ? query.destinationPorts?.description ?? "all" : nil, through: query.through,
                avoiding: query.avoiding, expected: entry.intent.expectation.description, actual: entry.result.actual, pass: entry.holds,
                line: entry.intent.line, explanationCodes: entry.result.reachability.analysis.explanations.map(\.explanationCode.rawValue),
                blockers: entry.result.reachability.isReachable ? [] : blockers,
                partialBlocks: entry.result.reachability.isReachable ? blockers : [], analysis: entry.result.reachability.analysis)
        }
        let report = JSONReport(
            source: source, sourceKind: sourceKind, intentsFile: intentsFile,
            summary: .init(intents: entries.count, passed: passed, failed: failed), intents: intents,
            scopes: scopes.map { JSONScope(name: $0.scope.name, pass: $0.findings.isEmpty, findings: $0.findings.map(Self.describe)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    // MARK: JUnit

    /// One `<testcase>` per intent (classname: the source, name: the intent); a `<failure>` says why,
    /// `<system-out>` holds the path.
    func junit() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let (tests, failures) = (entries.count + scopes.count, failed + failedScopes)
        out += "<testsuites name=\"localvpc check\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\">\n"
        out += "  <testsuite name=\(attribute(source)) tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for entry in entries {
            out += "    <testcase classname=\(attribute(source)) name=\(attribute(entry.intent.name)) time=\"0\">\n"
            let reachability = entry.result.reachability
            if !entry.holds {
                let summary = "expected \(entry.intent.expectation), found \(entry.result.actual) (\(Self.describe(entry.intent.query)))"
                let why = entry.blockers.map { "\($0.code): \($0.message)" + lineNote($0) }
                let type = entry.blockers.first?.code ?? "LOCALVPC_INTENT_FAILED"
                out += "      <failure message=\(attribute(summary)) type=\(attribute(type))>"
                out += escape(([summary] + why + (reachability.isReachable ? ["reachable via: \(reachability.reason)"] : [])).joined(separator: "\n"))
                out += "</failure>\n"
            }
            let path = reachability.isReachable ? reachability.reason + "\n" + Self.path(reachability.analysis.forwardPathComponents) : "no path"
            out += "      <system-out>\(escape(path))</system-out>\n"
            out += "    </testcase>\n"
        }
        for (scope, findings) in scopes {
            out += "    <testcase classname=\(attribute(source)) name=\(attribute("scope: " + scope.name)) time=\"0\">\n"
            if !findings.isEmpty {
                let summary = "\(findings.count) findings (exhaustive)"
                out += "      <failure message=\(attribute(summary)) type=\"LOCALVPC_SCOPE_FINDING\">"
                out += escape(([summary] + findings.map(Self.describe)).joined(separator: "\n")) + "</failure>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    private func lineNote(_ blocker: Blocker) -> String {
        blocker.lines.isEmpty ? "" : " (\(source):\(blocker.lines.map(String.init).joined(separator: ",")))"
    }

    private func escape(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out.unicodeScalars.append(character)
            default:
                // XML 1.0 allows no other control characters.
                if character.value >= 0x20 { out.unicodeScalars.append(character) }
            }
        }
        return out
    }

    private func attribute(_ text: String) -> String { "\"\(escape(text).replacingOccurrences(of: "\n", with: "&#10;"))\"" }

    // MARK: SARIF

    /// SARIF 2.1.0: one result per failing intent (located at the intent), one per blocker of a failing
    /// intent (an error) and per partial block (a warning), `ruleId` the explanation code, located at the
    /// source line that holds the blocker.
    func sarif() throws -> String {
        var results: [[String: Any]] = []
        var ruleIDs: [String] = []
        func location(_ uri: String, _ line: Int?) -> [String: Any] {
            var physical: [String: Any] = ["artifactLocation": ["uri": uri]]
            if let line { physical["region"] = ["startLine": max(line, 1)] }
            return ["physicalLocation": physical]
        }
        func result(_ rule: String, _ level: String, _ text: String, _ locations: [[String: Any]]) {
            if !ruleIDs.contains(rule) { ruleIDs.append(rule) }
            results.append(["ruleId": rule, "level": level, "message": ["text": text], "locations": locations])
        }
        for entry in entries {
            let intent = entry.intent
            let subject = "\(intent.name) (\(Self.describe(intent.query)))"
            if !entry.holds {
                result(
                    entry.result.reachability.isReachable ? "LOCALVPC_INTENT_REACHABLE" : "LOCALVPC_INTENT_FAILED", "error",
                    "\(subject): expected \(intent.expectation), found \(entry.result.actual).", [location(intentsFile, intent.line)])
            }
            for blocker in entry.blockers where !entry.holds || blocker.partial {
                let level = blocker.partial && entry.holds ? "warning" : "error"
                let where_ = blocker.lines.isEmpty ? [location(source, nil)] : blocker.lines.map { location(source, $0) }
                let prefix = blocker.partial ? "partly blocked" : "blocks"
                result(blocker.code, level, "\(subject) \(prefix): \(blocker.message)", where_)
            }
        }
        for (scope, findings) in scopes {
            for finding in findings {
                result("LOCALVPC_SCOPE_FINDING", "error", "scope '\(scope.name)': \(Self.describe(finding))", [location(source, nil)])
            }
        }
        let rules: [[String: Any]] = ruleIDs.map { id in
            ["id": id, "shortDescription": ["text": Self.ruleDescriptions[id] ?? "A component or rule blocks the traffic an intent claims."]]
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [
                [
                    "tool": ["driver": ["name": "LocalVPC", "version": LocalVPC.configuration.version, "rules": rules]],
                    "results": results,
                ]
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Reachability Analyzer's explanation codes, and LocalVPC's own, in a sentence.
    static let ruleDescriptions: [String: String] = [
        "ENI_SG_RULES_MISMATCH": "No security group rule of the interface allows the traffic.",
        "SG_REFERENCES_NOT_PRESERVED": "A security-group reference does not match traffic whose address a NAT or load balancer changes.",
        "SUBNET_ACL_RESTRICTION": "A network ACL entry of the subnet denies the traffic.",
        "ELB_ACL_RESTRICTION": "A network ACL entry of the load balancer's subnet denies the traffic.",
        "NO_ROUTE_TO_DESTINATION": "No route of the subnet's route table leads to the destination.",
        "BAD_STATE_ROUTE": "The route's target cannot carry traffic (stopped, deleted or failed).",
        "BAD_STATE": "The component is not in a state that carries traffic.",
        "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS": "The internet gateway cannot send traffic from an address with no public IP.",
        "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS": "The internet gateway cannot deliver to an interface with no public IP.",
        "ENI_SOURCE_DEST_CHECK_RESTRICTION": "Source/destination check drops traffic not sent from or to the interface's own addresses.",
        "ELB_LISTENERS_MISMATCH": "No listener of the load balancer accepts the traffic.",
        "ELB_NOT_CROSSZONE": "Cross-zone load balancing is off, so a node does not send to another zone.",
        "ELB_INSTALLED_AZ_RESTRICTION": "The instance is in a zone the load balancer is not enabled in.",
        "TARGET_PORT_RESTRICTION": "The load balancer's listener sends to another port.",
        "COMPONENT_FILTER_RESTRICTION": "No path passes the components the intent names in through/avoiding.",
        "LOCALVPC_ROUTING_LOOP": "The routes send the traffic round in a loop.",
        "LOCALVPC_ASYMMETRIC_RETURN": "The reply is routed into a NAT the request never crossed.",
        "LOCALVPC_NAT_GATEWAY_INBOUND": "A NAT gateway accepts no connection started towards it.",
        "LOCALVPC_INTENT_FAILED": "The intent does not hold.",
        "LOCALVPC_INTENT_REACHABLE": "The intent says unreachable, but traffic gets through.",
        "LOCALVPC_SCOPE_FINDING": "A path the access scope matches and does not exclude (Network Access Analyzer).",
    ]
}
