import Foundation
import HashTreeCollections
import VPCModel
import VPCStore

/// Tags of one resource, stored as their own record.
struct TagSet: Resource {
    static let kind = ResourceKind(name: "tags", idPrefix: nil, arnType: "tags")
    var resourceID: String
    var tags: [String: String]
}

/// API-only facts about a resource that the network model does not need (instance type, launch time,
/// association IDs, VPC attributes, …), as text under typed keys (`MetaKey`).
struct Metadata: Resource {
    static let kind = ResourceKind(name: "metadata", idPrefix: nil, arnType: "metadata")
    var resourceID: String
    var values: [String: String]
}

/// A Reachability Analyzer path (`CreateNetworkInsightsPath`).
struct InsightsPath: Resource {
    static let kind = ResourceKind(name: "insightsPath", idPrefix: "nip", arnType: "network-insights-path")
    var id: String
    var source: String
    var destination: String?
    var sourceIP: String?
    var destinationIP: String?
    var ipProtocol: String
    var destinationPort: Int?
    var createdDate: String
    var resourceID: String { id }
}

/// A finished analysis (`StartNetworkInsightsAnalysis`), stored as AWS's JSON shape.
struct StoredAnalysis: Resource {
    static let kind = ResourceKind(name: "insightsAnalysis", idPrefix: "nia", arnType: "network-insights-analysis")
    var id: String
    var pathID: String
    var analysis: Data
    var resourceID: String { id }
}

/// A launch template (`CreateLaunchTemplate`): its versions, each the `LaunchTemplateData.*` parameters
/// as given (RunInstances' own parameter names, which a launch from the template starts from).
struct LaunchTemplate: Resource {
    static let kind = ResourceKind(name: "launchTemplate", idPrefix: "lt", arnType: "launch-template")
    struct Version: Hashable, Sendable, Codable {
        var number: Int
        var description: String?
        var createTime: String
        var data: [String: String]
    }
    var id: String
    var name: String
    var createTime: String
    var defaultVersion: Int
    var versions: [Version]
    var resourceID: String { id }
    var latestVersion: Int { versions.map(\.number).max() ?? 1 }
}

/// Every kind of record a region keeps: the network's kinds (`Topology.kinds`), then the API's own.
enum RecordKinds {
    static let all: [any Resource.Type] =
        Topology.kinds.map { $0.elementType } + [
            TagSet.self, Metadata.self, InsightsPath.self, StoredAnalysis.self, LaunchTemplate.self, StoredAccessScope.self,
            StoredAccessScopeAnalysis.self,
        ]
    static let byName: [String: any Resource.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.kind.name, $0) })
}

extension TopologyKind {
    var elementType: any Resource.Type { Element.self }
}

/// The records of one kind, keyed by ID.
private protocol RecordMap: Sendable {
    var ids: [String] { get }
    mutating func removeValue(forID id: String)
    func encoded(_ id: String, _ encoder: JSONEncoder) throws -> Data?
    mutating func decode(_ id: String, _ body: Data, _ decoder: JSONDecoder) throws
}

private struct Records<R: Resource>: RecordMap {
    var items: TreeDictionary<String, R> = [:]
    var ids: [String] { Array(items.keys) }
    mutating func removeValue(forID id: String) { items[id] = nil }
    func encoded(_ id: String, _ encoder: JSONEncoder) throws -> Data? {
        guard let value = items[id] else { return nil }
        // The kinds written on every call of the API benchmark's hot path have hand-written encoders.
        if let fast = value as? any FastRecordJSON { return fast.recordJSON() }
        return try encoder.encode(value)
    }
    mutating func decode(_ id: String, _ body: Data, _ decoder: JSONDecoder) throws {
        items[id] = try decoder.decode(R.self, from: body)
    }
}

/// Everything of one region of the emulated account, keyed by kind and ID, with a log of what a call
/// changed.
///
/// The maps are persistent hash tries (`TreeDictionary`): copying a region is O(1) and changing one
/// resource in a copy costs O(log n), so a call can work on a copy and readers can keep snapshots.
/// `state[VPC.self]` is the map of one kind; a new kind needs nothing here.
struct RegionState: Sendable {
    var region: String
    private var records: [String: any RecordMap] = [:]

    /// The records of one kind.
    subscript<R: Resource>(_ type: R.Type) -> TreeDictionary<String, R> {
        get { (records[R.kind.name] as? Records<R>)?.items ?? [:] }
        _modify {
            var map = (records.removeValue(forKey: R.kind.name) as? Records<R>) ?? Records()
            defer { records[R.kind.name] = map }
            yield &map.items
        }
    }

    /// Security group IDs by "VPC ID|group name" (names are unique per VPC): derived from
    /// `securityGroups`, so a name check does not scan every group.
    private(set) var groupIDsByName: TreeDictionary<String, String> = [:]

    static func groupNameKey(vpc: VPC.ID, name: String) -> String { "\(vpc.rawValue)|\(name)" }

    /// The ID of the group with this name in this VPC, if any.
    func groupID(vpc: VPC.ID, name: String) -> String? { groupIDsByName[Self.groupNameKey(vpc: vpc, name: name)] }

