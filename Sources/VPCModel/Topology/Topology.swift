/// A whole network: every resource of one account and region, as immutable values.
///
/// Inputs (topology files, API state, snapshots) all become a `Topology`; the engine compiles it.
public struct Topology: Hashable, Sendable, Codable {
    public var region: String
    public var accountID: String
    public var vpcs: [VPC] = []
    public var subnets: [Subnet] = []
    public var internetGateways: [InternetGateway] = []
    public var routeTables: [RouteTable] = []
    public var securityGroups: [SecurityGroup] = []
    public var networkACLs: [NetworkACL] = []
    public var networkInterfaces: [NetworkInterface] = []
    public var instances: [Instance] = []
    public var elasticIPs: [ElasticIP] = []
    public var natGateways: [NATGateway] = []
    public var loadBalancers: [ClassicLoadBalancer] = []

    public init(region: String = "us-east-1", accountID: String = "123456789012") {
        self.region = region
        self.accountID = accountID
    }

    // Lookups. Linear, for clarity: the engine builds its own indexes when it compiles.
    public func vpc(_ id: VPC.ID) -> VPC? { vpcs.first { $0.id == id } }
    public func subnet(_ id: Subnet.ID) -> Subnet? { subnets.first { $0.id == id } }
    public func routeTable(_ id: RouteTable.ID) -> RouteTable? { routeTables.first { $0.id == id } }
    public func securityGroup(_ id: SecurityGroup.ID) -> SecurityGroup? { securityGroups.first { $0.id == id } }
    public func networkACL(_ id: NetworkACL.ID) -> NetworkACL? { networkACLs.first { $0.id == id } }
    public func networkInterface(_ id: NetworkInterface.ID) -> NetworkInterface? {
        networkInterfaces.first { $0.id == id }
    }
    public func instance(_ id: Instance.ID) -> Instance? { instances.first { $0.id == id } }
    public func internetGateway(_ id: InternetGateway.ID) -> InternetGateway? { internetGateways.first { $0.id == id } }
    public func natGateway(_ id: NATGateway.ID) -> NATGateway? { natGateways.first { $0.id == id } }
    public func loadBalancer(_ id: ClassicLoadBalancer.ID) -> ClassicLoadBalancer? { loadBalancers.first { $0.id == id } }
    public func elasticIP(_ id: ElasticIP.ID) -> ElasticIP? { elasticIPs.first { $0.id == id } }

    /// The route table a subnet uses: its explicit association, otherwise the VPC's main table
    /// (VPC User Guide, "Route tables").
    public func routeTable(for subnet: Subnet) -> RouteTable? {
        routeTables.first { $0.associatedSubnets.contains(subnet.id) }
            ?? routeTables.first { $0.vpcID == subnet.vpcID && $0.isMain }
    }

    /// The network ACL a subnet uses: its explicit association, otherwise the VPC's default ACL.
    public func networkACL(for subnet: Subnet) -> NetworkACL? {
        networkACLs.first { $0.associatedSubnets.contains(subnet.id) }
            ?? networkACLs.first { $0.vpcID == subnet.vpcID && $0.isDefault }
    }

    /// The public address of each private address of an interface: an Elastic IP if one is
    /// associated, else the auto-assigned public IP of the primary address.
    public func publicAddresses(of interface: NetworkInterface) -> [(privateIP: IPv4Address, publicIP: IPv4Address)] {
        interface.privateIPs.compactMap { privateIP in
            if let eip = elasticIPs.first(where: {
                $0.association?.networkInterfaceID == interface.id && $0.association?.privateIP == privateIP
            }) {
                return (privateIP, eip.publicIP)
            }
            if privateIP == interface.primaryPrivateIP, let publicIP = interface.publicIP { return (privateIP, publicIP) }
            return nil
        }
    }

    /// The instance state the state of the interface's owner implies for forwarding.
    public func instance(owning interface: NetworkInterface) -> Instance? {
        if case .instance(let id) = interface.owner { return instance(id) }
        return nil
    }

    /// The name a person gave a resource, or its ID.
    public func displayName(of id: String) -> String {
        for row in Self.kinds {
            if let (_, name) = row.names(in: self).first(where: { $0.id == id }) { return name ?? id }
        }
        return id
    }
}

extension Topology {
    /// The table of resource kinds: every kind a `Topology` holds, in dependency order (a kind's
    /// references point to kinds before it). Importers, the API's state and store, names and ARNs all
    /// go through it, so a new kind is its type (with its `ResourceKind`), its list above and a row here.
    public static let kinds: [any TopologyKind] = [
        KindList(\.vpcs), KindList(\.subnets), KindList(\.internetGateways), KindList(\.routeTables),
        KindList(\.securityGroups), KindList(\.networkACLs), KindList(\.networkInterfaces), KindList(\.instances),
        KindList(\.elasticIPs), KindList(\.natGateways), KindList(\.loadBalancers),
    ]

    /// The kind of a record name (`ResourceKind.name`), if it is a kind of the table.
    public static func kind(named name: String) -> (any TopologyKind)? { kinds.first { $0.kind.name == name } }
}
