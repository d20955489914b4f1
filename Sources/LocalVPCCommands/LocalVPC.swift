import ArgumentParser
import Foundation
import Importers
import TopologyFile
import VPCEngine
import VPCModel

/// `localvpc`: run an AWS VPC design on your machine and prove what can reach what.
public struct LocalVPC: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "localvpc",
        abstract: "Model an AWS VPC, trace traffic through it, and check what can reach what.",
        version: "0.1.0",
        subcommands: [
            Trace.self, Check.self, Fix.self, Reach.self, Diff.self, Diagram.self, Import.self, Serve.self, Export.self, Up.self, Status.self,
            Backend.self,
        ]
    )

    public init() {}
}

/// Where a design comes from, and what reading a template needs: every command that reads a design takes these.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .customLong("parameter"), help: ArgumentHelp("A template parameter, KEY=VALUE (repeatable), over its default.", valueName: "KEY=VALUE"))
    var parameters: [String] = []

    @Option(
        name: .customLong("import-value"),
        help: ArgumentHelp("The value of an Fn::ImportValue export, NAME=VALUE (repeatable).", valueName: "NAME=VALUE"))
    var importValues: [String] = []

    @Option(name: .customLong("template-region"), help: "The region a template is deployed to (AWS::Region, Fn::GetAZs). Default: us-east-1.")
    var templateRegion = "us-east-1"

    @Option(help: "The stack name a template is deployed as (AWS::StackName). Default: localvpc.")
    var stackName = "localvpc"

    func importOptions() throws -> ImportOptions {
        func pairs(_ values: [String], _ option: String) throws -> [String: String] {
            var result: [String: String] = [:]
            for value in values {
                guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                    throw ValidationError("--\(option) takes KEY=VALUE, not '\(value)'.")
                }
                result[String(value[..<equals])] = String(value[value.index(after: equals)...])
            }
            return result
        }
        return ImportOptions(
            region: templateRegion, stackName: stackName, parameters: try pairs(parameters, "parameter"),
            importValues: try pairs(importValues, "import-value"))
    }
}

/// Loads a design (topology file, CloudFormation template or snapshot directory) and compiles it,
/// printing every problem and exiting 2 on bad input; the reader's notes go to standard error.
func loadDesign(_ path: String, intents: String? = nil, options: SourceOptions) throws -> (Design, CompiledNetwork) {
    let design: Design
    let importOptions = try options.importOptions()
    do {
        design = try DesignLoader.load(path, intents: intents, options: importOptions)
    } catch {
        printError(error.description)
        printError("\(error.diagnostics.count) error\(error.diagnostics.count == 1 ? "" : "s") in \(path).")
        throw ExitCode(2)
    }
    for note in design.notes { printError("note: \(note)") }
    // A template or snapshot is what AWS accepted or reported: what the model would refuse in a topology
    // file (a route to a gateway that is gone, …) is said and then taken as given (such a route is a blackhole).
    if design.source != .topologyFile {
        for problem in design.topology.validate() { printError("\(path): warning: \(problem.message)") }
    }
    return (design, CompiledNetwork(design.topology))
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Options that name the traffic of a query.
struct TrafficOptions: ParsableArguments {
    @Option(name: .customLong("protocol"), help: "tcp, udp, icmp or all.")
    var ipProtocol: String = "tcp"

    @Option(help: "Destination port or range at the destination (80, 1024-65535, all). Default: all.")
    var port: String?

    @Option(help: "Source port or range (default: every port from the internet, the OS's ephemeral range from an instance).")
    var sourcePort: String?

    @Option(help: "A component the path must pass through (repeatable).")
    var through: [String] = []

    @Option(help: "A component the path must not pass through (repeatable).")
    var avoiding: [String] = []

    func query(from source: String, to destination: String) throws -> PathQuery {
        do {
            let ipProtocol = try IPProtocol(parsing: self.ipProtocol)
            let ports = try port.map { text throws(ModelError) in try PortRange(parsing: text) }
            let sourcePorts = try sourcePort.map { text throws(ModelError) in try PortRange(parsing: text) }
            return PathQuery(
                from: source, to: destination, protocol: ipProtocol, ports: ports, sourcePorts: sourcePorts, through: through, avoiding: avoiding)
        } catch {
            // Bad input exits 2, as every command documents (ArgumentParser's ValidationError would exit 64).
            printError("error: \(error.message)")
            throw ExitCode(2)
        }
    }
}

extension LocalVPC {
    /// Runs the command line (for the `localvpc` executable).
    public static func runFromCommandLine() async { await main() }
}
