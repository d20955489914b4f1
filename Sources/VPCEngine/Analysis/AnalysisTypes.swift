// Value types with the shape and field names of EC2's NetworkInsightsAnalysis
// (botocore ec2 2016-11-15: `NetworkInsightsAnalysis`, `PathComponent`, `Explanation`, …).
// They are Codable with AWS's PascalCase keys, so any JSON encoder prints what
// `aws ec2 describe-network-insights-analyses` prints.

/// botocore `AnalysisComponent`.
public struct AnalysisComponent: Hashable, Sendable, Codable {
    /// The three strings in one shared box: a component is copied into every hop and explanation that
    /// names it, and a copy is then one reference instead of three.
    private final class Storage: Sendable {
        let id: String
        let arn: String?
        let name: String?
        init(id: String, arn: String?, name: String?) {
            self.id = id
            self.arn = arn
            self.name = name
        }
    }
    private var storage: Storage

    public var id: String {
        get { storage.id }
        set { storage = Storage(id: newValue, arn: storage.arn, name: storage.name) }
    }
    public var arn: String? {
        get { storage.arn }
        set { storage = Storage(id: storage.id, arn: newValue, name: storage.name) }
    }
    public var name: String? {
        get { storage.name }
        set { storage = Storage(id: storage.id, arn: storage.arn, name: newValue) }
    }

    public init(id: String, arn: String? = nil, name: String? = nil) {
        storage = Storage(id: id, arn: arn, name: name)
    }

    public static func == (a: AnalysisComponent, b: AnalysisComponent) -> Bool {
        a.storage === b.storage || (a.id == b.id && a.arn == b.arn && a.name == b.name)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(arn)
        hasher.combine(name)
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case arn = "Arn"
        case name = "Name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), arn: try c.decodeIfPresent(String.self, forKey: .arn),
            name: try c.decodeIfPresent(String.self, forKey: .name))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(arn, forKey: .arn)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// botocore `PortRange`.
public struct AnalysisPortRange: Hashable, Sendable, Codable {
    public var from: Int
    public var to: Int
    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }
    enum CodingKeys: String, CodingKey {
        case from = "From"
        case to = "To"
    }
}

/// botocore `AnalysisAclRule`.
public struct AnalysisACLRule: Hashable, Sendable, Codable {
    public var cidr: String?
    public var egress: Bool?
    public var portRange: AnalysisPortRange?
    public var ipProtocol: String?
    public var ruleAction: String?
    public var ruleNumber: Int?

    enum CodingKeys: String, CodingKey {
        case cidr = "Cidr"
        case egress = "Egress"
        case portRange = "PortRange"
        case ipProtocol = "Protocol"
        case ruleAction = "RuleAction"
        case ruleNumber = "RuleNumber"
    }
}

/// botocore `AnalysisSecurityGroupRule`.
public struct AnalysisSecurityGroupRule: Hashable, Sendable, Codable {
    public var cidr: String?
    public var direction: String?
    public var securityGroupID: String?
    public var portRange: AnalysisPortRange?
    public var ipProtocol: String?

    enum CodingKeys: String, CodingKey {
        case cidr = "Cidr"
        case direction = "Direction"
        case securityGroupID = "SecurityGroupId"
        case portRange = "PortRange"
        case ipProtocol = "Protocol"
    }
}

/// botocore `AnalysisRouteTableRoute`.
public struct AnalysisRouteTableRoute: Hashable, Sendable, Codable {
    public var destinationCidr: String?
    public var gatewayID: String?
    public var instanceID: String?
    public var natGatewayID: String?
    public var networkInterfaceID: String?
    public var origin: String?
    public var state: String?

    enum CodingKeys: String, CodingKey {
        case destinationCidr = "DestinationCidr"
        case gatewayID = "GatewayId"
        case instanceID = "InstanceId"
        case natGatewayID = "NatGatewayId"
        case networkInterfaceID = "NetworkInterfaceId"
        case origin = "Origin"
        case state = "State"
    }
}

/// botocore `AnalysisPacketHeader`: address sets as CIDR strings, port sets as ranges.
public struct AnalysisPacketHeader: Hashable, Sendable, Codable {
    public var destinationAddresses: [String]?
    public var destinationPortRanges: [AnalysisPortRange]?
    public var ipProtocol: String?
    public var sourceAddresses: [String]?
    public var sourcePortRanges: [AnalysisPortRange]?

    enum CodingKeys: String, CodingKey {
        case destinationAddresses = "DestinationAddresses"
        case destinationPortRanges = "DestinationPortRanges"
        case ipProtocol = "Protocol"
        case sourceAddresses = "SourceAddresses"
        case sourcePortRanges = "SourcePortRanges"
    }
}

/// botocore `AnalysisLoadBalancerListener`.
public struct AnalysisLoadBalancerListener: Hashable, Sendable, Codable {
    public var loadBalancerPort: Int?
    public var instancePort: Int?
    enum CodingKeys: String, CodingKey {
        case loadBalancerPort = "LoadBalancerPort"
        case instancePort = "InstancePort"
    }
}

/// botocore `AnalysisLoadBalancerTarget`.
public struct AnalysisLoadBalancerTarget: Hashable, Sendable, Codable {
    public var address: String?
    public var availabilityZone: String?
    public var instance: AnalysisComponent?
    public var port: Int?
    enum CodingKeys: String, CodingKey {
        case address = "Address"
        case availabilityZone = "AvailabilityZone"
        case instance = "Instance"
        case port = "Port"
    }
}

/// botocore `AdditionalDetail`.
public struct AdditionalDetail: Hashable, Sendable, Codable {
    public var additionalDetailType: String?
    public var component: AnalysisComponent?
    public var loadBalancers: [AnalysisComponent]?
    enum CodingKeys: String, CodingKey {
        case additionalDetailType = "AdditionalDetailType"
        case component = "Component"
        case loadBalancers = "LoadBalancers"
    }
}
