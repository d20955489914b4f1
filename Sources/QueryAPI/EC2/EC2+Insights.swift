import Foundation
import HashTreeCollections
import VPCEngine
import VPCModel

/// Reachability Analyzer: paths and analyses, answered by the engine on the region's current state.
enum InsightsActions {
    static let handlers: [String: EC2Handler] = [
        "CreateNetworkInsightsPath": createPath, "DescribeNetworkInsightsPaths": describePaths, "DeleteNetworkInsightsPath": deletePath,
        "StartNetworkInsightsAnalysis": startAnalysis, "DescribeNetworkInsightsAnalyses": describeAnalyses,
        "DeleteNetworkInsightsAnalysis": deleteAnalysis,
    ]

    static func pathXML(_ path: InsightsPath, _ state: RegionState, _ account: String, name: String = "item") -> XML {
        func arn(_ id: String) -> String {
            id.hasPrefix("arn:") ? id : "arn:aws:ec2:\(state.region):\(account):\(AccountActions.resourceType(id))/\(id)"
        }
        return XML(name) {
            XML("networkInsightsPathId", path.id)
            XML("networkInsightsPathArn", arn(path.id))
            XML("createdDate", path.createdDate)
            XML("source", path.source)
            XML("sourceArn", arn(path.source))
            XML.optional("destination", path.destination)
            XML.optional("destinationArn", path.destination.map(arn))
            XML.optional("sourceIp", path.sourceIP)
            XML.optional("destinationIp", path.destinationIP)
            XML("protocol", path.ipProtocol)
            XML.optional("destinationPort", path.destinationPort.map(String.init))
            state.tagXML(path.id)
        }
    }

    /// Whether an endpoint names something Reachability Analyzer accepts here.
    static func checkEndpoint(_ id: String, _ role: String, _ state: RegionState) throws(APIError) {
        let plain = id.split(separator: "/").last.map(String.init) ?? id
        guard
            state[Instance.self][plain] != nil || state[NetworkInterface.self][plain] != nil || state[InternetGateway.self][plain] != nil
                || state[ClassicLoadBalancer.self][plain] != nil || state[NATGateway.self][plain] != nil
        else {
            throw APIError.invalidParameterValue(
                "The \(role) '\(id)' does not exist or is not a supported resource (instance, network interface, internet gateway, load balancer).")
        }
    }

