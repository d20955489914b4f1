import Foundation
import VPCModel
import HashTreeCollections

/// Instances and their network interfaces.
enum InstanceActions {
    static let handlers: [String: EC2Handler] = [
        "RunInstances": runInstances, "DescribeInstances": describeInstances,
        "StopInstances": { call throws(APIError) in try changeState(call, to: .stopped) }, "StartInstances": { call throws(APIError) in try changeState(call, to: .running) },
        "TerminateInstances": { call throws(APIError) in try changeState(call, to: .terminated) },
        "ModifyInstanceAttribute": modifyInstanceAttribute, "DescribeInstanceAttribute": describeInstanceAttribute,
        "CreateNetworkInterface": createNetworkInterface, "DescribeNetworkInterfaces": describeNetworkInterfaces,
        "DeleteNetworkInterface": deleteNetworkInterface, "ModifyNetworkInterfaceAttribute": modifyNetworkInterfaceAttribute,
    ]

    static let stateCodes: [Instance.State: Int] = [.pending: 0, .running: 16, .shuttingDown: 32, .terminated: 48, .stopping: 64, .stopped: 80]

    static func stateXML(_ name: String, _ state: Instance.State) -> XML {
        XML(name, [XML("code", String(stateCodes[state] ?? 0)), XML("name", state.rawValue)])
    }

