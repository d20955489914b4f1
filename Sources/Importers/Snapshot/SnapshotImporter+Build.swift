import Foundation
import VPCModel

extension SnapshotImporter {
    mutating func buildNetworks() {
        for item in items("Vpcs") {
            guard let id = Self.string(item, "VpcId") else { continue }
            var blocks = Self.objects(item, "CidrBlockAssociationSet")
                .filter { Self.string($0["CidrBlockState"] as? Object, "State") ?? "associated" == "associated" }
                .compactMap { block(Self.string($0, "CidrBlock")) }
            if blocks.isEmpty, let primary = block(Self.string(item, "CidrBlock")) { blocks = [primary] }
            topology.vpcs.append(VPC(id: VPC.ID(id), name: name(item, id: id), cidrBlocks: blocks))
        }
        let vpcIDs = Set(topology.vpcs.map(\.id.rawValue))
        for item in items("Subnets") {
            guard let id = Self.string(item, "SubnetId"), let vpc = Self.string(item, "VpcId"), let cidr = block(Self.string(item, "CidrBlock"))
            else {
                continue
            }
            guard vpcIDs.contains(vpc) else {
                notes.append("subnet \(id): its VPC \(vpc) is not in the snapshot; left out")
                continue
            }
            topology.subnets.append(
                Subnet(
                    id: Subnet.ID(id), name: name(item, id: id), vpcID: VPC.ID(vpc), cidrBlock: cidr,
                    availabilityZone: Self.string(item, "AvailabilityZone") ?? "\(topology.region)a",
                    mapPublicIPOnLaunch: Self.bool(item, "MapPublicIpOnLaunch") ?? false))
        }
        for item in items("InternetGateways") {
            guard let id = Self.string(item, "InternetGatewayId") else { continue }
            let attachment = Self.objects(item, "Attachments").first { ["available", "attached"].contains(Self.string($0, "State") ?? "available") }
            topology.internetGateways.append(
                InternetGateway(
                    id: InternetGateway.ID(id), name: Self.nameTag(item), attachedVPC: Self.string(attachment, "VpcId").map { VPC.ID($0) }))
        }
    }

    mutating func buildFilters() {
        for item in items("SecurityGroups") {
            guard let id = Self.string(item, "GroupId"), let vpc = Self.string(item, "VpcId") else { continue }
            let ingress = Self.objects(item, "IpPermissions").flatMap { rules($0, group: id) }
            let egress = Self.objects(item, "IpPermissionsEgress").flatMap { rules($0, group: id) }
            topology.securityGroups.append(
                SecurityGroup(
                    id: SecurityGroup.ID(id), name: Self.string(item, "GroupName") ?? id, description: Self.string(item, "Description") ?? "",
                    vpcID: VPC.ID(vpc), ingress: ingress, egress: egress))
        }
        for item in items("NetworkAcls") {
            guard let id = Self.string(item, "NetworkAclId"), let vpc = Self.string(item, "VpcId") else { continue }
            var entries: [NetworkACLEntry] = []
            for entry in Self.objects(item, "Entries") {
                // The implicit last rule (32767, deny all) is the engine's own.
                guard let number = Self.int(entry, "RuleNumber"), number < NetworkACLEntry.catchAllRuleNumber,
                    let cidr = block(Self.string(entry, "CidrBlock")),
                    let ipProtocol = try? IPProtocol(parsing: Self.string(entry, "Protocol") ?? "-1"),
                    let action = NetworkACLEntry.Action(rawValue: Self.string(entry, "RuleAction") ?? "")
                else { continue }
                let range = entry["PortRange"] as? Object
                let ports = (Self.int(range, "From")).flatMap { from in try? PortRange(from: from, to: Self.int(range, "To") ?? from) } ?? .all
                entries.append(
                    NetworkACLEntry(
                        ruleNumber: number, direction: Self.bool(entry, "Egress") == true ? .egress : .ingress, ipProtocol: ipProtocol, ports: ports,
                        cidr: cidr, action: action))
            }
            let subnets = Self.objects(item, "Associations").compactMap { Self.string($0, "SubnetId") }.map { Subnet.ID($0) }
            topology.networkACLs.append(
                NetworkACL(
                    id: NetworkACL.ID(id), name: Self.nameTag(item), vpcID: VPC.ID(vpc), isDefault: Self.bool(item, "IsDefault") ?? false,
                    associatedSubnets: subnets, entries: entries))
        }
        for vpc in topology.vpcs where !topology.networkACLs.contains(where: { $0.vpcID == vpc.id && $0.isDefault }) {
            topology.networkACLs.append(
                NetworkACL(
                    id: NetworkACL.ID(IDGenerator.makeRaw("acl", seed: vpc.id.rawValue)), vpcID: vpc.id, isDefault: true,
                    entries: NetworkACL.defaultEntries))
            notes.append("\(vpc.id): no default network ACL in the snapshot; AWS's default (allow all) assumed")
        }
    }

