import VPCModel

/// What an instance is launched with, from `AWS::EC2::Instance`, a launch configuration or a template.
struct LaunchSpec {
    var subnet: Subnet.ID?
    var zone: String?
    var groups: [String] = []
    var associatePublicIP: Bool?
    var privateIP: String?
    var sourceDestCheck = true
    var imageID = "ami-00000000000000000"
    var role: Instance.Role?
    var userData: String?
}

// Interfaces, instances (with Auto Scaling groups), Elastic IPs, NAT gateways, routes, load balancers.
extension CloudFormationImporter {
    mutating func buildComputeAndRouting() {
        for resource in resources where resource.type == "AWS::EC2::NetworkInterface" { buildInterface(resource) }
        for resource in resources where resource.type == "AWS::EC2::Instance" {
            guard var spec = launchSpec(resource, instance: true) else { continue }
            spec.role = role(resource)
            addInstance(name: resource.logicalID, id: modelID(resource.logicalID), spec: spec, resource: resource)
            nameTag(resource, for: (modelID(resource.logicalID) as Instance.ID).rawValue)
        }
        for resource in resources where resource.type == "AWS::EC2::NetworkInterfaceAttachment" {
            guard let instance = reference(resource, "InstanceId", types: ["AWS::EC2::Instance"]),
                let interface = reference(resource, "NetworkInterfaceId", types: ["AWS::EC2::NetworkInterface"]),
                let index = topology.networkInterfaces.firstIndex(where: { $0.id == modelID(interface) })
            else { continue }
            topology.networkInterfaces[index].owner = .instance(modelID(instance))
        }
        var balancerMembers: [String: [Instance.ID]] = [:]
        for resource in resources where resource.type == "AWS::AutoScaling::AutoScalingGroup" { buildAutoScalingGroup(resource, &balancerMembers) }
        for resource in resources where resource.type == "AWS::EC2::EIP" { buildElasticIP(resource) }
        for resource in resources where resource.type == "AWS::EC2::EIPAssociation" { associate(resource) }
        for resource in resources where resource.type == "AWS::EC2::NatGateway" { buildNATGateway(resource) }
        for resource in resources where resource.type == "AWS::EC2::Route" { buildRoute(resource) }
        markNATInstances()
        for resource in resources where resource.type == "AWS::ElasticLoadBalancing::LoadBalancer" {
            buildLoadBalancer(resource, members: balancerMembers[resource.logicalID] ?? [])
        }
    }

    // MARK: Addresses

    /// The next free private address of a subnet (after the four AWS reserves).
    mutating func freeAddress(in subnetID: Subnet.ID) -> IPv4Address? {
        guard let subnet = topology.subnets.first(where: { $0.id == subnetID }) else { return nil }
        var candidate = subnet.cidrBlock.first.advanced(by: 4)
        while subnet.cidrBlock.contains(candidate), candidate != subnet.cidrBlock.last {
            if usedAddresses.insert(candidate).inserted { return candidate }
            candidate = candidate.advanced(by: 1)
        }
        return nil
    }

    mutating func publicAddress() -> IPv4Address {
        defer { nextPublicIP = nextPublicIP.advanced(by: 1) }
        return nextPublicIP
    }

    // MARK: Instances

