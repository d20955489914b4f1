import VPCModel

/// One concrete change to a design, proposed by ``Repair``: readable, as an `aws` command, and as a
/// change to the ``Topology`` value.
public struct Edit: Hashable, Sendable {
    public enum Change: Hashable, Sendable {
        case addSecurityGroupRule(SecurityGroup.ID, Direction, SecurityGroupRule)
        case addACLEntry(NetworkACL.ID, NetworkACLEntry)
        case retargetRoute(RouteTable.ID, CIDRBlock, Route.Target)
        case disableSourceDestCheck(NetworkInterface.ID)
        case markAsNAT(Instance.ID)
        case start(Instance.ID)
        case enableCrossZone(ClassicLoadBalancer.ID)
        case addListener(ClassicLoadBalancer.ID, ClassicLoadBalancer.Listener)
    }

    public var change: Change
    /// For people: "web-sg: allow outbound tcp 443 to 0.0.0.0/0".
    public var summary: String
    /// The same change through the EC2 or ELB API.
    public var awsCommand: String

    /// Applies the change; false when it changes nothing (already there).
    @discardableResult
    public func apply(to topology: inout Topology) -> Bool {
        switch change {
        case .addSecurityGroupRule(let id, let direction, let rule):
            guard let index = topology.securityGroups.firstIndex(where: { $0.id == id }) else { return false }
            if direction == .ingress {
                guard !topology.securityGroups[index].ingress.contains(rule) else { return false }
                topology.securityGroups[index].ingress.append(rule)
            } else {
                guard !topology.securityGroups[index].egress.contains(rule) else { return false }
                topology.securityGroups[index].egress.append(rule)
            }
        case .addACLEntry(let id, let entry):
            guard let index = topology.networkACLs.firstIndex(where: { $0.id == id }),
                !topology.networkACLs[index].entries.contains(where: { $0.ruleNumber == entry.ruleNumber && $0.direction == entry.direction })
            else { return false }
            topology.networkACLs[index].entries.append(entry)
        case .retargetRoute(let id, let destination, let target):
            guard let table = topology.routeTables.firstIndex(where: { $0.id == id }),
                let route = topology.routeTables[table].routes.firstIndex(where: { $0.destination == destination }),
                topology.routeTables[table].routes[route].target != target
            else { return false }
            topology.routeTables[table].routes[route].target = target
        case .disableSourceDestCheck(let id):
            guard let index = topology.networkInterfaces.firstIndex(where: { $0.id == id }), topology.networkInterfaces[index].sourceDestCheck
            else { return false }
            topology.networkInterfaces[index].sourceDestCheck = false
        case .markAsNAT(let id):
            guard let index = topology.instances.firstIndex(where: { $0.id == id }), topology.instances[index].role != .nat else { return false }
            topology.instances[index].role = .nat
        case .start(let id):
            guard let index = topology.instances.firstIndex(where: { $0.id == id }), topology.instances[index].state != .running else { return false }
            topology.instances[index].state = .running
        case .enableCrossZone(let id):
            guard let index = topology.loadBalancers.firstIndex(where: { $0.id == id }), !topology.loadBalancers[index].crossZone else {
                return false
            }
            topology.loadBalancers[index].crossZone = true
        case .addListener(let id, let listener):
            guard let index = topology.loadBalancers.firstIndex(where: { $0.id == id }),
                !topology.loadBalancers[index].listeners.contains(where: { $0.loadBalancerPort == listener.loadBalancerPort })
            else { return false }
            topology.loadBalancers[index].listeners.append(listener)
        }
        return true
    }
}
