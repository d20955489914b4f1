/// Why (part of) a path is blocked: botocore `Explanation`, plus a sentence for people.
///
/// `message`, `isPartial` and `blocked` are LocalVPC's own and are not encoded: the JSON keeps AWS's shape.
public struct Explanation: Hashable, Sendable, Codable {
    /// AWS's explanation codes (Reachability Analyzer, "Explanation codes"); open-ended like AWS's list.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let badState = Code(rawValue: "BAD_STATE")
        public static let badStateAttachment = Code(rawValue: "BAD_STATE_ATTACHMENT")
        public static let badStateRoute = Code(rawValue: "BAD_STATE_ROUTE")
        public static let componentFilterRestriction = Code(rawValue: "COMPONENT_FILTER_RESTRICTION")
        public static let elbACLRestriction = Code(rawValue: "ELB_ACL_RESTRICTION")
        public static let elbInstalledAZRestriction = Code(rawValue: "ELB_INSTALLED_AZ_RESTRICTION")
        public static let elbListenersMismatch = Code(rawValue: "ELB_LISTENERS_MISMATCH")
        public static let elbNotCrossZone = Code(rawValue: "ELB_NOT_CROSSZONE")
        public static let eniSGRulesMismatch = Code(rawValue: "ENI_SG_RULES_MISMATCH")
        public static let eniSourceDestCheckRestriction = Code(rawValue: "ENI_SOURCE_DEST_CHECK_RESTRICTION")
        public static let igwPrivateIPAssociationForIngress = Code(rawValue: "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")
        public static let igwPublicIPAssociationForEgress = Code(rawValue: "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS")
        public static let noRouteToDestination = Code(rawValue: "NO_ROUTE_TO_DESTINATION")
        public static let sgReferencesNotPreserved = Code(rawValue: "SG_REFERENCES_NOT_PRESERVED")
        public static let subnetACLRestriction = Code(rawValue: "SUBNET_ACL_RESTRICTION")
        public static let targetPortRestriction = Code(rawValue: "TARGET_PORT_RESTRICTION")
        /// LocalVPC's own: a route sends traffic round in a loop (AWS has no code for it).
        public static let routingLoop = Code(rawValue: "LOCALVPC_ROUTING_LOOP")
        /// LocalVPC's own: the reply is routed into a NAT that the request never crossed; the NAT
        /// rewrites the reply's source, so it no longer belongs to the client's connection (AWS has no code for it).
        public static let asymmetricReturn = Code(rawValue: "LOCALVPC_ASYMMETRIC_RETURN")
        /// LocalVPC's own: a connection started towards a NAT gateway itself, which answers none (VPC User
        /// Guide, "NAT gateways": "external services can't initiate a connection"; AWS has no code for it).
        public static let natGatewayInbound = Code(rawValue: "LOCALVPC_NAT_GATEWAY_INBOUND")
    }

    public var explanationCode: Code
    public var direction: String?
    public var component: AnalysisComponent?
    public var acl: AnalysisComponent?
    public var aclRule: AnalysisACLRule?
    public var securityGroup: AnalysisComponent?
    public var securityGroups: [AnalysisComponent]?
    public var securityGroupRule: AnalysisSecurityGroupRule?
    public var routeTable: AnalysisComponent?
    public var routeTableRoute: AnalysisRouteTableRoute?
    public var subnet: AnalysisComponent?
    public var vpc: AnalysisComponent?
    public var networkInterface: AnalysisComponent?
    public var internetGateway: AnalysisComponent?
    public var natGateway: AnalysisComponent?
    public var attachedTo: AnalysisComponent?
    public var destination: AnalysisComponent?
    public var address: String?
    public var addresses: [String]?
    public var cidrs: [String]?
    public var portRanges: [AnalysisPortRange]?
    public var protocols: [String]?
    public var state: String?
    public var loadBalancerArn: String?
    public var classicLoadBalancerListener: AnalysisLoadBalancerListener?
    public var loadBalancerListenerPort: Int?
    public var loadBalancerTarget: AnalysisLoadBalancerTarget?
    public var loadBalancerTargetPort: Int?
    public var availabilityZones: [String]?
    /// A sentence naming the component and rule that blocks, and what would have to change.
    public var message: String = ""
    /// True when the component blocks only part of the packets of the query.
    public var isPartial: Bool = false
    /// The packets the component blocks, as they were there (LocalVPC's own, not encoded): what a fix must let through.
    public var blocked: PacketSet?

    public init(_ code: Code, direction: String? = nil, message: String) {
        self.explanationCode = code
        self.direction = direction
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case explanationCode = "ExplanationCode"
        case direction = "Direction"
        case component = "Component"
        case acl = "Acl"
        case aclRule = "AclRule"
        case securityGroup = "SecurityGroup"
        case securityGroups = "SecurityGroups"
        case securityGroupRule = "SecurityGroupRule"
        case routeTable = "RouteTable"
        case routeTableRoute = "RouteTableRoute"
        case subnet = "Subnet"
        case vpc = "Vpc"
        case networkInterface = "NetworkInterface"
        case internetGateway = "InternetGateway"
        case natGateway = "NatGateway"
        case attachedTo = "AttachedTo"
        case destination = "Destination"
        case address = "Address"
        case addresses = "Addresses"
        case cidrs = "Cidrs"
        case portRanges = "PortRanges"
        case protocols = "Protocols"
        case state = "State"
        case loadBalancerArn = "LoadBalancerArn"
        case classicLoadBalancerListener = "ClassicLoadBalancerListener"
        case loadBalancerListenerPort = "LoadBalancerListenerPort"
        case loadBalancerTarget = "LoadBalancerTarget"
        case loadBalancerTargetPort = "LoadBalancerTargetPort"
        case availabilityZones = "AvailabilityZones"
    }
}