    /// Reads where and how an instance is launched; nil (with a note) when it has no usable subnet.
    mutating func launchSpec(_ resource: Resource, instance: Bool) -> LaunchSpec? {
        var spec = LaunchSpec()
        spec.imageID = string(resource, "ImageId") ?? spec.imageID
        spec.userData = string(resource, "UserData")
        if let interfaces = property(resource, "NetworkInterfaces")?.list, !interfaces.isEmpty {
            let primary = interfaces.first { $0["DeviceIndex"]?.string == "0" } ?? interfaces[0]
            spec.groups = primary["GroupSet"]?.strings ?? primary["Groups"]?.strings ?? []
            spec.associatePublicIP = primary["AssociatePublicIpAddress"]?.bool
            spec.privateIP = primary["PrivateIpAddress"]?.string
            if let subnet = primary["SubnetId"]?.string {
                spec.subnet = lookUp(subnet, types: ["AWS::EC2::Subnet"], from: resource, key: "NetworkInterfaces SubnetId").map { modelID($0) }
                if spec.subnet == nil { return nil }
            }
        }
        spec.groups += strings(resource, "SecurityGroupIds") + strings(resource, "SecurityGroups")
        spec.privateIP = spec.privateIP ?? string(resource, "PrivateIpAddress")
        if let associate = property(resource, "AssociatePublicIpAddress")?.bool { spec.associatePublicIP = associate }
        spec.sourceDestCheck = property(resource, "SourceDestCheck")?.bool ?? true
        spec.zone = string(resource, "AvailabilityZone")
        if instance, spec.subnet == nil, resource.properties?["SubnetId"] != nil {
            guard let subnet = reference(resource, "SubnetId", types: ["AWS::EC2::Subnet"]) else { return nil }
            spec.subnet = modelID(subnet)
        }
        return spec
    }

    /// An instance tagged `localvpc:role: nat` is a NAT instance (LocalVPC's tag, as in the API).
    mutating func role(_ resource: Resource) -> Instance.Role? {
        tag(resource, "localvpc:role").flatMap(Instance.Role.init(rawValue:))
    }

    /// An instance and its primary interface.
    mutating func addInstance(name: String, id: Instance.ID, spec: LaunchSpec, resource: Resource) {
        let subnetID = spec.subnet ?? defaultSubnet(zone: spec.zone)
        guard let subnet = topology.subnets.first(where: { $0.id == subnetID }) else { return }
        var groups: [SecurityGroup.ID] = []
        for group in spec.groups {
            if let logical = byRef[group], self.resource(logical)?.type == "AWS::EC2::SecurityGroup",
                topology.securityGroups.contains(where: { $0.id == modelID(logical) })
            {
                groups.append(modelID(logical))
            } else if let named = topology.securityGroups.first(where: { $0.name == group && $0.vpcID == subnet.vpcID }) {
                groups.append(named.id)
            } else {
                notes.append("\(name): security group \(group) is not in this template; left out")
            }
        }
        if groups.isEmpty, let group = topology.securityGroups.first(where: { $0.vpcID == subnet.vpcID && $0.name == "default" }) {
            groups = [group.id]
        }
        var address: IPv4Address?
        if let text = spec.privateIP, let requested = IPv4Address(text) {
            usedAddresses.insert(requested)
            address = requested
        } else {
            address = freeAddress(in: subnetID)
        }
        guard let address else {
            notes.append("\(name): subnet \(subnet.name ?? subnet.id.rawValue) has no free address left; left out")
            return
        }
        let interfaceID = NetworkInterface.ID(IDGenerator.makeRaw("eni", seed: "\(options.stackName)/\(name)/eth0"))
        let isPublic = spec.associatePublicIP ?? subnet.mapPublicIPOnLaunch
        topology.networkInterfaces.append(
            NetworkInterface(
                id: interfaceID, name: "\(name) eth0", subnetID: subnetID, privateIPs: [address], publicIP: isPublic ? publicAddress() : nil,
                securityGroupIDs: groups, sourceDestCheck: spec.sourceDestCheck, owner: .instance(id)))
        topology.instances.append(Instance(id: id, name: name, imageID: spec.imageID, primaryNetworkInterfaceID: interfaceID, role: spec.role))
        lines[id.rawValue] = resource.location.line
        origins[id.rawValue] = "\(name) (\(resource.type), line \(resource.location.line))"
        if name != resource.logicalID || id.rawValue != name { aliases[name] = id.rawValue }
        if name == resource.logicalID { cdkAlias(resource, for: id.rawValue) }
        if let userData = spec.userData,
            ["modify-instance-attribute", "associate-address", "create-route", "replace-route", "iptables"].contains(where: userData.contains)
        {
            notes.append(
                "\(name): its UserData changes the network at boot (routes, addresses, source/dest check or iptables); "
                    + "LocalVPC reads the template only, not what runs at boot")
        }
    }

