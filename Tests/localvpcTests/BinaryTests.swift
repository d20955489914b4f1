import Foundation
import Testing

/// A handful of runs of the built `localvpc` binary: exit codes and output as a user sees them.
struct BinaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug build of `localvpc`, which `swift test` builds with the tests.
    static func binary() -> URL? {
        let build = root.appendingPathComponent(".build")
        let candidates = [build.appendingPathComponent("debug/localvpc")]
            + ((try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? []).map { build.appendingPathComponent("\($0)/debug/localvpc") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        guard let binary = Self.binary() else {
            Issue.record("build the localvpc product first (swift build)")
            return (-1, "", "")
        }
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.root
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test func checkExitsOneOnTheSeedAndZeroOnTheFix() throws {
        let seed = try run(["check", "examples/seed-elb-nat.yaml"])
        #expect(seed.status == 1)
        #expect(seed.output.contains("6 passed, 2 failed"))
        #expect(seed.output.contains("SG_REFERENCES_NOT_PRESERVED"))
        let fixed = try run(["check", "examples/seed-elb-nat-fixed.yaml"])
        #expect(fixed.status == 0)
        #expect(fixed.output.contains("8 passed, 0 failed"))
    }

    @Test func badFileExitsTwoWithLocatedErrorsAndNoStackTrace() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-bad-\(UUID().uuidString).yaml")
        try "vpc: { name: v, cidr: 10.0.0.0/16 }\nsubnets:\n  a: { cidr: 10.0.0.0/33 }\n".write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try run(["check", path.path])
        #expect(result.status == 2)
        #expect(result.error.contains("\(path.path):3:"))
        #expect(!result.error.contains("Fatal error"))
        let missing = try run(["check", "no/such/file.yaml"])
        #expect(missing.status == 2)
    }

    @Test func traceJSONIsOneNetworkInsightsAnalysis() throws {
        let result = try run(["trace", "examples/seed-elb-nat-fixed.yaml", "--from", "internet", "--to", "web-1", "--port", "80", "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["NetworkPathFound"] as? Bool == true)
        #expect((object["ForwardPathComponents"] as? [Any])?.isEmpty == false)
        let text = try run(["trace", "examples/seed-elb-nat.yaml", "--from", "web-1", "--to", "internet", "--port", "443"])
        #expect(text.status == 1)
        #expect(text.output.contains("NOT REACHABLE"))
        #expect(text.output.contains("web-sg"))
    }
}
