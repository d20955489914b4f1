import Foundation
import HashTreeCollections
import Synchronization
import VPCEngine
import VPCModel
import VPCStore

/// The one owner of the emulated account's state: every region, in memory and in the store.
///
/// A call runs on a copy of its region; only when the store has committed the call's changes does the
/// copy replace the region, so a failing call changes nothing, in memory or on disk. Calls that change
/// state run one at a time (under `regions`' lock); they are synchronous, so the API server runs a
/// call on the event loop that read it, without a hop to another thread and back.
final class Emulator: Sendable {
    let store: Store
    let accountID: String
    /// The state every change starts from; its lock serializes changes.
    private let regions: Mutex<[String: RegionState]>
    /// The committed state of every region, for readers: they take a snapshot without waiting for a
    /// change in progress (copies share structure, so this is O(1)).
    private let published: Mutex<[String: RegionState]>
    /// Compiled networks of the published states, dropped on every change.
    private let networks = Mutex<[String: CompiledNetwork]>([:])
    /// Rendered Describe results per region, valid for one state version.
    private let responses = Mutex<[String: (version: Int, entries: [String: String])]>([:])
    /// Each region's state version, bumped by every commit.
    private let versions = Mutex<[String: Int]>([:])
    /// Called (with the region) after each commit, outside no lock of the caller's.
    private let commitHandlers = Mutex<[@Sendable (String) -> Void]>([])

    func onCommit(_ handler: @escaping @Sendable (String) -> Void) { commitHandlers.withLock { $0.append(handler) } }

    /// Live health from a running data plane, when there is one (for `DescribeInstanceHealth`).
    let healthSource = HealthSourceBox()

    init(store: Store, accountID: String) throws {
        self.store = store
        self.accountID = accountID
        let decoder = JSONDecoder()
        var loaded: [String: RegionState] = [:]
        for record in try store.loadAll() {
            var state = loaded[record.region] ?? RegionState(region: record.region)
            try state.load(record, decoder: decoder)
            loaded[record.region] = state
        }
        regions = Mutex(loaded)
        published = Mutex(loaded)
    }

    /// Set while a call runs with DryRun=true: its changes are checked, never committed.
    @TaskLocal static var dryRun = false

    /// Runs a call that may change a region; commits it to the store before it takes effect.
    func mutate<Result: Sendable>(_ region: String, _ body: (inout RegionState) throws(APIError) -> Result) throws(APIError) -> Result {
        try regions.withLock { (regions: inout [String: RegionState]) throws(APIError) -> sending Result in
            var state = try existingOrNew(region, in: &regions)
            let result = try body(&state)
            if Self.dryRun { throw APIError.dryRunOperation }
            try commit(&state, into: &regions)
            return result
        }
    }

    /// Back to a new account: every region forgotten, in memory and in the store; each comes back with
    /// its default VPC when next used (`POST /_localvpc/reset`, `POST /moto-api/reset`).
    func reset() throws {
        try regions.withLock { regions in
            try store.deleteAll()
            regions = [:]
            published.withLock { $0 = [:] }
            networks.withLock { $0 = [:] }
            responses.withLock { $0 = [:] }
            versions.withLock { versions in
                for key in versions.keys { versions[key, default: 0] += 1 }
            }
        }
    }

    /// A snapshot of a region's committed state, to read and render without holding any lock.
    func snapshot(_ region: String) throws(APIError) -> RegionState {
        if let state = published.withLock({ $0[region] }) { return state }
        return try regions.withLock { (regions: inout [String: RegionState]) throws(APIError) -> sending RegionState in
            try existingOrNew(region, in: &regions)
        }
    }

    /// The compiled network of a region, compiled once per change.
    func network(_ region: String) throws(APIError) -> CompiledNetwork {
        if let network = networks.withLock({ $0[region] }) { return network }
        let version = version(of: region)
        let network = CompiledNetwork(try snapshot(region).topology)
        // Cache it only if no change was committed meanwhile (a reader never caches a stale network).
        networks.withLock { if self.version(of: region) == version { $0[region] = network } }
        return network
    }

    private func commit(_ state: inout RegionState, into regions: inout [String: RegionState]) throws(APIError) {
        do {
            try store.apply(try state.change(encoder: JSONEncoder()))
        } catch {
            throw APIError.internalError("The state could not be saved: \(error)")
        }
        state.clearChanges()
        regions[state.region] = state
        let committed = state
        // Publish before dropping the compiled network, so a reader never compiles a stale state into the cache.
        published.withLock { $0[committed.region] = committed }
        networks.withLock { networks in
            networks[committed.region] = nil
            versions.withLock { $0[committed.region, default: 0] += 1 }
        }
        responses.withLock { $0[committed.region] = nil }
        for handler in commitHandlers.withLock({ $0 }) { handler(committed.region) }
    }

    /// The version of a region's committed state.
    func version(of region: String) -> Int { versions.withLock { $0[region] ?? 0 } }

    /// A cached rendered result for a request, if the region has not changed since it was rendered.
    func cachedResponse(region: String, key: String) -> String? {
        let current = version(of: region)
        return responses.withLock { cache in
            guard let entry = cache[region], entry.version == current else { return nil }
            return entry.entries[key]
        }
    }

    /// Remembers a rendered result, if the state it was rendered from is still current (bounded size).
    func cache(_ rendered: String, region: String, key: String, version: Int) {
        guard version == self.version(of: region), rendered.utf8.count < 1 << 20 else { return }
        responses.withLock { cache in
            var entry: (version: Int, entries: [String: String]) =
                cache[region].flatMap { $0.version == version ? $0 : nil } ?? (version: version, entries: [:])
            if entry.entries.count >= 1024 { entry.entries.removeAll() }
            entry.entries[key] = rendered
            cache[region] = entry
        }
    }

