import Foundation
import HashTreeCollections
import VPCModel
import VPCStore

/// Tags of one resource, stored as their own record.
struct TagSet: Codable, Sendable, Hashable {
    var resourceID: String
    var tags: [String: String]
}

/// API-only facts about a resource that the network model does not need (instance type, launch time,
/// association IDs, VPC attributes, …), as text.
struct Metadata: Codable, Sendable, Hashable {
    var resourceID: String
    var values: [String: String]
}

/// A Reachability Analyzer path (`CreateNetworkInsightsPath`).
struct InsightsPath: Codable, Sendable, Hashable {
    var id: String
    var source: String
    var destination: String?
    var sourceIP: String?
    var destinationIP: String?
    var ipProtocol: String
    var destinationPort: Int?
    var createdDate: String
}

/// A finished analysis (`StartNetworkInsightsAnalysis`), stored as AWS's JSON shape.
struct StoredAnalysis: Codable, Sendable, Hashable {
    var id: String
    var pathID: String
    var analysis: Data
}

/// The kinds of stored record.
enum RecordKind: String, Sendable, CaseIterable {
    case vpc, subnet, internetGateway, routeTable, securityGroup, networkACL, networkInterface, instance, elasticIP
    case natGateway, loadBalancer, tags, metadata, insightsPath, insightsAnalysis
}

/// Everything of one region of the emulated account, keyed by ID, with a log of what a call changed.
///
/// The maps are persistent hash tries (`TreeDictionary`): copying a region is O(1) and changing one
/// resource in a copy costs O(log n), so a call can work on a copy and readers can keep snapshots.
struct RegionState: Sendable {
    var region: String
    var vpcs: TreeDictionary<String, VPC> = [:]
    var subnets: TreeDictionary<String, Subnet> = [:]
    var internetGateways: TreeDictionary<String, InternetGateway> = [:]
    var routeTables: TreeDictionary<String, RouteTable> = [:]
    var securityGroups: TreeDictionary<String, SecurityGroup> = [:]
    var networkACLs: TreeDictionary<String, NetworkACL> = [:]
    var networkInterfaces: TreeDictionary<String, NetworkInterface> = [:]
    var instances: TreeDictionary<String, Instance> = [:]
    var elasticIPs: TreeDictionary<String, ElasticIP> = [:]
    var natGateways: TreeDictionary<String, NATGateway> = [:]
    var loadBalancers: TreeDictionary<String, ClassicLoadBalancer> = [:]
    var tagSets: TreeDictionary<String, TagSet> = [:]
    var metadata: TreeDictionary<String, Metadata> = [:]
    var paths: TreeDictionary<String, InsightsPath> = [:]
    var analyses: TreeDictionary<String, StoredAnalysis> = [:]

    /// Security group IDs by "VPC ID|group name" (names are unique per VPC): derived from
    /// `securityGroups`, so a name check does not scan every group.
    private(set) var groupIDsByName: TreeDictionary<String, String> = [:]

    static func groupNameKey(vpc: VPC.ID, name: String) -> String { "\(vpc.rawValue)|\(name)" }

    /// The ID of the group with this name in this VPC, if any.
    func groupID(vpc: VPC.ID, name: String) -> String? { groupIDsByName[Self.groupNameKey(vpc: vpc, name: name)] }

    /// Records changed by the current call, each once (a call touches a handful: a list beats a set).
    private(set) var touched: [(kind: RecordKind, id: String)] = []

    init(region: String) { self.region = region }

    /// For calls that touch many records (loading a file): the same, as a set.
    private var touchedKeys: Set<String> = []

    mutating func touch(_ kind: RecordKind, _ id: String) {
        if touched.count < 16 {
            if !touched.contains(where: { $0.kind == kind && $0.id == id }) { touched.append((kind, id)) }
            if touched.count == 16 { touchedKeys = Set(touched.map { "\($0.kind.rawValue)|\($0.id)" }) }
        } else if touchedKeys.insert("\(kind.rawValue)|\(id)").inserted {
            touched.append((kind, id))
        }
    }
    mutating func clearChanges() {
        touched = []
        touchedKeys = []
    }

