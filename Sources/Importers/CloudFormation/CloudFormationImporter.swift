import Foundation
import TopologyFile
import VPCModel

/// Reads a CloudFormation template (hand-written or synthesized by AWS CDK) into a `Design`.
///
/// Resources are named by their logical IDs and get AWS-shaped IDs derived from them; intrinsic
/// functions, parameters, mappings and conditions are evaluated as CloudFormation would for the chosen
/// region and parameters. Types LocalVPC does not model are listed once in the notes, never dropped
/// silently and never an error.
public struct CloudFormationImporter {
    /// One resource of the template whose `Condition` holds.
    struct Resource {
        var logicalID: String
        var type: String
        var properties: TemplateNode?
        var location: TemplateLocation
        /// AWS CDK's construct path (`Metadata: aws:cdk:path`), e.g. `SeedStack/web-1/Resource`.
        var cdkPath: String? = nil
    }

    let file: String
    let options: ImportOptions
    var intrinsics: Intrinsics
    var resources: [Resource] = []
    var byLogicalID: [String: Int] = [:]
    /// `Ref` value → logical ID, and an EIP's `AllocationId` (`eipalloc-…`) → its logical ID.
    var byRef: [String: String] = [:]
    var byAllocation: [String: String] = [:]
    var topology: Topology
    var notes: [String] = []
    var aliases: [String: String] = [:]
    var lines: [String: Int] = [:]
    var origins: [String: String] = [:]
    let ids = IDGenerator()
    var nextPublicIP = IPv4Address(0xCB00_710A)  // 203.0.113.10: documentation range (RFC 5737)
    var nextElasticIP = IPv4Address(0xC633_640A)  // 198.51.100.10
    var usedAddresses: Set<IPv4Address> = []
    /// Addresses handed out before the resources are built (`Fn::GetAtt X.PrivateIp`), by logical ID.
    var reservedAddresses: [String: IPv4Address] = [:]
    /// The default VPC, made when a resource needs it (a group without `VpcId`, an instance without a subnet).
    var defaultVPC: VPC.ID?

    /// The resource types this reader models; every other type is listed in the notes.
    static let modelledTypes: Set<String> = [
        "AWS::EC2::VPC", "AWS::EC2::VPCCidrBlock", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::EIP", "AWS::EC2::EIPAssociation", "AWS::EC2::NatGateway", "AWS::EC2::Instance",
        "AWS::EC2::NetworkInterface", "AWS::EC2::NetworkInterfaceAttachment", "AWS::ElasticLoadBalancing::LoadBalancer",
        "AWS::AutoScaling::AutoScalingGroup", "AWS::AutoScaling::LaunchConfiguration", "AWS::EC2::LaunchTemplate",
    ]

    /// Whether a parsed document is a CloudFormation template: a `Resources` map whose entries have `Type: AWS::…`.
    static func isTemplate(_ root: TemplateNode) -> Bool {
        guard let resources = root["Resources"]?.pairs, !resources.isEmpty else { return false }
        return resources.contains { $0.value["Type"]?.scalar?.hasPrefix("AWS::") == true }
    }

