// LocalVPC's Query API against moto's server, driven by the same raw-HTTP load generator.
//
//     swift build -c release --product localvpc --product localvpc-api-bench
//     .build/release/localvpc-api-bench [--groups 1000] [--describes 10000] [--same-cpu]
//
// Scenarios (issue: "Benchmark against moto"):
//   (a) 1 CreateVpc, then N CreateSecurityGroup each followed by 5 AuthorizeSecurityGroupIngress, one connection;
//   (b) M DescribeSecurityGroups for one group id, over 1 and over 8 concurrent keep-alive connections;
//   plus the boto3 end-to-end rate of DescribeSecurityGroups (boto3 itself is the bottleneck there).
// Bodies are the form bodies botocore sends, with a SigV4 Authorization header of the right scope.
import Foundation

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? fallback
}
let groupCount = option("--groups", 1000)
let describeCount = option("--describes", 10000)
let boto3Count = option("--boto3", 500)

let binaryFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

/// Form encoding as botocore does it (unreserved characters kept, everything else %XX), appended as bytes.
func percentEncode(_ text: String, into out: inout [UInt8]) {
    let hex: StaticString = "0123456789ABCDEF"
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(byte)
        default:
            out.append(UInt8(ascii: "%"))
            out.append(hex.utf8Start[Int(byte >> 4)])
            out.append(hex.utf8Start[Int(byte & 15)])
        }
    }
}

/// A request as botocore sends it: its form body and headers. Built as bytes, so the load generator
/// spends its time waiting for the server rather than formatting.
func request(port: UInt16, _ parameters: [(String, String)]) -> [UInt8] {
    var body: [UInt8] = []
    body.reserveCapacity(256)
    for (name, value) in parameters + [("Version", "2016-11-15")] {
        if !body.isEmpty { body.append(UInt8(ascii: "&")) }
        body.append(contentsOf: name.utf8)
        body.append(UInt8(ascii: "="))
        percentEncode(value, into: &body)
    }
    var out = Array(
        """
        POST / HTTP/1.1\r
        Host: 127.0.0.1:\(port)\r
        Accept-Encoding: identity\r
        User-Agent: Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux lang/python#3.11.7\r
        Content-Type: application/x-www-form-urlencoded; charset=utf-8\r
        X-Amz-Date: 20261129T120000Z\r
        Authorization: AWS4-HMAC-SHA256 Credential=test/20261129/us-east-1/ec2/aws4_request, \
        SignedHeaders=content-type;host;x-amz-date, Signature=\(String(repeating: "0", count: 64))\r
        Content-Length: \(body.count)\r
        \r

        """.utf8)
    out += body
    return out
}

/// The text of the first `<tag>…</tag>` in a response body, found on bytes.
func value(_ tag: String, in body: ArraySlice<UInt8>) -> String? {
    let open = Array("<\(tag)>".utf8)
    let close = Array("</\(tag)>".utf8)
    guard let start = find(open, in: body, from: body.startIndex) else { return nil }
    let valueStart = start + open.count
    guard let end = find(close, in: body, from: valueStart) else { return nil }
    return String(decoding: body[valueStart..<end], as: UTF8.self)
}

func find(_ pattern: [UInt8], in bytes: ArraySlice<UInt8>, from: Int) -> Int? {
    guard bytes.endIndex - from >= pattern.count else { return nil }
    outer: for index in from...(bytes.endIndex - pattern.count) where bytes[index] == pattern[0] {
        for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] { continue outer }
        return index
    }
    return nil
}

func value(_ tag: String, in xml: String) -> String? {
    guard let start = xml.range(of: "<\(tag)>"), let end = xml.range(of: "</\(tag)>", range: start.upperBound..<xml.endIndex) else { return nil }
    return String(xml[start.upperBound..<end.lowerBound])
}

struct Failure: Error, CustomStringConvertible { var description: String }

func text(_ body: ArraySlice<UInt8>) -> String { String(decoding: body.prefix(300), as: UTF8.self) }

/// A server under test, started as its own process.
final class ServerProcess {
    let name: String
    let process = Process()
    var port: UInt16 = 0

