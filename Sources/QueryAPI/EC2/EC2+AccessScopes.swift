import Foundation
import HashTreeCollections
import VPCEngine
import VPCModel

/// Network Access Analyzer: scopes, their analyses and findings. LocalVPC's findings are exhaustive (one
/// per source, destination and protocol, with the exact destination ports), where AWS's are representative.
enum AccessScopeActions {
    static let handlers: [String: EC2Handler] = [
        "CreateNetworkInsightsAccessScope": createScope, "DescribeNetworkInsightsAccessScopes": describeScopes,
        "GetNetworkInsightsAccessScopeContent": getContent, "DeleteNetworkInsightsAccessScope": deleteScope,
        "StartNetworkInsightsAccessScopeAnalysis": startAnalysis, "DescribeNetworkInsightsAccessScopeAnalyses": describeAnalyses,
        "GetNetworkInsightsAccessScopeAnalysisFindings": getFindings, "DeleteNetworkInsightsAccessScopeAnalysis": deleteAnalysis,
    ]

    static let exhaustive =
        "LocalVPC's findings are exhaustive: one per source, destination and protocol, with the exact destination ports."

    // MARK: Reading statements

    static func side(_ p: QueryParameters?) throws(APIError) -> StoredAccessScope.Side? {
        guard let p else { return nil }
        var side = StoredAccessScope.Side()
        if let resources = p.structure("ResourceStatement") {
            side.resources = resources.list("Resource")
            side.resourceTypes = resources.list("ResourceType")
            for type in side.resourceTypes where !AccessScope.resourceTypes.contains(type) {
                throw APIError.invalidParameterValue(
                    "The resource type \(type) is not supported. Supported: \(AccessScope.resourceTypes.joined(separator: ", ")).")
            }
        }
        if let packet = p.structure("PacketHeaderStatement") {
            side.protocols = packet.list("Protocol").map { $0.lowercased() }
            side.sourcePorts = packet.list("SourcePort")
            side.destinationPorts = packet.list("DestinationPort")
            side.sourceAddresses = packet.list("SourceAddress")
            side.destinationAddresses = packet.list("DestinationAddress")
            for text in side.protocols where !["tcp", "udp"].contains(text) {
                throw APIError.invalidParameterValue("Value (\(text)) for parameter Protocol is invalid. Valid values: tcp, udp.")
            }
            for text in side.sourcePorts + side.destinationPorts where (try? PortRange(parsing: text)) == nil {
                throw APIError.invalidParameterValue("Value (\(text)) for parameter port is invalid: a port or a range, 0-65535.")
            }
            for text in side.sourceAddresses + side.destinationAddresses where (try? CIDRBlock(parsing: text)) == nil {
                throw APIError.invalidParameterValue("Value (\(text)) for parameter address is invalid: an IPv4 CIDR block.")
            }
        }
        return side
    }

    static func paths(_ p: QueryParameters, _ name: String) throws(APIError) -> [StoredAccessScope.Path] {
        var paths: [StoredAccessScope.Path] = []
        for statement in p.structures(name) {
            var path = StoredAccessScope.Path()
            path.source = try side(statement.structure("Source"))
            path.destination = try side(statement.structure("Destination"))
            for through in statement.structures("ThroughResource") { if let side = try side(through) { path.through.append(side) } }
            paths.append(path)
        }
        return paths
    }

    /// The engine's scope for the stored one (a packet header statement on either side restricts the path).
    static func scope(_ stored: StoredAccessScope) -> AccessScope {
        func resources(_ side: StoredAccessScope.Side?) -> AccessScope.ResourceStatement? {
            guard let side, side.hasResourceStatement else { return nil }
            return .init(resources: side.resources, resourceTypes: side.resourceTypes)
        }
        func path(_ path: StoredAccessScope.Path) -> AccessScope.PathStatement {
            let sides = [path.source, path.destination].compactMap { $0 }
            let protocols = sides.flatMap(\.protocols).compactMap { try? IPProtocol(parsing: $0) }
            let ports = sides.flatMap(\.destinationPorts).compactMap { try? PortRange(parsing: $0) }
            let sourcePorts = sides.flatMap(\.sourcePorts).compactMap { try? PortRange(parsing: $0) }
            let sourceAddresses = sides.flatMap(\.sourceAddresses).compactMap { try? CIDRBlock(parsing: $0) }
            let destinationAddresses = sides.flatMap(\.destinationAddresses).compactMap { try? CIDRBlock(parsing: $0) }
            let packet =
                protocols.isEmpty && ports.isEmpty && sourcePorts.isEmpty && sourceAddresses.isEmpty && destinationAddresses.isEmpty
                ? nil
                : AccessScope.PacketStatement(
                    protocols: protocols, destinationPorts: ports, sourcePorts: sourcePorts, sourceAddresses: sourceAddresses,
                    destinationAddresses: destinationAddresses)
            return .init(
                source: resources(path.source), destination: resources(path.destination),
                through: path.through.compactMap { resources($0) }, packet: packet)
        }
        return AccessScope(name: stored.id, match: stored.match.map(path), exclude: stored.exclude.map(path))
    }

