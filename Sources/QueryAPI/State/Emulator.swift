import Foundation
import VPCEngine
import VPCModel
import VPCStore

/// The one owner of the emulated account's state: every region, in memory and in the store.
///
/// A call runs on a copy of its region; only when the store has committed the call's changes does the
/// copy replace the region, so a failing call changes nothing, in memory or on disk.
actor Emulator {
    let store: Store
    let accountID: String
    private var regions: [String: RegionState] = [:]
    private var networks: [String: CompiledNetwork] = [:]
    private let encoder = JSONEncoder()

    init(store: Store, accountID: String) throws {
        self.store = store
        self.accountID = accountID
        let decoder = JSONDecoder()
        for record in try store.loadAll() {
            var state = regions[record.region] ?? RegionState(region: record.region)
            try state.load(record, decoder: decoder)
            regions[record.region] = state
        }
    }

    /// Runs a call that may change a region; commits it to the store before it takes effect.
    func mutate<Result: Sendable>(_ region: String, _ body: (inout RegionState) throws(APIError) -> Result) throws(APIError) -> Result {
        var state = try existingOrNew(region)
        let result = try body(&state)
        try commit(&state)
        return result
    }

    /// Runs a call that only reads a region.
    func read<Result: Sendable>(_ region: String, _ body: (RegionState) throws(APIError) -> Result) throws(APIError) -> Result {
        try body(try existingOrNew(region))
    }

    /// A snapshot of a region, to render outside the actor.
    func snapshot(_ region: String) throws(APIError) -> RegionState { try existingOrNew(region) }

    /// The compiled network of a region, compiled once per change.
    func network(_ region: String) throws(APIError) -> CompiledNetwork {
        if let network = networks[region] { return network }
        let network = CompiledNetwork(try existingOrNew(region).topology)
        networks[region] = network
        return network
    }

    func commitReplacing(_ state: inout RegionState) throws(APIError) { try commit(&state) }

    private func commit(_ state: inout RegionState) throws(APIError) {
        do {
            try store.apply(try state.change(encoder: encoder))
        } catch {
            throw APIError.internalError("The state could not be saved: \(error)")
        }
        state.clearChanges()
        regions[state.region] = state
        networks[state.region] = nil
    }

    /// A region as it is, or, the first time it is used, as a new AWS account has it: a default VPC.
    private func existingOrNew(_ region: String) throws(APIError) -> RegionState {
        if let state = regions[region] { return state }
        guard Regions.isKnown(region) else {
            throw APIError(code: "AuthFailure", message: "AWS was not able to validate the provided access credentials (unknown region '\(region)').", status: 401)
        }
        var state = RegionState(region: region)
        DefaultVPC.create(in: &state, accountID: accountID)
        try commit(&state)
        return state
    }
}

extension Emulator {
    /// Replaces a region's state with a topology, in one transaction.
    func replace(region: String, with topology: Topology) throws {
        var state = try snapshot(region)
        for kind in RecordKind.allCases {
            let ids: [String] =
                switch kind {
                case .vpc: Array(state.vpcs.keys)
                case .subnet: Array(state.subnets.keys)
                case .internetGateway: Array(state.internetGateways.keys)
                case .routeTable: Array(state.routeTables.keys)
                case .securityGroup: Array(state.securityGroups.keys)
                case .networkACL: Array(state.networkACLs.keys)
                case .networkInterface: Array(state.networkInterfaces.keys)
                case .instance: Array(state.instances.keys)
                case .elasticIP: Array(state.elasticIPs.keys)
                case .natGateway: Array(state.natGateways.keys)
                case .loadBalancer: Array(state.loadBalancers.keys)
                case .tags: Array(state.tagSets.keys)
                case .metadata: Array(state.metadata.keys)
                case .insightsPath: Array(state.paths.keys)
                case .insightsAnalysis: Array(state.analyses.keys)
                }
            for id in ids { state.remove(kind, id) }
        }
        topology.vpcs.forEach { state.put($0) }
        topology.subnets.forEach { state.put($0) }
        topology.internetGateways.forEach { state.put($0) }
        topology.routeTables.forEach { table in
            state.put(table)
            if table.isMain { state.setMeta(table.id.rawValue, "mainAssociation", AWSID.make("rtbassoc")) }
            for subnet in table.associatedSubnets { state.setMeta(table.id.rawValue, "assoc:\(subnet.rawValue)", AWSID.make("rtbassoc")) }
        }
        topology.securityGroups.forEach { group in
            var group = group
            group.ingress = group.ingress.map { var rule = $0; rule.id = rule.id ?? AWSID.make("sgr"); return rule }
            group.egress = group.egress.map { var rule = $0; rule.id = rule.id ?? AWSID.make("sgr"); return rule }
            state.put(group)
        }
        topology.networkACLs.forEach { state.put($0) }
        topology.networkInterfaces.forEach { state.put($0) }
        topology.instances.forEach { instance in
            state.put(instance)
            state.setMeta(instance.id.rawValue, "instanceType", "t3.micro")
            state.setMeta(instance.id.rawValue, "reservation", AWSID.make("r"))
            if let name = instance.name { state.setTags(["Name": name], on: instance.id.rawValue) }
        }
        topology.elasticIPs.forEach { state.put($0) }
        topology.natGateways.forEach { state.put($0) }
        topology.loadBalancers.forEach { state.put($0) }
        for vpc in topology.vpcs {
            if let name = vpc.name { state.setTags(["Name": name], on: vpc.id.rawValue) }
        }
        for subnet in topology.subnets { if let name = subnet.name { state.setTags(["Name": name], on: subnet.id.rawValue) } }
        for table in topology.routeTables { if let name = table.name { state.setTags(["Name": name], on: table.id.rawValue) } }
        for acl in topology.networkACLs { if let name = acl.name { state.setTags(["Name": name], on: acl.id.rawValue) } }
        for gateway in topology.internetGateways { if let name = gateway.name { state.setTags(["Name": name], on: gateway.id.rawValue) } }
        try commitReplacing(&state)
    }
}