    /// Records changed by the current call, each once (a call touches a handful: a list beats a set).
    private(set) var touched: [(kind: ResourceKind, id: String)] = []

    init(region: String) { self.region = region }

    /// For calls that touch many records (loading a file): the same, as a set.
    private var touchedKeys: Set<String> = []

    mutating func touch(_ kind: ResourceKind, _ id: String) {
        if touched.count < 16 {
            if !touched.contains(where: { $0.kind == kind && $0.id == id }) { touched.append((kind, id)) }
            if touched.count == 16 { touchedKeys = Set(touched.map { "\($0.kind.name)|\($0.id)" }) }
        } else if touchedKeys.insert("\(kind.name)|\(id)").inserted {
            touched.append((kind, id))
        }
    }
    mutating func clearChanges() {
        touched = []
        touchedKeys = []
    }

    /// Stores a record, and records the change.
    mutating func put<R: Resource>(_ value: R) {
        if let group = value as? SecurityGroup { return put(group: group) }
        self[R.self][value.resourceID] = value
        touch(R.kind, value.resourceID)
    }

    private mutating func put(group value: SecurityGroup) {
        // The name index changes only when a group is new or renamed (not on every rule change).
        let old = self[SecurityGroup.self].updateValue(value, forKey: value.id.rawValue)
        if old?.name != value.name || old?.vpcID != value.vpcID {
            if let old { groupIDsByName[Self.groupNameKey(vpc: old.vpcID, name: old.name)] = nil }
            groupIDsByName[Self.groupNameKey(vpc: value.vpcID, name: value.name)] = value.id.rawValue
        }
        touch(SecurityGroup.kind, value.id.rawValue)
    }

    /// Deletes a resource of any kind, with its tags and metadata.
    mutating func remove<R: Resource>(_ type: R.Type, _ id: String) { remove(R.kind, id) }

    mutating func remove(_ kind: ResourceKind, _ id: String) {
        if kind == SecurityGroup.kind, let old = self[SecurityGroup.self][id] {
            groupIDsByName[Self.groupNameKey(vpc: old.vpcID, name: old.name)] = nil
        }
        records[kind.name]?.removeValue(forID: id)
        touch(kind, id)
        if kind != TagSet.kind && kind != Metadata.kind {
            if self[TagSet.self][id] != nil { remove(TagSet.kind, id) }
            if self[Metadata.self][id] != nil { remove(Metadata.kind, id) }
        }
    }

    /// Every record's ID of one kind.
    func ids(of kind: ResourceKind) -> [String] { records[kind.name]?.ids ?? [] }

    // Tags and metadata.
    func tags(of id: String) -> [String: String] { self[TagSet.self][id]?.tags ?? [:] }
    mutating func setTags(_ tags: [String: String], on id: String) {
        self[TagSet.self][id] = tags.isEmpty ? nil : TagSet(resourceID: id, tags: tags)
        touch(TagSet.kind, id)
    }
    func meta(_ id: String, _ key: MetaKey) -> String? { self[Metadata.self][id]?.values[key.rawValue] }
    mutating func setMeta(_ id: String, _ key: MetaKey, _ value: String?) {
        var record = self[Metadata.self][id] ?? Metadata(resourceID: id, values: [:])
        record.values[key.rawValue] = value
        self[Metadata.self][id] = record
        touch(Metadata.kind, id)
    }

    /// The network as the engine sees it.
    var topology: Topology {
        var topology = Topology(region: region)
        for row in Topology.kinds { fill(row, into: &topology) }
        return topology
    }

    private func fill<K: TopologyKind>(_ row: K, into topology: inout Topology) {
        topology[keyPath: row.list] = self[K.Element.self].values.sorted { $0.id < $1.id }
    }

    // MARK: Persistence

    /// The records this call changed, encoded for the store (deleted ones as deletions).
    func change(encoder: JSONEncoder) throws -> Store.Change {
        var change = Store.Change(region: region)
        for (kind, id) in touched {
            if let body = try records[kind.name]?.encoded(id, encoder) {
                change.upserts.append(Store.Record(region: region, kind: kind.name, id: id, body: body))
            } else {
                change.deletions.append((kind.name, id))
            }
        }
        return change
    }

    /// Restores one stored record (records of a kind this build does not know are skipped).
    mutating func load(_ record: Store.Record, decoder: JSONDecoder) throws {
        guard let type = RecordKinds.byName[record.kind] else { return }
        var map = records.removeValue(forKey: record.kind) ?? Self.emptyMap(type)
        do { try map.decode(record.id, record.body, decoder) } catch {
            records[record.kind] = map
            throw error
        }
        records[record.kind] = map
        if record.kind == SecurityGroup.kind.name, let group = self[SecurityGroup.self][record.id] {
            groupIDsByName[Self.groupNameKey(vpc: group.vpcID, name: group.name)] = record.id
        }
    }

    private static func emptyMap<R: Resource>(_ type: R.Type) -> any RecordMap { Records<R>() }
}