    // MARK: Actions

    static func createScope(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let match = try paths(p, "MatchPath")
        guard !match.isEmpty else { throw APIError.missingParameter("The request must contain the parameter MatchPaths") }
        let exclude = try paths(p, "ExcludePath")
        let tags = p.tags(for: "network-insights-access-scope")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let scope = StoredAccessScope(id: AWSID.make("nis"), createdDate: InstanceActions.now(), match: match, exclude: exclude)
            state.put(scope)
            if !tags.isEmpty { state.setTags(tags, on: scope.id) }
            return [scopeXML(scope, state, call, name: "networkInsightsAccessScope"), contentXML(scope)]
        }
    }

    static func describeScopes(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkInsightsAccessScopeId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(
            ids, { state[StoredAccessScope.self][$0] != nil }, code: "InvalidNetworkInsightsAccessScopeId.NotFound",
            noun: "network insights access scope")
        let scopes = state[StoredAccessScope.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id) }
        return try call.describe("networkInsightsAccessScopeSet", scopes, FilterTable([:]), paged: 1...100, id: \.id) {
            scopeXML($0, state, call)
        }
    }

    static func getContent(_ call: EC2Call) throws(APIError) -> [XML] {
        let state = try call.emulator.snapshot(call.region)
        return [contentXML(try scope(call.parameters, state))]
    }

    static func deleteScope(_ call: EC2Call) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            let scope = try scope(call.parameters, state)
            if state[StoredAccessScopeAnalysis.self].values.contains(where: { $0.scopeID == scope.id }) {
                throw APIError.dependencyViolation("The network insights access scope \(scope.id) has analyses; delete them first.")
            }
            state.remove(StoredAccessScope.self, scope.id)
            return [XML("networkInsightsAccessScopeId", scope.id)]
        }
    }

    /// Runs the scope on the region as it is now; the analysis completes at once (`succeeded`).
    static func startAnalysis(_ call: EC2Call) throws(APIError) -> [XML] {
        let state = try call.emulator.snapshot(call.region)
        let stored = try scope(call.parameters, state)
        let network = try call.emulator.network(call.region)
        let started = InstanceActions.now()
        let findings: [AccessFinding]
        do { findings = try network.findings(scope(stored)) } catch { throw APIError.invalidParameterValue(error.message) }
        let id = AWSID.make("nisa")
        let encoded: Data
        do {
            let items = findings.enumerated().map { index, finding in
                Finding(findingId: "nisa-finding-\(index + 1)", components: finding.components)
            }
            encoded = try JSONEncoder().encode(Findings(analysisFindings: items))
        } catch { throw APIError.internalError("\(error)") }
        let analysis = StoredAccessScopeAnalysis(
            id: id, scopeID: stored.id, startDate: started, endDate: InstanceActions.now(), findingsFound: !findings.isEmpty,
            analyzedEniCount: state[NetworkInterface.self].count, findings: encoded)
        let tags = call.parameters.tags(for: "network-insights-access-scope-analysis")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            state.put(analysis)
            if !tags.isEmpty { state.setTags(tags, on: id) }
            return [analysisXML(analysis, state, call, name: "networkInsightsAccessScopeAnalysis")]
        }
    }

    struct Finding: Encodable {
        var findingId: String
        var components: [PathComponent]
        enum CodingKeys: String, CodingKey {
            case findingId = "FindingId"
            case components = "FindingComponents"
        }
    }

    struct Findings: Encodable {
        var analysisFindings: [Finding]
        enum CodingKeys: String, CodingKey { case analysisFindings = "AnalysisFindings" }
    }

    static func describeAnalyses(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkInsightsAccessScopeAnalysisId")
        let scopeID = call.parameters.string("NetworkInsightsAccessScopeId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(
            ids, { state[StoredAccessScopeAnalysis.self][$0] != nil }, code: "InvalidNetworkInsightsAccessScopeAnalysisId.NotFound",
            noun: "network insights access scope analysis")
        let analyses = state[StoredAccessScopeAnalysis.self].values.sorted { $0.id < $1.id }
            .filter { (ids.isEmpty || ids.contains($0.id)) && (scopeID == nil || $0.scopeID == scopeID) }
        return try call.describe("networkInsightsAccessScopeAnalysisSet", analyses, FilterTable([:]), paged: 1...100, id: \.id) {
            analysisXML($0, state, call)
        }
    }

    static func getFindings(_ call: EC2Call) throws(APIError) -> [XML] {
        let state = try call.emulator.snapshot(call.region)
        let analysis = try analysis(call.parameters, state)
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: analysis.findings) } catch { throw APIError.internalError("\(error)") }
        guard case .object(let members) = value, case .array(let findings) = members["AnalysisFindings"] ?? .array([]) else {
            throw APIError.internalError("stored findings are not an object")
        }
        let pagination = try Pagination(call.parameters, range: 1...100)
        let page = pagination.page(Array(findings.enumerated()), id: { String(format: "%010d", $0.offset) })
        let items = page.items.map { _, finding -> XML in
            var item = InsightsActions.wireXML(finding, name: "item")
            item.children.insert(
                contentsOf: [XML("networkInsightsAccessScopeAnalysisId", analysis.id), XML("networkInsightsAccessScopeId", analysis.scopeID)], at: 0)
            return item
        }
        return [
            XML("networkInsightsAccessScopeAnalysisId", analysis.id), XML("analysisStatus", "succeeded"), XML.set("analysisFindingSet", items),
        ] + page.next
    }

    static func deleteAnalysis(_ call: EC2Call) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            let analysis = try analysis(call.parameters, state)
            state.remove(StoredAccessScopeAnalysis.self, analysis.id)
            return [XML("networkInsightsAccessScopeAnalysisId", analysis.id)]
        }
    }

    // MARK: Lookups and XML

    static func scope(_ p: QueryParameters, _ state: RegionState) throws(APIError) -> StoredAccessScope {
        let id = try p.required("NetworkInsightsAccessScopeId")
        guard let scope = state[StoredAccessScope.self][id] else {
            throw APIError.notFound("InvalidNetworkInsightsAccessScopeId.NotFound", "network insights access scope", id)
        }
        return scope
    }

    static func analysis(_ p: QueryParameters, _ state: RegionState) throws(APIError) -> StoredAccessScopeAnalysis {
        let id = try p.required("NetworkInsightsAccessScopeAnalysisId")
        guard let analysis = state[StoredAccessScopeAnalysis.self][id] else {
            throw APIError.notFound("InvalidNetworkInsightsAccessScopeAnalysisId.NotFound", "network insights access scope analysis", id)
        }
        return analysis
    }

    static func scopeXML(_ scope: StoredAccessScope, _ state: RegionState, _ call: EC2Call, name: String = "item") -> XML {
        XML(name) {
            XML("networkInsightsAccessScopeId", scope.id)
            XML("networkInsightsAccessScopeArn", "arn:aws:ec2:\(call.region):\(call.accountID):network-insights-access-scope/\(scope.id)")
            XML("createdDate", scope.createdDate)
            XML("updatedDate", scope.createdDate)
            state.tagXML(scope.id)
        }
    }

    static func contentXML(_ scope: StoredAccessScope) -> XML {
        func side(_ name: String, _ side: StoredAccessScope.Side?) -> [XML] {
            guard let side else { return [] }
            var children: [XML] = []
            if side.hasPacketStatement {
                children.append(
                    XML("packetHeaderStatement") {
                        XML.set("sourceAddressSet", side.sourceAddresses.map { XML("item", $0) })
                        XML.set("destinationAddressSet", side.destinationAddresses.map { XML("item", $0) })
                        XML.set("sourcePortSet", side.sourcePorts.map { XML("item", $0) })
                        XML.set("destinationPortSet", side.destinationPorts.map { XML("item", $0) })
                        XML.set("protocolSet", side.protocols.map { XML("item", $0) })
                    })
            }
            if side.hasResourceStatement {
                children.append(
                    XML("resourceStatement") {
                        XML.set("resourceSet", side.resources.map { XML("item", $0) })
                        XML.set("resourceTypeSet", side.resourceTypes.map { XML("item", $0) })
                    })
            }
            return [XML(name, children)]
        }
        func path(_ path: StoredAccessScope.Path) -> XML {
            XML("item") {
                side("source", path.source)
                side("destination", path.destination)
                XML.set("throughResourceSet", path.through.map { XML("item", side("resourceStatementHolder", $0).flatMap(\.children)) })
            }
        }
        return XML("networkInsightsAccessScopeContent") {
            XML("networkInsightsAccessScopeId", scope.id)
            XML.set("matchPathSet", scope.match.map(path))
            XML.set("excludePathSet", scope.exclude.map(path))
        }
    }

    static func analysisXML(_ analysis: StoredAccessScopeAnalysis, _ state: RegionState, _ call: EC2Call, name: String = "item") -> XML {
        XML(name) {
            XML("networkInsightsAccessScopeAnalysisId", analysis.id)
            XML(
                "networkInsightsAccessScopeAnalysisArn",
                "arn:aws:ec2:\(call.region):\(call.accountID):network-insights-access-scope-analysis/\(analysis.id)")
            XML("networkInsightsAccessScopeId", analysis.scopeID)
            XML("status", "succeeded")
            XML("statusMessage", exhaustive)
            XML("startDate", analysis.startDate)
            XML("endDate", analysis.endDate)
            XML("findingsFound", analysis.findingsFound ? "true" : "false")
            XML("analyzedEniCount", String(analysis.analyzedEniCount))
            state.tagXML(analysis.id)
        }
    }
}