    mutating func buildInterface(_ resource: Resource) {
        guard let subnet = reference(resource, "SubnetId", types: ["AWS::EC2::Subnet"]) else { return }
        let subnetID: Subnet.ID = modelID(subnet)
        let requested = address(resource, "PrivateIpAddress")
        if let requested { usedAddresses.insert(requested) }
        guard let address = requested ?? freeAddress(in: subnetID) else { return }
        var groups: [SecurityGroup.ID] = []
        for group in strings(resource, "GroupSet") {
            if let logical = lookUp(group, types: ["AWS::EC2::SecurityGroup"], from: resource, key: "GroupSet") { groups.append(modelID(logical)) }
        }
        let id: NetworkInterface.ID = modelID(resource.logicalID)
        topology.networkInterfaces.append(
            NetworkInterface(
                id: id, name: resource.logicalID, subnetID: subnetID, privateIPs: [address], securityGroupIDs: groups,
                sourceDestCheck: property(resource, "SourceDestCheck")?.bool ?? true))
        place(id.rawValue, resource)
    }

    /// `DesiredCapacity` (else `MinSize`, at least 1) instances `<group>-1 … -N`, spread over the
    /// group's subnets in order, launched as its launch configuration or template says.
    mutating func buildAutoScalingGroup(_ resource: Resource, _ members: inout [String: [Instance.ID]]) {
        let count = max(property(resource, "DesiredCapacity")?.int ?? property(resource, "MinSize")?.int ?? 1, 1)
        var spec = LaunchSpec()
        if let name = string(resource, "LaunchConfigurationName") {
            guard let logical = lookUp(name, types: ["AWS::AutoScaling::LaunchConfiguration"], from: resource, key: "LaunchConfigurationName"),
                let configuration = self.resource(logical), let read = launchSpec(configuration, instance: false)
            else { return }
            spec = read
        } else if let template = property(resource, "LaunchTemplate")
            ?? property(resource, "MixedInstancesPolicy")?["LaunchTemplate"]?[
                "LaunchTemplateSpecification"]
        {
            let reference = template["LaunchTemplateId"]?.string ?? template["LaunchTemplateName"]?.string ?? ""
            guard
                let logical = byRef[reference]
                    ?? resources.first(where: { $0.type == "AWS::EC2::LaunchTemplate" && $0.logicalID == reference })?.logicalID,
                let launchTemplate = self.resource(logical)
            else {
                notes.append("\(resource.logicalID): launch template \(reference) is not in this template; left out")
                return
            }
            if let data = launchTemplate.properties?["LaunchTemplateData"] {
                let dataResource = Resource(logicalID: logical, type: launchTemplate.type, properties: data, location: launchTemplate.location)
                spec = launchSpec(dataResource, instance: false) ?? spec
            }
        }
        var subnets: [Subnet.ID] = []
        for subnet in strings(resource, "VPCZoneIdentifier") {
            if let logical = lookUp(subnet, types: ["AWS::EC2::Subnet"], from: resource, key: "VPCZoneIdentifier") {
                subnets.append(modelID(logical))
            }
        }
        if subnets.isEmpty, resource.properties?["VPCZoneIdentifier"] != nil {
            notes.append("\(resource.logicalID): none of its subnets is in this template; its instances are left out")
            return
        }
        if subnets.isEmpty {
            let zones = strings(resource, "AvailabilityZones")
            subnets = (zones.isEmpty ? [nil] : zones.map { Optional($0) }).map { defaultSubnet(zone: $0) }
        }
        for index in 0..<count {
            var instanceSpec = spec
            instanceSpec.subnet = subnets[index % subnets.count]
            instanceSpec.privateIP = nil
            instanceSpec.role = role(resource)
            let name = "\(resource.logicalID)-\(index + 1)"
            let id = Instance.ID(IDGenerator.makeRaw("i", seed: "\(options.stackName)/\(name)"))
            addInstance(name: name, id: id, spec: instanceSpec, resource: resource)
            for balancer in strings(resource, "LoadBalancerNames") {
                if let logical = lookUp(balancer, types: ["AWS::ElasticLoadBalancing::LoadBalancer"], from: resource, key: "LoadBalancerNames") {
                    members[logical, default: []].append(id)
                }
            }
        }
        notes.append("\(resource.logicalID): \(count) instance\(count == 1 ? "" : "s") \(resource.logicalID)-1…\(count) of the Auto Scaling group")
    }