    /// A region as it is, or, the first time it is used, as a new AWS account has it: a default VPC.
    private func existingOrNew(_ region: String, in regions: inout [String: RegionState]) throws(APIError) -> RegionState {
        if let state = regions[region] { return state }
        guard Regions.isKnown(region) else {
            throw APIError(
                code: "AuthFailure", message: "AWS was not able to validate the provided access credentials (unknown region '\(region)').",
                status: 401)
        }
        var state = RegionState(region: region)
        DefaultVPC.create(in: &state, accountID: accountID)
        try commit(&state, into: &regions)
        return state
    }
}

extension Emulator {
    /// Replaces a region's state with a topology, in one transaction.
    /// The region keeps a default VPC, as every AWS region has one: the one it had, else a new one.
    func replace(region: String, with topology: Topology) throws {
        let accountID = accountID
        try mutate(region) { (state: inout RegionState) throws(APIError) in
            let defaultVPC = state[VPC.self].values.first { state.meta($0.id.rawValue, .isDefault) == "true" }
            var kept = RegionState(region: region)
            if let defaultVPC, !topology.vpcs.contains(where: { $0.id == defaultVPC.id }) {
                Self.copyVPC(defaultVPC.id, from: state, into: &kept)
            }
            Self.replace(&state, with: topology)
            if kept[VPC.self].isEmpty {
                DefaultVPC.create(in: &state, accountID: accountID)
            } else {
                Self.copyVPC(defaultVPC!.id, from: kept, into: &state)
            }
        }
    }

    private static func replace(_ state: inout RegionState, with topology: Topology) {
        for type in RecordKinds.all {
            for id in state.ids(of: type.kind) { state.remove(type.kind, id) }
        }
        for row in Topology.kinds { put(row, of: topology, into: &state) }
        // What the API shows of these resources beyond the model: association IDs, rule IDs, instance types.
        for table in topology.routeTables {
            if table.isMain { state.setMeta(table.id.rawValue, .mainAssociation, AWSID.make("rtbassoc")) }
            for subnet in table.associatedSubnets { state.setMeta(table.id.rawValue, .association(subnet: subnet), AWSID.make("rtbassoc")) }
        }
        for var group in topology.securityGroups {
            group.ingress = group.ingress.map {
                var rule = $0
                rule.id = rule.id ?? AWSID.make("sgr")
                return rule
            }
            group.egress = group.egress.map {
                var rule = $0
                rule.id = rule.id ?? AWSID.make("sgr")
                return rule
            }
            state.put(group)
        }
        for instance in topology.instances {
            state.setMeta(instance.id.rawValue, .instanceType, "t3.micro")
            state.setMeta(instance.id.rawValue, .reservation, AWSID.make("r"))
        }
    }

    /// Stores every resource of one kind, with its name as a `Name` tag where people name it so.
    private static func put<K: TopologyKind>(_ row: K, of topology: Topology, into state: inout RegionState) {
        for resource in topology[keyPath: row.list] {
            state.put(resource)
            if row.kind.nameIsTag, let name = resource.displayName { state.setTags(["Name": name], on: resource.resourceID) }
        }
    }
}

extension Emulator {
    /// Copies a VPC and everything in it (subnets, gateways, tables, ACLs, groups, interfaces, instances,
    /// their addresses, load balancers), with their tags and metadata, from one region state to another.
    fileprivate static func copyVPC(_ vpc: VPC.ID, from source: RegionState, into target: inout RegionState) {
        let subnets = Set(source[Subnet.self].values.filter { $0.vpcID == vpc }.map(\.id))
        let interfaces = Set(source[NetworkInterface.self].values.filter { subnets.contains($0.subnetID) }.map(\.id))
        var ids: Set<String> = [vpc.rawValue]
        ids.formUnion(subnets.map(\.rawValue))
        ids.formUnion(interfaces.map(\.rawValue))
        ids.formUnion(source[InternetGateway.self].values.filter { $0.attachedVPC == vpc }.map(\.id.rawValue))
        ids.formUnion(source[RouteTable.self].values.filter { $0.vpcID == vpc }.map(\.id.rawValue))
        ids.formUnion(source[NetworkACL.self].values.filter { $0.vpcID == vpc }.map(\.id.rawValue))
        ids.formUnion(source[SecurityGroup.self].values.filter { $0.vpcID == vpc }.map(\.id.rawValue))
        ids.formUnion(source[Instance.self].values.filter { interfaces.contains($0.primaryNetworkInterfaceID) }.map(\.id.rawValue))
        ids.formUnion(
            source[ElasticIP.self].values.filter { $0.association.map { interfaces.contains($0.networkInterfaceID) } ?? false }.map(\.id.rawValue))
        ids.formUnion(source[NATGateway.self].values.filter { subnets.contains($0.subnetID) }.map(\.id.rawValue))
        ids.formUnion(source[ClassicLoadBalancer.self].values.filter { $0.vpcID == vpc }.map(\.id.rawValue))
        func copy<R: Resource>(_ type: R.Type) {
            for (id, value) in source[type] where ids.contains(id) { target.put(value) }
        }
        for type in RecordKinds.all where type != TagSet.self && type != Metadata.self { copy(type) }
        for id in ids {
            if case let tags = source.tags(of: id), !tags.isEmpty { target.setTags(tags, on: id) }
            for (key, value) in source[Metadata.self][id]?.values ?? [:] { target.setMeta(id, MetaKey(rawValue: key), value) }
        }
    }
}
