import Foundation
import VPCModel

/// A Network Access Analyzer scope (`CreateNetworkInsightsAccessScope`), its content as given.
struct StoredAccessScope: Resource {
    static let kind = ResourceKind(name: "accessScope", idPrefix: "nis", arnType: "network-insights-access-scope")

    /// One side of a path statement: a resource statement and a packet header statement, as the API names them.
    struct Side: Hashable, Sendable, Codable {
        var resources: [String] = []
        var resourceTypes: [String] = []
        var protocols: [String] = []
        var sourcePorts: [String] = []
        var destinationPorts: [String] = []
        var sourceAddresses: [String] = []
        var destinationAddresses: [String] = []
        var hasResourceStatement: Bool { !resources.isEmpty || !resourceTypes.isEmpty }
        var hasPacketStatement: Bool {
            !protocols.isEmpty || !sourcePorts.isEmpty || !destinationPorts.isEmpty || !sourceAddresses.isEmpty || !destinationAddresses.isEmpty
        }
    }

    struct Path: Hashable, Sendable, Codable {
        var source: Side?
        var destination: Side?
        var through: [Side] = []
    }

    var id: String
    var createdDate: String
    var match: [Path]
    var exclude: [Path]
    var resourceID: String { id }
}

/// An analysis of a scope (`StartNetworkInsightsAccessScopeAnalysis`), with its findings as AWS's JSON shape.
struct StoredAccessScopeAnalysis: Resource {
    static let kind = ResourceKind(name: "accessScopeAnalysis", idPrefix: "nisa", arnType: "network-insights-access-scope-analysis")
    var id: String
    var scopeID: String
    var startDate: String
    var endDate: String
    var findingsFound: Bool
    var analyzedEniCount: Int
    /// `{"AnalysisFindings": [{"FindingId": …, "FindingComponents": [PathComponent…]}]}`.
    var findings: Data
    var resourceID: String { id }
}