    // MARK: Elastic IPs and NAT gateways

    mutating func buildElasticIP(_ resource: Resource) {
        let address = IPv4Address(physicalRef(resource))!
        let id = ElasticIP.ID(IDGenerator.makeRaw("eipalloc", seed: "\(options.stackName)/\(resource.logicalID)"))
        var association: ElasticIP.Association?
        if resource.properties?["InstanceId"] != nil, let instance = reference(resource, "InstanceId", types: ["AWS::EC2::Instance"]),
            let interface = primaryInterface(of: modelID(instance))
        {
            association = .init(networkInterfaceID: interface.id, privateIP: interface.primaryPrivateIP)
        }
        topology.elasticIPs.append(ElasticIP(id: id, name: resource.logicalID, publicIP: address, association: association))
        place(id.rawValue, resource)
    }

    func primaryInterface(of instance: Instance.ID) -> NetworkInterface? {
        guard let id = topology.instances.first(where: { $0.id == instance })?.primaryNetworkInterfaceID else { return nil }
        return topology.networkInterfaces.first { $0.id == id }
    }

    mutating func associate(_ resource: Resource) {
        let eipText = string(resource, "AllocationId") ?? string(resource, "EIP")
        guard let eipText, let logical = lookUp(eipText, types: ["AWS::EC2::EIP"], from: resource, key: "AllocationId") else { return }
        let allocation = ElasticIP.ID(IDGenerator.makeRaw("eipalloc", seed: "\(options.stackName)/\(logical)"))
        var interface: NetworkInterface?
        if resource.properties?["InstanceId"] != nil {
            interface = reference(resource, "InstanceId", types: ["AWS::EC2::Instance"]).flatMap { primaryInterface(of: modelID($0)) }
        } else if let logicalInterface = reference(resource, "NetworkInterfaceId", types: ["AWS::EC2::NetworkInterface"]) {
            interface = topology.networkInterfaces.first { $0.id == modelID(logicalInterface) }
        }
        guard let interface, let index = topology.elasticIPs.firstIndex(where: { $0.id == allocation }) else { return }
        let privateIP = address(resource, "PrivateIpAddress") ?? interface.primaryPrivateIP
        topology.elasticIPs[index].association = .init(networkInterfaceID: interface.id, privateIP: privateIP)
    }

