import ArgumentParser
import Foundation
import Importers
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc reach SOURCE [--from X]… [--to Y]… [--json]`: what every endpoint can send to every other.
    struct Reach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What every instance, NAT gateway, load balancer and the internet can send to each other, and get answered.",
            discussion: """
                Each cell is the destination ports (TCP, UDP) and ICMP for which some packet makes the round trip, \
                forward and back, translations included. A matrix, or --json: one JSON object per pair. Exits 0, 2 on bad input.
                """
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(help: "Only these sources (repeatable; default: every endpoint).")
        var from: [String] = []

        @Option(help: "Only these destinations (repeatable; default: every endpoint).")
        var to: [String] = []

        @Flag(help: "One JSON object per pair (JSON lines).")
        var json = false

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (design, network) = try loadDesign(file, options: source)
            let endpoints = network.reachEndpoints()
            let sources = from.isEmpty ? endpoints : from
            let destinations = to.isEmpty ? endpoints : to
            let cells: [ReachCell]
            do {
                cells = try network.reach(from: sources.map(design.resolve), to: destinations.map(design.resolve))
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(2)
            }
            print(json ? Self.jsonLines(cells) : Self.matrix(cells, sources: sources, destinations: destinations), terminator: "")
        }

        static func jsonLines(_ cells: [ReachCell]) -> String {
            cells.map { cell in
                let object: [String: Any] = [
                    "source": cell.source, "destination": cell.destination, "tcp": ReachCell.ports(cell.tcp), "udp": ReachCell.ports(cell.udp),
                    "icmp": cell.icmp, "reachable": !cell.isEmpty, "blockedBy": cell.blockers,
                ]
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                return String(decoding: data, as: UTF8.self) + "\n"
            }.joined()
        }

        /// Sources down, destinations across; "·" on the diagonal, "-" where nothing gets through.
        static func matrix(_ cells: [ReachCell], sources: [String], destinations: [String]) -> String {
            var byPair: [String: ReachCell] = [:]
            for cell in cells { byPair[cell.source + "\u{0}" + cell.destination] = cell }
            let ordered = cells.map(\.source).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let columns = cells.map(\.destination).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let width = max(12, (columns + ordered).map(\.count).max() ?? 12) + 2
            var out = "from \\ to".rightPadded(to: width) + columns.map { $0.rightPadded(to: width) }.joined() + "\n"
            for row in ordered {
                out += row.rightPadded(to: width)
                for column in columns {
                    let cell = byPair[row + "\u{0}" + column]
                    let text = cell.map { $0.isEmpty ? "-" : $0.summary } ?? "·"
                    out += (text.count > width - 2 ? String(text.prefix(width - 3)) + "…" : text).rightPadded(to: width)
                }
                out += "\n"
            }
            let reachable = cells.filter { !$0.isEmpty }.count
            return out + "\n\(cells.count) pairs, \(reachable) with traffic that gets through and back (--json for every port range).\n"
        }
    }
}
