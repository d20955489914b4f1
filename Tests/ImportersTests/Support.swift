import Foundation
import Importers
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// A template with one VPC and a public subnet; tests add resources (YAML, two-space indented under `Resources:`).
func template(_ resources: String, parameters: String = "", conditions: String = "", mappings: String = "") -> String {
    """
    AWSTemplateFormatVersion: '2010-09-09'
    \(parameters.isEmpty ? "" : "Parameters:\n" + parameters)
    \(mappings.isEmpty ? "" : "Mappings:\n" + mappings)
    \(conditions.isEmpty ? "" : "Conditions:\n" + conditions)
    Resources:
      Vpc:
        Type: AWS::EC2::VPC
        Properties: { CidrBlock: 10.0.0.0/16 }
      Public:
        Type: AWS::EC2::Subnet
        Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a }
    \(resources)
    """
}

/// A security group whose description is the value of an intrinsic expression (YAML), so a test can read
/// the expression's result from the model.
func probe(_ expression: String, name: String = "Probe") -> String {
    """
      \(name):
        Type: AWS::EC2::SecurityGroup
        Properties:
          VpcId: !Ref Vpc
          GroupDescription: \(expression)
    """
}

func importTemplate(_ text: String, options: ImportOptions = ImportOptions()) throws -> Design {
    do {
        return try CloudFormationImporter.load(text: text, file: "template.yaml", options: options)
    } catch {
        Issue.record("the template does not load: \(error.description)")
        throw error
    }
}

/// The description of the group made by `probe`.
func probed(_ design: Design, name: String = "Probe") -> String? {
    design.topology.securityGroups.first { design.origins[$0.id.rawValue]?.hasPrefix("\(name) ") == true }?.description
}

/// The diagnostics of a template that must not load.
func failures(_ text: String, options: ImportOptions = ImportOptions()) -> [Diagnostic] {
    do {
        _ = try CloudFormationImporter.load(text: text, file: "template.yaml", options: options)
        Issue.record("the template loaded, but it should not")
        return []
    } catch {
        return error.diagnostics
    }
}

extension Design {
    func analyze(_ from: String, _ to: String, port: Int? = nil, protocol ipProtocol: IPProtocol = .tcp) throws -> Reachability {
        let query = PathQuery(from: from, to: to, protocol: ipProtocol, ports: try port.map { try PortRange(port: $0) })
        return try CompiledNetwork(topology).analyze(resolve(query))
    }
}
