/// A stateless, numbered-rule packet filter for the traffic entering and leaving subnets.
public struct NetworkACL: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<NetworkACL>
    public var id: ID
    public var name: String?
    public var vpcID: VPC.ID
    /// The VPC's default ACL, used by every subnet without an explicit association.
    public var isDefault: Bool
    public var associatedSubnets: [Subnet.ID]
    /// The numbered entries, in any order; they are evaluated in ascending rule number.
    public var entries: [NetworkACLEntry]

    public init(
        id: ID, name: String? = nil, vpcID: VPC.ID, isDefault: Bool = false, associatedSubnets: [Subnet.ID] = [],
        entries: [NetworkACLEntry] = []
    ) {
        self.id = id
        self.name = name
        self.vpcID = vpcID
        self.isDefault = isDefault
        self.associatedSubnets = associatedSubnets
        self.entries = entries
    }

    /// The entries of the default network ACL: rule 100 allows all traffic in each direction
    /// (VPC User Guide, "Default network ACL").
    public static let defaultEntries: [NetworkACLEntry] = [
        NetworkACLEntry(ruleNumber: 100, direction: .ingress, ipProtocol: .all, cidr: .all, action: .allow),
        NetworkACLEntry(ruleNumber: 100, direction: .egress, ipProtocol: .all, cidr: .all, action: .allow),
    ]

    /// The entries of one direction, sorted by rule number: the evaluation order.
    public func sortedEntries(_ direction: Direction) -> [NetworkACLEntry] {
        entries.filter { $0.direction == direction }.sorted { $0.ruleNumber < $1.ruleNumber }
    }
}

/// One numbered network ACL entry.
public struct NetworkACLEntry: Hashable, Sendable, Codable {
    public enum Action: String, Hashable, Sendable, Codable {
        case allow, deny
    }

    /// Rule numbers users may create (VPC User Guide, "Network ACL rules").
    public static let userRuleNumbers = 1...32766
    /// The number AWS gives the final `*` rule, which denies everything else.
    public static let catchAllRuleNumber = 32767

    public var ruleNumber: Int
    public var direction: Direction
    public var ipProtocol: IPProtocol
    /// Matches the packet's destination port, in both directions. TCP and UDP only.
    public var ports: PortRange
    /// Ingress: the source block; egress: the destination block.
    public var cidr: CIDRBlock
    public var action: Action

    public init(
        ruleNumber: Int, direction: Direction, ipProtocol: IPProtocol, ports: PortRange = .all, cidr: CIDRBlock,
        action: Action
    ) {
        self.ruleNumber = ruleNumber
        self.direction = direction
        self.ipProtocol = ipProtocol
        self.ports = ipProtocol.hasPorts ? ports : .all
        self.cidr = cidr
        self.action = action
    }

    /// The implicit last rule (`*`) of a direction: deny all.
    public static func catchAll(_ direction: Direction) -> NetworkACLEntry {
        NetworkACLEntry(ruleNumber: catchAllRuleNumber, direction: direction, ipProtocol: .all, cidr: .all, action: .deny)
    }
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension NetworkACL: LabelledResource {
    public static let kind = ResourceKind(
        name: "networkACL", idPrefix: "acl", cloudFormationType: "AWS::EC2::NetworkAcl", arnType: "network-acl", nameIsTag: true)
}
