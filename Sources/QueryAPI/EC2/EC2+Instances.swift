import Foundation
import HashTreeCollections
import VPCModel

/// Instances and their network interfaces.
enum InstanceActions {
    static let handlers: [String: EC2Handler] = [
        "RunInstances": runInstances, "DescribeInstances": describeInstances,
        "StopInstances": { call throws(APIError) in try changeState(call, to: .stopped) },
        "StartInstances": { call throws(APIError) in try changeState(call, to: .running) },
        "TerminateInstances": { call throws(APIError) in try changeState(call, to: .terminated) },
        "ModifyInstanceAttribute": modifyInstanceAttribute, "DescribeInstanceAttribute": describeInstanceAttribute,
        "DescribeInstanceStatus": describeInstanceStatus,
        "CreateNetworkInterface": createNetworkInterface, "DescribeNetworkInterfaces": describeNetworkInterfaces,
        "DeleteNetworkInterface": deleteNetworkInterface, "ModifyNetworkInterfaceAttribute": modifyNetworkInterfaceAttribute,
    ]

    static let stateCodes: [Instance.State: Int] = [.pending: 0, .running: 16, .shuttingDown: 32, .terminated: 48, .stopping: 64, .stopped: 80]

    /// An instance is a NAT instance when tagged `localvpc:role` = `nat` or launched from an image whose
    /// id contains `vpc-nat` (as the Amazon VPC NAT AMI's name does). LocalVPC choice, see README.
    static func role(image: String, tags: [String: String]) -> Instance.Role? {
        tags["localvpc:role"] == "nat" || image.contains("vpc-nat") ? .nat : nil
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func runInstances(_ call: EC2Call) throws(APIError) -> [XML] {
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let (parameters, templateTags) = try LaunchTemplateActions.launchParameters(call.parameters, state)
            var request = try launchRequest(parameters, region: call.region)
            request.tags.merge(templateTags) { own, _ in own }
            let (reservation, created) = try state.runInstances(request, launchTime: now())
            // The response shows instances as AWS does right after launch: pending.
            let shown = created.map {
                var copy = $0
                copy.state = .pending
                return copy
            }
            return reservationXML(reservation, shown, state, call.accountID, name: "")
        }
    }

    static func launchRequest(_ p: QueryParameters, region: String) throws(APIError) -> LaunchRequest {
        let image = try p.required("ImageId")
        guard let minCount = try p.int("MinCount"), let maxCount = try p.int("MaxCount") else {
            throw APIError.missingParameter("The request must contain the parameter MinCount and MaxCount")
        }
        guard minCount >= 1, maxCount >= minCount, maxCount <= 100 else {
            throw APIError.invalidParameterValue(
                "Invalid value for MinCount/MaxCount: MinCount must be at least 1 and at most MaxCount (LocalVPC allows up to 100 per call)")
        }
        let spec = p.structures("NetworkInterface").first
        return LaunchRequest(
            image: image, count: maxCount, subnetID: spec?.string("SubnetId") ?? p.string("SubnetId"),
            groupIDs: (spec?.list("SecurityGroupId") ?? []) + p.list("SecurityGroupId"), groupNames: p.list("SecurityGroup"),
            associatePublicIP: try spec?.bool("AssociatePublicIpAddress"),
            privateIP: spec?.string("PrivateIpAddress") ?? p.string("PrivateIpAddress"),
            instanceType: p.string("InstanceType") ?? "m1.small", keyName: p.string("KeyName"), tags: p.tags(for: "instance"),
            placement: try Placement.parse(p, region: region), blockDevices: try BlockDevice.parse(p))
    }

