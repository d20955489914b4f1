/// An EC2 instance with its primary network interface.
public struct Instance: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<Instance>

    /// The instance lifecycle states of EC2 (botocore `InstanceStateName`).
    public enum State: String, Hashable, Sendable, CaseIterable, Codable {
        case pending, running, stopping, stopped
        case shuttingDown = "shutting-down"
        case terminated

        /// Whether the instance sends and receives traffic. LocalVPC choice: `stopping` still
        /// forwards (its route is active until the stop completes, as SEMANTICS.md records).
        public var isForwarding: Bool { self == .running || self == .stopping }
    }

    /// What the instance does with traffic it forwards.
    public enum Role: String, Hashable, Sendable, Codable {
        /// Masquerades forwarded traffic behind its own private address, as the Amazon VPC NAT AMI does.
        case nat
    }

    public var id: ID
    public var name: String?
    public var state: State
    public var imageID: String
    public var primaryNetworkInterfaceID: NetworkInterface.ID
    public var role: Role?
    /// The source ports this instance's operating system picks for outgoing connections.
    /// Linux default 32768-61000 (VPC User Guide, "Ephemeral ports").
    public var ephemeralPorts: PortRange

    public static let linuxEphemeralPorts = PortRange(uncheckedFrom: 32768, to: 61000)
    public static let windowsEphemeralPorts = PortRange(uncheckedFrom: 49152, to: 65535)

    public init(
        id: ID, name: String? = nil, state: State = .running, imageID: String = "ami-00000000000000000",
        primaryNetworkInterfaceID: NetworkInterface.ID, role: Role? = nil,
        ephemeralPorts: PortRange = Instance.linuxEphemeralPorts
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.imageID = imageID
        self.primaryNetworkInterfaceID = primaryNetworkInterfaceID
        self.role = role
        self.ephemeralPorts = ephemeralPorts
    }
}

/// A NAT gateway in a subnet, with its own network interface and (when public) an Elastic IP.
public struct NATGateway: Hashable, Sendable, Codable {
    public typealias ID = ResourceID<NATGateway>

    /// botocore `NatGatewayState`.
    public enum State: String, Hashable, Sendable, Codable {
        case pending, failed, available, deleting, deleted
    }

    public var id: ID
    public var name: String?
    public var subnetID: Subnet.ID
    public var networkInterfaceID: NetworkInterface.ID
    public var elasticIPID: ElasticIP.ID?
    public var state: State

    /// NAT gateways remap the source port into 1024-65535 (VPC User Guide, "NAT gateways").
    public static let translatedPorts = PortRange(uncheckedFrom: 1024, to: 65535)

    public init(
        id: ID, name: String? = nil, subnetID: Subnet.ID, networkInterfaceID: NetworkInterface.ID,
        elasticIPID: ElasticIP.ID?, state: State = .available
    ) {
        self.id = id
        self.name = name
        self.subnetID = subnetID
        self.networkInterfaceID = networkInterfaceID
        self.elasticIPID = elasticIPID
        self.state = state
    }
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension Instance: LabelledResource {
    public static let kind = ResourceKind(
        name: "instance", idPrefix: "i", cloudFormationType: "AWS::EC2::Instance", arnType: "instance", nameIsTag: true)
}
extension NATGateway: LabelledResource {
    public static let kind = ResourceKind(
        name: "natGateway", idPrefix: "nat", cloudFormationType: "AWS::EC2::NatGateway", arnType: "natgateway", nameIsTag: true)
}
