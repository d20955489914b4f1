import HashTreeCollections
import VPCModel

/// A route's target as a request names it (`GatewayId`, `NatGatewayId`, `InstanceId`, `NetworkInterfaceId`).
enum RouteTargetRequest: Sendable {
    case gateway(String)
    case natGateway(String)
    case instance(String)
    case networkInterface(String)
}

// Route tables: the rules EC2 applies to them, as operations on a region's state. Each throws EC2's
// error and changes nothing when a rule refuses (the call's copy of the state is dropped).
extension RegionState {
    mutating func createRouteTable(vpc vpcID: String, tags: [String: String]) throws(APIError) -> RouteTable {
        let vpc = try vpc(vpcID)
        let table = RouteTable(id: .init(AWSID.make("rtb")), vpcID: vpc.id)
        put(table)
        if !tags.isEmpty { setTags(tags, on: table.id.rawValue) }
        return table
    }

    /// EC2 API Reference, DeleteRouteTable: "You must disassociate the route table from any subnets
    /// before you can delete it. You can't delete the main route table."
    mutating func deleteRouteTable(_ id: String) throws(APIError) {
        let table = try routeTable(id)
        if table.isMain || !table.associatedSubnets.isEmpty {
            throw APIError.dependencyViolation("The routeTable '\(id)' has dependencies and cannot be deleted.")
        }
        remove(RouteTable.self, id)
    }

    /// Associates a subnet (of the table's VPC, not associated yet) with a table; returns the association ID.
    mutating func associateRouteTable(_ tableID: String, subnet subnetID: String) throws(APIError) -> String {
        var table = try routeTable(tableID)
        let subnet = try subnet(subnetID)
        guard subnet.vpcID == table.vpcID else {
            throw APIError.invalidParameterValue("Route table \(tableID) and subnet \(subnetID) belong to different networks")
        }
        if let other = self[RouteTable.self].values.first(where: { $0.associatedSubnets.contains(subnet.id) }) {
            throw APIError(
                code: "Resource.AlreadyAssociated",
                message: "the specified association for route table \(other.id) conflicts with an existing association")
        }
        table.associatedSubnets.append(subnet.id)
        put(table)
        let association = AWSID.make("rtbassoc")
        setMeta(tableID, .association(subnet: subnetID), association)
        return association
    }

    /// The route table and subnet of a `rtbassoc-` ID (nil subnet: the main association).
    func routeTableAssociation(_ id: String) throws(APIError) -> (RouteTable, Subnet.ID?) {
        for table in self[RouteTable.self].values {
            if meta(table.id.rawValue, .mainAssociation) == id { return (table, nil) }
            for subnet in table.associatedSubnets where meta(table.id.rawValue, .association(subnet: subnet)) == id {
                return (table, subnet)
            }
        }
        throw APIError.notFound("InvalidAssociationID.NotFound", "association", id)
    }

    /// The main association cannot be disassociated (only replaced).
    mutating func disassociateRouteTable(_ associationID: String) throws(APIError) {
        var (table, subnet) = try routeTableAssociation(associationID)
        guard let subnet else {
            throw APIError.invalidParameterValue("Cannot disassociate the main route table association \(associationID)")
        }
        table.associatedSubnets.removeAll { $0 == subnet }
        put(table)
        setMeta(table.id.rawValue, .association(subnet: subnet), nil)
    }

    /// Moves an association to another table of the same VPC; replacing the main association makes
    /// that table the VPC's main table. Returns the new association ID.
    mutating func replaceRouteTableAssociation(_ associationID: String, with newTableID: String) throws(APIError) -> String {
        var (old, subnet) = try routeTableAssociation(associationID)
        guard try routeTable(newTableID).vpcID == old.vpcID else {
            throw APIError.invalidParameterValue("Route table \(newTableID) belongs to a different network")
        }
        let newAssociation = AWSID.make("rtbassoc")
        let key: MetaKey = subnet.map { .association(subnet: $0) } ?? .mainAssociation
        if let subnet { old.associatedSubnets.removeAll { $0 == subnet } } else { old.isMain = false }
        put(old)
        setMeta(old.id.rawValue, key, nil)
        // Read after the change above: the new table may be the old one.
        var new = try routeTable(newTableID)
        if let subnet { new.associatedSubnets.append(subnet) } else { new.isMain = true }
        put(new)
        setMeta(newTableID, key, newAssociation)
        return newAssociation
    }

    /// Adds a route (`RouteAlreadyExists` for a destination the table routes, the VPC's own CIDRs
    /// included), or replaces the target of an existing one (`InvalidRoute.NotFound` otherwise).
    mutating func setRoute(in tableID: String, destination: CIDRBlock, to request: RouteTargetRequest, replacing: Bool) throws(APIError) {
        var table = try routeTable(tableID)
        let target = try routeTarget(request, for: table)
        let existing = table.routes.firstIndex { $0.destination == destination }
        if replacing {
            guard let existing else {
                throw APIError(
                    code: "InvalidRoute.NotFound",
                    message: "There is no route defined for '\(destination)' in the route table. Use CreateRoute instead.")
            }
            table.routes[existing].target = target
        } else {
            if existing != nil || self[VPC.self][table.vpcID.rawValue]?.cidrBlocks.contains(destination) == true {
                throw APIError(code: "RouteAlreadyExists", message: "The route identified by \(destination) already exists.")
            }
            table.routes.append(Route(destination: destination, target: target))
        }
        put(table)
    }

    /// The target a request names, checked: an internet gateway of another VPC, or a terminated
    /// instance, cannot be a target.
    func routeTarget(_ request: RouteTargetRequest, for table: RouteTable) throws(APIError) -> Route.Target {
        switch request {
        case .gateway("local"):
            return .local
        case .gateway(let gateway):
            let igw = try internetGateway(gateway)
            if let attached = igw.attachedVPC, attached != table.vpcID {
                throw APIError.invalidParameterValue("route table \(table.id) and network gateway \(gateway) belong to different networks")
            }
            return .internetGateway(igw.id)
        case .natGateway(let id):
            return .natGateway(try natGateway(id).id)
        case .instance(let id):
            let instance = try instance(id)
            guard instance.state != .terminated else {
                throw APIError(
                    code: "IncorrectInstanceState", message: "The instance '\(id)' is not in a state from which it can be used as a route target.")
            }
            return .instance(instance.id)
        case .networkInterface(let id):
            return .networkInterface(try networkInterface(id).id)
        }
    }

    mutating func deleteRoute(in tableID: String, destination: CIDRBlock) throws(APIError) {
        var table = try routeTable(tableID)
        guard let index = table.routes.firstIndex(where: { $0.destination == destination }) else {
            throw APIError(code: "InvalidRoute.NotFound", message: "no route with destination-cidr-block \(destination) in route table \(tableID)")
        }
        table.routes.remove(at: index)
        put(table)
    }
}