    /// `DescribeInstances`: the instances that match, each read with its reservation's fields beside it,
    /// paged by instance and grouped by reservation.
    static func describeInstances(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InstanceId")
        let filters = Filters(call.parameters)
        let pagination = try Pagination(call.parameters, range: 5...1000, exclusive: ("instancesSet", !ids.isEmpty))
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[Instance.self][$0] != nil }, code: "InvalidInstanceID.NotFound", noun: "instance")
        var matched: [(instance: Instance, reservation: String)] = []
        for instance in state[Instance.self].values.sorted(by: { $0.id < $1.id }) where ids.isEmpty || ids.contains(instance.id.rawValue) {
            let reservation = state.meta(instance.id.rawValue, .reservation) ?? instance.id.rawValue
            var item = instanceXML(instance, state, call.accountID)
            item.children += [XML("reservationId", reservation), XML("ownerId", call.accountID)]
            if try filters.match(item, .instances) { matched.append((instance, reservation)) }
        }
        let page = pagination.page(matched, id: \.instance.id.rawValue)
        let reservations = Dictionary(grouping: page.items, by: \.reservation)
        let items = reservations.sorted { $0.key < $1.key }.flatMap { reservationXML($0.key, $0.value.map(\.instance), state, call.accountID) }
        return [XML.set("reservationSet", items)] + page.next
    }

    /// Stop, start, terminate (`RegionState.changeInstanceStates`); the response shows AWS's
    /// transitional states.
    static func changeState(_ call: EC2Call, to target: Instance.State) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InstanceId")
        guard !ids.isEmpty else { throw APIError.missingParameter("The request must contain the parameter InstanceId") }
        let changes = try call.emulator.mutate(call.region) { state throws(APIError) in try state.changeInstanceStates(ids, to: target) }
        // Stopping/Starting/TerminatingInstances are all `instancesSet` on the wire (botocore).
        return [
            XML.set(
                "instancesSet",
                changes.map { change in
                    XML("item", [XML("instanceId", change.id), stateXML("currentState", change.shown), stateXML("previousState", change.previous)])
                })
        ]
    }

    static func modifyInstanceAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let id = try p.required("InstanceId")
        var sourceDestCheck = try p.bool("SourceDestCheck.Value")
        var instanceType = p.string("InstanceType.Value")
        if let attribute = p.string("Attribute") {
            let value = try p.required("Value")
            switch attribute {
            case "sourceDestCheck": sourceDestCheck = value.lowercased() == "true"
            case "instanceType": instanceType = value
            default:
                throw APIError.invalidParameterValue(
                    "Value (\(attribute)) for parameter attribute is invalid. Supported: sourceDestCheck, instanceType, groupSet.")
            }
        }
        let groups = p.list("GroupId")
        guard sourceDestCheck != nil || instanceType != nil || !groups.isEmpty else {
            throw APIError.missingParameter("The request must contain exactly one attribute to modify")
        }
        try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.modifyInstance(id, sourceDestCheck: sourceDestCheck, instanceType: instanceType, groups: groups)
        }
        return [XML("return", "true")]
    }

    /// `DescribeInstanceStatus`: running instances (every instance with IncludeAllInstances=true), each
    /// with its state and passing system and instance checks (an emulated instance has no hardware to fail).
    static func describeInstanceStatus(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InstanceId")
        let all = try call.parameters.bool("IncludeAllInstances") ?? false
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[Instance.self][$0] != nil }, code: "InvalidInstanceID.NotFound", noun: "instance")
        func check(_ name: String, _ running: Bool) -> XML {
            XML(
                name,
                [
                    XML("status", running ? "ok" : "not-applicable"),
                    XML.set("details", running ? [XML("item", [XML("name", "reachability"), XML("status", "passed")])] : []),
                ])
        }
        let instances = state[Instance.self].values.sorted { $0.id < $1.id }
            .filter { (ids.isEmpty || ids.contains($0.id.rawValue)) && (all || !ids.isEmpty || $0.state == .running) }
        return try call.describe(
            "instanceStatusSet", instances, .instanceStatuses, paged: 5...1000, ids: ("instancesSet", !ids.isEmpty), id: \.id.rawValue
        ) { instance in
            let interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue]
            let zone = interface.flatMap { state[Subnet.self][$0.subnetID.rawValue]?.availabilityZone } ?? ""
            return XML("item") {
                XML("instanceId", instance.id.rawValue)
                XML("availabilityZone", zone)
                XML("availabilityZoneId", Regions.zoneID(zone))
                stateXML("instanceState", instance.state)
                check("systemStatus", instance.state == .running)
                check("instanceStatus", instance.state == .running)
                XML.set("eventsSet", [])
            }
        }
    }

    static func describeInstanceAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("InstanceId")
        let attribute = try call.parameters.required("Attribute")
        let state = try call.emulator.snapshot(call.region)
        let instance = try state.instance(id)
        let interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue]
        switch attribute {
        case "sourceDestCheck": return [XML("instanceId", id), XML("sourceDestCheck", [XML("value", (interface?.sourceDestCheck ?? true).xml)])]
        case "instanceType": return [XML("instanceId", id), XML("instanceType", [XML("value", state.meta(id, .instanceType) ?? "")])]
        case "groupSet": return [XML("instanceId", id), groupSetXML(interface?.securityGroupIDs ?? [], state)]
        default:
            throw APIError.invalidParameterValue(
                "Value (\(attribute)) for parameter attribute is invalid. Supported: sourceDestCheck, instanceType, groupSet.")
        }
    }
}

extension NetworkInterface.Owner {
    var isInstance: Bool { if case .instance = self { true } else { false } }
    var isNATGateway: Bool { if case .natGateway = self { true } else { false } }
}
