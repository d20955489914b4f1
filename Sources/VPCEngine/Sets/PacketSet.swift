import VPCModel

/// A product of sets, one per header field: every packet whose fields all lie in their sets.
///
/// Besides the five header fields it carries `queryPorts`, a label that no device rewrites:
/// the destination port as the query asked for it, so that after address and port translation
/// the engine still knows which of the asked-for ports a surviving packet stands for.
public struct HeaderBox: Hashable, Sendable {
    /// Where the query-port label lives. Until a device rewrites ports it *is* the destination port
    /// (or, on the reply, the source port), so it stays exactly correlated with that field.
    public enum LabelTie: Hashable, Sendable {
        case destinationPort, sourcePort
        /// Stored in `queryPorts`, independent of the header (after a load balancer re-originates).
        case own
    }

    public var sources: IntervalSet
    public var destinations: IntervalSet
    public var protocols: IntervalSet
    public var sourcePorts: IntervalSet
    public var destinationPorts: IntervalSet
    /// The label when `tie` is `.own`; ignored (kept full) otherwise.
    public var queryPorts: IntervalSet
    public var tie: LabelTie = .own

    /// The destination ports of the query that these packets stand for.
    public var labels: IntervalSet {
        switch tie {
        case .destinationPort: destinationPorts
        case .sourcePort: sourcePorts
        case .own: queryPorts
        }
    }

    /// Keeps only the packets standing for these query ports.
    public mutating func restrictLabels(to set: IntervalSet) {
        switch tie {
        case .destinationPort: destinationPorts = destinationPorts.intersection(set)
        case .sourcePort: sourcePorts = sourcePorts.intersection(set)
        case .own: queryPorts = queryPorts.intersection(set)
        }
    }

    public static let allAddresses = IntervalSet.full(through: UInt32.max)
    public static let allPorts = IntervalSet.full(through: 65535)
    public static let allProtocols = IntervalSet.full(through: 255)

    /// The box that matches every packet; rules narrow it.
    public static let everything = HeaderBox(
        sources: allAddresses, destinations: allAddresses, protocols: allProtocols, sourcePorts: allPorts,
        destinationPorts: allPorts, queryPorts: allPorts)

    public init(
        sources: IntervalSet, destinations: IntervalSet, protocols: IntervalSet, sourcePorts: IntervalSet,
        destinationPorts: IntervalSet, queryPorts: IntervalSet
    ) {
        self.sources = sources
        self.destinations = destinations
        self.protocols = protocols
        self.sourcePorts = sourcePorts
        self.destinationPorts = destinationPorts
        self.queryPorts = queryPorts
    }

    public var isEmpty: Bool {
        sources.isEmpty || destinations.isEmpty || protocols.isEmpty || sourcePorts.isEmpty || destinationPorts.isEmpty
            || queryPorts.isEmpty
    }

    /// Whether some packet is in both boxes (no allocation).
    public func overlaps(_ other: HeaderBox) -> Bool {
        protocols.intersects(other.protocols) && destinationPorts.intersects(other.destinationPorts)
            && destinations.intersects(other.destinations) && sources.intersects(other.sources)
            && sourcePorts.intersects(other.sourcePorts) && queryPorts.intersects(other.queryPorts)
    }

    /// Whether every packet of `other` is in this box (no allocation).
    public func covers(_ other: HeaderBox) -> Bool {
        protocols.covers(other.protocols) && destinationPorts.covers(other.destinationPorts)
            && destinations.covers(other.destinations) && sources.covers(other.sources)
            && sourcePorts.covers(other.sourcePorts) && queryPorts.covers(other.queryPorts)
    }

    /// The intersection; the result keeps this box's label tie (filters are boxes with full labels).
    public func intersection(_ other: HeaderBox) -> HeaderBox {
        var box = self
        box.sources = sources.intersection(other.sources)
        box.destinations = destinations.intersection(other.destinations)
        box.protocols = protocols.intersection(other.protocols)
        box.sourcePorts = sourcePorts.intersection(other.sourcePorts)
        box.destinationPorts = destinationPorts.intersection(other.destinationPorts)
        box.queryPorts = queryPorts.intersection(other.queryPorts)
        return box
    }

