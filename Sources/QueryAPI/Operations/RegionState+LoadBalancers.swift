import HashTreeCollections
import VPCModel

/// What `CreateLoadBalancer` asks for, read and checked from its parameters.
struct LoadBalancerRequest: Sendable {
    var name: String
    var listeners: [ClassicLoadBalancer.Listener]
    var subnetIDs: [String]
    /// Zones instead of subnets: the default VPC's default subnets there.
    var zones: [String]
    var groupIDs: [String]
    var scheme: ClassicLoadBalancer.Scheme
    var tags: [String: String]
}

// Classic Load Balancers: the rules ELB applies to them, as operations on a region's state. A load
// balancer's tags and metadata are kept under `ELBActions.tagKey(name)`.
extension RegionState {
    func loadBalancer(_ name: String) throws(APIError) -> ClassicLoadBalancer {
        guard let balancer = self[ClassicLoadBalancer.self][name] else { throw ELBActions.notFound(name) }
        return balancer
    }

    /// A load balancer in one VPC, a node in each subnet (one per zone), its groups (the VPC's default
    /// group when none); internet-facing needs an internet gateway on the VPC.
    mutating func createLoadBalancer(_ request: LoadBalancerRequest, createdTime: String) throws(APIError) -> ClassicLoadBalancer {
        let name = request.name
        if self[ClassicLoadBalancer.self][name] != nil {
            throw APIError(code: "DuplicateLoadBalancerName", message: "Load balancer name '\(name)' already exists for this account.")
        }
        let subnets = try balancerSubnets(request.subnetIDs.isEmpty ? try defaultSubnets(in: request.zones) : request.subnetIDs, vpc: nil)
        let vpc = subnets[0].vpcID
        guard subnets.allSatisfy({ $0.vpcID == vpc }) else { throw APIError(code: "InvalidSubnet", message: "All subnets must be in one VPC.") }
        if request.scheme == .internetFacing, !self[InternetGateway.self].values.contains(where: { $0.attachedVPC == vpc }) {
            throw APIError(code: "InvalidSubnet", message: "VPC \(vpc) has no internet gateway")
        }
        var groups: [SecurityGroup.ID] = []
        for id in request.groupIDs {
            guard let group = self[SecurityGroup.self][id], group.vpcID == vpc else {
                throw APIError(code: "InvalidSecurityGroup", message: "Security group \(id) does not exist in VPC \(vpc).")
            }
            groups.append(group.id)
        }
        if groups.isEmpty, meta(vpc.rawValue, .isDefault) == "true" {
            groups = [defaultELBGroup(in: vpc, listeners: request.listeners)]
        } else if groups.isEmpty, let group = defaultGroup(of: vpc) {
            groups = [group.id]
        }
        var balancer = ClassicLoadBalancer(
            id: .init(name), scheme: request.scheme, vpcID: vpc, securityGroupIDs: groups, listeners: request.listeners, nodes: [])
        for subnet in subnets { try addNode(to: &balancer, in: subnet) }
        put(balancer)
        setMeta(ELBActions.tagKey(name), .createdTime, createdTime)
        if !request.tags.isEmpty { setTags(request.tags, on: ELBActions.tagKey(name)) }
        return balancer
    }

    /// The default VPC's default subnet of each zone (CreateLoadBalancer with AvailabilityZones only).
    func defaultSubnets(in zones: [String]) throws(APIError) -> [String] {
        guard let vpc = self[VPC.self].values.first(where: { meta($0.id.rawValue, .isDefault) == "true" }) else {
            throw APIError(code: "InvalidConfigurationRequest", message: "There is no default VPC for AvailabilityZones; give Subnets.", status: 409)
        }
        var result: [String] = []
        for zone in zones {
            guard
                let subnet = self[Subnet.self].values.first(where: {
                    $0.vpcID == vpc.id && $0.availabilityZone == zone && meta($0.id.rawValue, .defaultForAz) == "true"
                })
            else {
                throw APIError(code: "ValidationError", message: "The default VPC has no default subnet in Availability Zone \(zone).")
            }
            result.append(subnet.id.rawValue)
        }
        return result
    }

