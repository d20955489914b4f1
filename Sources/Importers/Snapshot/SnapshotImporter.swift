import Foundation
import TopologyFile
import VPCModel

/// Reads a directory of `aws ec2 describe-*` / `aws elb describe-load-balancers` JSON bodies (one per
/// file, any name, searched recursively; Batfish's `aws_configs/<region>/` layout works as is).
///
/// Each file is recognised by its top-level key. Resources keep their AWS IDs; a unique `Name` tag is
/// also a name. States are taken as given: stopped instances, blackhole routes, pending gateways.
public struct SnapshotImporter {
    typealias Object = [String: Any]

    /// The top-level keys read, and the call that writes each.
    static let shapes: [String: String] = [
        "Vpcs": "describe-vpcs", "Subnets": "describe-subnets", "RouteTables": "describe-route-tables",
        "SecurityGroups": "describe-security-groups", "NetworkAcls": "describe-network-acls", "Reservations": "describe-instances",
        "NetworkInterfaces": "describe-network-interfaces", "Addresses": "describe-addresses", "NatGateways": "describe-nat-gateways",
        "InternetGateways": "describe-internet-gateways", "LoadBalancerDescriptions": "elb describe-load-balancers",
        "InstanceStates": "elb describe-instance-health",
    ]

    var bodies: [String: [Object]] = [:]
    var notes: [String] = []
    var topology: Topology
    var aliases: [String: String] = [:]
    var nameCounts: [String: Int] = [:]

    public static func load(directory: String, options: ImportOptions = ImportOptions()) throws(TopologyFileError) -> Design {
        var importer = SnapshotImporter(topology: Topology(region: options.region, accountID: options.accountID))
        var diagnostics: [Diagnostic] = []
        var loaded = 0
        var regions: [String: Int] = [:]
        let files = (FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        for relative in files {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: path),
                let object = try? JSONSerialization.jsonObject(with: data) as? Object
            else {
                diagnostics.append(Diagnostic(file: path, line: 1, column: 1, message: "This is not a JSON object (the body of a describe call)."))
                continue
            }
            let known = object.keys.filter { shapes[$0] != nil }
            guard !known.isEmpty else {
                let keys = object.keys.sorted().joined(separator: ", ")
                let hint =
                    object["LoadBalancers"] != nil || object["TargetGroups"] != nil
                    ? " (Application and Network Load Balancers are not modelled)" : ""
                importer.notes.append("\(path): not a describe-* body LocalVPC reads (keys: \(keys))\(hint); skipped")
                continue
            }
            for key in known { importer.bodies[key, default: []] += (object[key] as? [Object]) ?? [] }
            loaded += 1
            if let region = Self.region(in: relative) { regions[region, default: 0] += 1 }
        }
        if loaded == 0 {
            diagnostics.append(
                Diagnostic(
                    file: directory, line: 1, column: 1, message: "No describe-* body here (Vpcs, Subnets, Reservations, … as top-level keys)."))
        }
        guard diagnostics.isEmpty || loaded > 0 else { throw TopologyFileError(diagnostics: diagnostics) }
        // Several regions become one model (their VPCs side by side), labelled with the region most files are of.
        if let region = regions.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key { importer.topology.region = region }
        if regions.count > 1 {
            importer.notes.append(
                "the snapshot spans \(regions.keys.sorted().joined(separator: ", ")): their VPCs are one model, in \(importer.topology.region)")
        }
        for diagnostic in diagnostics { importer.notes.append("\(diagnostic.file): \(diagnostic.message) Skipped.") }
        importer.build()
        var design = Design(
            source: .snapshot, topology: importer.topology, notes: importer.notes, aliases: importer.aliases.filter { !$0.value.isEmpty })
        for row in Topology.kinds {
            for id in row.ids(in: importer.topology) { design.origins[id] = "AWS ID \(id)" }
        }
        return design
    }

    /// A region named by a folder of the path (`aws_configs/us-west-2/…`).
    static func region(in path: String) -> String? {
        path.split(separator: "/").map(String.init).first { $0.range(of: #"^[a-z]{2}(-gov)?-[a-z]+-\d$"#, options: .regularExpression) != nil }
    }

    // MARK: Reading values

    static func string(_ object: Object?, _ key: String) -> String? {
        switch object?[key] {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func address(_ object: Object?, _ key: String) -> IPv4Address? { string(object, key).flatMap { IPv4Address($0) } }
    static func int(_ object: Object?, _ key: String) -> Int? { string(object, key).flatMap { Int($0) } }
    static func bool(_ object: Object?, _ key: String) -> Bool? {
        switch object?[key] {
        case let flag as Bool: flag
        case let text as String: text.lowercased() == "true"
        default: nil
        }
    }
    static func objects(_ object: Object?, _ key: String) -> [Object] { object?[key] as? [Object] ?? [] }
    static func nameTag(_ object: Object) -> String? {
        objects(object, "Tags").first { string($0, "Key") == "Name" }.flatMap { string($0, "Value") }
    }

    func items(_ key: String) -> [Object] { bodies[key] ?? [] }

    // MARK: Building

    mutating func build() {
        for item in items("Vpcs") + items("Subnets") + items("Reservations").flatMap({ Self.objects($0, "Instances") }) + items("SecurityGroups") {
            if let name = Self.nameTag(item) { nameCounts[name, default: 0] += 1 }
        }
        buildNetworks()
        buildFilters()
        buildInterfacesAndInstances()
        buildRoutes()
        let tagged = Set(
            items("Reservations").flatMap { Self.objects($0, "Instances") }
                .filter { Self.objects($0, "Tags").contains { Self.string($0, "Key") == "localvpc:role" } }.compactMap {
                    Self.string($0, "InstanceId")
                })
        notes += NATReading.mark(&topology) { tagged.contains($0.id.rawValue) }
        buildLoadBalancers()
        notes.append(
            "snapshot: \(topology.vpcs.count) VPCs, \(topology.subnets.count) subnets, \(topology.instances.count) instances, "
                + "\(topology.natGateways.count) NAT gateways, \(topology.loadBalancers.count) Classic load balancers")
    }

    /// A resource's name: its `Name` tag when no other resource has that name.
    mutating func name(_ item: Object, id: String) -> String? {
        guard let name = Self.nameTag(item), nameCounts[name] == 1 else { return nil }
        aliases[name] = id
        return name
    }

    func block(_ text: String?) -> CIDRBlock? { text.flatMap(CIDRBlock.init(storedByEC2:)) }
}
