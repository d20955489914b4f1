/// One hop of a path: botocore `PathComponent`.
public struct PathComponent: Hashable, Sendable, Codable {
    public var sequenceNumber: Int
    public var component: AnalysisComponent
    public var aclRule: AnalysisACLRule?
    public var securityGroupRule: AnalysisSecurityGroupRule?
    public var routeTableRoute: AnalysisRouteTableRoute?
    public var inboundHeader: AnalysisPacketHeader?
    public var outboundHeader: AnalysisPacketHeader?
    public var attachedTo: AnalysisComponent?
    public var subnet: AnalysisComponent?
    public var vpc: AnalysisComponent?
    public var additionalDetails: [AdditionalDetail]?
    /// Explanations attached to this hop (set on a blocked path).
    public var explanations: [Explanation]?
    /// LocalVPC's own, not encoded: what happens at this hop, for terminal output.
    public var note: String = ""
    /// The packets entering and leaving this hop; rendered into the headers only for the reported path.
    var inboundPackets: PacketSet?
    var outboundPackets: PacketSet?

    public init(sequenceNumber: Int = 0, component: AnalysisComponent, note: String = "") {
        self.sequenceNumber = sequenceNumber
        self.component = component
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case sequenceNumber = "SequenceNumber"
        case component = "Component"
        case aclRule = "AclRule"
        case securityGroupRule = "SecurityGroupRule"
        case routeTableRoute = "RouteTableRoute"
        case inboundHeader = "InboundHeader"
        case outboundHeader = "OutboundHeader"
        case attachedTo = "AttachedTo"
        case subnet = "Subnet"
        case vpc = "Vpc"
        case additionalDetails = "AdditionalDetails"
        case explanations = "Explanations"
    }
}

/// The result of a path analysis: botocore `NetworkInsightsAnalysis`.
public struct NetworkInsightsAnalysis: Hashable, Sendable, Codable {
    public var networkInsightsAnalysisID: String
    public var networkInsightsAnalysisArn: String
    public var networkInsightsPathID: String
    public var filterInArns: [String]?
    public var filterOutArns: [String]?
    /// ISO-8601; set by the caller, as the core reads no clock.
    public var startDate: String?
    public var status: String
    public var statusMessage: String?
    public var networkPathFound: Bool
    public var forwardPathComponents: [PathComponent]
    public var returnPathComponents: [PathComponent]
    public var explanations: [Explanation]

    enum CodingKeys: String, CodingKey {
        case networkInsightsAnalysisID = "NetworkInsightsAnalysisId"
        case networkInsightsAnalysisArn = "NetworkInsightsAnalysisArn"
        case networkInsightsPathID = "NetworkInsightsPathId"
        case filterInArns = "FilterInArns"
        case filterOutArns = "FilterOutArns"
        case startDate = "StartDate"
        case status = "Status"
        case statusMessage = "StatusMessage"
        case networkPathFound = "NetworkPathFound"
        case forwardPathComponents = "ForwardPathComponents"
        case returnPathComponents = "ReturnPathComponents"
        case explanations = "Explanations"
    }
}
