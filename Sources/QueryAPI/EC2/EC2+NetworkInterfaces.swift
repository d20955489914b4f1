import Foundation
import HashTreeCollections
import VPCModel

/// Network interfaces: create, describe, delete, modify.
extension InstanceActions {
    static func createNetworkInterface(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let subnetID = try p.required("SubnetId")
        let tags = p.tags(for: "network-interface")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let subnet = try state.subnet(subnetID)
            let address = try state.privateAddress(p.string("PrivateIpAddress"), in: subnet)
            var groups = try p.list("SecurityGroupId").map { id throws(APIError) in try state.securityGroup(id).id }
            if groups.isEmpty, let group = state.defaultGroup(of: subnet.vpcID) { groups = [group.id] }
            let interface = NetworkInterface(id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address], securityGroupIDs: groups)
            state.put(interface)
            if let description = p.string("Description") { state.setMeta(interface.id.rawValue, .description, description) }
            if !tags.isEmpty { state.setTags(tags, on: interface.id.rawValue) }
            return [interfaceXML(interface, state, call.accountID, name: "networkInterface")]
        }
    }

    static func describeNetworkInterfaces(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NetworkInterfaceId")
        let filters = Filters(call.parameters)
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[NetworkInterface.self][$0] != nil }, code: "InvalidNetworkInterfaceID.NotFound", noun: "network interface")
        var items: [XML] = []
        for interface in state[NetworkInterface.self].values.sorted(by: { $0.id < $1.id }) where ids.isEmpty || ids.contains(interface.id.rawValue) {
            let id = interface.id.rawValue
            let matches = try filters.match(tags: state.tags(of: id)) { name in
                switch name {
                case "network-interface-id": [id]
                case "subnet-id": [interface.subnetID.rawValue]
                case "vpc-id": state.vpcID(of: interface.subnetID).map { [$0.rawValue] } ?? []
                case "private-ip-address", "addresses.private-ip-address": interface.privateIPs.map(\.description)
                case "group-id": interface.securityGroupIDs.map(\.rawValue)
                case "attachment.instance-id": if case .instance(let i) = interface.owner { [i.rawValue] } else { [] }
                case "status": [interface.owner == .detached ? "available" : "in-use"]
                case "source-dest-check": [interface.sourceDestCheck.xml]
                case "description": [state.meta(id, .description) ?? ""]
                case "requester-managed": [(interface.owner != .detached && !interface.owner.isInstance).xml]
                default: nil
                }
            }
            if matches { items.append(interfaceXML(interface, state, call.accountID)) }
        }
        return [XML.set("networkInterfaceSet", items)]
    }

    static func deleteNetworkInterface(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NetworkInterfaceId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let interface = try state.networkInterface(id)
            guard interface.owner == .detached else {
                throw APIError(code: "InvalidNetworkInterface.InUse", message: "Interface: [\(id)] in use.")
            }
            for var eip in state[ElasticIP.self].values where eip.association?.networkInterfaceID == interface.id {
                eip.association = nil
                state.put(eip)
            }
            state.remove(NetworkInterface.self, id)
            return [XML("return", "true")]
        }
    }

    static func modifyNetworkInterfaceAttribute(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let id = try p.required("NetworkInterfaceId")
        let sourceDestCheck = try p.bool("SourceDestCheck.Value")
        let description = p.string("Description.Value")
        let groups = p.list("SecurityGroupId")
        guard sourceDestCheck != nil || description != nil || !groups.isEmpty else {
            throw APIError.missingParameter("The request must contain exactly one attribute to modify")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var interface = try state.networkInterface(id)
            if let sourceDestCheck { interface.sourceDestCheck = sourceDestCheck }
            if !groups.isEmpty {
                interface.securityGroupIDs = try groups.map { group throws(APIError) in try state.securityGroup(group).id }
            }
            state.put(interface)
            if let description { state.setMeta(id, .description, description) }
            return [XML("return", "true")]
        }
    }
}
