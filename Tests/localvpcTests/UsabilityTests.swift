import ArgumentParser
import Foundation
import Testing

@testable import LocalVPCCommands

/// The README's Quick start runs `serve` and then `up`: they must not want the same port; a port in use
/// is said in words, with what to do.
struct UsabilityTests {
    @Test func serveAndUpDefaultToDifferentPorts() throws {
        let serve = try LocalVPC.Serve.parse([])
        let up = try LocalVPC.Up.parse(["examples/seed-elb-nat-fixed.yaml"])
        #expect(serve.port == 4566)
        #expect(up.apiPort == 4567)
    }

    @Test func aPortInUseIsSaidInWords() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-port-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try ClientTests.Server(state: directory.appendingPathComponent("a.sqlite"))
        defer { first.stop() }
        let port = try #require(first.url.split(separator: ":").last.map(String.init))
        let second = try BinaryTests().run(["serve", "--port", port, "--state", directory.appendingPathComponent("b.sqlite").path])
        #expect(second.status == 2)
        #expect(second.error.contains("cannot listen on 127.0.0.1:\(port): address already in use (errno 98)"), "\(second.error)")
        #expect(!second.error.contains(")) ") && !second.error.contains(": Address already in use)"), "no stray parenthesis")
    }
}
