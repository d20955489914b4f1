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
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[NetworkInterface.self][$0] != nil }, code: "InvalidNetworkInterfaceID.NotFound", noun: "network interface")
        let interfaces = state[NetworkInterface.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe(
            "networkInterfaceSet", interfaces, .networkInterfaces, paged: 5...1000, ids: ("NetworkInterfaceIds", !ids.isEmpty), id: \.id.rawValue
        ) { interfaceXML($0, state, call.accountID) }
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