    /// An instance is a NAT instance when tagged `localvpc:role` = `nat` or launched from an image whose
    /// id contains `vpc-nat` (as the Amazon VPC NAT AMI's name does). LocalVPC choice, see README.
    static func role(image: String, tags: [String: String]) -> Instance.Role? {
        tags["localvpc:role"] == "nat" || image.contains("vpc-nat") ? .nat : nil
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func groupSetXML(_ groups: [SecurityGroup.ID], _ state: RegionState) -> XML {
        XML.set("groupSet", groups.map { id in
            XML("item", [XML("groupId", id.rawValue)] + XML.optional("groupName", state[SecurityGroup.self][id.rawValue]?.name))
        })
    }

    static func publicIP(of interface: NetworkInterface, _ state: RegionState) -> (ip: IPv4Address, eip: ElasticIP?)? {
        if let eip = state[ElasticIP.self].values.first(where: { $0.association?.networkInterfaceID == interface.id && $0.association?.privateIP == interface.primaryPrivateIP }) {
            return (eip.publicIP, eip)
        }
        return interface.publicIP.map { ($0, nil) }
    }

    static func interfaceXML(_ interface: NetworkInterface, _ state: RegionState, _ account: String, name: String = "item", forInstance: Bool = false) -> XML {
        let id = interface.id.rawValue
        let subnet = state[Subnet.self][interface.subnetID.rawValue]
        let association = publicIP(of: interface, state).map { pair in
            XML("association") {
                XML("publicIp", pair.ip.description)
                XML("ipOwnerId", pair.eip == nil ? "amazon" : account)
                XML("publicDnsName", "ec2-\(pair.ip.description.replacingOccurrences(of: ".", with: "-")).compute-1.amazonaws.com")
                if let eip = pair.eip {
                    XML("allocationId", eip.id.rawValue)
                    XML.optional("associationId", state.meta(eip.id.rawValue, .association))
                }
            }
        }
        var attachment: XML?
        if case .instance(let instance) = interface.owner {
            attachment = XML("attachment") {
                XML("attachmentId", state.meta(id, .attachment) ?? "eni-attach-" + String(id.dropFirst(4)))
                if !forInstance { XML("instanceId", instance.rawValue) }
                XML("instanceOwnerId", account)
                XML("deviceIndex", "0")
                XML("status", "attached")
                XML("attachTime", state.meta(instance.rawValue, .launchTime) ?? now())
                XML("deleteOnTermination", "true")
            }
        }
        let requesterManaged: Bool = if case .instance = interface.owner { false } else if case .detached = interface.owner { false } else { true }
        return XML(name) {
            XML("networkInterfaceId", id)
            XML("subnetId", interface.subnetID.rawValue)
            XML("vpcId", subnet?.vpcID.rawValue ?? "")
            if !forInstance { XML("availabilityZone", subnet?.availabilityZone ?? "") }
            XML("description", state.meta(id, .description) ?? "")
            XML("ownerId", account)
            if !forInstance { XML("requesterManaged", requesterManaged.xml) }
            XML("status", interface.owner == .detached ? "available" : "in-use")
            XML("macAddress", "02:00:00:" + String(id.suffix(6)).enumerated().map { $0.offset % 2 == 1 ? "\($0.element):" : "\($0.element)" }.joined().dropLast())
            XML("privateIpAddress", interface.primaryPrivateIP.description)
            XML("privateDnsName", "ip-\(interface.primaryPrivateIP.description.replacingOccurrences(of: ".", with: "-")).ec2.internal")
            XML("sourceDestCheck", interface.sourceDestCheck.xml)
            groupSetXML(interface.securityGroupIDs, state)
            if let attachment { attachment }
            if let association { association }
            XML.set(forInstance ? "privateIpAddressesSet" : "privateIpAddressesSet", interface.privateIPs.enumerated().map { index, address in
                XML("item", [XML("privateIpAddress", address.description), XML("primary", (index == 0).xml)])
            })
            if !forInstance { XML("interfaceType", requesterManaged ? (interface.owner.isNATGateway ? "nat_gateway" : "interface") : "interface") }
            if !forInstance { state.tagXML(id) }
        }
    }

    static func instanceXML(_ instance: Instance, _ state: RegionState, _ account: String) -> XML {
        let id = instance.id.rawValue
        let interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue]
        let subnet = interface.flatMap { state[Subnet.self][$0.subnetID.rawValue] }
        return XML("item") {
            XML("instanceId", id)
            XML("imageId", instance.imageID)
            stateXML("instanceState", instance.state)
            XML("privateDnsName", interface.map { "ip-\($0.primaryPrivateIP.description.replacingOccurrences(of: ".", with: "-")).ec2.internal" } ?? "")
            XML("dnsName", "")
            XML("instanceType", state.meta(id, .instanceType) ?? "t3.micro")
            XML("launchTime", state.meta(id, .launchTime) ?? now())
            XML("amiLaunchIndex", state.meta(id, .launchIndex) ?? "0")
            XML.optional("keyName", state.meta(id, .keyName))
            XML("placement", [XML("availabilityZone", subnet?.availabilityZone ?? ""), XML("tenancy", "default")])
            XML("monitoring", [XML("state", "disabled")])
            if instance.state != .terminated, let interface {
                XML("subnetId", interface.subnetID.rawValue)
                XML("vpcId", subnet?.vpcID.rawValue ?? "")
                XML("privateIpAddress", interface.primaryPrivateIP.description)
                XML.optional("ipAddress", publicIP(of: interface, state)?.ip.description)
                XML("sourceDestCheck", interface.sourceDestCheck.xml)
                groupSetXML(interface.securityGroupIDs, state)
                XML.set("networkInterfaceSet", [interfaceXML(interface, state, account, forInstance: true)])
            } else {
                XML.set("groupSet", [])
                XML.set("networkInterfaceSet", [])
            }
            XML("architecture", "x86_64")
            XML("rootDeviceType", "ebs")
            XML("rootDeviceName", "/dev/xvda")
            XML("virtualizationType", "hvm")
            XML("hypervisor", "xen")
            state.tagXML(id)
        }
    }

    static func reservationXML(_ reservation: String, _ instances: [Instance], _ state: RegionState, _ account: String, name: String = "item") -> [XML] {
        let content = [XML("reservationId", reservation), XML("ownerId", account), XML.set("groupSet", []), XML.set("instancesSet", instances.map { instanceXML($0, state, account) })]
        return name == "item" ? [XML("item", content)] : content
    }