    init(name: String, executable: String, arguments: [String], fixedPort: UInt16?) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        // moto logs every request: an undrained pipe would fill and stall it, so its output goes nowhere.
        process.standardOutput = fixedPort == nil ? output : FileHandle.nullDevice
        process.standardError = fixedPort == nil ? output : FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        if let fixedPort {
            port = fixedPort
            while Date() < deadline {
                if (try? HTTPConnection(port: fixedPort)) != nil { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            throw Failure(description: "\(name) did not start")
        }
        while !text.contains("listening on"), Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { Thread.sleep(forTimeInterval: 0.02) }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let range = text.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression), let parsed = UInt16(text[range].split(separator: ":")[1])
        else {
            throw Failure(description: "\(name) did not start: \(text)")
        }
        port = parsed
        // Keep draining whatever the server prints from now on.
        output.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

func freePort() -> UInt16 {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    probe.arguments = ["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]
    let output = Pipe()
    probe.standardOutput = output
    try? probe.run()
    probe.waitUntilExit()
    return UInt16(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        ?? 5000
}

struct Figures {
    var createSeconds = 0.0
    var createCalls = 0
    var describe1 = (rate: 0.0, p50: 0.0, p99: 0.0)
    var describe8 = (rate: 0.0, p50: 0.0, p99: 0.0)
    var boto3Rate = 0.0
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

func progress(_ text: String) { FileHandle.standardError.write(Data("\(text)\n".utf8)) }

func run(_ server: ServerProcess) throws -> Figures {
    progress("\(server.name): (a) create")
    var figures = Figures()
    let port = server.port
    let connection = try HTTPConnection(port: port)
    // (a) one VPC, N groups with 5 ingress rules each.
    let start = Date()
    let vpcResponse = try connection.exchange(request(port: port, [("Action", "CreateVpc"), ("CidrBlock", "10.0.0.0/16")]))
    guard vpcResponse.status == 200, let vpc = value("vpcId", in: vpcResponse.body) else {
        throw Failure(description: "\(server.name): CreateVpc failed: \(text(vpcResponse.body))")
    }
    var calls = 1
    var firstGroup = ""
    for index in 0..<groupCount {
        let created = try connection.exchange(
            request(
                port: port,
                [
                    ("Action", "CreateSecurityGroup"), ("GroupName", "bench-\(index)"), ("GroupDescription", "benchmark group \(index)"),
                    ("VpcId", vpc),
                ]))
        guard created.status == 200, let group = value("groupId", in: created.body) else {
            throw Failure(description: "\(server.name): CreateSecurityGroup failed: \(text(created.body))")
        }
        if index == 0 { firstGroup = group }
        calls += 1
        for rule in 0..<5 {
            let port80 = String(8000 + rule)
            let authorized = try connection.exchange(
                request(
                    port: port,
                    [
                        ("Action", "AuthorizeSecurityGroupIngress"), ("GroupId", group), ("IpPermissions.1.IpProtocol", "tcp"),
                        ("IpPermissions.1.FromPort", port80), ("IpPermissions.1.ToPort", port80),
                        ("IpPermissions.1.IpRanges.1.CidrIp", "10.\(rule).0.0/16"),
                    ]))
            guard authorized.status == 200 else { throw Failure(description: "\(server.name): Authorize failed: \(text(authorized.body))") }
            calls += 1
        }
    }
    figures.createSeconds = Date().timeIntervalSince(start)
    figures.createCalls = calls

    // (b) DescribeSecurityGroups for one group, 1 and 8 connections.
    let describe = request(port: port, [("Action", "DescribeSecurityGroups"), ("GroupId.1", firstGroup)])
    let check = try connection.send(describe)
    guard check.status == 200, check.body.contains(firstGroup) else {
        throw Failure(description: "\(server.name): Describe failed: \(check.body.prefix(300))")
    }
    for connections in [1, 8] {
        progress("\(server.name): (b) describe over \(connections) connection(s)")
        let perConnection = describeCount / connections
        let latencies = LockedArray()
        let begin = Date()
        DispatchQueue.concurrentPerform(iterations: connections) { _ in
            guard let client = try? HTTPConnection(port: port) else { return }
            var local: [Double] = []
            local.reserveCapacity(perConnection)
            for _ in 0..<perConnection {
                let t0 = DispatchTime.now().uptimeNanoseconds
                guard let response = try? client.exchange(describe), response.status == 200 else { break }
                local.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            latencies.append(local)
        }
        let elapsed = Date().timeIntervalSince(begin)
        let sorted = latencies.values.sorted()
        let result = (rate: Double(sorted.count) / elapsed, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99))
        if sorted.count < perConnection * connections {
            print("warning: \(server.name): only \(sorted.count) of \(perConnection * connections) describes succeeded")
        }
        if connections == 1 { figures.describe1 = result } else { figures.describe8 = result }
    }

    // boto3 end to end.
    progress("\(server.name): boto3")
    let script = """
        import boto3, time
        c = boto3.client('ec2', endpoint_url='http://127.0.0.1:\(port)', region_name='us-east-1',
                     aws_access_key_id='test', aws_secret_access_key='test')
        c.describe_security_groups(GroupIds=['\(firstGroup)'])
        t = time.time()
        for _ in range(\(boto3Count)): c.describe_security_groups(GroupIds=['\(firstGroup)'])
        print(\(boto3Count) / (time.time() - t))
        """
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = ["python3", "-c", script]
    let output = Pipe()
    python.standardOutput = output
    try python.run()
    python.waitUntilExit()
    figures.boto3Rate =
        Double(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        ?? 0
    return figures
}

final class LockedArray: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ values: [Double]) {
        lock.lock()
        storage += values
        lock.unlock()
    }
    var values: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

func report(_ name: String, _ f: Figures) {
    let line = String(
        format:
            "{\"server\":\"%@\",\"create_calls\":%d,\"create_s\":%.2f,\"create_calls_per_s\":%.0f,\"describe_1conn_per_s\":%.0f,"
            + "\"describe_1conn_p50_ms\":%.3f,\"describe_1conn_p99_ms\":%.3f,\"describe_8conn_per_s\":%.0f,"
            + "\"describe_8conn_p50_ms\":%.3f,\"describe_8conn_p99_ms\":%.3f,\"boto3_describe_per_s\":%.0f}",
        name, f.createCalls, f.createSeconds, Double(f.createCalls) / f.createSeconds, f.describe1.rate, f.describe1.p50, f.describe1.p99,
        f.describe8.rate, f.describe8.p50, f.describe8.p99, f.boto3Rate)
    print(line)
}

/// `--same-cpu`: the load generator and both servers (which inherit the affinity) run on CPU 0.
/// A one-connection request/response benchmark then measures the servers' work per call rather than
/// the cost of waking an idle virtual CPU twice per call (an interrupt through the hypervisor), which
/// on these VMs takes longer than LocalVPC's own work. Both servers get the same treatment.
func pinToOneCPU() {
    // Re-run this benchmark under `taskset -c 0` (util-linux); the servers it starts inherit the CPU.
    guard ProcessInfo.processInfo.environment["LOCALVPC_BENCH_PINNED"] == nil else { return }
    let taskset = Process()
    taskset.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    taskset.arguments = ["-c", "0", CommandLine.arguments[0]] + CommandLine.arguments.dropFirst()
    taskset.environment = ProcessInfo.processInfo.environment.merging(["LOCALVPC_BENCH_PINNED": "1"]) { $1 }
    do {
        try taskset.run()
        taskset.waitUntilExit()
        exit(taskset.terminationStatus)
    } catch {
        progress("warning: cannot run under taskset (\(error)); not pinned")
    }
}

do {
    if arguments.contains("--same-cpu") { pinToOneCPU() }
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-bench-\(UUID().uuidString)/state.sqlite")
    defer { try? FileManager.default.removeItem(at: state.deletingLastPathComponent()) }
    let localvpcPath = binaryFolder.appendingPathComponent("localvpc").path
    guard FileManager.default.isExecutableFile(atPath: localvpcPath) else {
        throw Failure(description: "build localvpc first: swift build -c release --product localvpc")
    }
    var local = Figures()
    if !arguments.contains("--moto-only") {
        let server = try ServerProcess(
            name: "localvpc", executable: localvpcPath, arguments: ["serve", "--port", "0", "--state", state.path], fixedPort: nil)
        local = try run(server)
    }
    report("localvpc", local)
    if arguments.contains("--localvpc-only") { exit(0) }
    let motoPort = freePort()
    let moto = try ServerProcess(
        name: "moto", executable: "/usr/bin/env", arguments: ["moto_server", "-H", "127.0.0.1", "-p", String(motoPort)], fixedPort: motoPort)
    let motoFigures = try run(moto)
    report("moto", motoFigures)
    moto.process.terminate()
    moto.process.waitUntilExit()
    guard local.createSeconds > 0 else { exit(0) }
    print(
        String(
            format: "{\"ratio_create\":%.1f,\"ratio_describe_1conn\":%.1f,\"ratio_describe_8conn\":%.1f,\"ratio_boto3\":%.1f}",
            motoFigures.createSeconds / local.createSeconds, local.describe1.rate / motoFigures.describe1.rate,
            local.describe8.rate / motoFigures.describe8.rate, local.boto3Rate / max(motoFigures.boto3Rate, 0.001)))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