    /// The rules of one `IpPermission`: one per CIDR range and per group pair (IPv6 and prefix lists are not modelled).
    func rules(_ permission: Object, group: String) -> [SecurityGroupRule] {
        guard let ipProtocol = try? IPProtocol(parsing: Self.string(permission, "IpProtocol") ?? "-1") else { return [] }
        var ports = PortRange.all
        if ipProtocol.hasPorts, let from = Self.int(permission, "FromPort"), let to = Self.int(permission, "ToPort") {
            ports = (try? PortRange(from: max(from, 0), to: to < 0 ? 65535 : to)) ?? .all
        }
        var result: [SecurityGroupRule] = []
        for range in Self.objects(permission, "IpRanges") {
            if let cidr = block(Self.string(range, "CidrIp")) {
                result.append(
                    SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: .cidr(cidr), description: Self.string(range, "Description")))
            }
        }
        for pair in Self.objects(permission, "UserIdGroupPairs") {
            if let peer = Self.string(pair, "GroupId") {
                result.append(SecurityGroupRule(ipProtocol: ipProtocol, ports: ports, peer: .securityGroup(SecurityGroup.ID(peer))))
            }
        }
        return result
    }

    mutating func buildInterfacesAndInstances() {
        var interfaces: [String: Object] = [:]
        for item in items("NetworkInterfaces") { if let id = Self.string(item, "NetworkInterfaceId") { interfaces[id] = item } }
        let addresses = items("Addresses")
        var natGatewayOfInterface: [String: String] = [:]
        for gateway in items("NatGateways") {
            for address in Self.objects(gateway, "NatGatewayAddresses") {
                if let interface = Self.string(address, "NetworkInterfaceId"), let id = Self.string(gateway, "NatGatewayId") {
                    natGatewayOfInterface[interface] = id
                }
            }
        }
        var instanceOfInterface: [String: String] = [:]
        var primaryOfInstance: [String: String] = [:]
        for instance in items("Reservations").flatMap({ Self.objects($0, "Instances") }) {
            guard let id = Self.string(instance, "InstanceId") else { continue }
            var embedded = Self.objects(instance, "NetworkInterfaces")
            if embedded.isEmpty, let subnet = Self.string(instance, "SubnetId"), let address = Self.string(instance, "PrivateIpAddress") {
                // An instance written without its interfaces: its primary one from its own fields.
                embedded = [
                    [
                        "NetworkInterfaceId": IDGenerator.makeRaw("eni", seed: id), "SubnetId": subnet,
                        "PrivateIpAddresses": [["PrivateIpAddress": address, "Primary": true]],
                        "Groups": Self.objects(instance, "SecurityGroups"), "SourceDestCheck": Self.bool(instance, "SourceDestCheck") ?? true,
                        "Association": Self.string(instance, "PublicIpAddress").map { ["PublicIp": $0] } as Any,
                        "Attachment": ["DeviceIndex": 0],
                    ]
                ]
            }
            for interface in embedded {
                guard let interfaceID = Self.string(interface, "NetworkInterfaceId") else { continue }
                if interfaces[interfaceID] == nil { interfaces[interfaceID] = interface }
                instanceOfInterface[interfaceID] = id
                if Self.int(interface["Attachment"] as? Object, "DeviceIndex") == 0 { primaryOfInstance[id] = interfaceID }
            }
            guard let primary = primaryOfInstance[id] else {
                notes.append(
                    "instance \(id): no network interface in the snapshot (\(Self.string(instance["State"] as? Object, "Name") ?? "?")); left out")
                continue
            }
            let state = Instance.State(rawValue: Self.string(instance["State"] as? Object, "Name") ?? "running") ?? .running
            let role: Instance.Role? =
                Self.objects(instance, "Tags").first { Self.string($0, "Key") == "localvpc:role" }.flatMap { Self.string($0, "Value") }
                .flatMap(Instance.Role.init(rawValue:))
            topology.instances.append(
                Instance(
                    id: Instance.ID(id), name: name(instance, id: id), state: state,
                    imageID: Self.string(instance, "ImageId") ?? "ami-00000000000000000",
                    primaryNetworkInterfaceID: NetworkInterface.ID(primary), role: role))
        }
        for (id, item) in interfaces.sorted(by: { $0.key < $1.key }) {
            guard let subnet = Self.string(item, "SubnetId"), topology.subnets.contains(where: { $0.id.rawValue == subnet }) else { continue }
            let privateAddresses = Self.objects(item, "PrivateIpAddresses")
            var ips = privateAddresses.sorted { (Self.bool($0, "Primary") ?? false) && !(Self.bool($1, "Primary") ?? false) }
                .compactMap { Self.address($0, "PrivateIpAddress") }
            if ips.isEmpty, let address = Self.address(item, "PrivateIpAddress") { ips = [address] }
            guard !ips.isEmpty else { continue }
            let owner: NetworkInterface.Owner
            if let instance = instanceOfInterface[id] ?? Self.string(item["Attachment"] as? Object, "InstanceId") {
                owner = .instance(Instance.ID(instance))
            } else if let gateway = natGatewayOfInterface[id] {
                owner = .natGateway(NATGateway.ID(gateway))
            } else if let description = Self.string(item, "Description"), description.hasPrefix("ELB "), !description.hasPrefix("ELB app/"),
                !description.hasPrefix("ELB net/")
            {
                owner = .loadBalancer(ClassicLoadBalancer.ID(String(description.dropFirst(4))))
            } else {
                owner = .detached
            }
            // A public address: an Elastic IP's when the Addresses body says so, else an auto-assigned one.
            let publicIP = Self.address(item["Association"] as? Object, "PublicIp")
            let isElastic = publicIP.map { ip in addresses.contains { Self.string($0, "PublicIp") == ip.description } } ?? false
            let groups = Self.objects(item, "Groups").compactMap { Self.string($0, "GroupId") }.map { SecurityGroup.ID($0) }
            topology.networkInterfaces.append(
                NetworkInterface(
                    id: NetworkInterface.ID(id), name: nil, subnetID: Subnet.ID(subnet), privateIPs: ips, publicIP: isElastic ? nil : publicIP,
                    securityGroupIDs: owner == .natGateway(NATGateway.ID(natGatewayOfInterface[id] ?? "")) ? [] : groups,
                    sourceDestCheck: Self.bool(item, "SourceDestCheck") ?? true, owner: owner))
        }
        let interfaceIDs = Set(topology.networkInterfaces.map(\.id))
        topology.instances.removeAll { !interfaceIDs.contains($0.primaryNetworkInterfaceID) }
        for item in addresses {
            guard let ip = Self.address(item, "PublicIp") else { continue }
            let allocation = Self.string(item, "AllocationId") ?? IDGenerator.makeRaw("eipalloc", seed: ip.description)
            var association: ElasticIP.Association?
            let interfaceID =
                Self.string(item, "NetworkInterfaceId")
                ?? Self.string(item, "InstanceId").flatMap { instance in
                    topology.instances.first { $0.id.rawValue == instance }?.primaryNetworkInterfaceID.rawValue
                }
            if let interfaceID, let interface = topology.networkInterfaces.first(where: { $0.id.rawValue == interfaceID }) {
                association = .init(
                    networkInterfaceID: interface.id,
                    privateIP: Self.address(item, "PrivateIpAddress") ?? interface.primaryPrivateIP)
            }
            topology.elasticIPs.append(ElasticIP(id: ElasticIP.ID(allocation), name: Self.nameTag(item), publicIP: ip, association: association))
        }
        for gateway in items("NatGateways") {
            guard let id = Self.string(gateway, "NatGatewayId"), let subnet = Self.string(gateway, "SubnetId"),
                let address = Self.objects(gateway, "NatGatewayAddresses").first, let interface = Self.string(address, "NetworkInterfaceId")
            else { continue }
            let state = NATGateway.State(rawValue: Self.string(gateway, "State") ?? "available") ?? .available
            let eip = Self.string(address, "AllocationId").map { ElasticIP.ID($0) }
            if !topology.networkInterfaces.contains(where: { $0.id.rawValue == interface }),
                let ip = Self.address(address, "PrivateIp")
            {
                topology.networkInterfaces.append(
                    NetworkInterface(
                        id: NetworkInterface.ID(interface), subnetID: Subnet.ID(subnet), privateIPs: [ip], securityGroupIDs: [],
                        sourceDestCheck: false,
                        owner: .natGateway(NATGateway.ID(id))))
            }
            if let eip, !topology.elasticIPs.contains(where: { $0.id == eip }), let ip = Self.address(address, "PublicIp"),
                let privateIP = Self.address(address, "PrivateIp")
            {
                topology.elasticIPs.append(
                    ElasticIP(id: eip, publicIP: ip, association: .init(networkInterfaceID: NetworkInterface.ID(interface), privateIP: privateIP)))
            }
            topology.natGateways.append(
                NATGateway(
                    id: NATGateway.ID(id), name: Self.nameTag(gateway), subnetID: Subnet.ID(subnet),
                    networkInterfaceID: NetworkInterface.ID(interface),
                    elasticIPID: eip, state: state))
        }
    }

    mutating func buildRoutes() {
        for item in items("RouteTables") {
            guard let id = Self.string(item, "RouteTableId"), let vpc = Self.string(item, "VpcId") else { continue }
            let associations = Self.objects(item, "Associations")
            var routes: [Route] = []
            for route in Self.objects(item, "Routes") {
                guard let destination = block(Self.string(route, "DestinationCidrBlock")) else { continue }
                let target: Route.Target
                if let gateway = Self.string(route, "GatewayId") {
                    if gateway == "local" { continue }
                    guard gateway.hasPrefix("igw-") else {
                        notes.append("\(id): the route to \(destination) through \(gateway) is not modelled; left out")
                        continue
                    }
                    target = .internetGateway(InternetGateway.ID(gateway))
                } else if let gateway = Self.string(route, "NatGatewayId") {
                    target = .natGateway(NATGateway.ID(gateway))
                } else if let instance = Self.string(route, "InstanceId") {
                    target = .instance(Instance.ID(instance))
                } else if let interface = Self.string(route, "NetworkInterfaceId") {
                    target = .networkInterface(NetworkInterface.ID(interface))
                } else {
                    notes.append("\(id): the route to \(destination) has a target LocalVPC does not model; left out")
                    continue
                }
                routes.append(Route(destination: destination, target: target))
            }
            topology.routeTables.append(
                RouteTable(
                    id: RouteTable.ID(id), name: Self.nameTag(item), vpcID: VPC.ID(vpc),
                    isMain: associations.contains { Self.bool($0, "Main") == true },
                    associatedSubnets: associations.compactMap { Self.string($0, "SubnetId") }.map { Subnet.ID($0) }, routes: routes))
        }
        for vpc in topology.vpcs where !topology.routeTables.contains(where: { $0.vpcID == vpc.id && $0.isMain }) {
            topology.routeTables.append(RouteTable(id: RouteTable.ID(IDGenerator.makeRaw("rtb", seed: vpc.id.rawValue)), vpcID: vpc.id, isMain: true))
            notes.append("\(vpc.id): no main route table in the snapshot; one with the local routes only assumed")
        }
    }

    mutating func buildLoadBalancers() {
        for item in items("LoadBalancerDescriptions") {
            guard let name = Self.string(item, "LoadBalancerName"), let vpc = Self.string(item, "VPCId") else { continue }
            let id = ClassicLoadBalancer.ID(name)
            let scheme = ClassicLoadBalancer.Scheme(rawValue: Self.string(item, "Scheme") ?? "internet-facing") ?? .internetFacing
            let groups = (item["SecurityGroups"] as? [String] ?? []).map { SecurityGroup.ID($0) }
            let listeners = Self.objects(item, "ListenerDescriptions").compactMap { $0["Listener"] as? Object }.compactMap {
                listener -> ClassicLoadBalancer.Listener? in
                guard
                    let front = Self.string(listener, "Protocol").flatMap({ ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: $0.uppercased()) }
                    ),
                    let port = Self.int(listener, "LoadBalancerPort"), let instancePort = Self.int(listener, "InstancePort")
                else { return nil }
                let back =
                    Self.string(listener, "InstanceProtocol").flatMap { ClassicLoadBalancer.Listener.ListenerProtocol(rawValue: $0.uppercased()) }
                    ?? front
                return ClassicLoadBalancer.Listener(
                    listenerProtocol: front, loadBalancerPort: port, instanceProtocol: back, instancePort: instancePort,
                    sslCertificateID: Self.string(listener, "SSLCertificateId"))
            }
            var nodes: [ClassicLoadBalancer.Node] = []
            for subnet in item["Subnets"] as? [String] ?? [] {
                if let interface = topology.networkInterfaces.first(where: { $0.owner == .loadBalancer(id) && $0.subnetID.rawValue == subnet }) {
                    nodes.append(.init(subnetID: interface.subnetID, networkInterfaceID: interface.id))
                } else if let subnetModel = topology.subnets.first(where: { $0.id.rawValue == subnet }),
                    let address = freeAddress(in: subnetModel)
                {
                    // describe-network-interfaces did not list the node: one stands in for it.
                    let interfaceID = NetworkInterface.ID(IDGenerator.makeRaw("eni", seed: "\(name)/\(subnet)"))
                    topology.networkInterfaces.append(
                        NetworkInterface(
                            id: interfaceID, name: "ELB \(name)", subnetID: subnetModel.id, privateIPs: [address],
                            publicIP: scheme == .internetFacing ? IPv4Address(0xCB00_7100 &+ UInt32(topology.networkInterfaces.count % 200)) : nil,
                            securityGroupIDs: groups, owner: .loadBalancer(id)))
                    nodes.append(.init(subnetID: subnetModel.id, networkInterfaceID: interfaceID))
                }
            }
            let check = item["HealthCheck"] as? Object
            let healthCheck = ClassicLoadBalancer.HealthCheck(
                target: Self.string(check, "Target") ?? "TCP:80", interval: Self.int(check, "Interval") ?? 30,
                timeout: Self.int(check, "Timeout") ?? 5,
                unhealthyThreshold: Self.int(check, "UnhealthyThreshold") ?? 2, healthyThreshold: Self.int(check, "HealthyThreshold") ?? 10)
            let instances = Self.objects(item, "Instances").compactMap { Self.string($0, "InstanceId") }.map { Instance.ID($0) }
                .filter { id in topology.instances.contains { $0.id == id } }
            topology.loadBalancers.append(
                ClassicLoadBalancer(
                    id: id, scheme: scheme, vpcID: VPC.ID(vpc), securityGroupIDs: groups, listeners: listeners, instanceIDs: instances,
                    healthCheck: healthCheck, crossZone: false, nodes: nodes))
            notes.append("load balancer \(name): cross-zone load balancing is not in describe-load-balancers; taken as off (the API's default)")
        }
    }

    /// A free address of a subnet, for a load balancer node the snapshot does not list.
    func freeAddress(in subnet: Subnet) -> IPv4Address? {
        let used = Set(topology.networkInterfaces.flatMap(\.privateIPs))
        var candidate = subnet.cidrBlock.first.advanced(by: 4)
        while subnet.cidrBlock.contains(candidate), candidate != subnet.cidrBlock.last {
            if !used.contains(candidate) { return candidate }
            candidate = candidate.advanced(by: 1)
        }
        return nil
    }
}
