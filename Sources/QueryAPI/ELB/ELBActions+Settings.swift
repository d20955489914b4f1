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

    static func attributesXML(_ balancer: ClassicLoadBalancer, _ state: RegionState) -> XML {
        let key = tagKey(balancer.name)
        return XML("LoadBalancerAttributes") {
            XML("CrossZoneLoadBalancing", [XML("Enabled", balancer.crossZone.xml)])
            XML("AccessLog") {
                XML("Enabled", state.meta(key, .accessLogEnabled) ?? "false")
                XML.optional("S3BucketName", state.meta(key, .accessLogBucket))
                XML.optional("EmitInterval", state.meta(key, .accessLogInterval))
                XML.optional("S3BucketPrefix", state.meta(key, .accessLogPrefix))
            }
            XML(
                "ConnectionDraining",
                [XML("Enabled", state.meta(key, .drainingEnabled) ?? "false"), XML("Timeout", state.meta(key, .drainingTimeout) ?? "300")])
            XML("ConnectionSettings", [XML("IdleTimeout", String(balancer.idleTimeout))])
            XML("AdditionalAttributes")
        }
    }

    static func describeAttributes(_ call: ELBCall) throws(APIError) -> [XML] {
        let name = try call.parameters.required("LoadBalancerName")
        let state = try call.emulator.snapshot(call.region)
        return [attributesXML(try state.loadBalancer(name), state)]
    }

    /// `ModifyLoadBalancerAttributes`: cross-zone load balancing and the idle timeout change the
    /// network (the data plane follows them); connection draining and access logs are kept and shown.
    /// LocalVPC writes no access logs (there is no S3 here): the bucket is taken as given.
    static func modifyAttributes(_ call: ELBCall) throws(APIError) -> [XML] {
        let p = call.parameters
        let name = try p.required("LoadBalancerName")
        let prefix = "LoadBalancerAttributes."
        guard p.values.keys.contains(where: { $0.hasPrefix(prefix) }) else {
            throw APIError(
                code: "ValidationError",
                message: "1 validation error detected: Value null at 'loadBalancerAttributes' failed to satisfy constraint: Member must not be null")
        }
        let crossZone = try p.bool(prefix + "CrossZoneLoadBalancing.Enabled")
        let idle = try p.int(prefix + "ConnectionSettings.IdleTimeout")
        if let idle, !ClassicLoadBalancer.idleTimeouts.contains(idle) {
            throw APIError(code: "ValidationError", message: "IdleTimeout must be between 1 and 4000 seconds, not \(idle).")
        }
        let draining = try p.bool(prefix + "ConnectionDraining.Enabled")
        let drainingTimeout = try p.int(prefix + "ConnectionDraining.Timeout")
        if let drainingTimeout, !(1...3600).contains(drainingTimeout) {
            throw APIError(code: "ValidationError", message: "ConnectionDraining Timeout must be between 1 and 3600 seconds, not \(drainingTimeout).")
        }
        let logs = try p.bool(prefix + "AccessLog.Enabled")
        let bucket = p.string(prefix + "AccessLog.S3BucketName")
        let interval = try p.int(prefix + "AccessLog.EmitInterval")
        if let interval, interval != 5 && interval != 60 {
            throw APIError(code: "ValidationError", message: "EmitInterval must be 5 or 60 minutes, not \(interval).")
        }
        if logs == true && bucket == nil {
            throw APIError(code: "ValidationError", message: "S3BucketName is required when access logs are enabled.")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var balancer = try state.loadBalancer(name)
            if let crossZone { balancer.crossZone = crossZone }
            if let idle { balancer.idleTimeout = idle }
            state.put(balancer)
            let key = tagKey(name)
            if let draining { state.setMeta(key, .drainingEnabled, draining.xml) }
            if let drainingTimeout { state.setMeta(key, .drainingTimeout, String(drainingTimeout)) }
            if let logs {
                state.setMeta(key, .accessLogEnabled, logs.xml)
                state.setMeta(key, .accessLogBucket, logs ? bucket : nil)
                state.setMeta(key, .accessLogInterval, logs ? String(interval ?? 60) : nil)
                state.setMeta(key, .accessLogPrefix, logs ? p.string(prefix + "AccessLog.S3BucketPrefix") : nil)
            }
            return [XML("LoadBalancerName", name), attributesXML(balancer, state)]
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
