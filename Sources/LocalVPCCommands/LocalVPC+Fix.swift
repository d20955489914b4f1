import ArgumentParser
import Foundation
import Importers
import TopologyFile
import VPCEngine
import VPCModel

extension LocalVPC {
    /// `localvpc fix FILE [-o OUT]`: the smallest change that makes every intent of the file hold.
    struct Fix: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose the smallest edits that make every intent of the file hold.",
            discussion: """
                Prints each edit and the equivalent aws command. With -o, writes the corrected topology file \
                (with its expect: section) and checks it. Exits 0 when every intent holds afterwards, 1 when no \
                fix was found (or two intents conflict), 2 on bad input.
                """
        )

        @Argument(help: "The design: a topology file, a CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(help: "Intents kept apart from the design: a YAML file with an 'expect:' list.")
        var intents: String?

        @OptionGroup var source: SourceOptions

        @Option(name: .shortAndLong, help: "Write the corrected topology file here.")
        var output: String?

        func run() throws {
            let (document, _) = try loadDesign(file, intents: intents, options: source)
            if document.intents.isEmpty {
                print("\(file): no intents to fix (add an 'expect:' section).")
                return
            }
            let repair: Repair
            do {
                repair = try Repair(document.topology, intents: document.intents)
            } catch {
                printError("\(file): error: \(error.message)")
                throw ExitCode(2)
            }
            print(FixRenderer(repair: repair).render())
            if let output, !repair.edits.isEmpty {
                try write(repair, document: document, to: output)
            }
            guard case .fixed = repair.outcome else { throw ExitCode(1) }
        }

        /// Writes the corrected file and reads it back through `check`, so that what is on disk is what passed.
        private func write(_ repair: Repair, document: Design, to output: String) throws {
            guard let vpc = repair.topology.vpcs.first else { return }
            let text: String
            do {
                text = try TopologyWriter().yaml(
                    repair.topology, vpc: vpc.id,
                    header: "\(file), corrected by localvpc fix (\(repair.edits.count) edit\(repair.edits.count == 1 ? "" : "s")).",
                    intents: document.intents)
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(2)
            }
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                printError("\(output): error: cannot write the file (\((error as NSError).localizedDescription)).")
                throw ExitCode(2)
            }
            let (written, network) = try loadDesign(output, options: source)
            var failed = 0
            for intent in written.intents {
                do {
                    if try !network.check(intent).holds { failed += 1 }
                } catch {
                    failed += 1
                }
            }
            print("\nwrote \(output): \(written.intents.count - failed) of \(written.intents.count) intents hold")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Renders a repair: the edits as a list and as aws commands, or why there is none.
struct FixRenderer {
    var repair: Repair

    func render() -> String {
        var lines: [String] = []
        if repair.edits.isEmpty {
            if case .fixed = repair.outcome { return "Every intent already holds: nothing to change." }
        } else {
            lines.append("\(repair.edits.count) edit\(repair.edits.count == 1 ? "" : "s"):")
            for (index, edit) in repair.edits.enumerated() { lines.append("  \(index + 1). \(edit.summary)") }
            lines.append("")
            lines.append("as aws commands:")
            for edit in repair.edits { lines.append("  \(edit.awsCommand)") }
        }
        switch repair.outcome {
        case .fixed:
            lines.append("")
            lines.append("With these edits every intent holds.")
        case .unfixable(let names):
            lines.append("")
            lines.append("No fix found for: \(names.joined(separator: "; ")).")
            lines.append(
                "(fix adds what is missing: rules, ACL entries, listeners, NAT settings; it does not narrow what an intent says must be unreachable.)"
            )
        case .conflict(let conflict):
            lines.append("")
            lines.append("Conflict: \"\(conflict.fixing)\" needs \(conflict.edit.summary), which breaks \"\(conflict.breaks)\".")
        }
        return lines.joined(separator: "\n")
    }
}
