// LocalVPC's ELB data plane against HAProxy, the same backend behind both, loaded by wrk.
//
//     swift build -c release --product localvpc && swift build -c release --product localvpc-proxy-bench
//     .build/release/localvpc-proxy-bench [--duration 5] [--connections 32] [--rounds 3] [--localvpc-threads N]
//
// Needs haproxy, wrk and openssl (Debian: apt-get install haproxy wrk openssl). Scenarios (issue 4,
// "Benchmark against HAProxy"): HTTP keep-alive, a new connection per request, HTTPS keep-alive.
// Each round runs every scenario against both proxies back to back (alternating which goes first),
// with the same wrk settings; the medians over rounds are reported.
import Foundation

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? fallback
}
let duration = option("--duration", 5)
let connections = option("--connections", 32)
let rounds = option("--rounds", 3)
let wrkThreads = option("--wrk-threads", 2)
/// Event loops of LocalVPC's data plane (`localvpc up --threads`); 0 keeps `up`'s default.
let localThreads = option("--localvpc-threads", 0)
let binaryFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

struct Failure: Error, CustomStringConvertible { var description: String }

func which(_ tool: String) -> String? {
    for folder in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"] {
        let path = "\(folder)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// Runs a command to completion; its standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A long-running process whose output lines are collected.
final class Service: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var text = ""

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.text += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
    }

    /// Waits for a line matching the pattern; its first capture group.
    func await(_ pattern: String, timeout: TimeInterval = 60) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock()
            let current = text
            lock.unlock()
            if let match = regex.firstMatch(in: current, range: NSRange(current.startIndex..., in: current)),
                let range = Range(match.range(at: 1), in: current)
            {
                return String(current[range])
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure(description: "\(process.executableURL?.lastPathComponent ?? "?") printed no line matching \(pattern)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// A free TCP port on loopback (bound and released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A load, with LocalVPC's URL and HAProxy's.
typealias Scenario = (name: String, local: String, ha: String, newConnections: Bool)

struct Measurement {
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    /// The proxy process's CPU time (user + system) per request, in microseconds.
    var cpuMicroseconds: Double
    var errors: String
}

/// User plus system CPU time of a process so far, in seconds (`/proc/PID/stat`, fields 14 and 15).
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after the command name (which may hold spaces) start at field 3.
    let fields = stat[stat.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// One wrk run against the proxy process `pid`; requests/s, the median and 99th percentile latency,
/// and the proxy's CPU time per request.
func wrk(_ wrkPath: String, url: String, newConnections: Bool, pid: Int32) throws -> Measurement {
    var arguments = ["-t\(wrkThreads)", "-c\(connections)", "-d\(duration)s", "--latency", "--timeout", "5s"]
    if newConnections { arguments += ["-H", "Connection: close"] }
    let cpuBefore = cpuSeconds(pid)
    let output = try run(wrkPath, arguments + [url])
    let cpu = cpuSeconds(pid) - cpuBefore
    func number(_ pattern: String) -> (Double, String)? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)),
            let value = Range(match.range(at: 1), in: output).flatMap({ Double(output[$0]) })
        else { return nil }
        let unit = match.numberOfRanges > 2 ? Range(match.range(at: 2), in: output).map { String(output[$0]) } ?? "" : ""
        return (value, unit)
    }
    guard let rate = number(#"Requests/sec:\s+([\d.]+)"#), let count = number(#"(\d+) requests in"#),
        let p50 = number(#"50%\s+([\d.]+)(us|ms|s)"#), let p99 = number(#"99%\s+([\d.]+)(us|ms|s)"#)
    else {
        throw Failure(description: "cannot read wrk's output:\n\(output)")
    }
    let scales: [String: Double] = ["us": 0.001, "ms": 1, "s": 1000]
    var errors = ""
    if let line = output.split(separator: "\n").first(where: { $0.contains("Socket errors") || $0.contains("Non-2xx") }) {
        errors = line.trimmingCharacters(in: .whitespaces)
    }
    return Measurement(
        requestsPerSecond: rate.0, p50Milliseconds: p50.0 * (scales[p50.1] ?? 1), p99Milliseconds: p99.0 * (scales[p99.1] ?? 1),
        cpuMicroseconds: count.0 > 0 ? cpu / count.0 * 1e6 : 0, errors: errors)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func main() throws {
    guard let haproxy = which("haproxy"), let wrkPath = which("wrk"), let openssl = which("openssl") else {
        throw Failure(description: "needs haproxy, wrk and openssl: apt-get install haproxy wrk openssl")
    }
    let localvpc = binaryFolder.appendingPathComponent("localvpc").path
    guard FileManager.default.isExecutableFile(atPath: localvpc) else {
        throw Failure(description: "build localvpc first: swift build -c release --product localvpc")
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-proxy-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    // One certificate (P-256) for both proxies.
    let certificate = folder.appendingPathComponent("cert.pem").path
    let key = folder.appendingPathComponent("key.pem").path
    try run(
        openssl,
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
        ])
    let combined = folder.appendingPathComponent("combined.pem").path
    try (String(contentsOfFile: certificate, encoding: .utf8) + String(contentsOfFile: key, encoding: .utf8)).write(
        toFile: combined, atomically: true, encoding: .utf8)

    // The backend: LocalVPC's built-in web server, a process of its own.
    let backend = try Service(localvpc, ["backend", "--name", "web-1", "--listen", "127.0.0.1:0"])
    defer { backend.stop() }
    let backendPort = try backend.await(#"^backend web-1 http://127\.0\.0\.1:(\d+)"#)

    // LocalVPC: a public subnet with the ELB and the web server behind it, admitted by the engine.
    let topology = folder.appendingPathComponent("bench.yaml").path
    try """
    region: us-east-1
    vpc: { name: bench, cidr: 10.0.0.0/16 }
    internet-gateway: igw
    subnets:
      public: { cidr: 10.0.0.0/24, zone: us-east-1a }
    route-tables:
      public-rt:
        subnets: [public]
        routes:
          - { destination: 0.0.0.0/0, target: igw }
    security-groups:
      elb-sg:
        ingress:
          - { protocol: tcp, ports: 80, from: 0.0.0.0/0 }
          - { protocol: tcp, ports: 443, from: 0.0.0.0/0 }
        egress:
          - { protocol: tcp, ports: 80, to: web-sg }
      web-sg:
        ingress:
          - { protocol: tcp, ports: 80, from: elb-sg }
    instances:
      web-1: { subnet: public, security-groups: [web-sg] }
    load-balancers:
      elb:
        subnets: [public]
        security-groups: [elb-sg]
        listeners:
          - HTTP:80 -> HTTP:80
          - HTTPS:443 -> HTTP:80
        instances: [web-1]
        health-check: { target: TCP:80, interval: 30, timeout: 5, unhealthy-threshold: 2, healthy-threshold: 10 }
    """.write(toFile: topology, atomically: true, encoding: .utf8)
    let up = try Service(
        localvpc,
        [
            "up", topology, "--api-port", "0", "--listen", "elb:80=127.0.0.1:0", "--listen", "elb:443=127.0.0.1:0",
            "--backend", "web-1=127.0.0.1:\(backendPort)", "--certificate", certificate, "--key", key, "--log-level", "error",
        ] + (localThreads > 0 ? ["--threads", "\(localThreads)"] : []))
    defer { up.stop() }
    let localHTTP = try up.await(#"^listener elb HTTP:80 -> HTTP:80 (http://\S+)"#)
    let localHTTPS = try up.await(#"^listener elb HTTPS:443 -> HTTP:80 (https://\S+)"#)
    _ = try up.await(#"^(ready)"#)

    // HAProxy: the same backend, the same certificate, the same X-Forwarded headers, 2 threads.
    let (haHTTPPort, haHTTPSPort) = (try freePort(), try freePort())
    let configuration = folder.appendingPathComponent("haproxy.cfg").path
    try """
    global
        nbthread \(ProcessInfo.processInfo.activeProcessorCount)
        maxconn 4000
    defaults
        mode http
        option http-keep-alive
        option forwardfor
        timeout connect 5s
        timeout client 60s
        timeout server 60s
        timeout http-keep-alive 60s
    frontend http
        bind 127.0.0.1:\(haHTTPPort)
        http-request set-header X-Forwarded-Proto http
        http-request set-header X-Forwarded-Port 80
        default_backend web
    frontend https
        bind 127.0.0.1:\(haHTTPSPort) ssl crt \(combined)
        http-request set-header X-Forwarded-Proto https
        http-request set-header X-Forwarded-Port 443
        default_backend web
    backend web
        http-reuse always
        server web-1 127.0.0.1:\(backendPort) check inter 30s

    """.write(toFile: configuration, atomically: true, encoding: .utf8)
    let ha = try Service(haproxy, ["-f", configuration, "-db"])
    defer { ha.stop() }
    Thread.sleep(forTimeInterval: 1)
    guard ha.process.isRunning else { throw Failure(description: "haproxy did not start (haproxy -c -f \(configuration))") }

    let (localPID, haPID) = (up.process.processIdentifier, ha.process.processIdentifier)
    let scenarios: [Scenario] = [
        ("HTTP keep-alive", localHTTP + "/", "http://127.0.0.1:\(haHTTPPort)/", false),
        ("HTTP new connection per request", localHTTP + "/", "http://127.0.0.1:\(haHTTPPort)/", true),
        ("HTTPS keep-alive (TLS terminated)", localHTTPS + "/", "https://127.0.0.1:\(haHTTPSPort)/", false),
    ]
    print(
        "LocalVPC ELB vs HAProxy \(try run(haproxy, ["-v"]).split(separator: "\n").first ?? ""), same backend (127.0.0.1:\(backendPort)), wrk "
            + "-t\(wrkThreads) -c\(connections) -d\(duration)s, \(rounds) rounds, "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores"
    )
    func measureLocal(_ scenario: Scenario) throws -> Measurement {
        try wrk(wrkPath, url: scenario.local, newConnections: scenario.newConnections, pid: localPID)
    }
    func measureHAProxy(_ scenario: Scenario) throws -> Measurement {
        try wrk(wrkPath, url: scenario.ha, newConnections: scenario.newConnections, pid: haPID)
    }
    // Warm both up.
    for scenario in scenarios {
        _ = try measureLocal(scenario)
        _ = try measureHAProxy(scenario)
    }
    print("")
    print("scenario                             LocalVPC req/s   HAProxy req/s   ratio   LocalVPC p99   HAProxy p99   p99 ratio")
    var details: [String] = []
    var spreads: [String] = []
    for scenario in scenarios {
        var local: [Measurement] = []
        var reference: [Measurement] = []
        for round in 0..<rounds {
            // Alternate which proxy goes first, so neither always runs on the warmer machine.
            if round % 2 == 0 {
                local.append(try measureLocal(scenario))
                reference.append(try measureHAProxy(scenario))
            } else {
                reference.append(try measureHAProxy(scenario))
                local.append(try measureLocal(scenario))
            }
        }
        let (lr, hr) = (median(local.map(\.requestsPerSecond)), median(reference.map(\.requestsPerSecond)))
        let (lp, hp) = (median(local.map(\.p99Milliseconds)), median(reference.map(\.p99Milliseconds)))
        let line = [
            scenario.name.padding(toLength: 36, withPad: " ", startingAt: 0),
            String(format: "%14.0f", lr), String(format: "%15.0f", hr), String(format: "%7.2fx", lr / hr),
            String(format: "%11.2f ms", lp), String(format: "%10.2f ms", hp), String(format: "%10.2fx", lp / hp),
        ].joined(separator: " ")
        print(line)
        details.append(
            [
                scenario.name.padding(toLength: 36, withPad: " ", startingAt: 0),
                String(format: "%11.2f ms", median(local.map(\.p50Milliseconds))),
                String(format: "%10.2f ms", median(reference.map(\.p50Milliseconds))),
                String(format: "%10.2fx", median(local.map(\.p50Milliseconds)) / median(reference.map(\.p50Milliseconds))),
                String(format: "%12.1f us", median(local.map(\.cpuMicroseconds))),
                String(format: "%11.1f us", median(reference.map(\.cpuMicroseconds))),
            ].joined(separator: " "))
        // Each round's two runs were adjacent in time: their ratio is less exposed to the VM's drift.
        let throughputRatios = zip(local, reference).map { $0.requestsPerSecond / $1.requestsPerSecond }.sorted()
        let p99Ratios = zip(local, reference).map { $0.p99Milliseconds / $1.p99Milliseconds }.sorted()
        let range = { (ratios: [Double]) in
            String(format: "%.2f-%.2fx (median %.2fx)", ratios.first ?? .nan, ratios.last ?? .nan, median(ratios))
        }
        spreads.append(
            [
                scenario.name.padding(toLength: 36, withPad: " ", startingAt: 0),
                range(throughputRatios).padding(toLength: 29, withPad: " ", startingAt: 0),
                "\(throughputRatios.filter { $0 >= 0.8 }.count)/\(rounds)".padding(toLength: 11, withPad: " ", startingAt: 0),
                range(p99Ratios).padding(toLength: 29, withPad: " ", startingAt: 0),
                "\(p99Ratios.filter { $0 <= 1.5 }.count)/\(rounds)",
            ].joined(separator: " "))
        for (name, runs) in [("LocalVPC", local), ("HAProxy", reference)] {
            let errors = runs.map(\.errors).filter { !$0.isEmpty }
            if !errors.isEmpty { print("    \(name): \(errors.joined(separator: "; "))") }
        }
    }
    print("")
    print("scenario                             LocalVPC p50   HAProxy p50   p50 ratio   LocalVPC CPU/req   HAProxy CPU/req")
    for line in details { print(line) }
    print("")
    print("per round (LocalVPC's run / HAProxy's adjacent run):")
    print("scenario                             throughput ratios             >= 0.8x     p99 ratios                    <= 1.5x")
    for line in spreads { print(line) }
    print("")
    print("ratio = LocalVPC / HAProxy (targets: throughput >= 0.8x, p99 <= 1.5x); CPU/req = the proxy process's user + system time per request")
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("localvpc-proxy-bench: \(error)\n".utf8))
    exit(1)
}
