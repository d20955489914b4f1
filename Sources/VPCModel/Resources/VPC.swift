/// A virtual private cloud: an isolated IPv4 address space.
public struct VPC: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<VPC>
    public var id: ID
    public var name: String?
    /// The primary CIDR block first, then any secondary blocks.
    public var cidrBlocks: [CIDRBlock]

    public init(id: ID, name: String? = nil, cidrBlocks: [CIDRBlock]) {
        self.id = id
        self.name = name
        self.cidrBlocks = cidrBlocks
    }

    public func contains(_ block: CIDRBlock) -> Bool { cidrBlocks.contains { $0.contains(block) } }
    public func contains(_ address: IPv4Address) -> Bool { cidrBlocks.contains { $0.contains(address) } }
}

/// A subnet: a slice of a VPC's address space in one Availability Zone.
public struct Subnet: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<Subnet>
    public var id: ID
    public var name: String?
    public var vpcID: VPC.ID
    public var cidrBlock: CIDRBlock
    public var availabilityZone: String
    /// Whether instances launched here get a public IPv4 address by default.
    public var mapPublicIPOnLaunch: Bool

    public init(
        id: ID, name: String? = nil, vpcID: VPC.ID, cidrBlock: CIDRBlock, availabilityZone: String,
        mapPublicIPOnLaunch: Bool = false
    ) {
        self.id = id
        self.name = name
        self.vpcID = vpcID
        self.cidrBlock = cidrBlock
        self.availabilityZone = availabilityZone
        self.mapPublicIPOnLaunch = mapPublicIPOnLaunch
    }

    /// The first four addresses and the last are reserved by AWS (VPC User Guide, "Subnet CIDR blocks").
    public func isReserved(_ address: IPv4Address) -> Bool {
        let offset = address.value &- cidrBlock.network.value
        return offset < 4 || address == cidrBlock.last
    }
}

/// An internet gateway, attached to at most one VPC.
public struct InternetGateway: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<InternetGateway>
    public var id: ID
    public var name: String?
    public var attachedVPC: VPC.ID?

    public init(id: ID, name: String? = nil, attachedVPC: VPC.ID? = nil) {
        self.id = id
        self.name = name
        self.attachedVPC = attachedVPC
    }
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension VPC: LabelledResource {
    public static let kind = ResourceKind(name: "vpc", idPrefix: "vpc", cloudFormationType: "AWS::EC2::VPC", arnType: "vpc", nameIsTag: true)
}
extension Subnet: LabelledResource {
    public static let kind = ResourceKind(
        name: "subnet", idPrefix: "subnet", cloudFormationType: "AWS::EC2::Subnet", arnType: "subnet", nameIsTag: true)
}
extension InternetGateway: LabelledResource {
    public static let kind = ResourceKind(
        name: "internetGateway", idPrefix: "igw", cloudFormationType: "AWS::EC2::InternetGateway", arnType: "internet-gateway", nameIsTag: true)
}