    static func runInstances(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let image = try p.required("ImageId")
        guard let minCount = try p.int("MinCount"), let maxCount = try p.int("MaxCount") else {
            throw APIError.missingParameter("The request must contain the parameter MinCount and MaxCount")
        }
        guard minCount >= 1, maxCount >= minCount, maxCount <= 100 else {
            throw APIError.invalidParameterValue("Invalid value for MinCount/MaxCount: MinCount must be at least 1 and at most MaxCount (LocalVPC allows up to 100 per call)")
        }
        let spec = p.structures("NetworkInterface").first
        let tags = p.tags(for: "instance")
        let instanceType = p.string("InstanceType") ?? "m1.small"
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let subnetID = spec?.string("SubnetId") ?? p.string("SubnetId")
            let subnet: Subnet
            if let subnetID {
                subnet = try state.subnet(subnetID)
            } else if let defaultSubnet = state[Subnet.self].values.filter({ state.meta($0.id.rawValue, .defaultForAz) == "true" }).min(by: { $0.availabilityZone < $1.availabilityZone }) {
                subnet = defaultSubnet
            } else {
                throw APIError(code: "MissingInput", message: "No subnets found for the default VPC. Please specify a subnet.")
            }
            var groups: [SecurityGroup.ID] = []
            for id in (spec?.list("SecurityGroupId") ?? []) + p.list("SecurityGroupId") {
                let group = try state.securityGroup(id)
                guard group.vpcID == subnet.vpcID else {
                    throw APIError.invalidParameterValue("Security group \(id) and subnet \(subnet.id) belong to different networks.")
                }
                groups.append(group.id)
            }
            for name in p.list("SecurityGroup") {
                guard let group = state.groupID(vpc: subnet.vpcID, name: name).flatMap({ state[SecurityGroup.self][$0] }) else {
                    throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(name)' does not exist in VPC '\(subnet.vpcID)'")
                }
                groups.append(group.id)
            }
            if groups.isEmpty, let group = state.defaultGroup(of: subnet.vpcID) { groups = [group.id] }
            let associatePublic = try spec?.bool("AssociatePublicIpAddress") ?? subnet.mapPublicIPOnLaunch
            let reservation = AWSID.make("r")
            let launched = now()
            var created: [Instance] = []
            for index in 0..<maxCount {
                let requested = spec?.string("PrivateIpAddress") ?? p.string("PrivateIpAddress")
                let address = try state.privateAddress(index == 0 ? requested : nil, in: subnet)
                let instanceID = Instance.ID(AWSID.make("i"))
                let interface = NetworkInterface(
                    id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address],
                    publicIP: associatePublic ? state.freePublicAddress() : nil,
                    securityGroupIDs: groups, owner: .instance(instanceID))
                state.put(interface)
                state.setMeta(interface.id.rawValue, .attachment, AWSID.make("eni-attach"))
                let instance = Instance(id: instanceID, state: .running, imageID: image, primaryNetworkInterfaceID: interface.id, role: role(image: image, tags: tags))
                state.put(instance)
                let id = instanceID.rawValue
                state.setMeta(id, .instanceType, instanceType)
                state.setMeta(id, .launchTime, launched)
                state.setMeta(id, .reservation, reservation)
                state.setMeta(id, .launchIndex, String(index))
                state.setMeta(id, .autoPublicIP, associatePublic.xml)
                if let key = p.string("KeyName") { state.setMeta(id, .keyName, key) }
                if !tags.isEmpty { state.setTags(tags, on: id) }
                created.append(instance)
            }
            // The response shows instances as AWS does right after launch: pending.
            let shown = created.map { var copy = $0; copy.state = .pending; return copy }
            return reservationXML(reservation, shown, state, call.accountID, name: "")
        }
    }

    static func describeInstances(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InstanceId")
        let filters = Filters(call.parameters)
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[Instance.self][$0] != nil }, code: "InvalidInstanceID.NotFound", noun: "instance")
        var reservations: [String: [Instance]] = [:]
        for instance in state[Instance.self].values.sorted(by: { $0.id < $1.id }) where ids.isEmpty || ids.contains(instance.id.rawValue) {
            let id = instance.id.rawValue
            let interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue]
            let matches = try filters.match(tags: state.tags(of: id)) { name in
                switch name {
                case "instance-id": [id]
                case "instance-state-name": [instance.state.rawValue]
                case "instance-state-code": [String(stateCodes[instance.state] ?? 0)]
                case "image-id": [instance.imageID]
                case "instance-type": [state.meta(id, .instanceType) ?? ""]
                case "subnet-id": interface.map { [$0.subnetID.rawValue] } ?? []
                case "vpc-id": interface.flatMap { state.vpcID(of: $0.subnetID) }.map { [$0.rawValue] } ?? []
                case "private-ip-address": interface.map { [$0.primaryPrivateIP.description] } ?? []
                case "ip-address": interface.flatMap { publicIP(of: $0, state) }.map { [$0.ip.description] } ?? []
                case "network-interface.network-interface-id": interface.map { [$0.id.rawValue] } ?? []
                case "instance.group-id", "group-id": interface?.securityGroupIDs.map(\.rawValue) ?? []
                case "reservation-id": [state.meta(id, .reservation) ?? ""]
                case "availability-zone": interface.flatMap { state[Subnet.self][$0.subnetID.rawValue]?.availabilityZone }.map { [$0] } ?? []
                default: nil
                }
            }
            if matches { reservations[state.meta(id, .reservation) ?? id, default: []].append(instance) }
        }
        let items = reservations.sorted { $0.key < $1.key }.flatMap { reservationXML($0.key, $0.value, state, call.accountID) }
        return [XML.set("reservationSet", items)]
    }

    /// Stop, start, terminate. The change takes effect at once; the response shows AWS's transitional
    /// state (stopping, pending, shutting-down). An auto-assigned public IP is released on stop and a
    /// new one assigned on start; an Elastic IP stays; termination deletes the interface.
    static func changeState(_ call: EC2Call, to target: Instance.State) throws(APIError) -> [XML] {
        let ids = call.parameters.list("InstanceId")
        guard !ids.isEmpty else { throw APIError.missingParameter("The request must contain the parameter InstanceId") }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var changes: [XML] = []
            for id in ids {
                var instance = try state.instance(id)
                let previous = instance.state
                if previous == .terminated && target != .terminated {
                    throw APIError(code: "IncorrectInstanceState", message: "The instance '\(id)' is not in a state from which it can be \(target == .running ? "started" : "stopped").")
                }
                let shown: Instance.State
                switch target {
                case .stopped:
                    shown = previous == .stopped ? .stopped : .stopping
                    if var interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue], interface.publicIP != nil {
                        interface.publicIP = nil
                        state.put(interface)
                    }
                case .running:
                    shown = previous == .running ? .running : .pending
                    if previous == .stopped, state.meta(id, .autoPublicIP) == "true", var interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue],
                        interface.publicIP == nil, publicIP(of: interface, state) == nil
                    {
                        interface.publicIP = state.freePublicAddress()
                        state.put(interface)
                    }
                default:
                    shown = previous == .terminated ? .terminated : .shuttingDown
                    for var eip in state[ElasticIP.self].values where eip.association?.networkInterfaceID == instance.primaryNetworkInterfaceID {
                        eip.association = nil
                        state.put(eip)
                        state.setMeta(eip.id.rawValue, .association, nil)
                    }
                    if state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue] != nil {
                        state.remove(NetworkInterface.self, instance.primaryNetworkInterfaceID.rawValue)
                    }
                }
                instance.state = target
                state.put(instance)
                changes.append(XML("item", [XML("instanceId", id), stateXML("currentState", shown), stateXML("previousState", previous)]))
            }
            // Stopping/Starting/TerminatingInstances are all `instancesSet` on the wire (botocore).
            return [XML.set("instancesSet", changes)]
        }
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
            default: throw APIError.invalidParameterValue("Value (\(attribute)) for parameter attribute is invalid. Supported: sourceDestCheck, instanceType, groupSet.")
            }
        }
        let groups = p.list("GroupId")
        guard sourceDestCheck != nil || instanceType != nil || !groups.isEmpty else {
            throw APIError.missingParameter("The request must contain exactly one attribute to modify")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let instance = try state.instance(id)
            guard var interface = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue] else {
                throw APIError(code: "IncorrectInstanceState", message: "The instance '\(id)' is terminated.")
            }
            if let sourceDestCheck { interface.sourceDestCheck = sourceDestCheck }
            if !groups.isEmpty {
                interface.securityGroupIDs = []
                for group in groups { interface.securityGroupIDs.append(try state.securityGroup(group).id) }
            }
            state.put(interface)
            if let instanceType { state.setMeta(id, .instanceType, instanceType) }
            return [XML("return", "true")]
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
        default: throw APIError.invalidParameterValue("Value (\(attribute)) for parameter attribute is invalid. Supported: sourceDestCheck, instanceType, groupSet.")
        }
    }
}

extension NetworkInterface.Owner {
    var isInstance: Bool { if case .instance = self { true } else { false } }
    var isNATGateway: Bool { if case .natGateway = self { true } else { false } }
}
