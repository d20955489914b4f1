import VPCEngine
import VPCModel
import HashTreeCollections

/// Route tables and network ACLs.
enum RoutingActions {
    static let handlers: [String: EC2Handler] = [
        "CreateRouteTable": createRouteTable, "DescribeRouteTables": describeRouteTables, "DeleteRouteTable": deleteRouteTable,
        "AssociateRouteTable": associateRouteTable, "DisassociateRouteTable": disassociateRouteTable,
        "ReplaceRouteTableAssociation": replaceRouteTableAssociation,
        "CreateRoute": { call throws(APIError) in try changeRoute(call, replacing: false) }, "ReplaceRoute": { call throws(APIError) in try changeRoute(call, replacing: true) },
        "DeleteRoute": deleteRoute,
        "CreateNetworkAcl": createNetworkAcl, "DescribeNetworkAcls": describeNetworkAcls, "DeleteNetworkAcl": deleteNetworkAcl,
        "CreateNetworkAclEntry": { call throws(APIError) in try changeEntry(call, replacing: false) },
        "ReplaceNetworkAclEntry": { call throws(APIError) in try changeEntry(call, replacing: true) },
        "DeleteNetworkAclEntry": deleteNetworkAclEntry, "ReplaceNetworkAclAssociation": replaceNetworkAclAssociation,
    ]

    // MARK: Route tables

    static func tableXML(_ table: RouteTable, _ state: RegionState, _ network: CompiledNetwork, _ account: String, name: String = "item") -> XML {
        let id = table.id.rawValue
        let local = (state[VPC.self][table.vpcID.rawValue]?.cidrBlocks ?? []).map { block in
            XML("item", [XML("destinationCidrBlock", block.description), XML("gatewayId", "local"), XML("state", "active"), XML("origin", "CreateRouteTable")])
        }
        let routes = network.routeStates(of: table).map { route, routeState in
            XML("item") {
                XML("destinationCidrBlock", route.destination.description)
                switch route.target {
                case .local: XML("gatewayId", "local")
                case .internetGateway(let gateway): XML("gatewayId", gateway.rawValue)
                case .natGateway(let gateway): XML("natGatewayId", gateway.rawValue)
                case .instance(let instance):
                    XML("instanceId", instance.rawValue)
                    XML("instanceOwnerId", account)
                    XML.optional("networkInterfaceId", state[Instance.self][instance.rawValue]?.primaryNetworkInterfaceID.rawValue)
                case .networkInterface(let interface): XML("networkInterfaceId", interface.rawValue)
                }
                XML("state", routeState.rawValue)
                XML("origin", "CreateRoute")
            }
        }
        var associations: [XML] = []
        if table.isMain {
            associations.append(XML("item") {
                XML("routeTableAssociationId", state.meta(id, .mainAssociation) ?? "")
                XML("routeTableId", id)
                XML("main", "true")
                XML("associationState", [XML("state", "associated")])
            })
        }
        for subnet in table.associatedSubnets {
            associations.append(XML("item") {
                XML("routeTableAssociationId", state.meta(id, .association(subnet: subnet)) ?? "")
                XML("routeTableId", id)
                XML("subnetId", subnet.rawValue)
                XML("main", "false")
                XML("associationState", [XML("state", "associated")])
            })
        }
        return XML(name) {
            XML("routeTableId", id)
            XML("vpcId", table.vpcID.rawValue)
            XML("ownerId", account)
            XML.set("routeSet", local + routes)
            XML.set("associationSet", associations)
            XML.set("propagatingVgwSet", [])
            state.tagXML(id)
        }
    }