    // Typed writes: each records the change it makes.
    mutating func put(_ value: VPC) { vpcs[value.id.rawValue] = value; touch(.vpc, value.id.rawValue) }
    mutating func put(_ value: Subnet) { subnets[value.id.rawValue] = value; touch(.subnet, value.id.rawValue) }
    mutating func put(_ value: InternetGateway) { internetGateways[value.id.rawValue] = value; touch(.internetGateway, value.id.rawValue) }
    mutating func put(_ value: RouteTable) { routeTables[value.id.rawValue] = value; touch(.routeTable, value.id.rawValue) }
    mutating func put(_ value: SecurityGroup) {
        // The name index changes only when a group is new or renamed (not on every rule change).
        let old = securityGroups.updateValue(value, forKey: value.id.rawValue)
        if old?.name != value.name || old?.vpcID != value.vpcID {
            if let old { groupIDsByName[Self.groupNameKey(vpc: old.vpcID, name: old.name)] = nil }
            groupIDsByName[Self.groupNameKey(vpc: value.vpcID, name: value.name)] = value.id.rawValue
        }
        touch(.securityGroup, value.id.rawValue)
    }
    mutating func put(_ value: NetworkACL) { networkACLs[value.id.rawValue] = value; touch(.networkACL, value.id.rawValue) }
    mutating func put(_ value: NetworkInterface) { networkInterfaces[value.id.rawValue] = value; touch(.networkInterface, value.id.rawValue) }
    mutating func put(_ value: Instance) { instances[value.id.rawValue] = value; touch(.instance, value.id.rawValue) }
    mutating func put(_ value: ElasticIP) { elasticIPs[value.id.rawValue] = value; touch(.elasticIP, value.id.rawValue) }
    mutating func put(_ value: NATGateway) { natGateways[value.id.rawValue] = value; touch(.natGateway, value.id.rawValue) }
    mutating func put(_ value: ClassicLoadBalancer) { loadBalancers[value.id.rawValue] = value; touch(.loadBalancer, value.id.rawValue) }
    mutating func put(_ value: InsightsPath) { paths[value.id] = value; touch(.insightsPath, value.id) }
    mutating func put(_ value: StoredAnalysis) { analyses[value.id] = value; touch(.insightsAnalysis, value.id) }

    /// Deletes a resource of any kind, with its tags and metadata.
    mutating func remove(_ kind: RecordKind, _ id: String) {
        switch kind {
        case .vpc: vpcs[id] = nil
        case .subnet: subnets[id] = nil
        case .internetGateway: internetGateways[id] = nil
        case .routeTable: routeTables[id] = nil
        case .securityGroup:
            if let old = securityGroups[id] { groupIDsByName[Self.groupNameKey(vpc: old.vpcID, name: old.name)] = nil }
            securityGroups[id] = nil
        case .networkACL: networkACLs[id] = nil
        case .networkInterface: networkInterfaces[id] = nil
        case .instance: instances[id] = nil
        case .elasticIP: elasticIPs[id] = nil
        case .natGateway: natGateways[id] = nil
        case .loadBalancer: loadBalancers[id] = nil
        case .tags: tagSets[id] = nil
        case .metadata: metadata[id] = nil
        case .insightsPath: paths[id] = nil
        case .insightsAnalysis: analyses[id] = nil
        }
        touch(kind, id)
        if kind != .tags && kind != .metadata {
            if tagSets[id] != nil { remove(.tags, id) }
            if metadata[id] != nil { remove(.metadata, id) }
        }
    }

    // Tags and metadata.
    func tags(of id: String) -> [String: String] { tagSets[id]?.tags ?? [:] }
    mutating func setTags(_ tags: [String: String], on id: String) {
        if tags.isEmpty { tagSets[id] = nil } else { tagSets[id] = TagSet(resourceID: id, tags: tags) }
        touch(.tags, id)
    }
    func meta(_ id: String, _ key: String) -> String? { metadata[id]?.values[key] }
    mutating func setMeta(_ id: String, _ key: String, _ value: String?) {
        var record = metadata[id] ?? Metadata(resourceID: id, values: [:])
        record.values[key] = value
        metadata[id] = record
        touch(.metadata, id)
    }

