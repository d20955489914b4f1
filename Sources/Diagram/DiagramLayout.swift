import VPCModel

/// Where each part of a network goes in its picture: the internet above; the region around its VPCs,
/// side by side; in a VPC, one column per Availability Zone; in a zone, its subnets, one under the
/// other (public ones first); in a subnet, cards for its instances, NAT gateways and load balancer
/// nodes, two to a row. Nested boxes need no graph layout: sizes are computed from the inside out,
/// positions from the outside in, everything in a stable order, so the same network gives the same
/// picture.
struct DiagramLayout {
    struct Box: Equatable {
        var x: Double, y: Double, width: Double, height: Double
        var midX: Double { x + width / 2 }
        var midY: Double { y + height / 2 }
        var maxX: Double { x + width }
        var maxY: Double { y + height }
    }

    /// A card: one instance, NAT gateway or load balancer node, with what it shows.
    struct Card {
        var id: String
        var title: String
        var kind: String
        var lines: [String]
        var groups: [(id: String, name: String)]
        var dimmed: Bool
        /// IDs that stand for this card in an analysis (its interfaces, its load balancer).
        var aliases: [String]
        var box = Box(x: 0, y: 0, width: 0, height: 0)
    }

    struct SubnetLayout {
        var subnet: Subnet
        var isPublic: Bool
        var header: [String]
        var cards: [Card]
        var hidden: Int
        var box = Box(x: 0, y: 0, width: 0, height: 0)
    }

    struct ZoneLayout {
        var name: String
        var subnets: [SubnetLayout]
        var box = Box(x: 0, y: 0, width: 0, height: 0)
    }

    struct VPCLayout {
        var vpc: VPC
        var zones: [ZoneLayout]
        var gateway: (id: String, name: String, box: Box)?
        var box = Box(x: 0, y: 0, width: 0, height: 0)
    }

    static let cardWidth = 180.0
    static let gap = 14.0
    static let line = 14.0
    static let cardsPerRow = 2
    static let maximumCards = 12

    var topology: Topology
    var vpcs: [VPCLayout] = []
    var internet = Box(x: 0, y: 0, width: 160, height: 40)
    var region = Box(x: 0, y: 0, width: 0, height: 0)
    var width = 0.0
    var height = 0.0

    init(_ topology: Topology) {
        self.topology = topology
        let names = topology
        func name(_ id: String) -> String { names.displayName(of: id) }
        // Named VPCs (the design's) first, then the others (a region's default VPC), each by ID.
        for vpc in topology.vpcs.sorted(by: { ($0.name == nil ? 1 : 0, $0.id) < ($1.name == nil ? 1 : 0, $1.id) }) {
            let subnets = topology.subnets.filter { $0.vpcID == vpc.id }
            let zones = Set(subnets.map(\.availabilityZone)).sorted().map { zone -> ZoneLayout in
                let inZone = subnets.filter { $0.availabilityZone == zone }.map { subnetLayout($0, name) }
                    .sorted { ($0.isPublic ? 0 : 1, $0.subnet.cidrBlock.description) < ($1.isPublic ? 0 : 1, $1.subnet.cidrBlock.description) }
                return ZoneLayout(name: zone, subnets: inZone)
            }
            let gateway = topology.internetGateways.first { $0.attachedVPC == vpc.id }.map {
                (id: $0.id.rawValue, name: name($0.id.rawValue), box: Box(x: 0, y: 0, width: 150, height: 34))
            }
            vpcs.append(VPCLayout(vpc: vpc, zones: zones, gateway: gateway))
        }
        place()
    }

    private func subnetLayout(_ subnet: Subnet, _ name: (String) -> String) -> SubnetLayout {
        let table = topology.routeTable(for: subnet)
        let routes = (table?.routes ?? []).map { route -> String in
            let target = route.target == .local ? "local" : name(route.target.description)
            return "\(route.destination) → \(target)"
        }
        let isPublic = (table?.routes ?? []).contains { if case .internetGateway = $0.target { true } else { false } }
        var header = ["\(subnet.cidrBlock) · \(isPublic ? "public" : "private")"]
        header.append("routes (\(table.map { name($0.id.rawValue) } ?? "none")):")
        header += routes.map { "  " + $0 }
        header.append("network ACL: \(topology.networkACL(for: subnet).map { name($0.id.rawValue) } ?? "none")")

        var cards: [Card] = []
        let interfaces = topology.networkInterfaces.filter { $0.subnetID == subnet.id }
        func groups(_ interface: NetworkInterface) -> [(id: String, name: String)] {
            interface.securityGroupIDs.map { ($0.rawValue, name($0.rawValue)) }
        }
        func addresses(_ interface: NetworkInterface) -> [String] {
            var lines = ["private " + interface.primaryPrivateIP.description]
            for (_, address) in topology.publicAddresses(of: interface) {
                let elastic = topology.elasticIPs.contains { $0.publicIP == address }
                lines.append((elastic ? "Elastic IP " : "public ") + address.description)
            }
            return lines
        }
        for interface in interfaces {
            if let instance = topology.instance(owning: interface), instance.primaryNetworkInterfaceID == interface.id {
                let kind = instance.role == .nat ? "NAT instance" : "instance"
                var lines = addresses(interface)
                if instance.state != .running { lines.append("state: \(instance.state.rawValue)") }
                if !interface.sourceDestCheck { lines.append("source/dest check off") }
                cards.append(
                    Card(
                        id: instance.id.rawValue, title: name(instance.id.rawValue), kind: kind, lines: lines, groups: groups(interface),
                        dimmed: instance.state != .running, aliases: [interface.id.rawValue]))
            }
        }
        for gateway in topology.natGateways where gateway.subnetID == subnet.id {
            let interface = topology.networkInterface(gateway.networkInterfaceID)
            var lines = interface.map(addresses) ?? []
            if gateway.state != .available { lines.append("state: \(gateway.state.rawValue)") }
            cards.append(
                Card(
                    id: gateway.id.rawValue, title: name(gateway.id.rawValue), kind: "NAT gateway", lines: lines, groups: [],
                    dimmed: gateway.state != .available, aliases: [gateway.networkInterfaceID.rawValue]))
        }
        for balancer in topology.loadBalancers {
            for node in balancer.nodes where node.subnetID == subnet.id {
                let interface = topology.networkInterface(node.networkInterfaceID)
                var lines = interface.map(addresses) ?? []
                lines += balancer.listeners.map { "\($0)".replacingAll(" -> ", "→") }
                cards.append(
                    Card(
                        id: node.networkInterfaceID.rawValue, title: balancer.name, kind: "load balancer (\(balancer.scheme.rawValue))",
                        lines: lines, groups: interface.map(groups) ?? [], dimmed: false, aliases: [balancer.id.rawValue]))
            }
        }
        // A line fits its card (about 28 characters of 11-point text).
        for index in cards.indices {
            cards[index].lines = cards[index].lines.map { $0.count > 28 ? String($0.prefix(27)) + "…" : $0 }
            if cards[index].title.count > 24 { cards[index].title = String(cards[index].title.prefix(23)) + "…" }
        }
        cards.sort { ($0.kind, $0.title, $0.id) < ($1.kind, $1.title, $1.id) }
        let hidden = max(0, cards.count - Self.maximumCards)
        return SubnetLayout(subnet: subnet, isPublic: isPublic, header: header, cards: Array(cards.prefix(Self.maximumCards)), hidden: hidden)
    }

