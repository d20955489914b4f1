import ArgumentParser
import Foundation
import Importers
import TopologyFile
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc check FILE`: evaluates every intent of the file's `expect:` section.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every intent in the file's expect: section.",
            discussion: "Exits 0 when every intent holds, 1 when any fails, 2 on bad input."
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(help: "Intents kept apart from the design: a YAML file with an 'expect:' list.")
        var intents: String?

        /// How the results are written.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, junit, sarif
        }

        @Option(help: "text (a table for people), json, junit (XML test results) or sarif (2.1.0, lines to change).")
        var format: Format = .text

        @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
        var output: String?

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (document, network) = try loadDesign(file, intents: intents, options: source)
            if document.intents.isEmpty && document.scopes.isEmpty && format == .text {
                print("\(file): no intents (add an 'expect:' section, or give --intents FILE).")
                return
            }
            var results: [IntentResult] = []
            for intent in document.intents {
                do {
                    results.append(try network.check(intent))
                } catch {
                    printError("\(intents ?? file):\(intent.line ?? 1):1: error: \(error.message)")
                    throw ExitCode(2)
                }
            }
            var report = CheckReport(source: file, intentsFile: intents, design: document, results: results)
            var scopeFindings: [(AccessScope, [AccessFinding])] = []
            for scope in document.scopes {
                do { scopeFindings.append((scope, try network.findings(scope))) } catch {
                    printError("\(file): error: scope '\(scope.name)': \(error.message)")
                    throw ExitCode(2)
                }
            }
            report.scopes = scopeFindings.map { (scope: $0.0, findings: $0.1) }
            let failedScopes = report.failedScopes
            let text: String =
                switch format {
                case .text:
                    (results.isEmpty ? "" : CheckRenderer(results: results).render() + "\n\n") + ScopeRenderer.render(scopeFindings)
                        + "\(report.passed) passed, \(report.failed) failed"
                        + (scopeFindings.isEmpty
                            ? "" : "; scopes: \(scopeFindings.count - failedScopes) without findings, \(failedScopes) with findings")
                        + "\n"
                case .json: try report.json()
                case .junit: report.junit()
                case .sarif: try report.sarif()
                }
            // The report is written whatever the verdicts; the exit code says them (0 all hold, 1 any fails).
            if let output {
                do {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    printError("\(output): error: cannot write the report (\((error as NSError).localizedDescription)).")
                    throw ExitCode(2)
                }
                if format != .text { print("\(report.passed) passed, \(report.failed) failed; \(format.rawValue) report in \(output)") }
            } else {
                print(text, terminator: "")
            }
            if report.failed > 0 || failedScopes > 0 { throw ExitCode(1) }
        }
    }
}

/// Renders intent results as a table: intent, expected, actual, and the deciding reason.
struct CheckRenderer {
    var results: [IntentResult]

    func render() -> String {
        let intentWidth = min(60, max(6, results.map(\.intent.name.count).max() ?? 0))
        let expectedWidth = max(8, results.map(\.intent.expectation.description.count).max() ?? 0)
        let actualWidth = max(6, results.map(\.actual.count).max() ?? 0)
        func row(_ result: String, _ intent: String, _ expected: String, _ actual: String) -> String {
            let name = intent.count > intentWidth ? String(intent.prefix(intentWidth - 1)) + "…" : intent
            return
                "\(result.rightPadded(to: 4))  \(name.rightPadded(to: intentWidth))  "
                + "\(expected.rightPadded(to: expectedWidth))  \(actual.rightPadded(to: actualWidth))"
                .trimmingTrailingSpaces
        }
        var lines = [row("", "INTENT", "EXPECTED", "ACTUAL")]
        for result in results {
            lines.append(row(result.holds ? "PASS" : "FAIL", result.intent.name, result.intent.expectation.description, result.actual))
            let r = result.reachability
            if r.isReachable {
                lines.append("      why: \(r.reason)")
                // Under a passing `reachable: true` a partial block is a warning: some packets of the query do
                // not get through (`reachable: fully` makes it a failure). Under a port list it is the list's reason.
                let prefix = result.holds && result.intent.expectation == .reachable(true) ? "warning: partly blocked" : "partly blocked"
                for note in r.partialBlocks { lines.append("      \(prefix): \(note.explanationCode): \(note.message)") }
            } else {
                for e in r.analysis.explanations { lines.append("      why: \(e.explanationCode): \(e.message)") }
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    var trimmingTrailingSpaces: String { String(reversed().drop { $0 == " " }.reversed()) }
}

/// Renders scopes: PASS with no findings, or FAIL with every finding (its traffic and its path).
enum ScopeRenderer {
    static func render(_ scopes: [(AccessScope, [AccessFinding])]) -> String {
        guard !scopes.isEmpty else { return "" }
        var out = "scopes (Network Access Analyzer; findings are exhaustive: every source, destination and protocol):\n"
        for (scope, findings) in scopes {
            let count = findings.isEmpty ? " (no findings)" : " (\(findings.count) findings)"
            out += "\(findings.isEmpty ? "PASS" : "FAIL")  scope: \(scope.name)\(count)\n"
            for finding in findings { out += "      finding: \(CheckReport.describe(finding))\n" }
        }
        return out + "\n"
    }
}
