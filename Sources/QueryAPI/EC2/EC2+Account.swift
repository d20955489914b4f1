import Foundation
import HashTreeCollections
import VPCModel

/// Regions, zones, account attributes and tags.
enum AccountActions {
    static let handlers: [String: EC2Handler] = [
        "DescribeAvailabilityZones": describeAvailabilityZones, "DescribeRegions": describeRegions,
        "DescribeAccountAttributes": describeAccountAttributes,
        "CreateTags": createTags, "DeleteTags": deleteTags, "DescribeTags": describeTags,
    ]

    static func describeAvailabilityZones(_ call: EC2Call) throws(APIError) -> [XML] {
        let names = call.parameters.list("ZoneName")
        let zones = Regions.zones(call.region)
        for name in names where !zones.contains(name) {
            throw APIError.invalidParameterValue("The zone '\(name)' does not exist.")
        }
        let shown = zones.filter { names.isEmpty || names.contains($0) }
        return try call.describe("availabilityZoneInfo", shown, .availabilityZones, id: \.self) { zone in
            XML("item") {
                XML("zoneName", zone)
                XML("zoneId", Regions.zoneID(zone))
                XML("zoneState", "available")
                XML("regionName", call.region)
                XML("groupName", call.region)
                XML("networkBorderGroup", call.region)
                XML("optInStatus", "opt-in-not-required")
                XML("zoneType", "availability-zone")
                XML.set("messageSet", [])
            }
        }
    }

    static func describeRegions(_ call: EC2Call) throws(APIError) -> [XML] {
        let names = call.parameters.list("RegionName")
        return try call.describe("regionInfo", Regions.names.filter { names.isEmpty || names.contains($0) }, .regions, id: \.self) { region in
            XML("item", [XML("regionName", region), XML("regionEndpoint", "ec2.\(region).amazonaws.com"), XML("optInStatus", "opt-in-not-required")])
        }
    }

    static func describeAccountAttributes(_ call: EC2Call) throws(APIError) -> [XML] {
        let state = try call.emulator.snapshot(call.region)
        let defaultVPC = state[VPC.self].values.first { state.meta($0.id.rawValue, .isDefault) == "true" }?.id.rawValue ?? "none"
        let attributes: [(String, [String])] = [
            ("supported-platforms", ["VPC"]), ("default-vpc", [defaultVPC]), ("max-instances", ["20"]),
            ("vpc-max-security-groups-per-interface", ["5"]), ("max-elastic-ips", ["5"]), ("vpc-max-elastic-ips", ["5"]),
        ]
        let wanted = call.parameters.list("AttributeName")
        return [
            XML.set(
                "accountAttributeSet",
                attributes.filter { wanted.isEmpty || wanted.contains($0.0) }.map { name, values in
                    XML("item", [XML("attributeName", name), XML.set("attributeValueSet", values.map { XML("item", [XML("attributeValue", $0)]) })])
                })
        ]
    }

    /// The resource type AWS reports for an ID, by its prefix.
    static func resourceType(_ id: String) -> String {
        switch id.prefix(while: { $0 != "-" }) {
        case "vpc": "vpc"
        case "subnet": "subnet"
        case "igw": "internet-gateway"
        case "rtb": "route-table"
        case "sg": "security-group"
        case "acl": "network-acl"
        case "eni": "network-interface"
        case "i": "instance"
        case "eipalloc": "elastic-ip"
        case "nat": "natgateway"
        case "nip": "network-insights-path"
        case "nia": "network-insights-analysis"
        case "lt": "launch-template"
        default: "unknown"
        }
    }

    static func exists(_ id: String, in state: RegionState) -> Bool {
        state[VPC.self][id] != nil || state[Subnet.self][id] != nil || state[InternetGateway.self][id] != nil || state[RouteTable.self][id] != nil
            || state[SecurityGroup.self][id] != nil || state[NetworkACL.self][id] != nil || state[NetworkInterface.self][id] != nil
            || state[Instance.self][id] != nil || state[ElasticIP.self][id] != nil || state[NATGateway.self][id] != nil
            || state[InsightsPath.self][id] != nil
            || state[StoredAnalysis.self][id] != nil || state[LaunchTemplate.self][id] != nil
    }

    /// Tags change an instance's NAT role (`localvpc:role` = `nat`).
    static func refreshRole(_ id: String, _ state: inout RegionState) {
        guard var instance = state[Instance.self][id] else { return }
        let role = InstanceActions.role(image: instance.imageID, tags: state.tags(of: id))
        if instance.role != role {
            instance.role = role
            state.put(instance)
        }
    }

    static func createTags(_ call: EC2Call) throws(APIError) -> [XML] {
        let resources = call.parameters.list("ResourceId")
        guard !resources.isEmpty else { throw APIError.missingParameter("The request must contain the parameter resourceIdSet") }
        var tags: [(String, String)] = []
        for tag in call.parameters.structures("Tag") {
            let key = try tag.required("Key")
            guard key.count <= 128, !key.lowercased().hasPrefix("aws:") else {
                throw APIError(
                    code: "InvalidParameterValue",
                    message: "Tag key '\(key)' is invalid: keys are at most 128 characters and may not start with 'aws:'")
            }
            tags.append((key, tag["Value"] ?? ""))
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            for id in resources {
                guard exists(id, in: state) else { throw APIError(code: "InvalidID", message: "The ID '\(id)' is not valid") }
                var current = state.tags(of: id)
                for (key, value) in tags { current[key] = value }
                guard current.count <= 50 else {
                    throw APIError(code: "TagLimitExceeded", message: "The maximum number of tags (50) for resource \(id) has been exceeded.")
                }
                state.setTags(current, on: id)
                refreshRole(id, &state)
            }
            return [XML("return", "true")]
        }
    }

    static func deleteTags(_ call: EC2Call) throws(APIError) -> [XML] {
        let resources = call.parameters.list("ResourceId")
        guard !resources.isEmpty else { throw APIError.missingParameter("The request must contain the parameter resourceIdSet") }
        let tags = call.parameters.structures("Tag").compactMap { tag in tag.string("Key").map { ($0, tag["Value"]) } }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            for id in resources {
                guard exists(id, in: state) else { throw APIError(code: "InvalidID", message: "The ID '\(id)' is not valid") }
                var current = state.tags(of: id)
                if tags.isEmpty { current = [:] }
                for (key, value) in tags where value == nil || current[key] == value { current[key] = nil }
                state.setTags(current, on: id)
                refreshRole(id, &state)
            }
            return [XML("return", "true")]
        }
    }

    static func describeTags(_ call: EC2Call) throws(APIError) -> [XML] {
        let filters = Filters(call.parameters)
        let pagination = try Pagination(call.parameters, range: 5...1000)
        let state = try call.emulator.snapshot(call.region)
        var matched: [(id: String, xml: XML)] = []
        for (id, set) in state[TagSet.self].sorted(by: { $0.key < $1.key }) {
            for (key, value) in set.tags.sorted(by: { $0.key < $1.key }) {
                let item = XML("item", [XML("resourceId", id), XML("resourceType", resourceType(id)), XML("key", key), XML("value", value)])
                if try filters.match(item, .tags, tags: [key: value]) { matched.append((id + "\u{1}" + key, item)) }
            }
        }
        let page = pagination.page(matched, id: \.id)
        return [XML.set("tagSet", page.items.map(\.xml))] + page.next
    }
}