    static func cardHeight(_ card: Card) -> Double {
        let badgeRows = (card.groups.count + 1) / 2
        return 34 + Double(card.lines.count) * line + Double(badgeRows) * 20 + 6
    }

    /// Sizes from the inside out, then positions from the outside in.
    private mutating func place() {
        let subnetWidth = Double(Self.cardsPerRow) * Self.cardWidth + Double(Self.cardsPerRow + 1) * Self.gap
        let top = 20.0
        internet.y = top
        var x = 40.0
        let regionTop = internet.maxY + 50
        var tallest = 0.0
        for v in vpcs.indices {
            let vpcTop = regionTop + 40 + (vpcs[v].gateway == nil ? 0 : 10)
            var zoneX = x + 20
            for z in vpcs[v].zones.indices {
                var y = vpcTop + 40 + 28
                for s in vpcs[v].zones[z].subnets.indices {
                    var subnet = vpcs[v].zones[z].subnets[s]
                    let headerHeight = 26 + Double(subnet.header.count) * Self.line
                    var rowY = y + headerHeight + 6
                    var rowHeight = 0.0
                    for index in subnet.cards.indices {
                        let column = index % Self.cardsPerRow
                        if column == 0 && index > 0 {
                            rowY += rowHeight + Self.gap
                            rowHeight = 0
                        }
                        let height = Self.cardHeight(subnet.cards[index])
                        subnet.cards[index].box = Box(
                            x: zoneX + 14 + Self.gap + Double(column) * (Self.cardWidth + Self.gap), y: rowY, width: Self.cardWidth, height: height)
                        rowHeight = max(rowHeight, height)
                    }
                    // "+N more" under the cards of a crowded subnet.
                    let more = subnet.hidden > 0 ? 20.0 : 0
                    let cardsHeight = subnet.cards.isEmpty ? 0 : (rowY - (y + headerHeight + 6)) + rowHeight + more
                    subnet.box = Box(x: zoneX + 14, y: y, width: subnetWidth, height: headerHeight + 6 + cardsHeight + Self.gap)
                    vpcs[v].zones[z].subnets[s] = subnet
                    y = subnet.box.maxY + Self.gap
                }
                vpcs[v].zones[z].box = Box(x: zoneX, y: vpcTop + 40, width: subnetWidth + 28, height: max(60, y - (vpcTop + 40)))
                zoneX = vpcs[v].zones[z].box.maxX + Self.gap
            }
            let zonesBottom = vpcs[v].zones.map(\.box.maxY).max() ?? vpcTop + 80
            let vpcWidth = max(260, zoneX - x + 6)
            vpcs[v].box = Box(x: x, y: vpcTop, width: vpcWidth, height: zonesBottom - vpcTop + 20)
            if var gateway = vpcs[v].gateway {
                // On the VPC's top edge, to the right, clear of the VPC's label.
                gateway.box.x = vpcs[v].box.maxX - gateway.box.width - 24
                gateway.box.y = vpcTop - gateway.box.height / 2
                vpcs[v].gateway = gateway
            }
            tallest = max(tallest, vpcs[v].box.maxY)
            x = vpcs[v].box.maxX + 30
        }
        region = Box(x: 20, y: regionTop, width: max(300, x - 10), height: max(120, tallest - regionTop + 20))
        // Cards of every equal height in a zone's column line up; the zones of a VPC end together.
        for v in vpcs.indices {
            for z in vpcs[v].zones.indices {
                vpcs[v].zones[z].box.height = vpcs[v].box.maxY - 20 - vpcs[v].zones[z].box.y
            }
        }
        width = region.maxX + 20
        // Above the first VPC's internet gateway (the design's), else above the region.
        internet.x = (vpcs.first?.gateway?.box.midX ?? region.midX) - internet.width / 2
        height = region.maxY + 20
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