    mutating func buildNATGateway(_ resource: Resource) {
        guard let subnet = reference(resource, "SubnetId", types: ["AWS::EC2::Subnet"]) else { return }
        let subnetID: Subnet.ID = modelID(subnet)
        let id: NATGateway.ID = modelID(resource.logicalID)
        guard let address = freeAddress(in: subnetID) else { return }
        let interfaceID = NetworkInterface.ID(IDGenerator.makeRaw("eni", seed: "\(options.stackName)/\(resource.logicalID)"))
        topology.networkInterfaces.append(
            NetworkInterface(
                id: interfaceID, name: "Interface for NAT Gateway \(resource.logicalID)", subnetID: subnetID, privateIPs: [address],
                securityGroupIDs: [], sourceDestCheck: false, owner: .natGateway(id)))
        var allocation: ElasticIP.ID?
        if let text = string(resource, "AllocationId"), let logical = lookUp(text, types: ["AWS::EC2::EIP"], from: resource, key: "AllocationId") {
            let eip = ElasticIP.ID(IDGenerator.makeRaw("eipalloc", seed: "\(options.stackName)/\(logical)"))
            if let index = topology.elasticIPs.firstIndex(where: { $0.id == eip }) {
                topology.elasticIPs[index].association = .init(networkInterfaceID: interfaceID, privateIP: address)
                allocation = eip
            }
        }
        topology.natGateways.append(
            NATGateway(id: id, name: resource.logicalID, subnetID: subnetID, networkInterfaceID: interfaceID, elasticIPID: allocation))
        place(id.rawValue, resource)
        nameTag(resource, for: id.rawValue)
    }

    // MARK: Routes

    mutating func buildRoute(_ resource: Resource) {
        guard let table = reference(resource, "RouteTableId", types: ["AWS::EC2::RouteTable"]),
            let index = topology.routeTables.firstIndex(where: { $0.id == modelID(table) })
        else { return }
        guard let destination = string(resource, "DestinationCidrBlock").flatMap(block) else {
            notes.append("\(resource.logicalID): IPv6 and prefix-list routes are not modelled; left out")
            return
        }
        let target: Route.Target
        if let gateway = string(resource, "GatewayId") {
            guard let logical = lookUp(gateway, types: ["AWS::EC2::InternetGateway"], from: resource, key: "GatewayId") else { return }
            target = .internetGateway(modelID(logical))
        } else if resource.properties?["NatGatewayId"] != nil {
            guard let logical = reference(resource, "NatGatewayId", types: ["AWS::EC2::NatGateway"]) else { return }
            target = .natGateway(modelID(logical))
        } else if resource.properties?["InstanceId"] != nil {
            guard let logical = reference(resource, "InstanceId", types: ["AWS::EC2::Instance"]) else { return }
            target = .instance(modelID(logical))
        } else if resource.properties?["NetworkInterfaceId"] != nil {
            guard let logical = reference(resource, "NetworkInterfaceId", types: ["AWS::EC2::NetworkInterface"]) else { return }
            target = .networkInterface(modelID(logical))
        } else {
            let kind = resource.properties?.pairs?.map(\.key).first { $0.hasSuffix("Id") && $0 != "RouteTableId" } ?? "target"
            notes.append("\(resource.logicalID): routes to a \(kind) are not modelled; left out")
            return
        }
        topology.routeTables[index].routes.append(Route(destination: destination, target: target))
        lines["\(modelID(table) as RouteTable.ID).route.\(destination)"] = resource.location.line
    }

    mutating func markNATInstances() {
        var tagged: Set<String> = []
        for resource in resources where ["AWS::EC2::Instance", "AWS::AutoScaling::AutoScalingGroup"].contains(resource.type) {
            if tag(resource, "localvpc:role") != nil { tagged.insert(resource.logicalID) }
        }
        notes += NATReading.mark(&topology) { instance in tagged.contains(instance.name ?? "") }
    }

    // MARK: Load balancers

