import VPCModel

/// Where a trace is going: what counts as having arrived.
enum Goal: Sendable {
    /// Leaving an internet gateway towards these addresses.
    case internet(IntervalSet)
    /// Received by this interface, addressed to one of its own addresses.
    case interface(NetworkInterface.ID)
    /// Accepted by a listener of this load balancer.
    case loadBalancer(ClassicLoadBalancer.ID)
    /// Addresses in a VPC that no interface holds: nothing arrives; the trace shows how far packets get.
    case vacant(IntervalSet)
}

/// State a stateful device keeps for a connection, so the reply can be translated back.
struct ConnectionRecord: Sendable {
    enum Device: Sendable {
        case natInstance, natGateway, loadBalancer
    }
    var device: Device
    var interface: NetworkInterface.ID
    /// The packets as they were before the device rewrote them (for a load balancer: the client's connection).
    var original: PacketSet
}

/// One path being explored, with the packets still on it.
///
/// A branch is never cut short by a filter: when a filter blocks every packet, the branch records a
/// blocker and goes on as if the filter had allowed them, so that a blocked path lists every
/// component that would have to change (Reachability Analyzer's complete blocked path).
struct Branch: Sendable {
    /// The components so far, as a list shared with the branches this one was copied from (a copy is
    /// one reference, an append one node: branches fork at every route and filter).
    private(set) var last: Hop?
    var components: [PathComponent] {
        var result: [PathComponent] = []
        result.reserveCapacity(componentCount)
        var hop = last
        while let current = hop {
            result.append(current.component)
            hop = current.previous
        }
        result.reverse()
        return result
    }
    var componentCount: Int { last?.count ?? 0 }
    /// The last component that satisfies a condition.
    func lastComponent(where matches: (PathComponent) -> Bool) -> PathComponent? {
        var hop = last
        while let current = hop {
            if matches(current.component) { return current.component }
            hop = current.previous
        }
        return nil
    }
    var packets: PacketSet
    var connections: [ConnectionRecord] = []
    /// Components that block every packet: the path does not work until each one changes.
    var blockers: [Explanation] = []
    /// Components that block some of the packets only.
    var notes: [Explanation] = []
    /// The interface that last forwarded the packets for someone else (a NAT or router instance).
    var lastForwarder: NetworkInterface.ID?
    /// Interfaces the request crossed. Their security groups track the connection, so on the return
    /// leg they let the reply through; any other interface the reply crosses sees a new flow.
    var tracked: Set<NetworkInterface.ID> = []
    /// A load balancer followed as if it had a listener for the asked-for ports (it has none, and the
    /// branch carries TARGET_PORT_RESTRICTION), so that the rest of the path is checked too.
    var assumedListener: ClassicLoadBalancer.ID?
    var steps = 0

    var isBroken: Bool { !blockers.isEmpty }

    mutating func append(_ component: consuming PathComponent) {
        var component = component
        component.sequenceNumber = componentCount + 1
        last = Hop(component: component, previous: last)
    }

    /// Narrows the packets to those a filter allows, recording what it blocks.
    mutating func filter(allowed: PacketSet, explain: (_ blocked: PacketSet) -> Explanation) {
        let blocked = packets.subtracting(allowed)
        if blocked.isEmpty { return }
        var explanation = explain(blocked)
        explanation.blocked = blocked
        if allowed.isEmpty {
            blockers.append(explanation)
        } else {
            explanation.isPartial = true
            notes.append(explanation)
            packets = allowed
        }
    }
}

/// How a branch ended.
struct Outcome: Sendable {
    var branch: Branch
    /// Whether the branch reached its goal (perhaps only as if its blockers were fixed).
    var arrived: Bool
}

/// One component of a branch's path and the ones before it.
final class Hop: Sendable {
    let component: PathComponent
    let previous: Hop?
    let count: Int

    init(component: PathComponent, previous: Hop?) {
        self.component = component
        self.previous = previous
        count = (previous?.count ?? 0) + 1
    }
}