    static func createPath(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let source = try p.required("Source")
        let protocolText = try p.required("Protocol").lowercased()
        guard ["tcp", "udp"].contains(protocolText) else {
            throw APIError.invalidParameterValue("Value (\(protocolText)) for parameter Protocol is invalid. Valid values: tcp, udp.")
        }
        let port = try p.int("DestinationPort")
        if let port, !(0...65535).contains(port) {
            throw APIError.invalidParameterValue("Value (\(port)) for parameter DestinationPort is invalid.")
        }
        let destination = p.string("Destination")
        let destinationIP = p.string("DestinationIp")
        guard destination != nil || destinationIP != nil else {
            throw APIError.missingParameter("The request must contain the parameter Destination or DestinationIp")
        }
        for ip in [p.string("SourceIp"), destinationIP].compactMap({ $0 }) where IPv4Address(ip) == nil {
            throw APIError.invalidParameterValue("Value (\(ip)) is not a valid IPv4 address.")
        }
        let tags = p.tags(for: "network-insights-path")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            try checkEndpoint(source, "source", state)
            if let destination { try checkEndpoint(destination, "destination", state) }
            let path = InsightsPath(
                id: AWSID.make("nip"), source: source, destination: destination, sourceIP: p.string("SourceIp"), destinationIP: destinationIP,
                ipProtocol: protocolText, destinationPort: port, createdDate: InstanceActions.now())
            state.put(path)
            if !tags.isEmpty { state.setTags(tags, on: path.id) }
            return [pathXML(path, state, call.accountID, name: "networkInsightsPath")]
        }
    }

    static func describePaths(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkInsightsPathId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[InsightsPath.self][$0] != nil }, code: "InvalidNetworkInsightsPathId.NotFound", noun: "network insights path")
        let paths = state[InsightsPath.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id) }
        return try call.describe("networkInsightsPathSet", paths, .insightsPaths, paged: 1...100, id: \.id) {
            pathXML($0, state, call.accountID)
        }
    }

    static func deletePath(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NetworkInsightsPathId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            guard state[InsightsPath.self][id] != nil else {
                throw APIError.notFound("InvalidNetworkInsightsPathId.NotFound", "network insights path", id)
            }
            if state[StoredAnalysis.self].values.contains(where: { $0.pathID == id }) {
                throw APIError.dependencyViolation("The network insights path \(id) has analyses; delete them first.")
            }
            state.remove(InsightsPath.self, id)
            return [XML("networkInsightsPathId", id)]
        }
    }

    /// Runs the engine on the region as it is now. Analyses complete immediately (`succeeded`).
    static func startAnalysis(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let pathID = try p.required("NetworkInsightsPathId")
        let through = p.list("FilterInArn").map { String($0.split(separator: "/").last ?? "") }
        let avoiding = p.list("FilterOutArn").map { String($0.split(separator: "/").last ?? "") }
        let state = try call.emulator.snapshot(call.region)
        guard let path = state[InsightsPath.self][pathID] else {
            throw APIError.notFound("InvalidNetworkInsightsPathId.NotFound", "network insights path", pathID)
        }
        let network = try call.emulator.network(call.region)
        let query = Self.query(for: path, through: through, avoiding: avoiding)
        var analysis: NetworkInsightsAnalysis
        do {
            analysis = try network.analyze(query).analysis
            analysis.status = "succeeded"
        } catch {
            throw APIError.invalidParameterValue(error.message)
        }
        let id = AWSID.make("nia")
        analysis.networkInsightsAnalysisID = id
        analysis.networkInsightsAnalysisArn = "arn:aws:ec2:\(call.region):\(call.accountID):network-insights-analysis/\(id)"
        analysis.networkInsightsPathID = pathID
        analysis.startDate = InstanceActions.now()
        let encoded: Data
        do { encoded = try JSONEncoder().encode(analysis) } catch { throw APIError.internalError("\(error)") }
        let stored = StoredAnalysis(id: id, pathID: pathID, analysis: encoded)
        let tags = p.tags(for: "network-insights-analysis")
        try call.emulator.mutate(call.region) { state throws(APIError) in
            state.put(stored)
            if !tags.isEmpty { state.setTags(tags, on: id) }
        }
        return [try analysisXML(stored, name: "networkInsightsAnalysis")]
    }

    /// The engine's query for a path (the console's trace overlay asks the same).
    static func query(for path: InsightsPath, through: [String] = [], avoiding: [String] = []) -> PathQuery {
        PathQuery(
            from: path.sourceIP ?? plainID(path.source), to: path.destinationIP ?? plainID(path.destination ?? ""),
            protocol: path.ipProtocol == "udp" ? .udp : .tcp, ports: try? path.destinationPort.map { try PortRange(port: $0) },
            through: through, avoiding: avoiding)
    }

    static func plainID(_ reference: String) -> String {
        let id = reference.split(separator: "/").last.map(String.init) ?? reference
        return id.hasPrefix("igw-") ? "internet" : id
    }

    static func describeAnalyses(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkInsightsAnalysisId")
        let pathID = call.parameters.string("NetworkInsightsPathId")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(
            ids, { state[StoredAnalysis.self][$0] != nil }, code: "InvalidNetworkInsightsAnalysisId.NotFound", noun: "network insights analysis")
        var rendered: [(id: String, xml: XML)] = []
        for analysis in state[StoredAnalysis.self].values.sorted(by: { $0.id < $1.id })
        where (ids.isEmpty || ids.contains(analysis.id)) && (pathID == nil || analysis.pathID == pathID) {
            rendered.append((analysis.id, try analysisXML(analysis)))
        }
        return try call.describe("networkInsightsAnalysisSet", rendered, .insightsAnalyses, paged: 1...100, id: \.id) { $0.xml }
    }

    static func deleteAnalysis(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NetworkInsightsAnalysisId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            guard state[StoredAnalysis.self][id] != nil else {
                throw APIError.notFound("InvalidNetworkInsightsAnalysisId.NotFound", "network insights analysis", id)
            }
            state.remove(StoredAnalysis.self, id)
            return [XML("networkInsightsAnalysisId", id)]
        }
    }

    /// The stored analysis as EC2 XML: its JSON (AWS's member names) mapped to wire names; lists as `<…Set><item>`.
    static func analysisXML(_ stored: StoredAnalysis, name: String = "item") throws(APIError) -> XML {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: stored.analysis) } catch { throw APIError.internalError("\(error)") }
        guard case .object = value else { throw APIError.internalError("stored analysis is not an object") }
        return wireXML(value, name: name)
    }

    /// AWS's JSON shape (`ForwardPathComponents`, `FindingComponents`, …) as EC2's XML (`forwardPathComponentSet`, …).
    static func wireXML(_ value: JSONValue, name: String) -> XML {
        func children(_ members: [String: JSONValue]) -> [XML] {
            members.sorted { $0.key < $1.key }.map { key, value in
                convert(analysisWireNames[key] ?? key.prefix(1).lowercased() + key.dropFirst(), value)
            }
        }
        func convert(_ name: String, _ value: JSONValue) -> XML {
            switch value {
            case .object(let members): XML(name, children(members))
            case .array(let elements): XML(name, elements.map { convert("item", $0) })
            case .string(let text): XML(name, text)
            case .number(let number): XML(name, number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number))
            case .bool(let flag): XML(name, flag.xml)
            case .null: XML(name)
            }
        }
        guard case .object(let members) = value else { return convert(name, value) }
        return XML(name, children(members))
    }
}

/// Any JSON value, decoded without Foundation's type guessing.
indirect enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONValue].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
