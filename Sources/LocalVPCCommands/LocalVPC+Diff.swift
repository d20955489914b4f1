import ArgumentParser
import Foundation
import Importers
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc diff A B`: the traffic one version allows and the other does not.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The traffic one version of a design allows and the other does not, pair by pair, with what decides it.",
            discussion: "Endpoints are matched by name. Exits 0 when both allow the same traffic, 1 when they differ, 2 on bad input."
        )

        @Argument(help: "The first version (topology file, template or snapshot folder).")
        var first: String

        @Argument(help: "The second version.")
        var second: String

        @Flag(help: "One JSON object per difference (JSON lines).")
        var json = false

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (designA, networkA) = try loadDesign(first, options: source)
            let (designB, networkB) = try loadDesign(second, options: source)
            // The endpoints both versions have, by the name a person uses.
            let shared = Set(networkA.reachEndpoints()).intersection(networkB.reachEndpoints()).sorted()
            var lines: [String] = []
            var differences = 0
            // Both versions answered once per pair of classes of interchangeable endpoints (`reach`).
            let cellsA: [ReachCell]
            let cellsB: [ReachCell]
            do {
                cellsA = try networkA.reach(from: shared.map(designA.resolve), to: shared.map(designA.resolve))
                cellsB = try networkB.reach(from: shared.map(designB.resolve), to: shared.map(designB.resolve))
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(2)
            }
            // The cells come in the same order (sources, then destinations, of the same shared list).
            for (index, (a, b)) in zip(cellsA, cellsB).enumerated() {
                let source = shared[index / (shared.count - 1)]
                let destination = shared.filter { $0 != source }[index % (shared.count - 1)]
                let change = Change(a: a, b: b)
                guard !change.isEmpty else { continue }
                differences += 1
                lines.append(json ? change.json(source, destination) : change.text(source, destination, first: first, second: second))
            }
            if json {
                print(lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"), terminator: "")
            } else {
                print(lines.joined(separator: "\n"))
                print(differences == 0 ? "no difference: both allow the same traffic" : "\(differences) pair\(differences == 1 ? "" : "s") differ")
            }
            if differences > 0 { throw ExitCode(1) }
        }
    }

    /// One pair's difference: what only the first allows and what only the second allows.
    struct Change {
        var onlyA: ReachCell
        var onlyB: ReachCell
        var a: ReachCell
        var b: ReachCell

        init(a: ReachCell, b: ReachCell) {
            self.a = a
            self.b = b
            onlyA = ReachCell(
                source: a.source, destination: a.destination, tcp: a.tcp.subtracting(b.tcp), udp: a.udp.subtracting(b.udp),
                icmp: a.icmp && !b.icmp, blockers: [:])
            onlyB = ReachCell(
                source: b.source, destination: b.destination, tcp: b.tcp.subtracting(a.tcp), udp: b.udp.subtracting(a.udp),
                icmp: b.icmp && !a.icmp, blockers: [:])
        }

        var isEmpty: Bool { onlyA.isEmpty && onlyB.isEmpty }

        /// What blocks the traffic in the version that does not allow it (its explanation codes).
        func deciders(_ cell: ReachCell, _ blocked: ReachCell) -> String {
            var protocols: [String] = []
            if !cell.tcp.isEmpty { protocols.append("tcp") }
            if !cell.udp.isEmpty { protocols.append("udp") }
            if cell.icmp { protocols.append("icmp") }
            let codes = Set(protocols.flatMap { blocked.blockers[$0] ?? [] }).sorted()
            return codes.isEmpty ? "" : " (blocked there by \(codes.joined(separator: ", ")))"
        }

        func text(_ source: String, _ destination: String, first: String, second: String) -> String {
            var out = "\(source) -> \(destination):"
            if !onlyA.isEmpty { out += "\n  only in \(first): \(onlyA.summary)\(deciders(onlyA, b))" }
            if !onlyB.isEmpty { out += "\n  only in \(second): \(onlyB.summary)\(deciders(onlyB, a))" }
            return out
        }

        func json(_ source: String, _ destination: String) -> String {
            func side(_ cell: ReachCell, blocked: ReachCell) -> [String: Any] {
                ["tcp": ReachCell.ports(cell.tcp), "udp": ReachCell.ports(cell.udp), "icmp": cell.icmp, "blockedElsewhereBy": blocked.blockers]
            }
            let object: [String: Any] = [
                "source": source, "destination": destination, "onlyFirst": side(onlyA, blocked: b), "onlySecond": side(onlyB, blocked: a),
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
