import HashTreeCollections
import VPCEngine
import VPCModel

/// Route tables and network ACLs.
enum RoutingActions {
    static let handlers: [String: EC2Handler] = [
        "CreateRouteTable": createRouteTable, "DescribeRouteTables": describeRouteTables, "DeleteRouteTable": deleteRouteTable,
        "AssociateRouteTable": associateRouteTable, "DisassociateRouteTable": disassociateRouteTable,
        "ReplaceRouteTableAssociation": replaceRouteTableAssociation,
        "CreateRoute": { call throws(APIError) in try changeRoute(call, replacing: false) },
        "ReplaceRoute": { call throws(APIError) in try changeRoute(call, replacing: true) },
        "DeleteRoute": deleteRoute,
        "CreateNetworkAcl": createNetworkAcl, "DescribeNetworkAcls": describeNetworkAcls, "DeleteNetworkAcl": deleteNetworkAcl,
        "CreateNetworkAclEntry": { call throws(APIError) in try changeEntry(call, replacing: false) },
        "ReplaceNetworkAclEntry": { call throws(APIError) in try changeEntry(call, replacing: true) },
        "DeleteNetworkAclEntry": deleteNetworkAclEntry, "ReplaceNetworkAclAssociation": replaceNetworkAclAssociation,
    ]

    static func createRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let vpcID = try call.parameters.required("VpcId")
        let tags = call.parameters.tags(for: "route-table")
        let table = try call.emulator.mutate(call.region) { state throws(APIError) in try state.createRouteTable(vpc: vpcID, tags: tags) }
        let state = try call.emulator.snapshot(call.region)
        return [tableXML(table, state, try call.emulator.network(call.region), call.accountID, name: "routeTable")]
    }

    static func describeRouteTables(_ call: EC2Call) throws(APIError) -> [XML] {
        let ids = call.parameters.list("RouteTableId")
        let state = try call.emulator.snapshot(call.region)
        let network = try call.emulator.network(call.region)
        try requireAll(ids, { state[RouteTable.self][$0] != nil }, code: "InvalidRouteTableID.NotFound", noun: "routeTable")
        let tables = state[RouteTable.self].values.sorted { $0.id < $1.id }.filter { ids.isEmpty || ids.contains($0.id.rawValue) }
        return try call.describe("routeTableSet", tables, .routeTables, paged: 5...100, id: \.id.rawValue) {
            tableXML($0, state, network, call.accountID)
        }
    }

    static func deleteRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let id = try call.parameters.required("RouteTableId")
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.deleteRouteTable(id) }
        return [XML("return", "true")]
    }

    static func associateRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let subnetID = try call.parameters.required("SubnetId")
        let association = try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.associateRouteTable(tableID, subnet: subnetID)
        }
        return [XML("associationId", association), XML("associationState", [XML("state", "associated")])]
    }

    static func disassociateRouteTable(_ call: EC2Call) throws(APIError) -> [XML] {
        let associationID = try call.parameters.required("AssociationId")
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.disassociateRouteTable(associationID) }
        return [XML("return", "true")]
    }

    static func replaceRouteTableAssociation(_ call: EC2Call) throws(APIError) -> [XML] {
        let associationID = try call.parameters.required("AssociationId")
        let newTableID = try call.parameters.required("RouteTableId")
        let association = try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.replaceRouteTableAssociation(associationID, with: newTableID)
        }
        return [XML("newAssociationId", association), XML("associationState", [XML("state", "associated")])]
    }

    static func changeRoute(_ call: EC2Call, replacing: Bool) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let destination = try NetworkActions.cidr(try call.parameters.required("DestinationCidrBlock"))
        let target = try routeTarget(call.parameters)
        try call.emulator.mutate(call.region) { state throws(APIError) in
            try state.setRoute(in: tableID, destination: destination, to: target, replacing: replacing)
        }
        return [XML("return", "true")]
    }

    /// Exactly one of the four target parameters.
    static func routeTarget(_ p: QueryParameters) throws(APIError) -> RouteTargetRequest {
        let targets: [RouteTargetRequest] = [
            p.string("GatewayId").map { .gateway($0) }, p.string("NatGatewayId").map { .natGateway($0) },
            p.string("InstanceId").map { .instance($0) }, p.string("NetworkInterfaceId").map { .networkInterface($0) },
        ].compactMap { $0 }
        guard targets.count == 1 else {
            let message = "The request must contain exactly one of gatewayId, natGatewayId, instanceId or networkInterfaceId"
            throw targets.isEmpty ? APIError.missingParameter(message) : APIError.invalidParameterCombination(message)
        }
        return targets[0]
    }

    static func deleteRoute(_ call: EC2Call) throws(APIError) -> [XML] {
        let tableID = try call.parameters.required("RouteTableId")
        let destination = try NetworkActions.cidr(try call.parameters.required("DestinationCidrBlock"))
        try call.emulator.mutate(call.region) { state throws(APIError) in try state.deleteRoute(in: tableID, destination: destination) }
        return [XML("return", "true")]
    }
}
