import Foundation
import HashTreeCollections
import VPCEngine
import VPCModel

// The console's side panel (a resource's attributes and rules) and its trace form.
extension QueryAPIServer {
    /// A resource's attributes (the model's own fields), and its rules in the order AWS applies them:
    /// security group rules with their peers, network ACL entries by rule number, routes with their state.
    func resource(_ id: String, region: String) throws -> [String: Any] {
        let (_, topology) = try namedTopology(region: region)
        let network = try emulator.network(region)
        let name = { (id: String) in topology.displayName(of: id) }
        var details: [String: Any] = ["id": id, "name": name(id)]
        func fields<R: Encodable>(_ value: R, kind: String) throws {
            details["kind"] = kind
            details["attributes"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        }
        func rules(_ group: SecurityGroup) -> [String: Any] {
            func describe(_ rule: SecurityGroupRule) -> [String: String] {
                let peer: String =
                    switch rule.peer {
                    case .cidr(let block): block.description
                    case .securityGroup(let id): "\(name(id.rawValue)) (\(id.rawValue))"
                    }
                return ["protocol": rule.ipProtocol.description, "ports": rule.ipProtocol.hasPorts ? rule.ports.description : "all", "peer": peer]
            }
            return ["inbound": group.ingress.map(describe), "outbound": group.egress.map(describe)]
        }
        func entries(_ acl: NetworkACL) -> [String: Any] {
            func describe(_ entry: NetworkACLEntry) -> [String: String] {
                [
                    "rule": entry.ruleNumber == 32767 ? "*" : String(entry.ruleNumber), "protocol": entry.ipProtocol.description,
                    "ports": entry.ipProtocol.hasPorts ? entry.ports.description : "all", "cidr": entry.cidr.description,
                    "action": entry.action.rawValue,
                ]
            }
            return ["inbound": acl.sortedEntries(.ingress).map(describe), "outbound": acl.sortedEntries(.egress).map(describe)]
        }
        func routes(_ table: RouteTable) -> [[String: String]] {
            network.routeStates(of: table).map { route, state in
                let target = route.target == .local ? "local" : name(route.target.description)
                return ["destination": route.destination.description, "target": target, "state": state.rawValue]
            }
        }
        if let group = topology.securityGroups.first(where: { $0.id.rawValue == id }) {
            try fields(group, kind: "security group")
            details["rules"] = rules(group)
        } else if let acl = topology.networkACLs.first(where: { $0.id.rawValue == id }) {
            try fields(acl, kind: "network ACL")
            details["entries"] = entries(acl)
        } else if let table = topology.routeTables.first(where: { $0.id.rawValue == id }) {
            try fields(table, kind: "route table")
            details["routes"] = routes(table)
        } else if let subnet = topology.subnets.first(where: { $0.id.rawValue == id }) {
            try fields(subnet, kind: "subnet")
            if let table = topology.routeTable(for: subnet) { details["routes"] = routes(table) }
            if let acl = topology.networkACL(for: subnet) { details["entries"] = entries(acl) }
        } else if let instance = topology.instances.first(where: { $0.id.rawValue == id }) {
            try fields(instance, kind: instance.role == .nat ? "NAT instance" : "instance")
            if let interface = topology.networkInterface(instance.primaryNetworkInterfaceID) {
                details["interface"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(interface))
                details["groups"] = interface.securityGroupIDs.map { "\(name($0.rawValue)) (\($0.rawValue))" }
            }
        } else if let interface = topology.networkInterfaces.first(where: { $0.id.rawValue == id }) {
            try fields(interface, kind: "network interface")
            details["groups"] = interface.securityGroupIDs.map { "\(name($0.rawValue)) (\($0.rawValue))" }
        } else if let gateway = topology.internetGateways.first(where: { $0.id.rawValue == id }) {
            try fields(gateway, kind: "internet gateway")
        } else if let gateway = topology.natGateways.first(where: { $0.id.rawValue == id }) {
            try fields(gateway, kind: "NAT gateway")
        } else if let balancer = topology.loadBalancers.first(where: { $0.id.rawValue == id }) {
            try fields(balancer, kind: "load balancer")
        } else if let vpc = topology.vpcs.first(where: { $0.id.rawValue == id }) {
            try fields(vpc, kind: "VPC")
        } else if id == "internet" {
            details["kind"] = "the internet"
        } else {
            throw APIError.invalidParameterValue("No resource \(id) in \(region).")
        }
        return details
    }

    /// Runs a trace as Reachability Analyzer would be asked: `CreateNetworkInsightsPath` then
    /// `StartNetworkInsightsAnalysis`, through the actions themselves (so the analysis is listed by
    /// `DescribeNetworkInsightsAnalyses`); answers with the verdict and each explanation in plain words.
    func trace(_ form: [String: String], region: String) throws -> [String: Any] {
        let (_, topology) = try namedTopology(region: region)
        let names = resources(topology)
        /// The VPC a resource is in (the internet, as a path's end, is its internet gateway).
        func vpc(of id: String) -> VPC.ID? {
            if let instance = topology.instances.first(where: { $0.id.rawValue == id }) {
                return topology.networkInterface(instance.primaryNetworkInterfaceID).flatMap { topology.subnet($0.subnetID) }?.vpcID
            }
            if let interface = topology.networkInterfaces.first(where: { $0.id.rawValue == id }) { return topology.subnet(interface.subnetID)?.vpcID }
            if let balancer = topology.loadBalancers.first(where: { $0.id.rawValue == id }) { return balancer.vpcID }
            if let gateway = topology.natGateways.first(where: { $0.id.rawValue == id }) { return topology.subnet(gateway.subnetID)?.vpcID }
            return topology.internetGateways.first { $0.id.rawValue == id }?.attachedVPC
        }
        func resolve(_ text: String, role: String, beside other: String? = nil) throws(APIError) -> String {
            let text = text.trimmingCharacters(in: .whitespaces)
            if text == "internet" {
                let near = other.flatMap { try? resolve($0, role: "other") }.flatMap(vpc(of:))
                let attached = topology.internetGateways.filter { $0.attachedVPC != nil }
                guard let gateway = attached.first(where: { near == nil || $0.attachedVPC == near }) ?? attached.first else {
                    throw APIError.invalidParameterValue("The region has no internet gateway to reach the internet through.")
                }
                return gateway.id.rawValue
            }
            let byID = names.first { $0["id"] == text }
            if let match = byID ?? names.first(where: { $0["name"] == text }), let id = match["id"] { return id }
            throw APIError.invalidParameterValue("The \(role) '\(text)' is not a resource of \(region).")
        }
        let source = try resolve(form["from"] ?? "", role: "source", beside: form["to"])
        let destination = try resolve(form["to"] ?? "", role: "destination", beside: form["from"])
        var parameters = ["Source": source, "Destination": destination, "Protocol": form["protocol"] ?? "tcp"]
        if let port = form["port"], !port.isEmpty { parameters["DestinationPort"] = port }
        let call = EC2Call(parameters: QueryParameters(parameters), region: region, accountID: accountID, emulator: emulator)
        let created = try InsightsActions.createPath(call)
        guard let pathID = created.first?.texts(at: ["networkInsightsPathId"]).first else { throw APIError.internalError("no path") }
        let started = try InsightsActions.startAnalysis(
            EC2Call(parameters: QueryParameters(["NetworkInsightsPathId": pathID]), region: region, accountID: accountID, emulator: emulator))
        guard let analysisID = started.first?.texts(at: ["networkInsightsAnalysisId"]).first else { throw APIError.internalError("no analysis") }
        let state = try emulator.snapshot(region)
        guard let path = state[InsightsPath.self][pathID] else { throw APIError.internalError("path \(pathID) is gone") }
        let result = try emulator.network(region).analyze(InsightsActions.query(for: path))
        return [
            "analysisId": analysisID, "pathId": pathID, "found": result.isReachable,
            "explanations": result.analysis.explanations.filter { !$0.isPartial }.map {
                ["code": $0.explanationCode.rawValue, "direction": $0.direction ?? "", "message": $0.message]
            },
        ]
    }
}