    static func createRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let vpcID = try call.parameters.required("VpcId")
        let tags = call.parameters.tags(for: "route-table")
        let table = try call.emulator.mutate(call.region) { state throws(APIError) in
            let vpc = try state.vpc(vpcID)
            let table = RouteTable(id: .init(AWSID.make("rtb")), vpcID: vpc.id)
            state.put(table)
            if !tags.isEmpty { state.setTags(tags, on: table.id.rawValue) }
            return table
        }
        let state = try call.emulator.snapshot(call.region)
        return [tableXML(table, state, try call.emulator.network(call.region), call.accountID, name: "routeTable")]
    }

    static func describeRouteTables(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("RouteTableId")
        let filters = Filters(call.parameters)
        let state = try call.emulator.snapshot(call.region)
        let network = try call.emulator.network(call.region)
        try requireAll(ids, { state[RouteTable.self][$0] != nil }, code: "InvalidRouteTableID.NotFound", noun: "routeTable")
        var items: [XML] = []
        for table in state[RouteTable.self].values.sorted(by: { $0.id < $1.id }) where ids.isEmpty || ids.contains(table.id.rawValue) {
            let id = table.id.rawValue
            let matches = try filters.match(tags: state.tags(of: id)) { name in
                switch name {
                case "route-table-id": [id]
                case "vpc-id": [table.vpcID.rawValue]
                case "association.main": [table.isMain.xml]
                case "association.subnet-id": table.associatedSubnets.map(\.rawValue)
                case "association.route-table-association-id":
                    table.associatedSubnets.compactMap { state.meta(id, .association(subnet: $0)) } + (table.isMain ? [state.meta(id, .mainAssociation) ?? ""] : [])
                case "route.destination-cidr-block": table.routes.map(\.destination.description)
                case "route.gateway-id": table.routes.compactMap { if case .internetGateway(let g) = $0.target { g.rawValue } else { nil } }
                case "route.nat-gateway-id": table.routes.compactMap { if case .natGateway(let g) = $0.target { g.rawValue } else { nil } }
                case "route.instance-id": table.routes.compactMap { if case .instance(let i) = $0.target { i.rawValue } else { nil } }
                case "route.state": network.routeStates(of: table).map(\.1.rawValue) + ["active"]
                case "owner-id": [call.accountID]
                default: nil
                }
            }
            if matches { items.append(tableXML(table, state, network, call.accountID)) }
        }
        return [XML.set("routeTableSet", items)]
    }

    static func deleteRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("RouteTableId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let table = try state.routeTable(id)
            if table.isMain || !table.associatedSubnets.isEmpty {
                throw APIError.dependencyViolation("The routeTable '\(id)' has dependencies and cannot be deleted.")
            }
            state.remove(RouteTable.self, id)
            return [XML("return", "true")]
        }
    }

    static func associateRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let subnetID = try call.parameters.required("SubnetId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var table = try state.routeTable(tableID)
            let subnet = try state.subnet(subnetID)
            guard subnet.vpcID == table.vpcID else {
                throw APIError.invalidParameterValue("Route table \(tableID) and subnet \(subnetID) belong to different networks")
            }
            if let other = state[RouteTable.self].values.first(where: { $0.associatedSubnets.contains(subnet.id) }) {
                throw APIError(code: "Resource.AlreadyAssociated", message: "the specified association for route table \(other.id) conflicts with an existing association")
            }
            table.associatedSubnets.append(subnet.id)
            state.put(table)
            let association = AWSID.make("rtbassoc")
            state.setMeta(tableID, .association(subnet: subnetID), association)
            return [XML("associationId", association), XML("associationState", [XML("state", "associated")])]
        }
    }

    /// The route table and subnet of a `rtbassoc-` ID (nil subnet: the main association).
    static func association(_ id: String, in state: RegionState) throws(APIError) -> (RouteTable, Subnet.ID?) {
        for table in state[RouteTable.self].values {
            if state.meta(table.id.rawValue, .mainAssociation) == id { return (table, nil) }
            for subnet in table.associatedSubnets where state.meta(table.id.rawValue, .association(subnet: subnet)) == id { return (table, subnet) }
        }
        throw APIError.notFound("InvalidAssociationID.NotFound", "association", id)
    }

    static func disassociateRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let associationID = try call.parameters.required("AssociationId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let (table, subnet) = try association(associationID, in: state)
            guard let subnet else {
                throw APIError.invalidParameterValue("Cannot disassociate the main route table association \(associationID)")
            }
            var changed = table
            changed.associatedSubnets.removeAll { $0 == subnet }
            state.put(changed)
            state.setMeta(table.id.rawValue, .association(subnet: subnet), nil)
            return [XML("return", "true")]
        }
    }

    static func replaceRouteTableAssociation(_ call: EC2Call) throws(APIError) -> [XML] {
        let associationID = try call.parameters.required("AssociationId")
        let newTableID = try call.parameters.required("RouteTableId")
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            let (old, subnet) = try association(associationID, in: state)
            var new = try state.routeTable(newTableID)
            guard new.vpcID == old.vpcID else {
                throw APIError.invalidParameterValue("Route table \(newTableID) belongs to a different network")
            }
            let newAssociation = AWSID.make("rtbassoc")
            if let subnet {
                var previous = old
                previous.associatedSubnets.removeAll { $0 == subnet }
                state.put(previous)
                state.setMeta(old.id.rawValue, .association(subnet: subnet), nil)
                new = state[RouteTable.self][newTableID] ?? new
                new.associatedSubnets.append(subnet)
                state.put(new)
                state.setMeta(newTableID, .association(subnet: subnet), newAssociation)
            } else {
                // Replacing the main association makes the new table the VPC's main table.
                var previous = old
                previous.isMain = false
                state.put(previous)
                state.setMeta(old.id.rawValue, .mainAssociation, nil)
                new = state[RouteTable.self][newTableID] ?? new
                new.isMain = true
                state.put(new)
                state.setMeta(newTableID, .mainAssociation, newAssociation)
            }
            return [XML("newAssociationId", newAssociation), XML("associationState", [XML("state", "associated")])]
        }
    }

    static func changeRoute(_ call: EC2Call, replacing: Bool) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let destination = try NetworkActions.cidr(try call.parameters.required("DestinationCidrBlock"))
        let p = call.parameters
        let targets = [p.string("GatewayId"), p.string("NatGatewayId"), p.string("InstanceId"), p.string("NetworkInterfaceId")].compactMap { $0 }
        guard targets.count == 1 else {
            throw targets.isEmpty
                ? APIError.missingParameter("The request must contain exactly one of gatewayId, natGatewayId, instanceId or networkInterfaceId")
                : APIError.invalidParameterCombination("The request must contain exactly one of gatewayId, natGatewayId, instanceId or networkInterfaceId")
        }
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var table = try state.routeTable(tableID)
            let target: Route.Target
            if let gateway = p.string("GatewayId") {
                if gateway == "local" {
                    target = .local
                } else {
                    let igw = try state.internetGateway(gateway)
                    if let attached = igw.attachedVPC, attached != table.vpcID {
                        throw APIError.invalidParameterValue("route table \(tableID) and network gateway \(gateway) belong to different networks")
                    }
                    target = .internetGateway(igw.id)
                }
            } else if let nat = p.string("NatGatewayId") {
                target = .natGateway(try state.natGateway(nat).id)
            } else if let instanceID = p.string("InstanceId") {
                let instance = try state.instance(instanceID)
                guard instance.state != .terminated else {
                    throw APIError(code: "IncorrectInstanceState", message: "The instance '\(instanceID)' is not in a state from which it can be used as a route target.")
                }
                target = .instance(instance.id)
            } else {
                target = .networkInterface(try state.networkInterface(p.string("NetworkInterfaceId") ?? "").id)
            }
            let existing = table.routes.firstIndex { $0.destination == destination }
            if replacing {
                guard let existing else {
                    throw APIError(code: "InvalidRoute.NotFound", message: "There is no route defined for '\(destination)' in the route table. Use CreateRoute instead.")
                }
                table.routes[existing].target = target
            } else {
                if existing != nil || state[VPC.self][table.vpcID.rawValue]?.cidrBlocks.contains(destination) == true {
                    throw APIError(code: "RouteAlreadyExists", message: "The route identified by \(destination) already exists.")
                }
                table.routes.append(Route(destination: destination, target: target))
            }
            state.put(table)
            return [XML("return", "true")]
        }
    }

    static func deleteRoute(_ call: EC2Call) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let destination = try NetworkActions.cidr(try call.parameters.required("DestinationCidrBlock"))
        return try call.emulator.mutate(call.region) { state throws(APIError) in
            var table = try state.routeTable(tableID)
            guard let index = table.routes.firstIndex(where: { $0.destination == destination }) else {
                throw APIError(code: "InvalidRoute.NotFound", message: "no route with destination-cidr-block \(destination) in route table \(tableID)")
            }
            table.routes.remove(at: index)
            state.put(table)
            return [XML("return", "true")]
        }
    }
}
