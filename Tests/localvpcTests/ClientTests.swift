import Foundation
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// The API driven by real clients: the `aws` CLI and boto3 build the seed design against
/// `localvpc serve` (the built binary, on 127.0.0.1 port 0), then the server is killed with SIGKILL
/// and restarted on the same SQLite file. `.ci/run` installs awscli and boto3.
@Suite(.serialized) struct ClientTests {
    static let clients = BinaryTests.root.appendingPathComponent("Tests/clients")

    /// A running `localvpc serve`.
    final class Server {
        let process = Process()
        let url: String

        init(state: URL, extra: [String] = []) throws {
            process.executableURL = try #require(BinaryTests.binary(), "build the localvpc product first (swift build)")
            process.arguments = ["serve", "--port", "0", "--state", state.path] + extra
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The server prints "LocalVPC listening on http://127.0.0.1:PORT" once bound.
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            while !text.contains("listening on"), Date() < deadline, process.isRunning {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { Thread.sleep(forTimeInterval: 0.02) }
                text += String(decoding: data, as: UTF8.self)
            }
            guard let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
                process.terminate()
                throw ServerError(message: "the server did not start: \(text)")
            }
            url = String(text[range])
            // Keep draining the server's output so it can never block on a full pipe.
            output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
        }

        func kill9() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }

        deinit { stop() }
    }

    struct ServerError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs a client script; returns its exit status and output.
    static func script(_ name: String, _ arguments: [String], in directory: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", clients.appendingPathComponent(name).path] + arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = clients.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func awsCLIBuildsTheSeedDesignAndTheStateSurvivesKill9AndRestart() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.sqlite")

        let first = try Server(state: state)
        let (built, buildOutput) = try Self.script("seed_aws_cli.py", [first.url, "build", "ids.json"], in: directory)
        #expect(built == 0, "\(buildOutput)")
        #expect(buildOutput.contains("all checks passed"))
        first.kill9()

        let second = try Server(state: state)
        let (verified, verifyOutput) = try Self.script("seed_aws_cli.py", [second.url, "verify", "ids.json"], in: directory)
        #expect(verified == 0, "after kill -9: \(verifyOutput)")
        second.stop()

        let third = try Server(state: state)
        let (again, againOutput) = try Self.script("seed_aws_cli.py", [third.url, "verify", "ids.json"], in: directory)
        #expect(again == 0, "after a graceful restart: \(againOutput)")
        third.stop()

        // `localvpc export` writes the state as a topology file that the engine reads back with the
        // same verdicts as the API's analyses.
        let ids = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("ids.json"))) as? [String: Any]
        let vpc = try #require(ids?["vpc"] as? String)
        let webs = try #require(ids?["webs"] as? [String])
        let exported = directory.appendingPathComponent("exported.yaml")
        let export = try BinaryTests().run(["export", "--state", state.path, "--vpc", vpc, "--output", exported.path])
        #expect(export.status == 0, "\(export.error)")
        let file = try TopologyFile(yaml: String(contentsOf: exported, encoding: .utf8), file: exported.path)
        let network = CompiledNetwork(file.topology)
        #expect(try network.analyze(PathQuery(from: "internet", to: webs[0], protocol: .tcp, ports: try PortRange(port: 80))).isReachable)
        #expect(try network.analyze(PathQuery(from: webs[0], to: "internet", protocol: .tcp, ports: try PortRange(port: 443))).isReachable)
        #expect(try !network.analyze(PathQuery(from: webs[0], to: "internet", protocol: .tcp, ports: try PortRange(port: 22))).isReachable)

        // `serve --load` of the export into a new state keeps every ID and the default VPC.
        let fourth = try Server(state: directory.appendingPathComponent("loaded.sqlite"), extra: ["--load", exported.path])
        let (loaded, loadedOutput) = try Self.script("export_roundtrip.py", [fourth.url, "ids.json"], in: directory)
        fourth.stop()
        #expect(loaded == 0, "\(loadedOutput)")
    }

    /// Optional SigV4 verification (`serve --credentials`), checked with boto3's real signatures.
    @Test func signaturesAreVerifiedWhenCredentialsAreConfigured() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"), extra: ["--credentials", "AKIDLOCALVPC:s3cret"])
        let (status, output) = try Self.script("signatures.py", [server.url], in: directory)
        #expect(status == 0, "\(output)")
        // EC2 API Reference, "Error codes" (RequestExpired): a signature is good for 15 minutes either side
        // of its date; botocore signs at a mocked clock.
        let (window, windowOutput) = try Self.script("signature_window.py", [server.url], in: directory)
        #expect(window == 0, "\(windowOutput)")
        server.stop()
    }

    /// A snapshot of an account taken with the aws CLI (`describe-*` bodies, one per file) from
    /// `localvpc serve` after building the seed design through the API has the seed file's verdicts.
    @Test func aSnapshotOfTheSeedBuiltThroughTheAPIHasTheSeedsVerdicts() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let folder = directory.appendingPathComponent("snapshot")
        let (status, output) = try Self.script("seed_snapshot.py", [server.url, folder.path], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
        // The seed's intents, naming the load balancer by the name it was created with through the API.
        let seed = try String(contentsOf: BinaryTests.root.appendingPathComponent("examples/seed-elb-nat.yaml"), encoding: .utf8)
        let expect = String(seed[try #require(seed.range(of: "expect:")).lowerBound...])
            .replacingOccurrences(of: #"(?m)(to|through|avoiding): elb$"#, with: "$1: seed-elb", options: .regularExpression)
        let intents = directory.appendingPathComponent("intents.yaml")
        try expect.write(to: intents, atomically: true, encoding: .utf8)
        let fromSnapshot = try BinaryTests().run(["check", folder.path, "--intents", intents.path])
        let fromFile = try BinaryTests().run(["check", "examples/seed-elb-nat.yaml"])
        func verdicts(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }.map { String($0.prefix(60)) }
        }
        #expect(fromSnapshot.status == 1 && fromFile.status == 1, "\(fromSnapshot.error)")
        #expect(verdicts(fromSnapshot.output).count == 8)
        #expect(verdicts(fromSnapshot.output) == verdicts(fromFile.output), "\(fromSnapshot.output)")
        #expect(fromSnapshot.output.contains("SG_REFERENCES_NOT_PRESERVED"))
    }

    /// 1,000 connections each sending 1 MiB of a body that never completes: request bodies in flight are
    /// bounded across connections (beyond 64 MiB, 503 and close), the server stays under 200 MB resident
    /// and is back under 100 MB once they close.
    @Test func requestBodiesInFlightAreBounded() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let (status, output) = try Self.script("body_flood.py", [server.url, String(server.process.processIdentifier), "1000"], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
    }

    /// DryRun on EC2 actions, sts:GetCallerIdentity and the reset endpoints, through boto3.
    @Test func callsToolsMakeAroundTheCore() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let (status, output) = try Self.script("compat.py", [server.url], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
    }

    /// Every documented Filter.N name, MaxResults/NextToken, launch templates and RunInstances from one,
    /// block devices and placement, and Classic ELB attributes, through boto3 and the aws CLI.
    @Test func describeFiltersPagesTemplatesAndAttributes() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let (status, output) = try Self.script("describe_api.py", [server.url], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"))
    }

    /// Chromium, its driver and Selenium, which the browser tests need (`.ci/run` installs them).
    static let browserAvailable: Bool = {
        let manager = FileManager.default
        guard manager.isExecutableFile(atPath: "/usr/bin/chromium"), manager.isExecutableFile(atPath: "/usr/bin/chromedriver") else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import selenium"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// The web console in headless Chromium against a `serve` holding the seed: every resource drawn,
    /// the web-1 → internet:443 trace from the form with the blocking web-sg in red, a change made with
    /// the aws CLI shown without a reload, the side panel's rules; and `localvpc diagram`'s SVG rendered.
    /// Screenshots are kept in .build/test-artifacts/console.
    @Test(
        .enabled(
            if: browserAvailable,
            "needs Chromium and Selenium: apt-get install chromium chromium-driver && pip install selenium (.ci/run installs them)"))
    func consoleInChromium() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let seed = BinaryTests.root.appendingPathComponent("examples/seed-elb-nat.yaml").path
        let svg = directory.appendingPathComponent("seed-trace.svg").path
        let diagram = try BinaryTests().run(["diagram", seed, "--trace-from", "web-1", "--trace-to", "internet", "--port", "443", "-o", svg])
        #expect(diagram.status == 0, "\(diagram.error)")
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"), extra: ["--load", seed])
        let artifacts = BinaryTests.root.appendingPathComponent(".build/test-artifacts/console").path
        let (status, output) = try Self.script("console_browser.py", [server.url, svg, artifacts], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"))
    }

    /// The eight Network Access Analyzer actions through boto3 and the aws CLI on the fixed seed.
    @Test func accessScopesThroughTheAPI() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixed = BinaryTests.root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml").path
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"), extra: ["--load", fixed])
        let (status, output) = try Self.script("access_scopes.py", [server.url], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
    }

    /// `serve --load` keeps the design's intents and scopes and verifies them again after every API change;
    /// the console's endpoint and `localvpc status` show which now fail.
    @Test func loadedClaimsAreVerifiedAgainAfterChanges() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixed = BinaryTests.root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml").path
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"), extra: ["--load", fixed])
        let binary = try #require(BinaryTests.binary()).path
        let (status, output) = try Self.script("claims.py", [server.url, binary], in: directory)
        server.stop()
        #expect(status == 0, "\(output)")
    }

    @Test func serveLoadsATopologyFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = BinaryTests.root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml").path
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"), extra: ["--load", example])
        let (status, output) = try Self.script("load_check.py", [server.url], in: directory)
        #expect(status == 0, "\(output)")
        server.stop()
    }

    @Test func boto3BuildsTheSeedDesignAndHostileRequestsGetAWSErrors() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let (status, output) = try Self.script("seed_boto3.py", [server.url], in: directory)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"))
        #expect(server.process.isRunning, "the server survived the hostile requests")
        server.stop()
    }

    /// The API front end's own HTTP/1.1 handling over raw sockets: keep-alive, pipelining (answers in
    /// order, a change seen by the read behind it), 100-continue, split bodies, 400/411/413/431.
    @Test func apiSpeaksHTTP11OverRawSockets() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try Server(state: directory.appendingPathComponent("state.sqlite"))
        let (status, output) = try Self.script("http_wire.py", [server.url], in: directory)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"))
        #expect(server.process.isRunning)
        // One server owns a state file: a second one is refused with a clear error, not a shared file.
        let second = try BinaryTests().run(["serve", "--port", "0", "--state", directory.appendingPathComponent("state.sqlite").path])
        #expect(second.status == 2 && second.error.contains("is in use by another LocalVPC process"), "\(second.error)")
        #expect(server.process.isRunning)
        server.stop()
    }

    /// `localvpc up` with real traffic (issue 4): HTTP and HTTPS through the ELB to two real backend
    /// processes, a backend killed and revived, an SG edit that fails the health checks (503), the NAT
    /// stopped and started through the aws CLI, malformed and slow clients, 504, metrics, status.
    @Test func dataPlaneRunsTheSeedSystemWithRealTraffic() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try #require(BinaryTests.binary(), "build the localvpc product first (swift build)")
        let example = BinaryTests.root.appendingPathComponent("examples/seed-elb-nat-fixed.yaml").path
        let (status, output) = try Self.script("dataplane.py", [binary.path, example], in: directory)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"), "\(output)")
    }

    /// `localvpc serve --data-plane`: a load balancer built through boto3 serves, and follows the API.
    @Test func serveDataPlaneFollowsStateBuiltThroughTheAPI() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try #require(BinaryTests.binary(), "build the localvpc product first (swift build)")
        let (status, output) = try Self.script(
            "dataplane_api.py", [binary.path, directory.appendingPathComponent("state.sqlite").path], in: directory)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all checks passed"), "\(output)")
    }
}
