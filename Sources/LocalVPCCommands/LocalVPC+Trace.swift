import ArgumentParser
import Foundation
import Importers
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc trace FILE --from A --to B`: one analysis, hop by hop.
    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trace traffic from a source to a destination, forward and back, over every packet of the query.",
            discussion: "A and B are resource names, 'internet', or IPv4 addresses. Exits 0 when a path is found, 1 when none is, 2 on bad input."
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(help: "Source: a resource name, 'internet', or an IP address.")
        var from: String

        @Option(help: "Destination: a resource name, 'internet', or an IP address.")
        var to: String

        @OptionGroup var traffic: TrafficOptions

        @OptionGroup var source: SourceOptions

        @Flag(help: "Print the analysis as JSON, in the shape of `aws ec2 describe-network-insights-analyses` (one NetworkInsightsAnalysis).")
        var json = false

        func run() throws {
            let (design, network) = try loadDesign(file, options: source)
            let query = design.resolve(try traffic.query(from: from, to: to))
            let result: Reachability
            do {
                result = try network.analyze(query)
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(2)
            }
            if json {
                var analysis = result.analysis
                analysis.startDate = ISO8601DateFormatter().string(from: Date())
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(analysis), as: UTF8.self))
            } else {
                print(TraceRenderer(result: result).render())
            }
            if !result.isReachable { throw ExitCode(1) }
        }
    }
}

/// Renders an analysis for a terminal.
struct TraceRenderer {
    var result: Reachability

    func render() -> String {
        let query = result.query
        let ports = query.ipProtocol.hasPorts ? " port \(query.destinationPorts?.description ?? "all")" : ""
        var filters = ""
        if !query.through.isEmpty { filters += " through \(query.through.joined(separator: ", "))" }
        if !query.avoiding.isEmpty { filters += " avoiding \(query.avoiding.joined(separator: ", "))" }
        var lines = ["\(query.source) -> \(query.destination) (\(query.ipProtocol)\(ports))\(filters)"]
        let analysis = result.analysis
        if result.isReachable {
            lines.append("REACHABLE: \(result.reason)")
        } else {
            lines.append("NOT REACHABLE")
        }
        if !analysis.forwardPathComponents.isEmpty {
            lines.append("")
            lines.append("forward path:")
            lines += analysis.forwardPathComponents.map(hop)
        }
        if !analysis.returnPathComponents.isEmpty {
            lines.append("return path:")
            lines += analysis.returnPathComponents.map(hop)
        }
        if !analysis.explanations.isEmpty {
            lines.append("")
            lines.append("blocked by (every setting that would have to change):")
            for e in analysis.explanations {
                lines.append("  - \(e.explanationCode)\(e.direction.map { " (\($0))" } ?? ""): \(e.message)")
            }
        }
        if !result.partialBlocks.isEmpty {
            lines.append("")
            lines.append("partly blocked (some packets of the query only):")
            for e in result.partialBlocks {
                lines.append("  - \(e.explanationCode)\(e.direction.map { " (\($0))" } ?? ""): \(e.message)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func hop(_ component: PathComponent) -> String {
        let name = component.component.name.map { "\($0) (\(component.component.id))" } ?? component.component.id
        let note = component.note.isEmpty ? "" : ": \(component.note)"
        return "  \(String(component.sequenceNumber).leftPadded(to: 2)). \(name)\(note)"
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
