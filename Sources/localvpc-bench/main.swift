// The LocalVPC benchmark: median time of one full analysis (forward + return + explanations),
// on the seed design and on generated VPCs. Run it release-built:
//     swift run -c release localvpc-bench
// Prints one JSON line per scenario.
import DataPlane
import Foundation
import Logging
import TopologyFile
import VPCEngine
import VPCModel
import VPCTesting

func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> (median: Double, p90: Double) {
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[samples.count * 9 / 10])
}

func report(_ scenario: String, instances: Int, compileMicroseconds: Double, _ result: (median: Double, p90: Double), reachable: Bool) {
    let line = String(
        format: "{\"scenario\":\"%@\",\"instances\":%d,\"median_us\":%.1f,\"p90_us\":%.1f,\"compile_us\":%.1f,\"reachable\":%@}",
        scenario, instances, result.median, result.p90, compileMicroseconds, reachable ? "true" : "false")
    print(line)
}

// Options: --only SUBSTRING runs matching scenarios; --scale N multiplies iteration counts (for profilers).
let arguments = CommandLine.arguments
let only = arguments.firstIndex(of: "--only").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
let scale = arguments.firstIndex(of: "--scale").flatMap { arguments.indices.contains($0 + 1) ? Double(arguments[$0 + 1]) : nil } ?? 1
func iterations(_ n: Int) -> Int { max(1, Int(Double(n) * scale)) }
func selected(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let seedPath = here.appendingPathComponent("examples/seed-elb-nat.yaml").path
let fixedPath = here.appendingPathComponent("examples/seed-elb-nat-fixed.yaml").path

for (label, path) in [("seed", seedPath), ("seed-fixed", fixedPath)] {
    let file = try TopologyFile(yaml: String(contentsOfFile: path, encoding: .utf8), file: path)
    var network: CompiledNetwork?
    let compile = measure(200) { network = CompiledNetwork(file.topology) }
    guard let network else { fatalError("no network") }
    let queries: [(String, PathQuery)] = [
        ("internet->web-1:80 via elb", PathQuery(from: "internet", to: "web-1", protocol: .tcp, ports: try PortRange(port: 80))),
        ("web-1->internet:443", PathQuery(from: "web-1", to: "internet", protocol: .tcp, ports: try PortRange(port: 443))),
        ("internet->elb all ports", PathQuery(from: "internet", to: "elb", protocol: .tcp)),
    ]
    for (name, query) in queries where selected("\(label): \(name)") {
        var reachable = false
        let result = try measure(iterations(2000)) { reachable = try network.analyze(query).isReachable }
        report("\(label): \(name)", instances: file.topology.instances.count, compileMicroseconds: compile.median, result, reachable: reachable)
    }
}

for count in [100, 1000] where selected("generated") {
    let topology = Fixtures.scaledSeed(instances: count)
    var network: CompiledNetwork?
    let compile = measure(20) { network = CompiledNetwork(topology) }
    guard let network else { fatalError("no network") }
    let target = "web-\(count - 1)"
    let queries: [(String, PathQuery)] = [
        ("internet->\(target):80 via elb", PathQuery(from: "internet", to: target, protocol: .tcp, ports: try PortRange(port: 80))),
        ("\(target)->internet:443 via nat", PathQuery(from: target, to: "internet", protocol: .tcp, ports: try PortRange(port: 443))),
        ("web-0->\(target):22 (blocked)", PathQuery(from: "web-0", to: target, protocol: .tcp, ports: try PortRange(port: 22))),
    ]
    for (name, query) in queries where selected("generated: \(name)") {
        var reachable = false
        let result = try measure(iterations(count >= 1000 ? 200 : 500)) { reachable = try network.analyze(query).isReachable }
        report("generated: \(name)", instances: count + 1, compileMicroseconds: compile.median, result, reachable: reachable)
    }
}

// The data plane's admission: the first decision of a flow class runs the engine; every later
// connection of the class is a cached lookup (issue 4: decisions "must not slow the proxy measurably").
if selected("admission") {
    let file = try TopologyFile(yaml: String(contentsOfFile: fixedPath, encoding: .utf8), file: fixedPath)
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    guard let balancer = file.topology.loadBalancers.first else { fatalError("the fixed seed has a load balancer") }
    let node = balancer.nodes[0].networkInterfaceID.rawValue
    let instance = balancer.instanceIDs[0].rawValue
    let flow = FlowClass.backend(node: node, instance: instance, port: 80)
    var first: Decision?
    let cold = measure(iterations(200)) {
        let admission = Admission(NetworkView(version: 0, network: CompiledNetwork(file.topology)), logger: logger)
        first = admission.decide(flow)
    }
    let admission = Admission(NetworkView(version: 0, network: CompiledNetwork(file.topology)), logger: logger)
    _ = admission.decide(flow)
    let batch = 1000
    var allowed = true
    let warm = measure(iterations(500)) {
        for _ in 0..<batch { allowed = allowed && admission.decide(flow).allowed }
    }
    print(
        String(
            format: "{\"scenario\":\"admission: first decision (compile + engine)\",\"median_us\":%.1f,\"p90_us\":%.1f,\"allowed\":%@}",
            cold.median, cold.p90, first?.allowed == true ? "true" : "false"))
    print(
        String(
            format: "{\"scenario\":\"admission: cached decision\",\"median_ns\":%.1f,\"p90_ns\":%.1f,\"allowed\":%@}",
            warm.median * 1000 / Double(batch), warm.p90 * 1000 / Double(batch), allowed ? "true" : "false"))
}

// Whole-network reach: every endpoint against every other (`localvpc reach`: pairs composed from stage
// views, the rest by the engine once per class pair), against the baseline of one single-trace
// analysis per pair (measured on a sample of pairs and multiplied out).
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kilobytes / 1024
}

