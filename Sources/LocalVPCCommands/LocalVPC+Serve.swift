import ArgumentParser
import DataPlane
import Foundation
import Importers
import NIOCore
import QueryAPI
import TopologyFile
import VPCModel
import VPCStore

extension LocalVPC {
    /// `localvpc serve`: the EC2 + Classic ELB Query API, with Reachability Analyzer, on SQLite.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve an EC2 + Classic ELB compatible API (aws --endpoint-url, boto3 endpoint_url) with state in SQLite.",
            discussion: """
                State survives restarts and kill -9. Every region starts with a default VPC. Point the aws CLI at it:
                  aws --endpoint-url http://127.0.0.1:4566 ec2 describe-vpcs
                """
        )

        @Option(help: "Address to bind (loopback by default).")
        var host = "127.0.0.1"

        @Option(help: "Port to listen on (0 picks a free one; the real port is printed).")
        var port = 4566

        @Option(help: "The SQLite state file (default: $XDG_DATA_HOME/localvpc/state.sqlite or ~/.local/share/localvpc/state.sqlite).")
        var state: String?

        @Option(help: "The 12-digit account ID of every resource.")
        var account = "123456789012"

        @Option(help: "Start from a design (topology file, CloudFormation template or snapshot directory): its region's state is replaced by it.")
        var load: String?

        @OptionGroup(title: "Reading a template (with --load)") var source: SourceOptions

        @Option(help: "Require SigV4 signatures from these credentials, as ACCESS_KEY_ID:SECRET (repeatable). Default: any credentials are accepted.")
        var credentials: [String] = []

        @Flag(help: "Also run the data plane (as `localvpc up` does) on --region's state, following every change made through the API.")
        var dataPlane = false

        @Option(help: "The region the data plane runs (default: the --load file's region, else us-east-1).")
        var region: String?

        @OptionGroup(title: "Data plane (with --data-plane)")
        var dataPlaneOptions: DataPlaneOptions

        func validate() throws {
            guard account.count == 12, account.allSatisfy(\.isNumber) else { throw ValidationError("--account must be a 12-digit AWS account ID.") }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535.") }
            for pair in credentials where pair.split(separator: ":", maxSplits: 1).count != 2 {
                throw ValidationError("--credentials takes ACCESS_KEY_ID:SECRET, not '\(pair)'.")
            }
        }

        func run() async throws {
            let path = state ?? Self.defaultStatePath()
            let store: Store
            do {
                store = try Store(path: path)
            } catch {
                printError(error is Store.InUse ? "error: \(error)" : "error: cannot open the state file \(path): \(error)")
                throw ExitCode(2)
            }
            let server: QueryAPIServer
            do {
                let secrets =
                    credentials.isEmpty
                    ? nil
                    : Dictionary(
                        credentials.map { pair -> (String, String) in
                            let parts = pair.split(separator: ":", maxSplits: 1)
                            return (String(parts[0]), String(parts[1]))
                        }, uniquingKeysWith: { _, last in last })
                server = try QueryAPIServer(store: store, accountID: account, credentials: secrets)
            } catch {
                printError("error: cannot read the state in \(path): \(error)")
                throw ExitCode(2)
            }
            var loadedRegion: String?
            if let load {
                let (file, _) = try loadDesign(load, options: source)
                loadedRegion = file.topology.region
                do {
                    try await server.replaceRegion(with: file.topology)
                    server.setClaims(region: file.topology.region, intents: file.intents, scopes: file.scopes)
                } catch {
                    printError("error: cannot load \(load): \(error)")
                    throw ExitCode(2)
                }
            }
            var plane: DataPlane?
            var metrics: (@Sendable () -> String)?
            if dataPlane {
                let started = try await dataPlaneOptions.start(server: server, region: region ?? loadedRegion ?? "us-east-1")
                plane = started
                metrics = { started.metrics.render() }
            }
            let channel = try await listen(server, host: host, port: port, metrics: metrics)
            let address = channel.localAddress
            // Written unbuffered: scripts and tests read the real port from this line.
            FileHandle.standardOutput.write(
                Data("LocalVPC listening on http://\(address?.ipAddress ?? host):\(address?.port ?? port) (state: \(path))\n".utf8))
            await serveUntilSignalled(channel)
            await plane?.shutdown()
        }

        static func defaultStatePath() -> String {
            let environment = ProcessInfo.processInfo.environment
            let base =
                environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
            return base.appendingPathComponent("localvpc/state.sqlite").path
        }
    }
}