    mutating func buildLoadBalancer(_ resource: Resource, members: [Instance.ID]) {
        let id = ClassicLoadBalancer.ID(physicalRef(resource))
        var subnets: [Subnet.ID] = []
        for subnet in strings(resource, "Subnets") {
            if let logical = lookUp(subnet, types: ["AWS::EC2::Subnet"], from: resource, key: "Subnets") { subnets.append(modelID(logical)) }
        }
        if subnets.isEmpty {
            for zone in strings(resource, "AvailabilityZones") {
                let subnet = defaultSubnet(zone: zone)
                if !subnets.contains(subnet) { subnets.append(subnet) }
            }
        }
        guard let first = subnets.first, let vpc = topology.subnets.first(where: { $0.id == first })?.vpcID else {
            notes.append("\(resource.logicalID): a load balancer with no subnet; left out")
            return
        }
        let scheme = ClassicLoadBalancer.Scheme(rawValue: string(resource, "Scheme") ?? "internet-facing") ?? .internetFacing
        var groups: [SecurityGroup.ID] = []
        for group in strings(resource, "SecurityGroups") {
            if let logical = lookUp(group, types: ["AWS::EC2::SecurityGroup"], from: resource, key: "SecurityGroups") {
                groups.append(modelID(logical))
            }
        }
        if groups.isEmpty, vpc == defaultVPC, let group = topology.securityGroups.first(where: { $0.name == Self.defaultELBGroupName(options) }) {
            groups = [group.id]
        }
        if groups.isEmpty, let group = topology.securityGroups.first(where: { $0.vpcID == vpc && $0.name == "default" }) { groups = [group.id] }
        var listeners: [ClassicLoadBalancer.Listener] = []
        for listener in property(resource, "Listeners")?.list ?? [] {
            guard let front = listener["Protocol"]?.string.flatMap({ ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: $0.uppercased()) }),
                let port = listener["LoadBalancerPort"]?.int, let instancePort = listener["InstancePort"]?.int
            else {
                intrinsics.error("\(resource.logicalID): a listener needs Protocol, LoadBalancerPort and InstancePort.", at: resource.location)
                continue
            }
            let back =
                listener["InstanceProtocol"]?.string.flatMap { ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: $0.uppercased()) } ?? front
            listeners.append(
                ClassicLoadBalancer.Listener(
                    listenerProtocol: front, loadBalancerPort: port, instanceProtocol: back, instancePort: instancePort,
                    sslCertificateID: listener["SSLCertificateId"]?.string))
        }
        var instances = members
        for instance in strings(resource, "Instances") {
            if let logical = lookUp(instance, types: ["AWS::EC2::Instance"], from: resource, key: "Instances") { instances.append(modelID(logical)) }
        }
        var healthCheck = ClassicLoadBalancer.HealthCheck()
        if let check = property(resource, "HealthCheck") {
            healthCheck = ClassicLoadBalancer.HealthCheck(
                target: check["Target"]?.string ?? healthCheck.target, interval: check["Interval"]?.int ?? healthCheck.interval,
                timeout: check["Timeout"]?.int ?? healthCheck.timeout, unhealthyThreshold: check["UnhealthyThreshold"]?.int ?? 2,
                healthyThreshold: check["HealthyThreshold"]?.int ?? 10)
        }
        var nodes: [ClassicLoadBalancer.Node] = []
        for subnet in subnets {
            guard let address = freeAddress(in: subnet) else { continue }
            let interfaceID = NetworkInterface.ID(IDGenerator.makeRaw("eni", seed: "\(options.stackName)/\(resource.logicalID)/\(subnet)"))
            topology.networkInterfaces.append(
                NetworkInterface(
                    id: interfaceID, name: "ELB \(id.rawValue)", subnetID: subnet, privateIPs: [address],
                    publicIP: scheme == .internetFacing ? publicAddress() : nil, securityGroupIDs: groups, owner: .loadBalancer(id)))
            nodes.append(.init(subnetID: subnet, networkInterfaceID: interfaceID))
        }
        topology.loadBalancers.append(
            ClassicLoadBalancer(
                id: id, scheme: scheme, vpcID: vpc, securityGroupIDs: groups, listeners: listeners, instanceIDs: instances, healthCheck: healthCheck,
                crossZone: property(resource, "CrossZone")?.bool ?? false, nodes: nodes,
                idleTimeout: property(resource, "ConnectionSettings")?["IdleTimeout"]?.int ?? 60))
        place(id.rawValue, resource)
    }
}