if only.map({ $0.hasPrefix("reach") }) ?? true {
    let shapes: [(String, Topology)] = [
        ("seed", try TopologyFile(yaml: String(contentsOfFile: seedPath, encoding: .utf8), file: seedPath).topology),
        ("scaled seed 100", Fixtures.scaledSeed(instances: 100)),
        ("scaled seed 1000", Fixtures.scaledSeed(instances: 1000)),
        ("generated 100/20 subnets/40 SGs", NetworkGenerator(seed: 1, subnets: 20, groups: 40, instances: 100, loadBalancers: 2).topology()),
        ("generated 1000/50 subnets/200 SGs", NetworkGenerator(seed: 1, subnets: 50, groups: 200, instances: 1000, loadBalancers: 4).topology()),
    ]
    for (name, topology) in shapes where selected("reach: \(name)") {
        let network = CompiledNetwork(topology)
        let endpoints = network.reachEndpoints()
        let pairs = endpoints.count * (endpoints.count - 1)
        // The baseline: one pair, three protocols, by the single-trace engine.
        var generator = SystemRandomNumberGenerator()
        let sample = (0..<min(200, pairs)).map { _ -> (String, String) in
            let source = endpoints.randomElement(using: &generator)!
            let destination = endpoints.filter { $0 != source }.randomElement(using: &generator)!
            return (source, destination)
        }
        var index = 0
        let perPair = try measure(sample.count) {
            _ = try network.reach(sample[index % sample.count].0, sample[index % sample.count].1)
            index += 1
        }
        let baselineSeconds = perPair.median * Double(pairs) / 1e6
        let start = ContinuousClock.now
        let (cells, statistics) = try network.reachCounting(from: endpoints, to: endpoints)
        let elapsed = ContinuousClock.now - start
        let wholeSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        precondition(cells.count == pairs)
        print(
            String(
                format:
                    "{\"scenario\":\"reach: %@\",\"endpoints\":%d,\"pairs\":%d,\"composed_pairs\":%d,\"engine_pairs\":%d,\"engine_runs\":%d,"
                    + "\"code_analyses\":%d,"
                    + "\"pair_median_us\":%.1f,\"baseline_all_pairs_s\":%.2f,\"reach_all_s\":%.3f,\"speedup\":%.1f,\"peak_rss_mb\":%.0f}",
                name, endpoints.count, pairs, statistics.composedPairs, statistics.enginePairs, statistics.engineRuns, statistics.codeAnalyses,
                perPair.median,
                baselineSeconds, wholeSeconds, baselineSeconds / wholeSeconds, peakResidentMegabytes()))
    }
}

