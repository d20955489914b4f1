import VPCModel
import HashTreeCollections

/// One EC2 call: its parameters, its region, and the account.
struct EC2Call: Sendable {
    var parameters: QueryParameters
    var region: String
    var accountID: String
    var emulator: Emulator
}

/// An EC2 action: its response's child elements (the wrapper and request ID are added around them).
typealias EC2Handler = @Sendable (EC2Call) async throws(APIError) -> [XML]

extension RegionState {
    func vpc(_ id: String) throws(APIError) -> VPC {
        guard let vpc = vpcs[id] else { throw .notFound("InvalidVpcID.NotFound", "vpc", id) }
        return vpc
    }
    func subnet(_ id: String) throws(APIError) -> Subnet {
        guard let subnet = subnets[id] else { throw .notFound("InvalidSubnetID.NotFound", "subnet", id) }
        return subnet
    }
    func internetGateway(_ id: String) throws(APIError) -> InternetGateway {
        guard let gateway = internetGateways[id] else { throw .notFound("InvalidInternetGatewayID.NotFound", "internetGateway", id) }
        return gateway
    }
    func routeTable(_ id: String) throws(APIError) -> RouteTable {
        guard let table = routeTables[id] else { throw .notFound("InvalidRouteTableID.NotFound", "routeTable", id) }
        return table
    }
    func securityGroup(_ id: String) throws(APIError) -> SecurityGroup {
        guard let group = securityGroups[id] else {
            throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(id)' does not exist")
        }
        return group
    }
    func networkACL(_ id: String) throws(APIError) -> NetworkACL {
        guard let acl = networkACLs[id] else { throw .notFound("InvalidNetworkAclID.NotFound", "networkAcl", id) }
        return acl
    }
    func instance(_ id: String) throws(APIError) -> Instance {
        guard let instance = instances[id] else { throw .notFound("InvalidInstanceID.NotFound", "instance", id) }
        return instance
    }
    func networkInterface(_ id: String) throws(APIError) -> NetworkInterface {
        guard let interface = networkInterfaces[id] else { throw .notFound("InvalidNetworkInterfaceID.NotFound", "network interface", id) }
        return interface
    }
    func elasticIP(allocation id: String) throws(APIError) -> ElasticIP {
        guard let address = elasticIPs[id] else { throw .notFound("InvalidAllocationID.NotFound", "allocation", id) }
        return address
    }
    func natGateway(_ id: String) throws(APIError) -> NATGateway {
        guard let gateway = natGateways[id], gateway.state != .deleted else {
            throw APIError(code: "NatGatewayNotFound", message: "The Nat Gateway \(id) was not found")
        }
        return gateway
    }

    func vpcID(of subnetID: Subnet.ID) -> VPC.ID? { subnets[subnetID.rawValue]?.vpcID }
    func mainRouteTable(of vpc: VPC.ID) -> RouteTable? { routeTables.values.first { $0.vpcID == vpc && $0.isMain } }
    func defaultACL(of vpc: VPC.ID) -> NetworkACL? { networkACLs.values.first { $0.vpcID == vpc && $0.isDefault } }
    func defaultGroup(of vpc: VPC.ID) -> SecurityGroup? { securityGroups.values.first { $0.vpcID == vpc && $0.name == "default" } }

    /// The next free private address of a subnet (after the four AWS reserves).
    func freeAddress(in subnet: Subnet) -> IPv4Address? {
        var used = Set(networkInterfaces.values.filter { $0.subnetID == subnet.id }.flatMap(\.privateIPs))
        used.insert(subnet.cidrBlock.last)
        var candidate = subnet.cidrBlock.first.advanced(by: 4)
        while subnet.cidrBlock.contains(candidate) {
            if !used.contains(candidate) { return candidate }
            candidate = candidate.advanced(by: 1)
        }
        return nil
    }

    /// A public address nobody in the region uses yet (documentation ranges, never real hosts).
    func freePublicAddress(elastic: Bool) -> IPv4Address {
        let used = Set(elasticIPs.values.map(\.publicIP) + networkInterfaces.values.compactMap(\.publicIP))
        var generator = SystemRandomNumberGenerator()
        // 198.18.0.0/15 is reserved for benchmarking (RFC 2544): plenty of room, never a real host.
        while true {
            let candidate = IPv4Address(0xC612_0000 | UInt32.random(in: 1...0x1_fffe, using: &generator))
            if !used.contains(candidate) { return candidate }
        }
    }

    func tagXML(_ id: String) -> XML {
        XML.set("tagSet", tags(of: id).sorted { $0.key < $1.key }.map { XML("item", [XML("key", $0.key), XML("value", $0.value)]) })
    }
}

/// EC2's `Filter.N`: every filter must match (values of one filter are alternatives; `*` and `?` are wildcards).
struct Filters {
    var filters: [(name: String, values: [String])]

    init(_ parameters: QueryParameters) { filters = parameters.filters() }

    /// - Parameter value: the values a resource has for a filter name, or nil for an unknown filter.
    func match(tags: [String: String], _ value: (String) -> [String]?) throws(APIError) -> Bool {
        for filter in filters {
            let actual: [String]
            if filter.name.hasPrefix("tag:") {
                actual = tags[String(filter.name.dropFirst(4))].map { [$0] } ?? []
            } else if filter.name == "tag-key" {
                actual = Array(tags.keys)
            } else if filter.name == "tag-value" {
                actual = Array(tags.values)
            } else if let values = value(filter.name) {
                actual = values
            } else {
                throw APIError.invalidParameterValue("The filter '\(filter.name)' is invalid")
            }
            guard actual.contains(where: { candidate in filter.values.contains { Self.wildcard($0, matches: candidate) } }) else { return false }
        }
        return true
    }

    static func wildcard(_ pattern: String, matches text: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == text }
        let p = Array(pattern)
        let t = Array(text)
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (t.count + 1) + j
            if let known = memo[key] { return known }
            let result: Bool
            if i == p.count {
                result = j == t.count
            } else if p[i] == "*" {
                result = go(i + 1, j) || (j < t.count && go(i, j + 1))
            } else {
                result = j < t.count && (p[i] == "?" || p[i] == t[j]) && go(i + 1, j + 1)
            }
            memo[key] = result
            return result
        }
        return go(0, 0)
    }
}

/// Checks IDs given explicitly (`VpcId.N`) exist, in AWS's way: the first missing one is the error.
func requireAll(_ ids: [String], _ exists: (String) -> Bool, code: String, noun: String) throws(APIError) {
    for id in ids where !exists(id) { throw APIError.notFound(code, noun, id) }
}
