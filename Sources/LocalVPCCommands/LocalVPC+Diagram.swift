import ArgumentParser
import Diagram
import Foundation
import Importers
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc diagram SOURCE [-o FILE.svg] [--trace-from A --trace-to B]`: the design as an SVG picture.
    struct Diagram: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw the design as an SVG picture, optionally with one trace on top (the blocked hop in red).",
            discussion: "Same input, same bytes. Exits 0, or 2 on bad input."
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        @Option(help: "Draw the trace from this source (a resource name, 'internet', or an IP address).")
        var traceFrom: String?

        @Option(help: "Draw the trace to this destination.")
        var traceTo: String?

        @OptionGroup var traffic: TrafficOptions

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (design, network) = try loadDesign(file, options: source)
            var analysis: Reachability?
            switch (traceFrom, traceTo) {
            case (let from?, let to?):
                let query = design.resolve(try traffic.query(from: from, to: to))
                do {
                    analysis = try network.analyze(query)
                } catch {
                    printError("error: \(error.message)")
                    throw ExitCode(2)
                }
            case (nil, nil):
                break
            default:
                printError("error: --trace-from and --trace-to go together.")
                throw ExitCode(2)
            }
            let svg = DiagramRenderer(topology: design.topology, analysis: analysis).svg()
            if let output {
                do { try svg.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    printError("error: cannot write \(output): \(error.localizedDescription)")
                    throw ExitCode(2)
                }
            } else {
                print(svg, terminator: "")
            }
        }
    }
}
