/// A Classic Load Balancer in a VPC: one node per subnet, listeners, registered instances.
public struct ClassicLoadBalancer: Hashable, Sendable, Codable {
    /// A Classic Load Balancer is identified by its name.
    public typealias ID = ResourceID<ClassicLoadBalancer>

    public enum Scheme: String, Hashable, Sendable, Codable {
        case internetFacing = "internet-facing"
        case `internal`
    }

    /// A listener: front-end protocol and port to back-end protocol and port.
    public struct Listener: Hashable, Sendable, Codable, CustomStringConvertible {
        public enum ListenerProtocol: String, Hashable, Sendable, CaseIterable, Codable {
            case http = "HTTP"
            case https = "HTTPS"
            case tcp = "TCP"
            case ssl = "SSL"
            /// HTTP/HTTPS pair with HTTP/HTTPS; TCP/SSL with TCP/SSL (ELB Classic guide, "Listeners").
            var layer: Int { self == .http || self == .https ? 7 : 4 }
        }
        public var listenerProtocol: ListenerProtocol
        public var loadBalancerPort: Int
        public var instanceProtocol: ListenerProtocol
        public var instancePort: Int
        public var sslCertificateID: String?

        public init(
            listenerProtocol: ListenerProtocol, loadBalancerPort: Int, instanceProtocol: ListenerProtocol,
            instancePort: Int, sslCertificateID: String? = nil
        ) {
            self.listenerProtocol = listenerProtocol
            self.loadBalancerPort = loadBalancerPort
            self.instanceProtocol = instanceProtocol
            self.instancePort = instancePort
            self.sslCertificateID = sslCertificateID
        }

        /// Whether the front-end and back-end protocols may be paired.
        public var hasCompatibleProtocols: Bool { listenerProtocol.layer == instanceProtocol.layer }

        public var description: String {
            "\(listenerProtocol.rawValue):\(loadBalancerPort) -> \(instanceProtocol.rawValue):\(instancePort)"
        }
    }

    /// The health check (ELB Classic guide, "Configure health checks"); defaults are AWS's.
    public struct HealthCheck: Hashable, Sendable, Codable {
        public var target: String
        public var interval: Int
        public var timeout: Int
        public var unhealthyThreshold: Int
        public var healthyThreshold: Int

        public init(target: String = "TCP:80", interval: Int = 30, timeout: Int = 5, unhealthyThreshold: Int = 2, healthyThreshold: Int = 10) {
            self.target = target
            self.interval = interval
            self.timeout = timeout
            self.unhealthyThreshold = unhealthyThreshold
            self.healthyThreshold = healthyThreshold
        }

        /// The port of the target ("HTTP:80/index.html" → 80), if it parses.
        public var port: Int? {
            let afterProtocol = target.split(separator: ":", maxSplits: 1).dropFirst().first
            return afterProtocol.flatMap { Int($0.prefix { $0.isNumber }) }
        }
    }

    /// A load balancer node: the interface it has in one of its subnets.
    public struct Node: Hashable, Sendable, Codable {
        public var subnetID: Subnet.ID
        public var networkInterfaceID: NetworkInterface.ID
        public init(subnetID: Subnet.ID, networkInterfaceID: NetworkInterface.ID) {
            self.subnetID = subnetID
            self.networkInterfaceID = networkInterfaceID
        }
    }

    public var id: ID
    public var scheme: Scheme
    public var vpcID: VPC.ID
    public var securityGroupIDs: [SecurityGroup.ID]
    public var listeners: [Listener]
    public var instanceIDs: [Instance.ID]
    public var healthCheck: HealthCheck
    /// Cross-zone load balancing (off by default for load balancers made through the API).
    public var crossZone: Bool
    public var nodes: [Node]
    /// `ConnectionSettings.IdleTimeout`: a client connection with no data for this many seconds is
    /// closed (1-4000, default 60; ELB Classic's "Configure the idle connection timeout").
    public var idleTimeout: Int = 60
    public static let idleTimeouts = 1...4000

    /// A node's new connection to an instance uses a source port in 1024-65535 (SEMANTICS.md, ELB Classic).
    public static let backendSourcePorts = PortRange(uncheckedFrom: 1024, to: 65535)

    public init(
        id: ID, scheme: Scheme = .internetFacing, vpcID: VPC.ID, securityGroupIDs: [SecurityGroup.ID],
        listeners: [Listener], instanceIDs: [Instance.ID] = [], healthCheck: HealthCheck = HealthCheck(),
        crossZone: Bool = false, nodes: [Node], idleTimeout: Int = 60
    ) {
        self.idleTimeout = idleTimeout
        self.id = id
        self.scheme = scheme
        self.vpcID = vpcID
        self.securityGroupIDs = securityGroupIDs
        self.listeners = listeners
        self.instanceIDs = instanceIDs
        self.healthCheck = healthCheck
        self.crossZone = crossZone
        self.nodes = nodes
    }

    public var name: String { id.rawValue }

    enum CodingKeys: String, CodingKey {
        case id, scheme, vpcID, securityGroupIDs, listeners, instanceIDs, healthCheck, crossZone, nodes, idleTimeout
    }

    /// Records stored before `idleTimeout` existed read as the default, 60 s.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ID.self, forKey: .id)
        scheme = try c.decode(Scheme.self, forKey: .scheme)
        vpcID = try c.decode(VPC.ID.self, forKey: .vpcID)
        securityGroupIDs = try c.decode([SecurityGroup.ID].self, forKey: .securityGroupIDs)
        listeners = try c.decode([Listener].self, forKey: .listeners)
        instanceIDs = try c.decode([Instance.ID].self, forKey: .instanceIDs)
        healthCheck = try c.decode(HealthCheck.self, forKey: .healthCheck)
        crossZone = try c.decode(Bool.self, forKey: .crossZone)
        nodes = try c.decode([Node].self, forKey: .nodes)
        idleTimeout = try c.decodeIfPresent(Int.self, forKey: .idleTimeout) ?? 60
    }
}

// The kinds of this file in the table of kinds (`Topology.kinds`): names from the EC2 and ELB APIs,
// CloudFormation's resource types, ARN formats from the Service Authorization Reference.
extension ClassicLoadBalancer: NetworkResource {
    public static let kind = ResourceKind(
        name: "loadBalancer", idPrefix: nil, cloudFormationType: "AWS::ElasticLoadBalancing::LoadBalancer", arnService: "elasticloadbalancing",
        arnType: "loadbalancer")
    /// None apart from its ID: a load balancer's name is its ID.
    public var displayName: String? { nil }
    public mutating func adoptTagName(_ name: String?) {}
}
