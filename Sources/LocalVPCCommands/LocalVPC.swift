import ArgumentParser
import Foundation
import TopologyFile
import VPCEngine
import VPCModel

/// `localvpc`: run an AWS VPC design on your machine and prove what can reach what.
public struct LocalVPC: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "localvpc",
        abstract: "Model an AWS VPC, trace traffic through it, and check what can reach what.",
        version: "0.1.0",
        subcommands: [Trace.self, Check.self, Fix.self, Serve.self, Export.self, Up.self, Status.self, Backend.self]
    )

    public init() {}
}

/// Loads and compiles a topology file, printing every problem and exiting 2 on bad input.
func loadNetwork(_ path: String) throws -> (TopologyFile, CompiledNetwork) {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        printError("\(path): error: cannot read the file (\((error as NSError).localizedDescription)).")
        throw ExitCode(2)
    }
    do {
        let file = try TopologyFile(yaml: text, file: path)
        return (file, CompiledNetwork(file.topology))
    } catch {
        printError(error.description)
        printError("\(error.diagnostics.count) error\(error.diagnostics.count == 1 ? "" : "s") in \(path).")
        throw ExitCode(2)
    }
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
