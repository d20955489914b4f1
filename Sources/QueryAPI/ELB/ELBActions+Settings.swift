import VPCEngine
import VPCModel
import HashTreeCollections

/// Security groups, subnets, attributes and tags of a load balancer.
extension ELBActions {
    static func applySecurityGroups(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = members(call.parameters, "SecurityGroups")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            var groups: [SecurityGroup.ID] = []
            for id in ids {
                guard let group = state[SecurityGroup.self][id], group.vpcID == balancer.vpcID else {
                    throw APIError(code: "InvalidSecurityGroup", message: "One or more security groups are invalid: \(id)")
                }
                groups.append(group.id)
            }
            balancer.securityGroupIDs = groups
            for node in balancer.nodes {
                if var interface = state[NetworkInterface.self][node.networkInterfaceID.rawValue] {
                    interface.securityGroupIDs = groups
                    state.put(interface)
                }
            }
            state.put(balancer)
            return [stringMembers("SecurityGroups", groups.map(\.rawValue))]
        }
    }

    static func changeSubnets(_ call: ELBCall, attach: Bool) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = members(call.parameters, "Subnets")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            if attach {
                let current = Set(balancer.nodes.map(\.subnetID.rawValue))
                let new = try subnets(ids.filter { !current.contains($0) }, state, vpc: balancer.vpcID)
                let zones = Set(balancer.nodes.compactMap { state[Subnet.self][$0.subnetID.rawValue]?.availabilityZone })
                for subnet in new {
                    if zones.contains(subnet.availabilityZone) {
                        throw APIError(code: "InvalidConfigurationRequest", message: "\(name) already has a subnet in \(subnet.availabilityZone).", status: 409)
                    }
                    try addNode(&balancer, subnet: subnet, &state)
                }
            } else {
                for id in ids {
                    guard let node = balancer.nodes.first(where: { $0.subnetID.rawValue == id }) else {
                        throw APIError(code: "SubnetNotFound", message: "Subnet \(id) is not attached to \(name).")
                    }
                    state.remove(NetworkInterface.self, node.networkInterfaceID.rawValue)
                    balancer.nodes.removeAll { $0.subnetID.rawValue == id }
                }
                if balancer.nodes.isEmpty { throw APIError(code: "InvalidConfigurationRequest", message: "A load balancer needs at least one subnet.", status: 409) }
            }
            state.put(balancer)
            return [stringMembers("Subnets", balancer.nodes.map(\.subnetID.rawValue))]
        }
    }

    static func attributesXML(_ balancer: ClassicLoadBalancer) -> XML {
        XML("LoadBalancerAttributes") {
            XML("CrossZoneLoadBalancing", [XML("Enabled", balancer.crossZone.xml)])
            XML("AccessLog", [XML("Enabled", "false")])
            XML("ConnectionDraining", [XML("Enabled", "false"), XML("Timeout", "300")])
            XML("ConnectionSettings", [XML("IdleTimeout", "60")])
            XML("AdditionalAttributes")
        }
    }

    static func describeAttributes(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let state = try call.emulator.snapshot(call.region)
        return [attributesXML(try balancer(name, state))]
    }

    static func modifyAttributes(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let crossZone = try call.parameters.bool("LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try balancer(name, state)
            if let crossZone { balancer.crossZone = crossZone }
            state.put(balancer)
            return [XML("LoadBalancerName", name), attributesXML(balancer)]
        }
    }

    static func addTags(_ call: ELBCall) throws(APIError) -> [XML] {
        let names = members(call.parameters, "LoadBalancerNames")
        let tags = call.parameters.structures("Tags.member").compactMap { tag in tag.string("Key").map { ($0, tag["Value"] ?? "") } }
        guard !names.isEmpty, !tags.isEmpty else { throw APIError(code: "ValidationError", message: "LoadBalancerNames and Tags are required.") }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            for name in names {
                _ = try balancer(name, state)
                var current = state.tags(of: tagKey(name))
                for (key, value) in tags { current[key] = value }
                guard current.count <= 10 else { throw APIError(code: "TooManyTags", message: "The quota for the number of tags that can be assigned to a load balancer has been reached") }
                state.setTags(current, on: tagKey(name))
            }
            return []
        }
    }

    static func removeTags(_ call: ELBCall) throws(APIError) -> [XML] {
        let names = members(call.parameters, "LoadBalancerNames")
        let keys = call.parameters.structures("Tags.member").compactMap { $0.string("Key") }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            for name in names {
                _ = try balancer(name, state)
                var current = state.tags(of: tagKey(name))
                for key in keys { current[key] = nil }
                state.setTags(current, on: tagKey(name))
            }
            return []
        }
    }

    static func describeTags(_ call: ELBCall) throws(APIError) -> [XML] {
        let names = members(call.parameters, "LoadBalancerNames")
        let state = try call.emulator.snapshot(call.region)
        let items = try names.map { name throws(APIError) -> XML in
            _ = try balancer(name, state)
            return XML("member", [XML("LoadBalancerName", name), XML("Tags", state.tags(of: tagKey(name)).sorted { $0.key < $1.key }.map {
                XML("member", [XML("Key", $0.key), XML("Value", $0.value)])
            })])
        }
        return [XML("TagDescriptions", items)]
    }
}