    /// In the default VPC a load balancer made without groups gets ELB's group for the account,
    /// `default_elb_…`, with rules that allow all traffic on its listener ports (ELB Classic guide,
    /// "Configure security groups for your Classic Load Balancer").
    mutating func defaultELBGroup(in vpc: VPC.ID, listeners: [ClassicLoadBalancer.Listener]) -> SecurityGroup.ID {
        var group =
            self[SecurityGroup.self].values.first { $0.vpcID == vpc && $0.name.hasPrefix("default_elb_") }
            ?? SecurityGroup(
                id: .init(AWSID.make("sg")), name: "default_elb_\(AWSID.make("x").dropFirst(2).prefix(8))", description: "ELB created security group",
                vpcID: vpc)
        for listener in listeners {
            guard let ports = try? PortRange(port: listener.loadBalancerPort) else { continue }
            if !group.ingress.contains(where: { $0.ports == ports && $0.peer == .cidr(.all) }) {
                group.ingress.append(SecurityGroupRule(id: AWSID.make("sgr"), ipProtocol: .tcp, ports: ports, peer: .cidr(.all)))
            }
        }
        put(group)
        return group.id
    }

    /// Deletes a load balancer with its nodes' interfaces; a name that does not exist is not an error
    /// (AWS is idempotent here).
    mutating func deleteLoadBalancer(_ name: String) {
        guard let balancer = self[ClassicLoadBalancer.self][name] else { return }
        for node in balancer.nodes { remove(NetworkInterface.self, node.networkInterfaceID.rawValue) }
        remove(ClassicLoadBalancer.self, name)
        let key = ELBActions.tagKey(name)
        if self[TagSet.self][key] != nil { remove(TagSet.self, key) }
        if self[Metadata.self][key] != nil { remove(Metadata.self, key) }
    }

