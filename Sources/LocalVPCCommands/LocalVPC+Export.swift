import ArgumentParser
import Foundation
import QueryAPI
import TopologyFile
import VPCStore

extension LocalVPC {
    /// `localvpc export`: the state built through the API, as a topology file `localvpc check` accepts.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one VPC of the API state as a topology file (for localvpc check and trace)."
        )

        @Option(help: "The SQLite state file (default: the one localvpc serve uses).")
        var state: String?

        @Option(help: "The region.")
        var region = "us-east-1"

        @Option(help: "The VPC ID (default: the only VPC that is not the default VPC).")
        var vpc: String?

        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
        var output: String?

        func run() async throws {
            let path = state ?? Serve.defaultStatePath()
            guard FileManager.default.fileExists(atPath: path) else {
                printError("error: no state file at \(path) (run localvpc serve first, or give --state).")
                throw ExitCode(2)
            }
            let text: String
            do {
                let server = try QueryAPIServer(store: try Store(path: path))
                let (topology, vpcID) = try await server.exportTopology(region: region, vpc: vpc)
                text = try TopologyWriter().yaml(topology, vpc: vpcID, keepIDs: true)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    printError("error: cannot write \(output): \(error.localizedDescription)")
                    throw ExitCode(2)
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}
