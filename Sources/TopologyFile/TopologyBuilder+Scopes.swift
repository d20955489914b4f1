import VPCEngine
import VPCModel
import Yams

// `scopes:`: Network Access Analyzer scopes, with EC2's statements in the file's style:
//   - name: the private subnet reaches the internet only through the NAT
//     match:   [{ source: private, destination: AWS::EC2::InternetGateway }]
//     exclude: [{ through: nat }]
// A resource statement is a name, an AWS resource type, or a list of them (or the long form
// `{ resources: [...], resource-types: [...] }`); `packet: { protocols: [tcp], destination-ports: [80, 443] }`,
// also `source-ports`, `source-addresses` and `destination-addresses` (CIDRs).
extension TopologyBuilder {
    mutating func buildScope(_ node: Node) {
        let fields = reader.pairs(node, "scope", allowed: ["name", "match", "exclude"])
        let name = reader.string(reader.value(fields, "name"), "scope name") ?? "scope \(scopes.count + 1)"
        let match = reader.sequence(reader.value(fields, "match"), "scope match").compactMap { pathStatement($0) }
        if match.isEmpty { return reader.error("A scope needs a 'match:' list of path statements.", at: node) }
        let exclude = reader.sequence(reader.value(fields, "exclude"), "scope exclude").compactMap { pathStatement($0) }
        scopes.append(AccessScope(name: name, match: match, exclude: exclude))
    }

    private mutating func pathStatement(_ node: Node) -> AccessScope.PathStatement? {
        let fields = reader.pairs(node, "path statement", allowed: ["source", "destination", "through", "packet"])
        var statement = AccessScope.PathStatement()
        statement.source = reader.value(fields, "source").map { resourceStatement($0, "source") }
        statement.destination = reader.value(fields, "destination").map { resourceStatement($0, "destination") }
        if let through = reader.value(fields, "through") {
            statement.through = [resourceStatement(through, "through")]
        }
        if let packet = reader.value(fields, "packet") {
            let p = reader.pairs(
                packet, "packet", allowed: ["protocols", "destination-ports", "source-ports", "source-addresses", "destination-addresses"])
            var header = AccessScope.PacketStatement()
            for (_, item) in reader.strings(reader.value(p, "protocols"), "protocols") {
                if let value = reader.parse(item, "protocol", IPProtocol.init(parsing:)) { header.protocols.append(value) }
            }
            // EC2 takes ports as strings ("80", "1024-65535"); numbers are accepted too.
            for (_, item) in reader.strings(reader.value(p, "destination-ports"), "destination-ports") {
                if let value = reader.parse(item, "destination port", PortRange.init(parsing:)) { header.destinationPorts.append(value) }
            }
            for (_, item) in reader.strings(reader.value(p, "source-ports"), "source-ports") {
                if let value = reader.parse(item, "source port", PortRange.init(parsing:)) { header.sourcePorts.append(value) }
            }
            for (_, item) in reader.strings(reader.value(p, "source-addresses"), "source-addresses") {
                if let value = reader.parse(item, "source address", CIDRBlock.init(parsing:)) { header.sourceAddresses.append(value) }
            }
            for (_, item) in reader.strings(reader.value(p, "destination-addresses"), "destination-addresses") {
                if let value = reader.parse(item, "destination address", CIDRBlock.init(parsing:)) { header.destinationAddresses.append(value) }
            }
            statement.packet = header
        }
        return statement
    }

    private mutating func resourceStatement(_ node: Node, _ what: String) -> AccessScope.ResourceStatement {
        var statement = AccessScope.ResourceStatement()
        var items: [(String, Node)] = []
        if case .mapping = node {
            let fields = reader.pairs(node, what, allowed: ["resources", "resource-types"])
            items =
                reader.strings(reader.value(fields, "resources"), "resources")
                + reader.strings(reader.value(fields, "resource-types"), "resource-types")
        } else {
            items = reader.strings(node, what)
        }
        for (text, item) in items {
            if text.hasPrefix("AWS::") {
                if AccessScope.resourceTypes.contains(text) {
                    statement.resourceTypes.append(text)
                } else {
                    reader.error(
                        "\(what): '\(text)' is not a resource type scopes take (\(AccessScope.resourceTypes.joined(separator: ", "))).", at: item)
                }
            } else if text == "internet" || names[text] != nil || IPv4Address(text) != nil {
                statement.resources.append(names[text]?.id ?? text)
            } else {
                reader.error("\(what): no resource is named '\(text)'.", at: item)
            }
        }
        return statement
    }
}
