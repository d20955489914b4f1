import VPCModel

/// One volume of `BlockDeviceMapping.N` as RunInstances (or a launch template) asks for it. LocalVPC
/// keeps no volumes of its own (no DescribeVolumes): an instance shows its mappings with a volume ID
/// each, as DescribeInstances does on AWS.
struct BlockDevice: Sendable, Equatable {
    var deviceName: String
    var volumeSize: Int
    var volumeType: String
    var deleteOnTermination: Bool
    var encrypted: Bool
    var volumeID: String = ""

    /// The image's root volume when no mapping names the root device: 8 GiB gp2, deleted on termination.
    static func root(_ name: String) -> BlockDevice {
        BlockDevice(deviceName: name, volumeSize: 8, volumeType: "gp2", deleteOnTermination: true, encrypted: false)
    }

    static let volumeTypes: Set = ["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"]

    /// EC2's size limits per type (GiB), from the EBS volume types documentation.
    static func sizes(_ type: String) -> ClosedRange<Int> {
        switch type {
        case "standard": 1...1024
        case "io1": 4...16384
        case "io2": 4...65536
        case "sc1", "st1": 125...16384
        default: 1...16384
        }
    }

    /// `BlockDeviceMapping.N.*`, checked as EC2 checks it at launch.
    static func parse(_ p: QueryParameters) throws(APIError) -> [BlockDevice] {
        var devices: [BlockDevice] = []
        for (index, mapping) in p.structures("BlockDeviceMapping").enumerated() {
            guard let name = mapping.string("DeviceName") else {
                throw APIError.missingParameter("The request must contain the parameter BlockDeviceMapping.\(index + 1).DeviceName")
            }
            guard name.hasPrefix("/dev/") || name.hasPrefix("xvd") || name.hasPrefix("sd") else {
                throw APIError.invalidParameterValue("Invalid device name \(name)")
            }
            if devices.contains(where: { $0.deviceName == name }) {
                throw APIError.invalidParameterValue("The device '\(name)' is used in more than one block-device mapping")
            }
            if mapping.string("NoDevice") != nil || mapping.string("VirtualName") != nil { continue }
            let ebs = mapping.structure("Ebs")
            let type = ebs?.string("VolumeType") ?? "gp2"
            guard volumeTypes.contains(type) else {
                throw APIError.invalidParameterValue(
                    "Value (\(type)) for parameter volumeType is invalid. Valid volume types are: \(volumeTypes.sorted().joined(separator: ", ")).")
            }
            if type == "io1" || type == "io2", try ebs?.int("Iops") == nil {
                throw APIError.invalidParameterCombination("The parameter iops must be specified for \(type) volumes.")
            }
            let size = try ebs?.int("VolumeSize") ?? 8
            guard sizes(type).contains(size) else {
                let range = sizes(type)
                throw APIError.invalidParameterValue(
                    "Volume of size \(size)GB is outside the range of \(range.lowerBound)GB to \(range.upperBound)GB for volume type \(type).")
            }
            devices.append(
                BlockDevice(
                    deviceName: name, volumeSize: size, volumeType: type, deleteOnTermination: try ebs?.bool("DeleteOnTermination") ?? true,
                    encrypted: try ebs?.bool("Encrypted") ?? false))
        }
        return devices
    }

    /// Kept in the instance's metadata, one line per device.
    static func encode(_ devices: [BlockDevice]) -> String {
        devices.map { "\($0.deviceName)|\($0.volumeID)|\($0.volumeSize)|\($0.volumeType)|\($0.deleteOnTermination)|\($0.encrypted)" }
            .joined(separator: "\n")
    }

    static func decode(_ text: String?) -> [BlockDevice] {
        (text ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, let size = Int(f[2]) else { return nil }
            return BlockDevice(
                deviceName: f[0], volumeSize: size, volumeType: f[3], deleteOnTermination: f[4] == "true", encrypted: f[5] == "true", volumeID: f[1])
        }
    }
}

/// `Placement.*` of RunInstances: the zone (which picks the default subnet there when no subnet is
/// named) and the tenancy. LocalVPC has no placement groups or Dedicated Hosts, so a group name is
/// unknown, as it would be in an account without that group.
struct Placement: Sendable, Equatable {
    var zone: String?
    var tenancy = "default"

    static func parse(_ p: QueryParameters, region: String) throws(APIError) -> Placement {
        guard let spec = p.structure("Placement") else { return Placement() }
        var placement = Placement()
        if let zone = spec.string("AvailabilityZone") {
            guard Regions.zones(region).contains(zone) else {
                throw APIError(code: "InvalidAvailabilityZone", message: "The availability zone '\(zone)' does not exist in region \(region).")
            }
            placement.zone = zone
        }
        if let tenancy = spec.string("Tenancy") {
            guard ["default", "dedicated", "host"].contains(tenancy) else {
                throw APIError.invalidParameterValue("Value (\(tenancy)) for parameter tenancy is invalid. Valid values: default, dedicated, host.")
            }
            placement.tenancy = tenancy
        }
        if let group = spec.string("GroupName") ?? spec.string("GroupId") {
            throw APIError(code: "InvalidPlacementGroup.Unknown", message: "The Placement Group '\(group)' is unknown.")
        }
        if let host = spec.string("HostId") {
            throw APIError(code: "InvalidHostID.NotFound", message: "The specified host ID '\(host)' does not exist.")
        }
        return placement
    }
}
