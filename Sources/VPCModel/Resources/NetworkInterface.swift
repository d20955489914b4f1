/// An elastic network interface: private addresses, an optional public address, security groups.
public struct NetworkInterface: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<NetworkInterface>

    /// What the interface belongs to, which decides how it treats traffic.
    public enum Owner: Hashable, Sendable, Codable {
        case instance(Instance.ID)
        /// A node of a Classic Load Balancer (requester-managed interface).
        case loadBalancer(ClassicLoadBalancer.ID)
        /// A NAT gateway's interface; NAT gateways apply no security groups.
        case natGateway(NATGateway.ID)
        /// Not attached to anything.
        case detached
    }

    public var id: ID
    public var name: String?
    public var subnetID: Subnet.ID
    /// The primary private address first.
    public var privateIPs: [IPv4Address]
    /// A public IPv4 address assigned automatically to the primary private address (released on stop).
    public var publicIP: IPv4Address?
    public var securityGroupIDs: [SecurityGroup.ID]
    /// On by default: the interface drops traffic not addressed to, or not sent from, its own addresses.
    public var sourceDestCheck: Bool
    public var owner: Owner

    public init(
        id: ID, name: String? = nil, subnetID: Subnet.ID, privateIPs: [IPv4Address], publicIP: IPv4Address? = nil,
        securityGroupIDs: [SecurityGroup.ID], sourceDestCheck: Bool = true, owner: Owner = .detached
    ) {
        self.id = id
        self.name = name
        self.subnetID = subnetID
        self.privateIPs = privateIPs
        self.publicIP = publicIP
        self.securityGroupIDs = securityGroupIDs
        self.sourceDestCheck = sourceDestCheck
        self.owner = owner
    }

    public var primaryPrivateIP: IPv4Address { privateIPs[0] }
}

/// An Elastic IP address, possibly associated with a private address of a network interface.
public struct ElasticIP: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<ElasticIP>
    public var id: ID
    public var name: String?
    public var publicIP: IPv4Address
    public var association: Association?

    public struct Association: Hashable, Sendable, Codable {
        public var networkInterfaceID: NetworkInterface.ID
        public var privateIP: IPv4Address
        public init(networkInterfaceID: NetworkInterface.ID, privateIP: IPv4Address) {
            self.networkInterfaceID = networkInterfaceID
            self.privateIP = privateIP
        }
    }

    public init(id: ID, name: String? = nil, publicIP: IPv4Address, association: Association? = nil) {
        self.id = id
        self.name = name
        self.publicIP = publicIP
        self.association = association
    }
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension NetworkInterface: LabelledResource {
    public static let kind = ResourceKind(
        name: "networkInterface", idPrefix: "eni", cloudFormationType: "AWS::EC2::NetworkInterface", arnType: "network-interface")
}
extension ElasticIP: LabelledResource {
    public static let kind = ResourceKind(name: "elasticIP", idPrefix: "eipalloc", cloudFormationType: "AWS::EC2::EIP", arnType: "elastic-ip")
}
