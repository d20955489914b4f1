import VPCEngine
import VPCModel

/// A network as an SVG picture in the style of AWS architecture diagrams, optionally with one
/// analysis drawn on top: the forward path as numbered arrows, the return path dashed, each blocking
/// component in red with the rule that blocks written beside it. Deterministic (same network and
/// analysis, same bytes); real SVG text; no fonts, scripts or images from outside.
public struct DiagramRenderer: Sendable {
    public var topology: Topology
    public var analysis: Reachability?

    public init(topology: Topology, analysis: Reachability? = nil) {
        self.topology = topology
        self.analysis = analysis
    }

    public func svg() -> String {
        let layout = DiagramLayout(topology)
        var overlay = analysis.map { TraceOverlay($0, layout: layout) }
        var out = SVGWriter()
        let height = layout.height + (overlay?.panelHeight ?? 0)
        out.open(
            "svg",
            [
                ("xmlns", "http://www.w3.org/2000/svg"), ("width", fmt(layout.width)), ("height", fmt(height)),
                ("viewBox", "0 0 \(fmt(layout.width)) \(fmt(height))"), ("font-family", "Helvetica, Arial, sans-serif"), ("font-size", "11"),
            ])
        out.raw(
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
                + "orient=\"auto-start-reverse\">"
                + "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#545b64\"/></marker>"
                + "<marker id=\"hop\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
                + "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#0972d3\"/></marker></defs>")
        out.rect(DiagramLayout.Box(x: 0, y: 0, width: layout.width, height: height), fill: "#ffffff", stroke: "none")
        // The internet, the region.
        out.begin(id: "internet", kind: "internet")
        out.rect(layout.internet, fill: "#f2f8fd", stroke: "#0972d3", radius: 18)
        out.text("Internet", x: layout.internet.midX, y: layout.internet.midY + 4, anchor: "middle", weight: "bold")
        out.end()
        out.rect(layout.region, fill: "none", stroke: "#147eba", dash: "6 4")
        out.text("Region \(topology.region)", x: layout.region.x + 10, y: layout.region.y + 16, weight: "bold", fill: "#147eba")
        for vpc in layout.vpcs { draw(vpc, into: &out, overlay: overlay) }
        drawRoutes(layout, into: &out)
        if overlay != nil { overlay!.draw(into: &out, top: layout.height) }
        out.close("svg")
        return out.text
    }

    private func draw(_ vpc: DiagramLayout.VPCLayout, into out: inout SVGWriter, overlay: TraceOverlay?) {
        let id = vpc.vpc.id.rawValue
        out.begin(id: id, kind: "vpc")
        out.rect(vpc.box, fill: "none", stroke: "#248814", width: 2)
        let cidrs = vpc.vpc.cidrBlocks.map(\.description).joined(separator: ", ")
        out.text("VPC \(topology.displayName(of: id)) · \(cidrs)", x: vpc.box.x + 10, y: vpc.box.y + 18, weight: "bold", fill: "#248814")
        out.end()
        if let gateway = vpc.gateway {
            out.begin(id: gateway.id, kind: "internet-gateway")
            let blocked = overlay?.isBlocking(gateway.id) == true
            out.rect(gateway.box, fill: "#f9f0fc", stroke: blocked ? "#d91515" : "#8c4fff", width: blocked ? 3 : 1.5, radius: 6)
            out.text("⇅ \(gateway.name)", x: gateway.box.midX, y: gateway.box.midY + 4, anchor: "middle", weight: "bold")
            out.end()
        }
        for zone in vpc.zones {
            out.rect(zone.box, fill: "none", stroke: "#5f6b7a", dash: "3 3")
            out.text(zone.name, x: zone.box.x + 8, y: zone.box.y + 16, fill: "#5f6b7a")
            for subnet in zone.subnets { draw(subnet, into: &out, overlay: overlay) }
        }
    }

    private func draw(_ subnet: DiagramLayout.SubnetLayout, into out: inout SVGWriter, overlay: TraceOverlay?) {
        let id = subnet.subnet.id.rawValue
        let blocked = overlay.map { o in o.isBlocking(id) || o.blockingSubnets.contains(id) } ?? false
        out.begin(id: id, kind: "subnet")
        out.rect(
            subnet.box, fill: subnet.isPublic ? "#f2f8f0" : "#e6f2f8", stroke: blocked ? "#d91515" : (subnet.isPublic ? "#248814" : "#147eba"),
            width: blocked ? 3 : 1, radius: 4)
        out.text(
            "\(subnet.isPublic ? "Public" : "Private") subnet \(topology.displayName(of: id))", x: subnet.box.x + 8, y: subnet.box.y + 16,
            weight: "bold")
        for (index, line) in subnet.header.enumerated() {
            out.text(line, x: subnet.box.x + 8, y: subnet.box.y + 32 + Double(index) * DiagramLayout.line, fill: "#414d5c")
        }
        if subnet.hidden > 0 {
            out.text("+\(subnet.hidden) more", x: subnet.box.x + 8, y: subnet.box.maxY - 10, weight: "bold", fill: "#414d5c")
        }
        out.end()
        for card in subnet.cards { draw(card, into: &out, overlay: overlay) }
    }

