import Foundation
import HashTreeCollections
import VPCModel

/// Elastic IPs and NAT gateways.
enum AddressActions {
    static let handlers: [String: EC2Handler] = [
        "AllocateAddress": allocateAddress, "AssociateAddress": associateAddress, "DisassociateAddress": disassociateAddress,
        "ReleaseAddress": releaseAddress, "DescribeAddresses": describeAddresses,
        "CreateNatGateway": createNatGateway, "DescribeNatGateways": describeNatGateways, "DeleteNatGateway": deleteNatGateway,
    ]

    static func addressXML(_ eip: ElasticIP, _ state: RegionState, _ account: String) -> XML {
        let id = eip.id.rawValue
        let interface = eip.association.flatMap { state[NetworkInterface.self][$0.networkInterfaceID.rawValue] }
        return XML("item") {
            XML("publicIp", eip.publicIP.description)
            XML("allocationId", id)
            XML("domain", "vpc")
            XML("publicIpv4Pool", "amazon")
            XML("networkBorderGroup", state.region)
            if let association = eip.association {
                XML.optional("associationId", state.meta(id, .association))
                XML("networkInterfaceId", association.networkInterfaceID.rawValue)
                XML("networkInterfaceOwnerId", account)
                XML("privateIpAddress", association.privateIP.description)
                if case .instance(let instance) = interface?.owner { XML("instanceId", instance.rawValue) }
            }
            state.tagXML(id)
        }
    }