// Verifying every intent and scope again after one security group rule change (the fixed seed: 8
// intents, 2 scopes; tcp 8443 to or from anywhere): out of and into web-sg, into the load balancer's
// group, out of the NAT's, and in the default group (on no path), against verifying from scratch.
if selected("reverify") {
    let file = try TopologyFile(yaml: String(contentsOfFile: fixedPath, encoding: .utf8), file: fixedPath)
    let scratch = try measure(iterations(200)) { _ = try Reverification(file.topology, intents: file.intents, scopes: file.scopes) }
    for (group, egress) in [("web-sg", true), ("web-sg", false), ("elb-sg", false), ("nat-sg", true), ("default", true)] {
        var checker = try Reverification(file.topology, intents: file.intents, scopes: file.scopes)
        guard let index = file.topology.securityGroups.firstIndex(where: { $0.name == group }) else { fatalError("the fixed seed has \(group)") }
        var changed = file.topology
        let rule = SecurityGroupRule(ipProtocol: .tcp, ports: try PortRange(port: 8443), peer: .cidr(.all))
        if egress { changed.securityGroups[index].egress.append(rule) } else { changed.securityGroups[index].ingress.append(rule) }
        var flip = false
        var analyses = 0
        let incremental = try measure(iterations(500)) {
            flip.toggle()
            try checker.update(flip ? changed : file.topology)
            analyses = checker.analysesRun
        }
        print(
            String(
                format: "{\"scenario\":\"reverify: one %@ rule change in %@, fixed seed\",\"median_us\":%.1f,\"p90_us\":%.1f,\"analyses\":%d,"
                    + "\"from_scratch_median_us\":%.1f}",
                egress ? "egress" : "ingress", group, incremental.median, incremental.p90, analyses, scratch.median))
    }
}

// The cost curve of whole-network reach: generated networks of 100, 1,000 and 10,000 instances (subnets
// and security groups growing with them), every pair, cells handed over and counted, not kept.
if selected("growth") {
    for (count, subnets, groups) in [(100, 20, 40), (1000, 50, 200), (10_000, 120, 1000)] {
        let topology = NetworkGenerator(seed: 1, subnets: subnets, groups: groups, instances: count, loadBalancers: max(2, count / 250)).topology()
        let compileStart = ContinuousClock.now
        let network = CompiledNetwork(topology)
        let compiled = ContinuousClock.now - compileStart
        let endpoints = network.reachEndpoints()
        let start = ContinuousClock.now
        var cells = 0
        var talking = 0
        let statistics = try network.reachEach(from: endpoints, to: endpoints) { cell in
            cells += 1
            if !cell.isEmpty { talking += 1 }
        }
        let elapsed = ContinuousClock.now - start
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print(
            String(
                format: "{\"scenario\":\"growth: generated %d/%d subnets/%d SGs\",\"endpoints\":%d,\"pairs\":%d,\"pairs_that_talk\":%d,"
                    + "\"composed_pairs\":%d,\"engine_runs\":%d,\"code_analyses\":%d,\"compile_s\":%.3f,\"reach_s\":%.3f,"
                    + "\"us_per_pair\":%.3f,\"peak_rss_mb\":%.0f}",
                count, subnets, groups, endpoints.count, cells, talking, statistics.composedPairs, statistics.engineRuns, statistics.codeAnalyses,
                seconds(compiled), seconds(elapsed), seconds(elapsed) * 1e6 / Double(max(cells, 1)), peakResidentMegabytes()))
    }
}
