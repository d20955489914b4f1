import ArgumentParser
import Foundation
import Importers
import TopologyFile
import VPCModel

extension LocalVPC {
    /// `localvpc import SOURCE [-o FILE]`: a template or snapshot as a topology file.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a CloudFormation template or a describe-* snapshot as a topology file.",
            discussion: """
                Each resource carries a comment naming its logical ID (templates) or AWS ID (snapshots). A topology \
                file holds one VPC: --vpc picks it (default: the first VPC that is not the default VPC). Exits 0, or 2 on bad input.
                """
        )

        @Argument(help: "A CloudFormation template (JSON or YAML), or a directory of describe-* snapshots.")
        var file: String

        @Option(help: "The VPC to write, by name or ID (default: the first that is not the region's default VPC).")
        var vpc: String?

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        @OptionGroup var source: SourceOptions

        func run() throws {
            let (design, _) = try loadDesign(file, options: source)
            let vpcs = design.topology.vpcs
            let chosen: VPC? =
                if let vpc {
                    vpcs.first { $0.id.rawValue == vpc || $0.name == vpc || design.resolve(vpc) == $0.id.rawValue }
                } else {
                    vpcs.first { $0.name != "default-vpc" && !$0.cidrBlocks.contains { $0.description == "172.31.0.0/16" } } ?? vpcs.first
                }
            guard let chosen else {
                printError("\(file): error: \(vpc.map { "no VPC named \($0)" } ?? "no VPC") in the design.")
                throw ExitCode(2)
            }
            if vpcs.count > 1 {
                let others = vpcs.filter { $0.id != chosen.id }.map { $0.name ?? $0.id.rawValue }
                printError("note: writing VPC \(chosen.name ?? chosen.id.rawValue); the design also has \(others.joined(separator: ", ")) (--vpc)")
            }
            let text: String
            do {
                text = try TopologyWriter().yaml(
                    design.topology, vpc: chosen.id, header: "Imported by localvpc import from \(file) (\(design.source.rawValue)).",
                    intents: design.intents, comments: design.origins)
            } catch {
                printError("error: \(error.message)")
                throw ExitCode(2)
            }
            if let output {
                do {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } catch {
                    printError("\(output): error: cannot write the file (\((error as NSError).localizedDescription)).")
                    throw ExitCode(2)
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}
