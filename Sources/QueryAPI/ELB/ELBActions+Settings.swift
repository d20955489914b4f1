import HashTreeCollections
import VPCEngine
import VPCModel

/// Security groups, subnets, attributes and tags of a load balancer.
extension ELBActions {
    static func applySecurityGroups(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = members(call.parameters, "SecurityGroups")
        let groups = try call.emulator.mutate(call.region) { state throws(APIError) in try state.applySecurityGroups(ids, to: name) }
        return [stringMembers("SecurityGroups", groups.map(\.rawValue))]
    }

    static func changeSubnets(_ call: ELBCall, attach: Bool) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let ids = members(call.parameters, "Subnets")
        let balancer = try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.changeSubnets(ids, of: name, attach: attach)
        }
        return [stringMembers("Subnets", balancer.nodes.map(\.subnetID.rawValue))]
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
        return [attributesXML(try state.loadBalancer(name))]
    }

    static func modifyAttributes(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let crossZone = try call.parameters.bool("LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try state.loadBalancer(name)
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
                _ = try state.loadBalancer(name)
                var current = state.tags(of: tagKey(name))
                for (key, value) in tags { current[key] = value }
                guard current.count <= 10 else {
                    throw APIError(
                        code: "TooManyTags", message: "The quota for the number of tags that can be assigned to a load balancer has been reached")
                }
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
                _ = try state.loadBalancer(name)
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
            _ = try state.loadBalancer(name)
            return XML(
                "member",
                [
                    XML("LoadBalancerName", name),
                    XML(
                        "Tags",
                        state.tags(of: tagKey(name)).sorted { $0.key < $1.key }.map {
                            XML("member", [XML("Key", $0.key), XML("Value", $0.value)])
                        }),
                ])
        }
        return [XML("TagDescriptions", items)]
    }
}