    /// The network as the engine sees it.
    var topology: Topology {
        var topology = Topology(region: region)
        topology.vpcs = vpcs.values.sorted { $0.id < $1.id }
        topology.subnets = subnets.values.sorted { $0.id < $1.id }
        topology.internetGateways = internetGateways.values.sorted { $0.id < $1.id }
        topology.routeTables = routeTables.values.sorted { $0.id < $1.id }
        topology.securityGroups = securityGroups.values.sorted { $0.id < $1.id }
        topology.networkACLs = networkACLs.values.sorted { $0.id < $1.id }
        topology.networkInterfaces = networkInterfaces.values.sorted { $0.id < $1.id }
        topology.instances = instances.values.sorted { $0.id < $1.id }
        topology.elasticIPs = elasticIPs.values.sorted { $0.id < $1.id }
        topology.natGateways = natGateways.values.sorted { $0.id < $1.id }
        topology.loadBalancers = loadBalancers.values.sorted { $0.id < $1.id }
        return topology
    }

    // MARK: Persistence

    /// The records this call changed, encoded for the store (deleted ones as deletions).
    func change(encoder: JSONEncoder) throws -> Store.Change {
        var change = Store.Change(region: region)
        for (kind, id) in touched {
            if let body = try encode(kind, id, encoder) {
                change.upserts.append(Store.Record(region: region, kind: kind.rawValue, id: id, body: body))
            } else {
                change.deletions.append((kind.rawValue, id))
            }
        }
        return change
    }

    private func encode(_ kind: RecordKind, _ id: String, _ encoder: JSONEncoder) throws -> Data? {
        switch kind {
        case .vpc: try vpcs[id].map(encoder.encode)
        case .subnet: try subnets[id].map(encoder.encode)
        case .internetGateway: try internetGateways[id].map(encoder.encode)
        case .routeTable: try routeTables[id].map(encoder.encode)
        case .securityGroup: securityGroups[id].map(RecordJSON.encode)
        case .networkACL: try networkACLs[id].map(encoder.encode)
        case .networkInterface: try networkInterfaces[id].map(encoder.encode)
        case .instance: try instances[id].map(encoder.encode)
        case .elasticIP: try elasticIPs[id].map(encoder.encode)
        case .natGateway: try natGateways[id].map(encoder.encode)
        case .loadBalancer: try loadBalancers[id].map(encoder.encode)
        case .tags: tagSets[id].map(RecordJSON.encode)
        case .metadata: metadata[id].map(RecordJSON.encode)
        case .insightsPath: try paths[id].map(encoder.encode)
        case .insightsAnalysis: try analyses[id].map(encoder.encode)
        }
    }

    /// Restores one stored record.
    mutating func load(_ record: Store.Record, decoder: JSONDecoder) throws {
        guard let kind = RecordKind(rawValue: record.kind) else { return }
        let id = record.id
        let body = record.body
        switch kind {
        case .vpc: vpcs[id] = try decoder.decode(VPC.self, from: body)
        case .subnet: subnets[id] = try decoder.decode(Subnet.self, from: body)
        case .internetGateway: internetGateways[id] = try decoder.decode(InternetGateway.self, from: body)
        case .routeTable: routeTables[id] = try decoder.decode(RouteTable.self, from: body)
        case .securityGroup:
            let group = try decoder.decode(SecurityGroup.self, from: body)
            securityGroups[id] = group
            groupIDsByName[Self.groupNameKey(vpc: group.vpcID, name: group.name)] = id
        case .networkACL: networkACLs[id] = try decoder.decode(NetworkACL.self, from: body)
        case .networkInterface: networkInterfaces[id] = try decoder.decode(NetworkInterface.self, from: body)
        case .instance: instances[id] = try decoder.decode(Instance.self, from: body)
        case .elasticIP: elasticIPs[id] = try decoder.decode(ElasticIP.self, from: body)
        case .natGateway: natGateways[id] = try decoder.decode(NATGateway.self, from: body)
        case .loadBalancer: loadBalancers[id] = try decoder.decode(ClassicLoadBalancer.self, from: body)
        case .tags: tagSets[id] = try decoder.decode(TagSet.self, from: body)
        case .metadata: metadata[id] = try decoder.decode(Metadata.self, from: body)
        case .insightsPath: paths[id] = try decoder.decode(InsightsPath.self, from: body)
        case .insightsAnalysis: analyses[id] = try decoder.decode(StoredAnalysis.self, from: body)
        }
    }
}