    /// This box minus another, as disjoint boxes (at most one per field).
    public func subtracting(_ other: HeaderBox) -> [HeaderBox] {
        guard overlaps(other) else { return [self] }
        if other.covers(self) { return [] }
        // Field by field (no key paths: this is the engine's innermost loop).
        var pieces: [HeaderBox] = []
        var rest = self
        var outside = rest.protocols.subtracting(other.protocols)
        if !outside.isEmpty {
            var piece = rest
            piece.protocols = outside
            pieces.append(piece)
            rest.protocols = rest.protocols.intersection(other.protocols)
        }
        outside = rest.destinationPorts.subtracting(other.destinationPorts)
        if !outside.isEmpty {
            var piece = rest
            piece.destinationPorts = outside
            pieces.append(piece)
            rest.destinationPorts = rest.destinationPorts.intersection(other.destinationPorts)
        }
        outside = rest.destinations.subtracting(other.destinations)
        if !outside.isEmpty {
            var piece = rest
            piece.destinations = outside
            pieces.append(piece)
            rest.destinations = rest.destinations.intersection(other.destinations)
        }
        outside = rest.sources.subtracting(other.sources)
        if !outside.isEmpty {
            var piece = rest
            piece.sources = outside
            pieces.append(piece)
            rest.sources = rest.sources.intersection(other.sources)
        }
        outside = rest.sourcePorts.subtracting(other.sourcePorts)
        if !outside.isEmpty {
            var piece = rest
            piece.sourcePorts = outside
            pieces.append(piece)
            rest.sourcePorts = rest.sourcePorts.intersection(other.sourcePorts)
        }
        outside = rest.queryPorts.subtracting(other.queryPorts)
        if !outside.isEmpty {
            var piece = rest
            piece.queryPorts = outside
            pieces.append(piece)
        }
        return pieces
    }

    /// The reply direction: addresses and ports swap; protocol and label stay.
    public var reversed: HeaderBox {
        var box = HeaderBox(
            sources: destinations, destinations: sources, protocols: protocols, sourcePorts: destinationPorts,
            destinationPorts: sourcePorts, queryPorts: queryPorts)
        box.tie = tie == .destinationPort ? .sourcePort : tie == .sourcePort ? .destinationPort : .own
        return box
    }
}

/// A set of packets: a union of disjoint ``HeaderBox``es.
public struct PacketSet: Hashable, Sendable {
    public private(set) var boxes: [HeaderBox]

    public static let empty = PacketSet(boxes: [])

    public init(_ box: HeaderBox) { self.boxes = box.isEmpty ? [] : [box] }
    public init(boxes: [HeaderBox]) { self.boxes = boxes.filter { !$0.isEmpty } }

    public var isEmpty: Bool { boxes.isEmpty }

    public func intersection(_ box: HeaderBox) -> PacketSet {
        var result = PacketSet.empty
        for existing in boxes where existing.overlaps(box) {
            let part = existing.intersection(box)
            if !part.isEmpty { result.boxes.append(part) }
        }
        return result
    }

    public func subtracting(_ box: HeaderBox) -> PacketSet {
        PacketSet(boxes: boxes.flatMap { $0.subtracting(box) })
    }

    public func subtracting(_ other: PacketSet) -> PacketSet {
        other.boxes.reduce(self) { $0.subtracting($1) }
    }

    /// The union, kept disjoint.
    public func union(_ other: PacketSet) -> PacketSet {
        var result = boxes
        for box in other.boxes {
            result += boxes.reduce([box]) { pieces, existing in pieces.flatMap { $0.subtracting(existing) } }
        }
        return PacketSet(boxes: result)
    }

    /// Applies a rewrite to every box (address or port translation).
    public func map(_ transform: (HeaderBox) -> HeaderBox) -> PacketSet { PacketSet(boxes: boxes.map(transform)) }

    public var reversed: PacketSet { map(\.reversed) }

    /// The values one field takes across the set.
    /// The query ports the set stands for.
    public var labels: IntervalSet { IntervalSet(boxes.flatMap(\.labels.ranges)) }

    public func projection(_ field: KeyPath<HeaderBox, IntervalSet>) -> IntervalSet {
        switch boxes.count {
        case 0: return .empty
        case 1: return boxes[0][keyPath: field]
        default: return IntervalSet(boxes.flatMap { $0[keyPath: field].ranges })
        }
    }
}

extension IntervalSet {
    /// The addresses of a CIDR block.
    public init(_ block: CIDRBlock) { self.init(block.range) }
    /// The ports of a port range.
    public init(_ ports: PortRange) { self.init(UInt32(ports.from)...UInt32(ports.to)) }
    /// One address.
    public init(_ address: IPv4Address) { self.init(value: address.value) }
    /// The protocol numbers a rule's protocol covers (`.all` is every protocol).
    public init(_ ipProtocol: IPProtocol) {
        self = ipProtocol == .all ? HeaderBox.allProtocols : IntervalSet(value: UInt32(ipProtocol.number))
    }
}
