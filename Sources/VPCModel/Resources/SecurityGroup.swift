/// A stateful, allow-only packet filter attached to network interfaces.
public struct SecurityGroup: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<SecurityGroup>
    public var id: ID
    /// The group name (`GroupName`), unique within the VPC.
    public var name: String
    public var description: String
    public var vpcID: VPC.ID
    public var ingress: [SecurityGroupRule]
    public var egress: [SecurityGroupRule]

    public init(
        id: ID, name: String, description: String = "", vpcID: VPC.ID, ingress: [SecurityGroupRule] = [],
        egress: [SecurityGroupRule] = [SecurityGroupRule.allowAllEgress]
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.vpcID = vpcID
        self.ingress = ingress
        self.egress = egress
    }

    public func rules(_ direction: Direction) -> [SecurityGroupRule] {
        direction == .ingress ? ingress : egress
    }
}

/// Which way traffic crosses a filter.
public enum Direction: String, Hashable, Sendable, Codable {
    case ingress
    case egress
}

/// One security group rule: protocol, ports and a peer (a CIDR block or another security group).
public struct SecurityGroupRule: Hashable, Sendable, Codable {
    /// Who the rule admits (ingress: the source; egress: the destination).
    public enum Peer: Hashable, Sendable, CustomStringConvertible, Codable {
        case cidr(CIDRBlock)
        /// Matches the private addresses of the interfaces in that group, and nothing else
        /// (VPC User Guide, "Security group rules").
        case securityGroup(SecurityGroup.ID)

        public var description: String {
            switch self {
            case .cidr(let block): block.description
            case .securityGroup(let id): id.rawValue
            }
        }
    }

    /// The rule ID (`sgr-…`), when known.
    public var id: String?
    public var ipProtocol: IPProtocol
    /// For TCP and UDP; ignored for other protocols.
    public var ports: PortRange
    public var peer: Peer
    public var description: String?

    public init(id: String? = nil, ipProtocol: IPProtocol, ports: PortRange = .all, peer: Peer, description: String? = nil) {
        self.id = id
        self.ipProtocol = ipProtocol
        self.ports = ipProtocol.hasPorts ? ports : .all
        self.peer = peer
        self.description = description
    }

    /// The outbound rule every new security group gets: all traffic to 0.0.0.0/0.
    public static let allowAllEgress = SecurityGroupRule(ipProtocol: .all, peer: .cidr(.all))
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension SecurityGroup: NetworkResource {
    public static let kind = ResourceKind(
        name: "securityGroup", idPrefix: "sg", cloudFormationType: "AWS::EC2::SecurityGroup", arnType: "security-group")
    public var displayName: String? { name }
    public mutating func adoptTagName(_ name: String?) {}
}