    /// One node per subnet: an interface with the load balancer's groups and, when internet-facing, a public IP.
    mutating func addNode(to balancer: inout ClassicLoadBalancer, in subnet: Subnet) throws(APIError) {
        guard let address = freeAddress(in: subnet) else {
            throw APIError(
                code: "InvalidSubnet",
                message: "Not enough IP space available in \(subnet.id). ELB requires at least 8 free IP addresses in each subnet.")
        }
        let interface = NetworkInterface(
            id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address],
            publicIP: balancer.scheme == .internetFacing ? freePublicAddress() : nil,
            securityGroupIDs: balancer.securityGroupIDs, owner: .loadBalancer(balancer.id))
        put(interface)
        setMeta(interface.id.rawValue, .description, "ELB \(balancer.name)")
        balancer.nodes.append(.init(subnetID: subnet.id, networkInterfaceID: interface.id))
    }

    /// Subnets for a load balancer: existing, in `vpc` when given, one per Availability Zone.
    func balancerSubnets(_ ids: [String], vpc: VPC.ID?) throws(APIError) -> [Subnet] {
        var zones: Set<String> = []
        var result: [Subnet] = []
        for id in ids {
            guard let subnet = self[Subnet.self][id] else {
                throw APIError(code: "SubnetNotFound", message: "One or more subnets were not found: \(id)")
            }
            if let vpc, subnet.vpcID != vpc {
                throw APIError(code: "InvalidSubnet", message: "Subnet \(id) is in another VPC than the load balancer.")
            }
            if !zones.insert(subnet.availabilityZone).inserted {
                throw APIError(
                    code: "InvalidConfigurationRequest",
                    message: "Only one subnet per Availability Zone may be attached (\(subnet.availabilityZone)).", status: 409)
            }
            result.append(subnet)
        }
        return result
    }

    /// Adds listeners; one on a port already used must be the same listener (`DuplicateListener`).
    mutating func addListeners(_ listeners: [ClassicLoadBalancer.Listener], to name: String) throws(APIError) {
        var balancer = try loadBalancer(name)
        for listener in listeners {
            if let existing = balancer.listeners.first(where: { $0.loadBalancerPort == listener.loadBalancerPort }) {
                if existing == listener { continue }
                throw APIError(
                    code: "DuplicateListener",
                    message: "A listener already exists for \(name) with LoadBalancerPort \(listener.loadBalancerPort), "
                        + "but with a different InstancePort, Protocol, or SSLCertificateId")
            }
            balancer.listeners.append(listener)
        }
        put(balancer)
    }

    mutating func deleteListeners(ports: [Int], from name: String) throws(APIError) {
        var balancer = try loadBalancer(name)
        balancer.listeners.removeAll { ports.contains($0.loadBalancerPort) }
        put(balancer)
    }

    /// Registers instances of the load balancer's VPC (not terminated), or deregisters registered ones.
    mutating func changeRegistrations(_ ids: [String], of name: String, register: Bool) throws(APIError) -> ClassicLoadBalancer {
        var balancer = try loadBalancer(name)
        for id in ids {
            guard let instance = self[Instance.self][id], instance.state != .terminated else {
                throw APIError(
                    code: "InvalidInstance", message: "The requested instance \(id) is not valid or is not in a state that allows registration.")
            }
            if register {
                guard let interface = self[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue],
                    vpcID(of: interface.subnetID) == balancer.vpcID
                else {
                    throw APIError(code: "InvalidInstance", message: "Instance \(id) is not in the load balancer's VPC.")
                }
                if !balancer.instanceIDs.contains(instance.id) { balancer.instanceIDs.append(instance.id) }
            } else {
                guard balancer.instanceIDs.contains(instance.id) else {
                    throw APIError(code: "InvalidInstance", message: "The instance \(id) is not registered with \(name).")
                }
                balancer.instanceIDs.removeAll { $0 == instance.id }
            }
        }
        put(balancer)
        return balancer
    }

    mutating func configureHealthCheck(_ check: ClassicLoadBalancer.HealthCheck, of name: String) throws(APIError) {
        var balancer = try loadBalancer(name)
        balancer.healthCheck = check
        put(balancer)
    }

    /// Replaces the load balancer's groups (of its VPC), on its nodes' interfaces too.
    mutating func applySecurityGroups(_ ids: [String], to name: String) throws(APIError) -> [SecurityGroup.ID] {
        var balancer = try loadBalancer(name)
        var groups: [SecurityGroup.ID] = []
        for id in ids {
            guard let group = self[SecurityGroup.self][id], group.vpcID == balancer.vpcID else {
                throw APIError(code: "InvalidSecurityGroup", message: "One or more security groups are invalid: \(id)")
            }
            groups.append(group.id)
        }
        balancer.securityGroupIDs = groups
        for node in balancer.nodes {
            if var interface = self[NetworkInterface.self][node.networkInterfaceID.rawValue] {
                interface.securityGroupIDs = groups
                put(interface)
            }
        }
        put(balancer)
        return groups
    }

    /// Attaches subnets (a node each, one per zone) or detaches them (at least one must stay).
    mutating func changeSubnets(_ ids: [String], of name: String, attach: Bool) throws(APIError) -> ClassicLoadBalancer {
        var balancer = try loadBalancer(name)
        if attach {
            let current = Set(balancer.nodes.map(\.subnetID.rawValue))
            let new = try balancerSubnets(ids.filter { !current.contains($0) }, vpc: balancer.vpcID)
            let zones = Set(balancer.nodes.compactMap { self[Subnet.self][$0.subnetID.rawValue]?.availabilityZone })
            for subnet in new {
                if zones.contains(subnet.availabilityZone) {
                    throw APIError(
                        code: "InvalidConfigurationRequest", message: "\(name) already has a subnet in \(subnet.availabilityZone).", status: 409)
                }
                try addNode(to: &balancer, in: subnet)
            }
        } else {
            for id in ids {
                guard let node = balancer.nodes.first(where: { $0.subnetID.rawValue == id }) else {
                    throw APIError(code: "SubnetNotFound", message: "Subnet \(id) is not attached to \(name).")
                }
                remove(NetworkInterface.self, node.networkInterfaceID.rawValue)
                balancer.nodes.removeAll { $0.subnetID.rawValue == id }
            }
            if balancer.nodes.isEmpty {
                throw APIError(code: "InvalidConfigurationRequest", message: "A load balancer needs at least one subnet.", status: 409)
            }
        }
        put(balancer)
        return balancer
    }
}