    private func draw(_ card: DiagramLayout.Card, into out: inout SVGWriter, overlay: TraceOverlay?) {
        let blocked = overlay?.isBlocking(card.id) == true || card.aliases.contains { overlay?.isBlocking($0) == true }
        out.begin(id: card.id, kind: "card", dimmed: card.dimmed)
        out.rect(
            card.box, fill: card.dimmed ? "#e9ebed" : "#ffffff", stroke: blocked ? "#d91515" : "#ec7211", width: blocked ? 3 : 1.5, radius: 5)
        out.text(card.title, x: card.box.x + 8, y: card.box.y + 15, weight: "bold", fill: card.dimmed ? "#8d99a8" : "#16191f")
        out.text(card.kind, x: card.box.x + 8, y: card.box.y + 28, fill: "#5f6b7a")
        for (index, line) in card.lines.enumerated() {
            out.text(line, x: card.box.x + 8, y: card.box.y + 42 + Double(index) * DiagramLayout.line, fill: card.dimmed ? "#8d99a8" : "#16191f")
        }
        let badgesTop = card.box.y + 34 + Double(card.lines.count) * DiagramLayout.line
        for (index, group) in card.groups.enumerated() {
            let badge = DiagramLayout.Box(
                x: card.box.x + 6 + Double(index % 2) * 86, y: badgesTop + Double(index / 2) * 20, width: 82, height: 16)
            let red = overlay?.isBlocking(group.id) == true
            out.begin(id: group.id, kind: "security-group")
            out.rect(badge, fill: red ? "#fde8e8" : "#fdf3e7", stroke: red ? "#d91515" : "#dd6b10", width: red ? 2 : 1, radius: 8)
            out.text(
                String(group.name.prefix(13)), x: badge.midX, y: badge.midY + 4, anchor: "middle", size: 10, fill: red ? "#d91515" : "#16191f")
            out.end()
        }
        out.end()
    }

    /// A subnet's routes to a gateway or an instance of the picture, as arrows.
    private func drawRoutes(_ layout: DiagramLayout, into out: inout SVGWriter) {
        var cards: [String: DiagramLayout.Box] = [:]
        for vpc in layout.vpcs {
            for zone in vpc.zones {
                for subnet in zone.subnets {
                    for card in subnet.cards {
                        cards[card.id] = card.box
                        for alias in card.aliases { cards[alias] = card.box }
                    }
                }
            }
        }
        for vpc in layout.vpcs {
            for zone in vpc.zones {
                for subnet in zone.subnets {
                    guard let table = topology.routeTable(for: subnet.subnet) else { continue }
                    for route in table.routes {
                        let target: DiagramLayout.Box?
                        switch route.target {
                        case .internetGateway(let id): target = vpc.gateway?.id == id.rawValue ? vpc.gateway?.box : nil
                        case .natGateway(let id): target = cards[id.rawValue]
                        case .instance(let id): target = cards[id.rawValue]
                        case .networkInterface(let id): target = cards[id.rawValue]
                        case .local: target = nil
                        }
                        guard let target,
                            !(target.x >= subnet.box.x && target.maxX <= subnet.box.maxX && target.y >= subnet.box.y
                                && target.maxY <= subnet.box.maxY)
                        else { continue }
                        let start = (x: subnet.box.maxX - 12, y: subnet.box.y)
                        let end = target.maxY < subnet.box.y ? (x: target.maxX - 10, y: target.maxY) : (x: target.maxX, y: target.midY)
                        out.raw(
                            "<path class=\"route\" data-route=\"\(SVGWriter.escape(route.destination.description))\" "
                                + "d=\"M \(fmt(start.x)) \(fmt(start.y)) "
                                + "C \(fmt(start.x + 30)) \(fmt(start.y - 30)), \(fmt(end.x + 30)) \(fmt(end.y + 20)), \(fmt(end.x)) \(fmt(end.y))\" "
                                + "fill=\"none\" stroke=\"#545b64\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>")
                    }
                }
            }
        }
    }
}

func fmt(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
