import VPCEngine
import VPCModel

/// One analysis over the picture: the hops of the forward path as numbered blue arrows between the
/// parts of the picture they cross, the return path dashed, every blocking component outlined in red
/// with a red leader line to its rule, written out (Reachability Analyzer's explanation) in a panel
/// under the region.
struct TraceOverlay {
    var result: Reachability
    /// Where each analysis component is drawn: cards (and their interfaces, their load balancer),
    /// subnets, gateways, the internet.
    var anchors: [String: DiagramLayout.Box] = [:]
    var blocking: Set<String> = []
    /// Subnets outlined in red: those of a blocking network ACL or route table.
    var blockingSubnets: Set<String> = []
    var panel: [(text: String, anchor: DiagramLayout.Box?)] = []
    var charactersPerLine: Int

    init(_ result: Reachability, layout: DiagramLayout) {
        self.result = result
        charactersPerLine = max(60, Int((layout.width - 40) / 6))
        anchors["internet"] = layout.internet
        var groupBadges: [String: DiagramLayout.Box] = [:]
        for vpc in layout.vpcs {
            if let gateway = vpc.gateway { anchors[gateway.id] = gateway.box }
            for zone in vpc.zones {
                for subnet in zone.subnets {
                    anchors[subnet.subnet.id.rawValue] = subnet.box
                    for card in subnet.cards {
                        anchors[card.id] = card.box
                        for alias in card.aliases where anchors[alias] == nil { anchors[alias] = card.box }
                        for group in card.groups where groupBadges[group.id] == nil { groupBadges[group.id] = card.box }
                    }
                }
            }
        }
        let topology = layout.topology
        let explanations = result.analysis.explanations.filter { !$0.isPartial }
        for component in result.analysis.forwardPathComponents + result.analysis.returnPathComponents
        where component.note.hasPrefix("BLOCKED") {
            blocking.insert(component.component.id)
        }
        for explanation in explanations {
            for part in [explanation.securityGroup, explanation.acl, explanation.routeTable, explanation.internetGateway, explanation.natGateway] {
                if let id = part?.id { blocking.insert(id) }
            }
            if explanation.securityGroup == nil && explanation.acl == nil && explanation.routeTable == nil, let id = explanation.component?.id {
                blocking.insert(id)
            }
        }
        for subnet in topology.subnets {
            let acl = topology.networkACL(for: subnet)?.id.rawValue
            let table = topology.routeTable(for: subnet)?.id.rawValue
            if acl.map(blocking.contains) == true || table.map(blocking.contains) == true { blockingSubnets.insert(subnet.id.rawValue) }
        }
        let query = result.query
        let ports = query.ipProtocol.hasPorts ? " \(query.destinationPorts?.description ?? "all")" : ""
        panel.append(
            ("\(query.source) → \(query.destination) (\(query.ipProtocol)\(ports)): \(result.isReachable ? "REACHABLE" : "NOT REACHABLE")", nil))
        for (index, explanation) in explanations.enumerated() {
            let subject = explanation.securityGroup?.id ?? explanation.acl?.id ?? explanation.routeTable?.id ?? explanation.component?.id
            let anchor: DiagramLayout.Box? =
                subject.flatMap { id in
                    anchors[id] ?? groupBadges[id]
                        ?? topology.subnets.first {
                            topology.networkACL(for: $0)?.id.rawValue == id || topology.routeTable(for: $0)?.id.rawValue == id
                        }
                        .flatMap { anchors[$0.id.rawValue] }
                }
            let direction = explanation.direction.map { " (\($0))" } ?? ""
            panel.append(("✖ \(index + 1). \(explanation.explanationCode)\(direction): \(explanation.message)", anchor))
        }
    }

    func isBlocking(_ id: String) -> Bool { blocking.contains(id) }

