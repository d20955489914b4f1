import VPCModel

/// The keys of a resource's `Metadata`: the API-only facts the network model does not hold.
struct MetaKey: Hashable, Sendable, RawRepresentable {
    let rawValue: String
    init(rawValue: String) { self.rawValue = rawValue }

    // VPCs and subnets.
    /// Whether it is the region's default VPC or subnet ("true"/"false").
    static let isDefault = MetaKey(rawValue: "isDefault")
    static let defaultForAz = MetaKey(rawValue: "defaultForAz")
    static let cidrAssociation = MetaKey(rawValue: "cidrAssociation")
    static let enableDnsSupport = MetaKey(rawValue: "enableDnsSupport")
    static let enableDnsHostnames = MetaKey(rawValue: "enableDnsHostnames")
    /// A VPC attribute of `DescribeVpcAttribute` / `ModifyVpcAttribute`, by its API name.
    static func vpcAttribute(_ name: String) -> MetaKey { MetaKey(rawValue: name) }
    /// The association ID of a subnet's network ACL (kept on the subnet).
    static let aclAssociation = MetaKey(rawValue: "aclAssociation")

    // Route tables.
    /// The ID of a route table's main association, when it is the main table.
    static let mainAssociation = MetaKey(rawValue: "mainAssociation")
    /// The ID of a route table's association with one subnet.
    static func association(subnet: Subnet.ID) -> MetaKey { MetaKey(rawValue: "assoc:\(subnet.rawValue)") }
    static func association(subnet: String) -> MetaKey { MetaKey(rawValue: "assoc:\(subnet)") }

    // Instances and interfaces.
    static let instanceType = MetaKey(rawValue: "instanceType")
    static let reservation = MetaKey(rawValue: "reservation")
    static let launchTime = MetaKey(rawValue: "launchTime")
    static let launchIndex = MetaKey(rawValue: "launchIndex")
    static let keyName = MetaKey(rawValue: "keyName")
    static let description = MetaKey(rawValue: "description")
    static let attachment = MetaKey(rawValue: "attachment")
    static let privateIp = MetaKey(rawValue: "privateIp")
    static let autoPublicIP = MetaKey(rawValue: "autoPublicIP")
    /// `dedicated` or `host` (absent: `default`).
    static let tenancy = MetaKey(rawValue: "tenancy")
    /// `BlockDevice.encode`: one line per device.
    static let blockDevices = MetaKey(rawValue: "blockDevices")
    /// The launch template an instance was launched from (`lt-…`) and its version.
    static let launchTemplate = MetaKey(rawValue: "launchTemplate")

    // Elastic IPs and NAT gateways.
    /// An Elastic IP's association ID.
    static let association = MetaKey(rawValue: "association")
    static let createTime = MetaKey(rawValue: "createTime")

    // Load balancers (kept under the balancer's tag key).
    static let createdTime = MetaKey(rawValue: "createdTime")
    /// `ConnectionDraining` and `AccessLog` of `ModifyLoadBalancerAttributes`.
    static let drainingEnabled = MetaKey(rawValue: "drainingEnabled")
    static let drainingTimeout = MetaKey(rawValue: "drainingTimeout")
    static let accessLogEnabled = MetaKey(rawValue: "accessLogEnabled")
    static let accessLogBucket = MetaKey(rawValue: "accessLogBucket")
    static let accessLogInterval = MetaKey(rawValue: "accessLogInterval")
    static let accessLogPrefix = MetaKey(rawValue: "accessLogPrefix")
}
