import HashTreeCollections
import VPCModel

/// What `RunInstances` asks for, read from its parameters.
struct LaunchRequest: Sendable {
    var image: String
    var count: Int
    var subnetID: String?
    var groupIDs: [String]
    var groupNames: [String]
    /// nil: the subnet's `MapPublicIpOnLaunch`.
    var associatePublicIP: Bool?
    /// For the first instance; the others get the subnet's next free addresses.
    var privateIP: String?
    var instanceType: String
    var keyName: String?
    var tags: [String: String]
    var placement = Placement()
    var blockDevices: [BlockDevice] = []
}

/// One instance's state change, as `Stop/Start/TerminateInstances` report it.
struct InstanceStateChange: Sendable {
    var id: String
    var previous: Instance.State
    /// AWS's transitional state right after the call (stopping, pending, shutting-down).
    var shown: Instance.State
}

// Instances: the rules EC2 applies when launching and changing them, as operations on a region's state.
extension RegionState {
    /// Launches `count` instances, each with a primary interface in the subnet (the default subnet of
    /// the first zone when none is named), in the named groups of the subnet's VPC (its default group
    /// when none), with a public address when asked or when the subnet maps one on launch.
    mutating func runInstances(_ request: LaunchRequest, launchTime: String) throws(APIError) -> (reservation: String, instances: [Instance]) {
        let subnet = try launchSubnet(request.subnetID, zone: request.placement.zone)
        if let zone = request.placement.zone, zone != subnet.availabilityZone {
            throw APIError.invalidParameterValue(
                "The specified Availability Zone (\(zone)) does not match the Availability Zone of subnet \(subnet.id) (\(subnet.availabilityZone)).")
        }
        var groups: [SecurityGroup.ID] = []
        for id in request.groupIDs {
            let group = try securityGroup(id)
            guard group.vpcID == subnet.vpcID else {
                throw APIError.invalidParameterValue("Security group \(id) and subnet \(subnet.id) belong to different networks.")
            }
            groups.append(group.id)
        }
        for name in request.groupNames {
            guard let group = groupID(vpc: subnet.vpcID, name: name).flatMap({ self[SecurityGroup.self][$0] }) else {
                throw APIError(code: "InvalidGroup.NotFound", message: "The security group '\(name)' does not exist in VPC '\(subnet.vpcID)'")
            }
            groups.append(group.id)
        }
        if groups.isEmpty, let group = defaultGroup(of: subnet.vpcID) { groups = [group.id] }
        let associatePublic = request.associatePublicIP ?? subnet.mapPublicIPOnLaunch
        let reservation = AWSID.make("r")
        var created: [Instance] = []
        for index in 0..<request.count {
            let address = try privateAddress(index == 0 ? request.privateIP : nil, in: subnet)
            let instanceID = Instance.ID(AWSID.make("i"))
            let interface = NetworkInterface(
                id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address],
                publicIP: associatePublic ? freePublicAddress() : nil, securityGroupIDs: groups, owner: .instance(instanceID))
            put(interface)
            setMeta(interface.id.rawValue, .attachment, AWSID.make("eni-attach"))
            let instance = Instance(
                id: instanceID, state: .running, imageID: request.image, primaryNetworkInterfaceID: interface.id,
                role: InstanceActions.role(image: request.image, tags: request.tags))
            put(instance)
            let id = instanceID.rawValue
            setMeta(id, .instanceType, request.instanceType)
            setMeta(id, .launchTime, launchTime)
            setMeta(id, .reservation, reservation)
            setMeta(id, .launchIndex, String(index))
            setMeta(id, .autoPublicIP, associatePublic.xml)
            if let key = request.keyName { setMeta(id, .keyName, key) }
            if request.placement.tenancy != "default" { setMeta(id, .tenancy, request.placement.tenancy) }
            var devices = request.blockDevices
            if !devices.contains(where: { $0.deviceName == "/dev/xvda" }) { devices.insert(.root("/dev/xvda"), at: 0) }
            for index in devices.indices { devices[index].volumeID = AWSID.make("vol") }
            setMeta(id, .blockDevices, BlockDevice.encode(devices))
            if !request.tags.isEmpty { setTags(request.tags, on: id) }
            created.append(instance)
        }
        return (reservation, created)
    }

    /// The named subnet, or the default VPC's default subnet (in the placement's zone, if one is named).
    private func launchSubnet(_ id: String?, zone: String?) throws(APIError) -> Subnet {
        if let id { return try subnet(id) }
        let defaults = self[Subnet.self].values.filter {
            meta($0.id.rawValue, .defaultForAz) == "true" && (zone == nil || $0.availabilityZone == zone)
        }
        guard let first = defaults.min(by: { $0.availabilityZone < $1.availabilityZone }) else {
            throw APIError(code: "MissingInput", message: "No subnets found for the default VPC. Please specify a subnet.")
        }
        return first
    }

    /// Stop, start, terminate. The change takes effect at once. An auto-assigned public IP is released
    /// on stop and a new one assigned on start; an Elastic IP stays; termination releases the Elastic
    /// IPs' associations and deletes the interface. A terminated instance cannot be started or stopped.
    mutating func changeInstanceStates(_ ids: [String], to target: Instance.State) throws(APIError) -> [InstanceStateChange] {
        var changes: [InstanceStateChange] = []
        for id in ids {
            var instance = try instance(id)
            let previous = instance.state
            if previous == .terminated && target != .terminated {
                let verb = target == .running ? "started" : "stopped"
                throw APIError(code: "IncorrectInstanceState", message: "The instance '\(id)' is not in a state from which it can be \(verb).")
            }
            let interfaceID = instance.primaryNetworkInterfaceID.rawValue
            let shown: Instance.State
            switch target {
            case .stopped:
                shown = previous == .stopped ? .stopped : .stopping
                if var interface = self[NetworkInterface.self][interfaceID], interface.publicIP != nil {
                    interface.publicIP = nil
                    put(interface)
                }
            case .running:
                shown = previous == .running ? .running : .pending
                if previous == .stopped, meta(id, .autoPublicIP) == "true", var interface = self[NetworkInterface.self][interfaceID],
                    interface.publicIP == nil, InstanceActions.publicIP(of: interface, self) == nil
                {
                    interface.publicIP = freePublicAddress()
                    put(interface)
                }
            default:
                shown = previous == .terminated ? .terminated : .shuttingDown
                for var eip in self[ElasticIP.self].values where eip.association?.networkInterfaceID == instance.primaryNetworkInterfaceID {
                    eip.association = nil
                    put(eip)
                    setMeta(eip.id.rawValue, .association, nil)
                }
                if self[NetworkInterface.self][interfaceID] != nil { remove(NetworkInterface.self, interfaceID) }
            }
            instance.state = target
            put(instance)
            changes.append(InstanceStateChange(id: id, previous: previous, shown: shown))
        }
        return changes
    }

    /// `ModifyInstanceAttribute`: source/destination check and groups live on the primary interface.
    mutating func modifyInstance(_ id: String, sourceDestCheck: Bool?, instanceType: String?, groups: [String]) throws(APIError) {
        let instance = try instance(id)
        guard var interface = self[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue] else {
            throw APIError(code: "IncorrectInstanceState", message: "The instance '\(id)' is terminated.")
        }
        if let sourceDestCheck { interface.sourceDestCheck = sourceDestCheck }
        if !groups.isEmpty {
            interface.securityGroupIDs = []
            for group in groups { interface.securityGroupIDs.append(try securityGroup(group).id) }
        }
        put(interface)
        if let instanceType { setMeta(id, .instanceType, instanceType) }
    }
}
