import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// A VPC with a public subnet (routed to an internet gateway) and a private one; tests add the rest.
let base = """
    vpc: { name: t, cidr: 10.0.0.0/16 }
    internet-gateway: igw
    subnets:
      public: { cidr: 10.0.0.0/24, zone: us-east-1a }
      private: { cidr: 10.0.1.0/24, zone: us-east-1a }
      other-zone: { cidr: 10.0.2.0/24, zone: us-east-1b }

    """

let publicRoute = """
    route-tables:
      public-rt: { subnets: [public], routes: [{ destination: 0.0.0.0/0, target: igw }] }

    """

func network(_ yaml: String) throws -> CompiledNetwork {
    do {
        return CompiledNetwork(try TopologyFile(yaml: base + yaml, file: "test.yaml").topology)
    } catch {
        Issue.record("fixture does not load: \(error.description)")
        throw error
    }
}

func analyze(
    _ yaml: String, from: String, to: String, protocol ipProtocol: IPProtocol = .tcp, port: Int? = nil,
    through: [String] = [], avoiding: [String] = []
) throws -> Reachability {
    try network(yaml).analyze(
        PathQuery(
            from: from, to: to, protocol: ipProtocol, ports: try port.map { try PortRange(port: $0) }, through: through, avoiding: avoiding))
}

extension Reachability {
    var codes: [String] { analysis.explanations.map(\.explanationCode.rawValue) }
    var partialCodes: [String] { partialBlocks.map(\.explanationCode.rawValue) }
    var forwardIDs: [String] { analysis.forwardPathComponents.map(\.component.id) }
    var forwardNames: [String] { analysis.forwardPathComponents.map { $0.component.name ?? $0.component.id } }
    func explanation(_ code: String) -> Explanation? { analysis.explanations.first { $0.explanationCode.rawValue == code } }
}
