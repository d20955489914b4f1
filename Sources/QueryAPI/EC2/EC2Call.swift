import HashTreeCollections
import VPCModel

/// One Query API call (EC2 or ELB): its parameters, its region, and the account.
struct EC2Call: Sendable {
    var parameters: QueryParameters
    var region: String
    var accountID: String
    var emulator: Emulator
}

/// An EC2 action: its response's child elements (the wrapper and request ID are added around them).
typealias EC2Handler = @Sendable (EC2Call) throws(APIError) -> [XML]

extension RegionState {
    /// A resource by ID, or EC2's `NotFound` error for its kind.
    private func find<Value>(_ map: TreeDictionary<String, Value>, _ id: String, _ error: @autoclosure () -> APIError) throws(APIError) -> Value {
        guard let value = map[id] else { throw error() }
        return value
    }

    func vpc(_ id: String) throws(APIError) -> VPC { try find(self[VPC.self], id, .notFound("InvalidVpcID.NotFound", "vpc", id)) }
    func subnet(_ id: String) throws(APIError) -> Subnet { try find(self[Subnet.self], id, .notFound("InvalidSubnetID.NotFound", "subnet", id)) }
    func internetGateway(_ id: String) throws(APIError) -> InternetGateway {
        try find(self[InternetGateway.self], id, .notFound("InvalidInternetGatewayID.NotFound", "internetGateway", id))
    }
    func routeTable(_ id: String) throws(APIError) -> RouteTable {
        try find(self[RouteTable.self], id, .notFound("InvalidRouteTableID.NotFound", "routeTable", id))
    }
    func securityGroup(_ id: String) throws(APIError) -> SecurityGroup {
        try find(self[SecurityGroup.self], id, APIError(code: "InvalidGroup.NotFound", message: "The security group '\(id)' does not exist"))
    }
    func networkACL(_ id: String) throws(APIError) -> NetworkACL {
        try find(self[NetworkACL.self], id, .notFound("InvalidNetworkAclID.NotFound", "networkAcl", id))
    }
    func instance(_ id: String) throws(APIError) -> Instance {
        try find(self[Instance.self], id, .notFound("InvalidInstanceID.NotFound", "instance", id))
    }
    func networkInterface(_ id: String) throws(APIError) -> NetworkInterface {
        try find(self[NetworkInterface.self], id, .notFound("InvalidNetworkInterfaceID.NotFound", "network interface", id))
    }
    func elasticIP(allocation id: String) throws(APIError) -> ElasticIP {
        try find(self[ElasticIP.self], id, .notFound("InvalidAllocationID.NotFound", "allocation", id))
    }
    func natGateway(_ id: String) throws(APIError) -> NATGateway {
        let gateway = try find(self[NATGateway.self], id, APIError(code: "NatGatewayNotFound", message: "The Nat Gateway \(id) was not found"))
        guard gateway.state != .deleted else { throw APIError(code: "NatGatewayNotFound", message: "The Nat Gateway \(id) was not found") }
        return gateway
    }

    /// The requested private address (checked to be inside the subnet, not reserved, not in use in the
    /// VPC), or the subnet's next free one.
    func privateAddress(_ requested: String?, in subnet: Subnet) throws(APIError) -> IPv4Address {
        guard let requested else {
            guard let free = freeAddress(in: subnet) else {
                throw APIError(
                    code: "InsufficientFreeAddressesInSubnet",
                    message: "There are not enough free addresses in subnet '\(subnet.id)' to satisfy the request.")
            }
            return free
        }
        guard let address = IPv4Address(requested), subnet.cidrBlock.contains(address), !subnet.isReserved(address) else {
            throw APIError.invalidParameterValue("Address \(requested) does not fall within the subnet's address range")
        }
        if self[NetworkInterface.self].values.contains(where: { $0.privateIPs.contains(address) && vpcID(of: $0.subnetID) == subnet.vpcID }) {
            throw APIError(code: "InvalidIPAddress.InUse", message: "Address \(requested) is in use.")
        }
        return address
    }

    func vpcID(of subnetID: Subnet.ID) -> VPC.ID? { self[Subnet.self][subnetID.rawValue]?.vpcID }
    func mainRouteTable(of vpc: VPC.ID) -> RouteTable? { self[RouteTable.self].values.first { $0.vpcID == vpc && $0.isMain } }
    func defaultACL(of vpc: VPC.ID) -> NetworkACL? { self[NetworkACL.self].values.first { $0.vpcID == vpc && $0.isDefault } }
    func defaultGroup(of vpc: VPC.ID) -> SecurityGroup? { groupID(vpc: vpc, name: "default").flatMap { self[SecurityGroup.self][$0] } }

    /// The next free private address of a subnet (after the four AWS reserves).
    func freeAddress(in subnet: Subnet) -> IPv4Address? {
        var used = Set(self[NetworkInterface.self].values.filter { $0.subnetID == subnet.id }.flatMap(\.privateIPs))
        used.insert(subnet.cidrBlock.last)
        var candidate = subnet.cidrBlock.first.advanced(by: 4)
        while subnet.cidrBlock.contains(candidate) {
            if !used.contains(candidate) { return candidate }
            candidate = candidate.advanced(by: 1)
        }
        return nil
    }

    /// A public address nobody in the region uses yet (documentation ranges, never real hosts).
    func freePublicAddress() -> IPv4Address {
        let used = Set(self[ElasticIP.self].values.map(\.publicIP) + self[NetworkInterface.self].values.compactMap(\.publicIP))
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

/// Checks IDs given explicitly (`VpcId.N`) exist, in AWS's way: the first missing one is the error.
func requireAll(_ ids: [String], _ exists: (String) -> Bool, code: String, noun: String) throws(APIError) {
    for id in ids where !exists(id) { throw APIError.notFound(code, noun, id) }
}