    /// Reads a template.
    /// - Throws: ``TopologyFileError`` listing every problem (syntax, references, malformed intrinsics).
    public static func load(text: String, file: String, options: ImportOptions = ImportOptions()) throws(TopologyFileError) -> Design {
        let root = try TemplateNode.parse(text, file: file)
        guard isTemplate(root) else {
            throw TopologyFileError(diagnostics: [
                Diagnostic(file: file, line: 1, column: 1, message: "This is not a CloudFormation template: it has no Resources of Type AWS::….")
            ])
        }
        var importer = CloudFormationImporter(file: file, options: options)
        importer.read(root)
        importer.build()
        let diagnostics = importer.intrinsics.diagnostics
        guard diagnostics.isEmpty else {
            throw TopologyFileError(diagnostics: diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        var design = Design(
            source: .cloudFormation, topology: importer.topology, notes: importer.notes, aliases: importer.aliases, lines: importer.lines)
        design.origins = importer.origins
        return design
    }

    init(file: String, options: ImportOptions) {
        self.file = file
        self.options = options
        self.intrinsics = Intrinsics(file: file)
        self.topology = Topology(region: options.region, accountID: options.accountID)
    }

    // MARK: Reading the template

    mutating func read(_ root: TemplateNode) {
        intrinsics.pseudo = [
            "AWS::Region": .string(options.region), "AWS::AccountId": .string(options.accountID),
            "AWS::StackName": .string(options.stackName), "AWS::Partition": .string("aws"), "AWS::URLSuffix": .string("amazonaws.com"),
            "AWS::StackId": .string(
                "arn:aws:cloudformation:\(options.region):\(options.accountID):stack/\(options.stackName)/00000000-0000-4000-8000-000000000000"),
            "AWS::NotificationARNs": .list([]),
        ]
        intrinsics.importValues = options.importValues
        intrinsics.mappings = root["Mappings"]
        let declared = root["Parameters"]?.pairs ?? []
        for (name, node) in declared { readParameter(name, node) }
        for name in options.parameters.keys.sorted() where !declared.contains(where: { $0.key == name }) {
            notes.append("--parameter \(name): the template has no such parameter; ignored")
        }
        for (name, node) in root["Conditions"]?.pairs ?? [] { intrinsics.conditionNodes[name] = node }
        var unmodelled: [String: [String]] = [:]
        for (logicalID, node) in root["Resources"]?.pairs ?? [] {
            guard let type = node["Type"]?.scalar else {
                intrinsics.error("The resource \(logicalID) has no Type.", at: node.location)
                continue
            }
            if let condition = node["Condition"]?.scalar {
                guard intrinsics.condition(named: condition, at: node["Condition"]!.location) == true else { continue }
            }
            if !Self.modelledTypes.contains(type) { unmodelled[type, default: []].append(logicalID) }
            byLogicalID[logicalID] = resources.count
            resources.append(
                Resource(
                    logicalID: logicalID, type: type, properties: node["Properties"], location: node.location,
                    cdkPath: node["Metadata"]?["aws:cdk:path"]?.scalar))
        }
        for (type, logicalIDs) in unmodelled.sorted(by: { $0.key < $1.key }) {
            notes.append("not modelled: \(type) (\(logicalIDs.joined(separator: ", ")))")
        }
        for resource in resources {
            let ref = physicalRef(resource)
            intrinsics.resourceRefs[resource.logicalID] = ref
            byRef[ref] = resource.logicalID
            if resource.type == "AWS::EC2::EIP" {
                byAllocation[IDGenerator.makeRaw("eipalloc", seed: "\(options.stackName)/\(resource.logicalID)")] = resource.logicalID
            }
        }
        let zones = Self.zones
        intrinsics.zones = zones
        // Attributes are computed from the template's resources and their properties, as read by now.
        let (resources, byLogicalID, options) = (self.resources, self.byLogicalID, self.options)
        intrinsics.attribute = { logicalID, name, intrinsics in
            Self.attribute(logicalID, name, resources: resources, byLogicalID: byLogicalID, options: options, &intrinsics)
        }
    }

    private mutating func readParameter(_ name: String, _ node: TemplateNode) {
        let type = node["Type"]?.scalar ?? "String"
        let text = options.parameters[name] ?? node["Default"].flatMap { intrinsics.evaluate($0)?.string ?? $0.scalar }
        guard let text else {
            if type.hasPrefix("AWS::SSM::Parameter::Value<") {
                intrinsics.parameters[name] = .string("ssm-parameter:\(name)")  // a placeholder: its value lives in SSM
            } else {
                intrinsics.missingParameters.insert(name)
            }
            return
        }
        if type.hasPrefix("List<") || type == "CommaDelimitedList" || type.hasPrefix("AWS::SSM::Parameter::Value<List<") {
            intrinsics.parameters[name] = .list(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        } else {
            intrinsics.parameters[name] = .string(text)
        }
    }

    /// The zones of a region for `Fn::GetAZs`, in alphabetical order.
    static func zones(_ region: String) -> [String] {
        let letters: [String] =
            switch region {
            case "us-east-1": ["a", "b", "c", "d", "e", "f"]
            case "us-west-2", "ap-northeast-1", "ap-northeast-2", "eu-west-1", "ca-central-1": ["a", "b", "c", "d"]
            case "us-west-1": ["a", "c"]
            default: ["a", "b", "c"]
            }
        return letters.map { region + $0 }
    }

    /// What `Ref` returns for a resource (CloudFormation User Guide, each type's "Return values").
    func physicalRef(_ resource: Resource) -> String {
        let seed = "\(options.stackName)/\(resource.logicalID)"
        func id(_ prefix: String) -> String { IDGenerator.makeRaw(prefix, seed: seed) }
        switch resource.type {
        case "AWS::EC2::VPC": return id("vpc")
        case "AWS::EC2::Subnet": return id("subnet")
        case "AWS::EC2::InternetGateway": return id("igw")
        case "AWS::EC2::RouteTable": return id("rtb")
        case "AWS::EC2::SecurityGroup": return id("sg")
        case "AWS::EC2::NetworkAcl": return id("acl")
        case "AWS::EC2::NatGateway": return id("nat")
        case "AWS::EC2::Instance": return id("i")
        case "AWS::EC2::NetworkInterface": return id("eni")
        case "AWS::EC2::LaunchTemplate": return id("lt")
        case "AWS::EC2::EIP":
            // An EIP's Ref is its address; its AllocationId is an attribute.
            let index = resources.firstIndex { $0.logicalID == resource.logicalID } ?? 0
            return IPv4Address(0xC633_6400 &+ 10 &+ UInt32(index % 240)).description
        case "AWS::ElasticLoadBalancing::LoadBalancer":
            return resource.properties?["LoadBalancerName"]?.scalar ?? resource.logicalID
        default:
            return "\(options.stackName)-\(resource.logicalID)"
        }
    }

    // MARK: Properties

    func resource(_ logicalID: String) -> Resource? { byLogicalID[logicalID].map { resources[$0] } }

    /// A property's value, evaluated; nil when absent or when it cannot be evaluated (recorded).
    mutating func property(_ resource: Resource, _ key: String) -> TemplateValue? {
        guard let node = resource.properties?[key] else { return nil }
        let value = intrinsics.evaluate(node)
        return value == .noValue ? nil : value
    }

    mutating func string(_ resource: Resource, _ key: String) -> String? { property(resource, key)?.string }

    mutating func address(_ resource: Resource, _ key: String) -> IPv4Address? { string(resource, key).flatMap { IPv4Address($0) } }

    mutating func strings(_ resource: Resource, _ key: String) -> [String] { property(resource, key)?.strings ?? [] }

    /// The logical ID a property refers to (by `Ref` or `GetAtt`), if it names one of the template's
    /// resources of these types; records an error or a note otherwise.
    mutating func reference(_ resource: Resource, _ key: String, types: [String], required: Bool = true) -> String? {
        guard let value = string(resource, key) else {
            if required && resource.properties?[key] == nil {
                intrinsics.error("\(resource.logicalID) (\(resource.type)) needs \(key).", at: resource.location)
            }
            return nil
        }
        return lookUp(value, types: types, from: resource, key: key)
    }

    mutating func lookUp(_ value: String, types: [String], from resource: Resource, key: String) -> String? {
        guard let logicalID = byRef[value] ?? byAllocation[value] else {
            notes.append("\(resource.logicalID): \(key) \(value) is not a resource of this template; left out")
            return nil
        }
        guard let target = self.resource(logicalID), types.contains(target.type) else {
            notes.append("\(resource.logicalID): \(key) refers to \(logicalID), which is not a \(types.joined(separator: " or ")); left out")
            return nil
        }
        return logicalID
    }

    /// The model ID of a resource of the template.
    func modelID<R>(_ logicalID: String) -> ResourceID<R> {
        ResourceID(resource(logicalID).map(physicalRef) ?? logicalID)
    }

    mutating func place(_ id: String, _ resource: Resource) {
        lines[id] = resource.location.line
        origins[id] = "\(resource.logicalID) (\(resource.type), line \(resource.location.line))"
        if id != resource.logicalID { aliases[resource.logicalID] = id }
        cdkAlias(resource, for: id)
    }

    /// A CDK app's resources are also named by their construct path without the stack and the final
    /// `Resource` (`SeedStack/web-1/Resource` is `web-1`), when that name is unique.
    mutating func cdkAlias(_ resource: Resource, for id: String) {
        guard let path = resource.cdkPath else { return }
        var parts = path.split(separator: "/").map(String.init)
        if parts.count > 1 { parts.removeFirst() }
        if parts.count > 1, parts.last == "Resource" { parts.removeLast() }
        let name = parts.joined(separator: "/")
        guard name != resource.logicalID else { return }
        claim(name, for: id)
    }

    /// Makes `name` an alias of `id`, unless another resource has it too (then it names none).
    mutating func claim(_ name: String, for id: String) {
        if let existing = aliases[name], existing != id { aliases[name] = "" } else { aliases[name] = id }
    }

    /// Adds a `Name` tag as an alias when it names one resource only.
    mutating func nameTag(_ resource: Resource, for id: String) {
        guard case .list(let tags)? = property(resource, "Tags") else { return }
        for tag in tags where tag["Key"]?.string == "Name" {
            guard let name = tag["Value"]?.string, name != resource.logicalID else { continue }
            claim(name, for: id)
        }
    }

    mutating func tag(_ resource: Resource, _ key: String) -> String? {
        guard case .list(let tags)? = property(resource, "Tags") else { return nil }
        return tags.first { $0["Key"]?.string == key }?["Value"]?.string
    }

    // MARK: Building

    mutating func build() {
        buildNetworks()
        buildSecurityGroups()
        buildNetworkACLs()
        buildComputeAndRouting()
        aliases = aliases.filter { !$0.value.isEmpty }
    }
}