    static func allocateAddress(_ call: EC2Call) throws(APIError) -> [XML] {
        let tags = call.parameters.tags(for: "elastic-ip")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let eip = ElasticIP(id: .init(AWSID.make("eipalloc")), publicIP: state.freePublicAddress())
            state.put(eip)
            if !tags.isEmpty { state.setTags(tags, on: eip.id.rawValue) }
            return [
                XML("publicIp", eip.publicIP.description), XML("allocationId", eip.id.rawValue), XML("domain", "vpc"),
                XML("publicIpv4Pool", "amazon"), XML("networkBorderGroup", call.region),
            ]
        }
    }

    static func eip(_ parameters: QueryParameters, _ state: RegionState) throws(APIError) -> ElasticIP {
        if let id = parameters.string("AllocationId") { return try state.elasticIP(allocation: id) }
        if let ip = parameters.string("PublicIp") {
            guard let eip = state[ElasticIP.self].values.first(where: { $0.publicIP.description == ip }) else {
                throw APIError(code: "InvalidAddress.NotFound", message: "The address '\(ip)' does not belong to you.")
            }
            return eip
        }
        throw APIError.missingParameter("The request must contain the parameter AllocationId")
    }

    /// Associates an Elastic IP with an instance's primary interface or a given interface. An
    /// auto-assigned public IP on that address is released, as on AWS.
    static func associateAddress(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var eip = try eip(p, state)
            var interface: NetworkInterface
            if let instanceID = p.string("InstanceId") {
                let instance = try state.instance(instanceID)
                guard instance.state != .terminated, let found = state[NetworkInterface.self][instance.primaryNetworkInterfaceID.rawValue] else {
                    throw APIError(
                        code: "IncorrectInstanceState", message: "The instance '\(instanceID)' is not in a valid state for this operation.")
                }
                interface = found
            } else if let interfaceID = p.string("NetworkInterfaceId") {
                interface = try state.networkInterface(interfaceID)
            } else {
                throw APIError.missingParameter("The request must contain the parameter InstanceId or NetworkInterfaceId")
            }
            let privateIP =
                try p.string("PrivateIpAddress").map { text throws(APIError) -> IPv4Address in
                    guard let address = IPv4Address(text), interface.privateIPs.contains(address) else {
                        throw APIError.invalidParameterValue("The private IP address \(text) is not an address of \(interface.id)")
                    }
                    return address
                } ?? interface.primaryPrivateIP
            guard let vpc = state.vpcID(of: interface.subnetID), state[InternetGateway.self].values.contains(where: { $0.attachedVPC == vpc }) else {
                throw APIError(code: "Gateway.NotAttached", message: "Network vpc of \(interface.id) is not attached to any internet gateway")
            }
            let allowReassociation = try p.bool("AllowReassociation") ?? true
            if eip.association != nil && !allowReassociation {
                throw APIError(
                    code: "Resource.AlreadyAssociated",
                    message: "resource \(eip.id) is already associated with associate-id \(state.meta(eip.id.rawValue, .association) ?? "")")
            }
            // One address per private IP: a previous Elastic IP there is disassociated.
            for var other in state[ElasticIP.self].values
            where other.id != eip.id && other.association?.networkInterfaceID == interface.id && other.association?.privateIP == privateIP {
                other.association = nil
                state.put(other)
                state.setMeta(other.id.rawValue, .association, nil)
            }
            if privateIP == interface.primaryPrivateIP && interface.publicIP != nil {
                interface.publicIP = nil
                state.put(interface)
            }
            eip.association = .init(networkInterfaceID: interface.id, privateIP: privateIP)
            state.put(eip)
            let association = AWSID.make("eipassoc")
            state.setMeta(eip.id.rawValue, .association, association)
            return [XML("return", "true"), XML("associationId", association)]
        }
    }

    static func disassociateAddress(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var eip: ElasticIP
            if let association = p.string("AssociationId") {
                guard let found = state[ElasticIP.self].values.first(where: { state.meta($0.id.rawValue, .association) == association }) else {
                    throw APIError.notFound("InvalidAssociationID.NotFound", "association", association)
                }
                eip = found
            } else {
                eip = try Self.eip(p, state)
            }
            eip.association = nil
            state.put(eip)
            state.setMeta(eip.id.rawValue, .association, nil)
            return [XML("return", "true")]
        }
    }

    static func releaseAddress(_ call: EC2Call) throws(APIError) -> [XML] {
        try call.emulator.mutate(call.region) { state throws(APIError) in
            let eip = try eip(call.parameters, state)
            if eip.association != nil || state[NATGateway.self].values.contains(where: { $0.elasticIPID == eip.id && $0.state != .deleted }) {
                throw APIError(code: "InvalidIPAddress.InUse", message: "Address \(eip.publicIP) is in use.")
            }
            state.remove(ElasticIP.self, eip.id.rawValue)
            return [XML("return", "true")]
        }
    }

    static func describeAddresses(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("AllocationId")
        let ips = call.parameters.list("PublicIp")
        let state = try call.emulator.snapshot(call.region)
        try requireAll(ids, { state[ElasticIP.self][$0] != nil }, code: "InvalidAllocationID.NotFound", noun: "allocation")
        for ip in ips where !state[ElasticIP.self].values.contains(where: { $0.publicIP.description == ip }) {
            throw APIError(code: "InvalidAddress.NotFound", message: "Address '\(ip)' not found.")
        }
        let addresses = state[ElasticIP.self].values.sorted { $0.id < $1.id }
            .filter { (ids.isEmpty || ids.contains($0.id.rawValue)) && (ips.isEmpty || ips.contains($0.publicIP.description)) }
        return try call.describe("addressesSet", addresses, .addresses, id: \.id.rawValue) { addressXML($0, state, call.accountID) }
    }

    // MARK: NAT gateways

    static func natXML(_ gateway: NATGateway, _ state: RegionState, shownState: NATGateway.State? = nil, name: String = "item") -> XML {
        let id = gateway.id.rawValue
        let interface = state[NetworkInterface.self][gateway.networkInterfaceID.rawValue]
        let eip = gateway.elasticIPID.flatMap { state[ElasticIP.self][$0.rawValue] }
        return XML(name) {
            XML("natGatewayId", id)
            XML("subnetId", gateway.subnetID.rawValue)
            XML("vpcId", state.vpcID(of: gateway.subnetID)?.rawValue ?? "")
            XML("state", (shownState ?? gateway.state).rawValue)
            XML("connectivityType", eip == nil ? "private" : "public")
            XML("createTime", state.meta(id, .createTime) ?? InstanceActions.now())
            XML.set(
                "natGatewayAddressSet",
                [
                    XML("item") {
                        XML.optional("allocationId", eip?.id.rawValue)
                        XML("networkInterfaceId", gateway.networkInterfaceID.rawValue)
                        XML.optional("privateIp", interface?.primaryPrivateIP.description ?? state.meta(id, .privateIp))
                        XML.optional("publicIp", eip?.publicIP.description)
                        XML("isPrimary", "true")
                        XML("status", gateway.state == .deleted ? "disassociated" : "succeeded")
                    }
                ])
            state.tagXML(id)
        }
    }

    static func createNatGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let p = call.parameters
        let subnetID = try p.required("SubnetId")
        let connectivity = p.string("ConnectivityType") ?? "public"
        let tags = p.tags(for: "natgateway")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let subnet = try state.subnet(subnetID)
            var eip: ElasticIP?
            if connectivity == "public" {
                eip = try state.elasticIP(allocation: try p.required("AllocationId"))
                if eip?.association != nil || state[NATGateway.self].values.contains(where: { $0.elasticIPID == eip?.id && $0.state != .deleted }) {
                    throw APIError(
                        code: "Resource.AlreadyAssociated", message: "Elastic IP address [\(eip?.id.rawValue ?? "")] is already associated")
                }
            }
            guard let address = state.freeAddress(in: subnet) else {
                throw APIError(code: "InsufficientFreeAddressesInSubnet", message: "Subnet \(subnetID) has no free addresses.")
            }
            let gatewayID = NATGateway.ID(AWSID.make("nat"))
            let interface = NetworkInterface(
                id: .init(AWSID.make("eni")), subnetID: subnet.id, privateIPs: [address], securityGroupIDs: [],
                sourceDestCheck: false, owner: .natGateway(gatewayID))
            state.put(interface)
            state.setMeta(interface.id.rawValue, .description, "Interface for NAT Gateway \(gatewayID)")
            if var eip {
                eip.association = .init(networkInterfaceID: interface.id, privateIP: address)
                state.put(eip)
                state.setMeta(eip.id.rawValue, .association, AWSID.make("eipassoc"))
            }
            // NAT gateways become available after a minute on AWS; here at once (the response says pending).
            let gateway = NATGateway(id: gatewayID, subnetID: subnet.id, networkInterfaceID: interface.id, elasticIPID: eip?.id, state: .available)
            state.put(gateway)
            state.setMeta(gatewayID.rawValue, .createTime, InstanceActions.now())
            if !tags.isEmpty { state.setTags(tags, on: gatewayID.rawValue) }
            return [natXML(gateway, state, shownState: .pending, name: "natGateway")]
        }
    }

    static func describeNatGateways(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("NatGatewayId")
        let state = try call.emulator.snapshot(call.region)
        for id in ids where state[NATGateway.self][id] == nil {
            throw APIError(code: "NatGatewayNotFound", message: "The Nat Gateway \(id) was not found")
        }
        let gateways = state[NATGateway.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("natGatewaySet", gateways, .natGateways, paged: 5...1000, id: \.id.rawValue) { natXML($0, state) }
    }

    static func deleteNatGateway(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("NatGatewayId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var gateway = try state.natGateway(id)
            // Deleting releases the interface and the Elastic IP association; routes to it turn blackhole.
            if let interface = state[NetworkInterface.self][gateway.networkInterfaceID.rawValue] {
                state.setMeta(id, .privateIp, interface.primaryPrivateIP.description)
                state.remove(NetworkInterface.self, interface.id.rawValue)
            }
            if let eipID = gateway.elasticIPID, var eip = state[ElasticIP.self][eipID.rawValue] {
                eip.association = nil
                state.put(eip)
                state.setMeta(eipID.rawValue, .association, nil)
            }
            gateway.state = .deleted
            state.put(gateway)
            return [XML("natGatewayId", id)]
        }
    }
}
