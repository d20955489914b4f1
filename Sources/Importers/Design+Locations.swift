import VPCEngine
import VPCModel

extension Design {
    /// The lines of the source that hold what an explanation blocks on: the network ACL entry, the route,
    /// the security-group rule (or, when no rule allows the traffic, each group's rules of that
    /// direction, where one would be added), else the component's own line. For a template, the line of
    /// the resource that holds it. Empty when the source does not say (a snapshot).
    public func lines(of explanation: Explanation) -> [Int] {
        if let acl = explanation.acl?.id {
            if let rule = explanation.aclRule {
                let direction = rule.egress == true ? "egress" : "ingress"
                if let line = lines["\(acl).\(direction).\(rule.ruleNumber ?? 0)"] { return [line] }
                if let line = lines["\(acl).\(direction)"] { return [line] }
            }
            if let line = lines[acl] { return [line] }
        }
        if let table = explanation.routeTable?.id {
            if let destination = explanation.routeTableRoute?.destinationCidr, let line = lines["\(table).route.\(destination)"] { return [line] }
            if let line = lines[table] { return [line] }
        }
        if let group = explanation.securityGroup?.id, let rule = explanation.securityGroupRule {
            let direction = rule.direction ?? explanation.direction ?? "ingress"
            if let index = ruleIndex(rule, in: group, direction: direction), let line = lines["\(group).\(direction).\(index)"] { return [line] }
            if let line = lines["\(group).\(direction)"] ?? lines[group] { return [line] }
        }
        if let groups = explanation.securityGroups, !groups.isEmpty {
            let direction = explanation.direction ?? "ingress"
            let found = groups.compactMap { lines["\($0.id).\(direction)"] ?? lines[$0.id] }
            if !found.isEmpty { return found }
        }
        for component in [explanation.component, explanation.natGateway, explanation.internetGateway, explanation.subnet] {
            if let id = component?.id, let line = lines[id] { return [line] }
        }
        return []
    }

    /// The position of a rule (as an analysis shows it) among its group's rules of one direction.
    private func ruleIndex(_ rule: AnalysisSecurityGroupRule, in groupID: String, direction: String) -> Int? {
        guard let group = topology.securityGroups.first(where: { $0.id.rawValue == groupID }) else { return nil }
        let rules = direction == "egress" ? group.egress : group.ingress
        return rules.firstIndex { candidate in
            let peerMatches =
                switch candidate.peer {
                case .cidr(let block): rule.cidr == block.description
                case .securityGroup(let id): rule.securityGroupID == id.rawValue
                }
            return peerMatches && rule.ipProtocol == candidate.ipProtocol.awsName
                && (rule.portRange.map { $0.from == candidate.ports.from && $0.to == candidate.ports.to } ?? !candidate.ipProtocol.hasPorts)
        }
    }
}
