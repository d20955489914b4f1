import Foundation
import HashTreeCollections
import VPCModel

// The XML of instances (`instanceType`, `reservationType`) and their interfaces, as the Describe and
// Run actions answer.
extension InstanceActions {
    static func stateXML(_ name: String, _ state: Instance.State) -> XML {
        XML(name, [XML("code", String(stateCodes[state] ?? 0)), XML("name", state.rawValue)])
    }

    static func groupSetXML(_ groups: [SecurityGroup.ID], _ state: RegionState) -> XML {
        XML.set(
            "groupSet",
            groups.map { id in
                XML("item", [XML("groupId", id.rawValue)] + XML.optional("groupName", state[SecurityGroup.self][id.rawValue]?.name))
            })
    }

    static func publicIP(of interface: NetworkInterface, _ state: RegionState) -> (ip: IPv4Address, eip: ElasticIP?)? {
        if let eip = state[ElasticIP.self].values.first(where: {
            $0.association?.networkInterfaceID == interface.id && $0.association?.privateIP == interface.primaryPrivateIP
        }) {
            return (eip.publicIP, eip)
        }
        return interface.publicIP.map { ($0, nil) }
    }

    static func interfaceXML(
        _ interface: NetworkInterface, _ state: RegionState, _ account: String, name: String = "item", forInstance: Bool = false
    ) -> XML {
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
            XML(
                "macAddress",
                "02:00:00:" + String(id.suffix(6)).enumerated().map { $0.offset % 2 == 1 ? "\($0.element):" : "\($0.element)" }.joined().dropLast())
            XML("privateIpAddress", interface.primaryPrivateIP.description)
            XML("privateDnsName", "ip-\(interface.primaryPrivateIP.description.replacingOccurrences(of: ".", with: "-")).ec2.internal")
            XML("sourceDestCheck", interface.sourceDestCheck.xml)
            groupSetXML(interface.securityGroupIDs, state)
            if let attachment { attachment }
            if let association { association }
            XML.set(
                forInstance ? "privateIpAddressesSet" : "privateIpAddressesSet",
                interface.privateIPs.enumerated().map { index, address in
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
            XML(
                "privateDnsName",
                interface.map { "ip-\($0.primaryPrivateIP.description.replacingOccurrences(of: ".", with: "-")).ec2.internal" } ?? "")
            XML("dnsName", "")
            XML("instanceType", state.meta(id, .instanceType) ?? "t3.micro")
            XML("launchTime", state.meta(id, .launchTime) ?? now())
            XML("amiLaunchIndex", state.meta(id, .launchIndex) ?? "0")
            XML.optional("keyName", state.meta(id, .keyName))
            XML("placement") {
                XML("availabilityZone", subnet?.availabilityZone ?? "")
                XML("availabilityZoneId", subnet.map { Regions.zoneID($0.availabilityZone) } ?? "")
                XML("groupName", "")
                XML("tenancy", state.meta(id, .tenancy) ?? "default")
            }
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
            if instance.state == .terminated { XML.set("blockDeviceMapping", []) } else { blockDevicesXML(id, state) }
            XML("virtualizationType", "hvm")
            XML("hypervisor", "xen")
            XML("ebsOptimized", "false")
            XML("enaSupport", "true")
            XML("platformDetails", "Linux/UNIX")
            XML("usageOperation", "RunInstances")
            XML("metadataOptions") {
                XML("state", "applied")
                XML("httpTokens", "optional")
                XML("httpPutResponseHopLimit", "1")
                XML("httpEndpoint", "enabled")
                XML("httpProtocolIpv6", "disabled")
                XML("instanceMetadataTags", "disabled")
            }
            XML("privateDnsNameOptions") {
                XML("hostnameType", "ip-name")
                XML("enableResourceNameDnsARecord", "false")
                XML("enableResourceNameDnsAAAARecord", "false")
            }
            state.tagXML(id)
        }
    }

    /// `blockDeviceMapping`: the instance's volumes, attached while it exists.
    static func blockDevicesXML(_ id: String, _ state: RegionState) -> XML {
        let devices = state.meta(id, .blockDevices).map { BlockDevice.decode($0) } ?? [.root("/dev/xvda")]
        let launched = state.meta(id, .launchTime) ?? now()
        return XML.set(
            "blockDeviceMapping",
            devices.map { device in
                XML("item") {
                    XML("deviceName", device.deviceName)
                    XML("ebs") {
                        XML("volumeId", device.volumeID.isEmpty ? "vol-" + id.dropFirst(2) : device.volumeID)
                        XML("status", "attached")
                        XML("attachTime", launched)
                        XML("deleteOnTermination", device.deleteOnTermination.xml)
                    }
                }
            })
    }

    static func reservationXML(
        _ reservation: String, _ instances: [Instance], _ state: RegionState, _ account: String, name: String = "item"
    ) -> [XML] {
        let content = [
            XML("reservationId", reservation), XML("ownerId", account), XML.set("groupSet", []),
            XML.set("instancesSet", instances.map { instanceXML($0, state, account) }),
        ]
        return name == "item" ? [XML("item", content)] : content
    }
}
