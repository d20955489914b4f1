/// A route table: the main table of its VPC, or one associated explicitly with subnets.
public struct RouteTable: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<RouteTable>
    public var id: ID
    public var name: String?
    public var vpcID: VPC.ID
    /// Whether this is the VPC's main table, used by every subnet without an explicit association.
    public var isMain: Bool
    public var associatedSubnets: [Subnet.ID]
    /// The routes the user created. The `local` route of each VPC CIDR is implicit and always present.
    public var routes: [Route]

    public init(
        id: ID, name: String? = nil, vpcID: VPC.ID, isMain: Bool = false, associatedSubnets: [Subnet.ID] = [],
        routes: [Route] = []
    ) {
        self.id = id
        self.name = name
        self.vpcID = vpcID
        self.isMain = isMain
        self.associatedSubnets = associatedSubnets
        self.routes = routes
    }
}

/// One route: a destination block and where matching traffic goes.
public struct Route: Hashable, Sendable, Codable {
    /// Where a route sends traffic.
    public enum Target: Hashable, Sendable, CustomStringConvertible, Codable {
        /// Within the VPC (the implicit route for each VPC CIDR).
        case local
        case internetGateway(InternetGateway.ID)
        case natGateway(NATGateway.ID)
        /// An instance; resolves to its primary network interface.
        case instance(Instance.ID)
        case networkInterface(NetworkInterface.ID)

        public var description: String {
            switch self {
            case .local: "local"
            case .internetGateway(let id): id.rawValue
            case .natGateway(let id): id.rawValue
            case .instance(let id): id.rawValue
            case .networkInterface(let id): id.rawValue
            }
        }
    }

    public var destination: CIDRBlock
    public var target: Target

    public init(destination: CIDRBlock, target: Target) {
        self.destination = destination
        self.target = target
    }
}

/// Whether a route can carry traffic (botocore `RouteState`).
public enum RouteState: String, Hashable, Sendable, Codable {
    /// The target is available.
    case active
    /// The target is gone or not running: traffic is dropped.
    case blackhole
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension RouteTable: LabelledResource {
    public static let kind = ResourceKind(
        name: "routeTable", idPrefix: "rtb", cloudFormationType: "AWS::EC2::RouteTable", arnType: "route-table", nameIsTag: true)
}
