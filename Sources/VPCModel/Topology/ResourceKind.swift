/// A kind of resource, as AWS and LocalVPC name it.
public struct ResourceKind: Hashable, Sendable, CustomStringConvertible {
    /// The name of its stored records and of the kind in messages ("vpc", "securityGroup").
    public let name: String
    /// Its CloudFormation type ("AWS::EC2::VPC"), also Network Access Analyzer's `ResourceTypes` value.
    public let cloudFormationType: String?
    /// Its ARN: `arn:aws:<service>:<region>:<account>:<arnType>/<id>`.
    public let arnService: String
    public let arnType: String
    /// The prefix of its EC2 IDs ("vpc" in "vpc-0a1b…"); nil for kinds named by their owner (load balancers).
    public let idPrefix: String?
    /// Whether people name it with a `Name` tag (a security group or load balancer has a name of its own;
    /// an interface's or Elastic IP's name here is a label, not a tag).
    public let nameIsTag: Bool

    public init(
        name: String, idPrefix: String?, cloudFormationType: String? = nil, arnService: String = "ec2", arnType: String,
        nameIsTag: Bool = false
    ) {
        self.name = name
        self.idPrefix = idPrefix
        self.cloudFormationType = cloudFormationType
        self.arnService = arnService
        self.arnType = arnType
        self.nameIsTag = nameIsTag
    }

    public var description: String { name }

    public func arn(_ id: String, region: String, accountID: String) -> String {
        "arn:aws:\(arnService):\(region):\(accountID):\(arnType)/\(id)"
    }
}

/// A value of some kind, with an ID: the resources of a `Topology`, and any other record kept by kind.
public protocol Resource: Hashable, Sendable, Codable {
    static var kind: ResourceKind { get }
    var resourceID: String { get }
}

/// A resource of a `Topology`: one of the kinds listed in `Topology.kinds`.
public protocol NetworkResource: Resource {
    var id: ResourceID<Self> { get }
    /// The name a person gave it, if any.
    var displayName: String? { get }
    /// Takes its `Name` tag as its name (for kinds whose `nameIsTag`).
    mutating func adoptTagName(_ name: String?)
}

extension NetworkResource {
    public var resourceID: String { id.rawValue }
}

/// A kind whose name is an optional label (most EC2 resources).
public protocol LabelledResource: NetworkResource {
    var name: String? { get set }
}

extension LabelledResource {
    public var displayName: String? { name }
    public mutating func adoptTagName(_ name: String?) { self.name = name }
}

/// One row of `Topology.kinds`: a kind and where its resources are in a `Topology`.
public protocol TopologyKind: Sendable {
    associatedtype Element: NetworkResource
    var list: any WritableKeyPath<Topology, [Element]> & Sendable { get }
}

extension TopologyKind {
    public var kind: ResourceKind { Element.kind }
    public func ids(in topology: Topology) -> [String] { topology[keyPath: list].map { $0.resourceID } }
    public func names(in topology: Topology) -> [(id: String, name: String?)] {
        topology[keyPath: list].map { ($0.resourceID, $0.displayName) }
    }
    /// Renames every resource of the kind after its `Name` tag (kinds whose `nameIsTag`).
    public func adoptTagNames(in topology: inout Topology, _ tagName: (String) -> String?) {
        guard kind.nameIsTag else { return }
        for index in topology[keyPath: list].indices {
            let id = topology[keyPath: list][index].resourceID
            topology[keyPath: list][index].adoptTagName(tagName(id))
        }
    }
}

/// The row of a kind in `Topology.kinds`.
public struct KindList<Element: NetworkResource>: TopologyKind {
    public let list: any WritableKeyPath<Topology, [Element]> & Sendable
    public init(_ list: any WritableKeyPath<Topology, [Element]> & Sendable) { self.list = list }
}