    /// The panel's lines: each entry wrapped to the picture's width.
    var panelLines: [(text: String, entry: Int)] {
        var lines: [(String, Int)] = []
        for (index, entry) in panel.enumerated() {
            var current = ""
            for word in entry.text.split(separator: " ") {
                if current.count + word.count + 1 > charactersPerLine, !current.isEmpty {
                    lines.append((current, index))
                    current = "   "
                }
                current += (current.isEmpty || current == "   " ? "" : " ") + word
            }
            lines.append((current, index))
        }
        return lines
    }

    var panelHeight: Double { 30 + Double(panelLines.count) * 15 }

    /// The drawable points a path crosses, in order, without repeats.
    func points(_ components: [PathComponent]) -> [(id: String, box: DiagramLayout.Box)] {
        var points: [(id: String, box: DiagramLayout.Box)] = []
        for component in components {
            guard let box = anchors[component.component.id] else { continue }
            if points.last?.box == box { continue }
            points.append((component.component.id, box))
        }
        return points
    }

    func draw(into out: inout SVGWriter, top: Double) {
        let analysis = result.analysis
        out.open("g", [("class", "trace"), ("data-reachable", result.isReachable ? "true" : "false")])
        for (index, pair) in zip(points(analysis.returnPathComponents), points(analysis.returnPathComponents).dropFirst()).enumerated() {
            arrow(from: pair.0.box, to: pair.1.box, into: &out, color: "#037f0c", dash: "5 4", offset: 6, label: nil, index: index)
        }
        let forward = points(analysis.forwardPathComponents)
        for (index, pair) in zip(forward, forward.dropFirst()).enumerated() {
            arrow(from: pair.0.box, to: pair.1.box, into: &out, color: "#0972d3", dash: nil, offset: -6, label: String(index + 1), index: index)
        }
        // The panel: the verdict, then each blocking rule, with a leader line from what it blocks.
        var y = top + 18
        out.rect(
            DiagramLayout.Box(x: 20, y: top, width: max(200, Double(charactersPerLine) * 6 + 20), height: panelHeight - 10), fill: "#fdf7f7",
            stroke: "#d91515", radius: 4)
        var drawnLeader: Set<Int> = []
        for (text, entry) in panelLines {
            let red = entry > 0
            out.text(text, x: 30, y: y, weight: entry == 0 ? "bold" : "normal", fill: red ? "#d91515" : (result.isReachable ? "#037f0c" : "#d91515"))
            if red, !drawnLeader.contains(entry), let anchor = panel[entry].anchor {
                drawnLeader.insert(entry)
                out.raw(
                    "<path class=\"leader\" d=\"M \(fmt(anchor.maxX)) \(fmt(anchor.midY)) L \(fmt(anchor.maxX + 12)) \(fmt(anchor.midY)) "
                        + "L 24 \(fmt(y - 4))\" fill=\"none\" stroke=\"#d91515\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>")
            }
            y += 15
        }
        out.close("g")
    }

    private func arrow(
        from: DiagramLayout.Box, to: DiagramLayout.Box, into out: inout SVGWriter, color: String, dash: String?, offset: Double, label: String?,
        index: Int
    ) {
        let start = (x: from.midX + offset, y: from.midY + offset)
        let end = (x: to.midX + offset, y: to.midY + offset)
        out.raw(
            "<line class=\"hop\" x1=\"\(fmt(start.x))\" y1=\"\(fmt(start.y))\" x2=\"\(fmt(end.x))\" y2=\"\(fmt(end.y))\" stroke=\"\(color)\" "
                + "stroke-width=\"2.5\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") marker-end=\"url(#hop)\" opacity=\"0.85\"/>")
        if let label {
            let x = (start.x + end.x) / 2
            let y = (start.y + end.y) / 2
            out.raw("<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"9\" fill=\"\(color)\"/>")
            out.text(label, x: x, y: y + 4, anchor: "middle", weight: "bold", size: 10, fill: "#ffffff")
        }
    }
}
