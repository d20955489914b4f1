import HashTreeCollections
import VPCEngine
import VPCModel

// The XML of route tables (`routeTableType`), as `DescribeRouteTables` and `CreateRouteTable` answer.
extension RoutingActions {
    static func tableXML(_ table: RouteTable, _ state: RegionState, _ network: CompiledNetwork, _ account: String, name: String = "item") -> XML {
        let id = table.id.rawValue
        let local = (state[VPC.self][table.vpcID.rawValue]?.cidrBlocks ?? []).map { block in
            XML(
                "item",
                [
                    XML("destinationCidrBlock", block.description), XML("gatewayId", "local"), XML("state", "active"),
                    XML("origin", "CreateRouteTable"),
                ])
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
            associations.append(
                XML("item") {
                    XML("routeTableAssociationId", state.meta(id, .mainAssociation) ?? "")
                    XML("routeTableId", id)
                    XML("main", "true")
                    XML("associationState", [XML("state", "associated")])
                })
        }
        for subnet in table.associatedSubnets {
            associations.append(
                XML("item") {
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
}
