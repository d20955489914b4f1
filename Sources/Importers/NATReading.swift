import VPCModel

/// LocalVPC's reading of NAT instances in sources that cannot say it: an instance with source/destination
/// check off that a route targets is a NAT instance (it masquerades behind its public address), as the
/// Amazon VPC NAT AMIs and CDK's NAT instance provider set it up in the operating system, which a reader
/// of templates or describe calls cannot see. An explicit `localvpc:role` tag decides instead.
enum NATReading {
    /// Marks such instances `.nat`; returns a note for each.
    static func mark(_ topology: inout Topology, hasRoleTag: (Instance) -> Bool) -> [String] {
        var targeted: Set<Instance.ID> = []
        for table in topology.routeTables {
            for route in table.routes {
                switch route.target {
                case .instance(let id): targeted.insert(id)
                case .networkInterface(let id):
                    if case .instance(let owner)? = topology.networkInterfaces.first(where: { $0.id == id })?.owner { targeted.insert(owner) }
                default: break
                }
            }
        }
        var notes: [String] = []
        for index in topology.instances.indices where topology.instances[index].role == nil {
            let instance = topology.instances[index]
            let interface = topology.networkInterfaces.first { $0.id == instance.primaryNetworkInterfaceID }
            guard targeted.contains(instance.id), interface?.sourceDestCheck == false, !hasRoleTag(instance) else { continue }
            topology.instances[index].role = .nat
            notes.append(
                "\(instance.name ?? instance.id.rawValue): source/dest check off and the target of a route: taken as a NAT instance "
                    + "(masquerading), as NAT AMIs and CDK's NAT instance provider set it up; tag it localvpc:role to say otherwise")
        }
        return notes
    }
}
