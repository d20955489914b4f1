import Foundation
import Importers
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// `describe-*` bodies, one per file, recognised by their top-level key whatever the file's name.
struct SnapshotTests {
    /// A small account written by the project in the CLI's shapes: a public subnet with a NAT gateway and
    /// a jump host, a private subnet with an app server (stopped, keeping its Elastic IP) and a worker,
    /// a blackhole route, timestamps in Python's `str(datetime)` form, and a file LocalVPC does not read.
    static let bodies: [String: String] = [
        "aws_configs/us-west-2/vpcs.json": """
        {"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.1.0.0/16", "IsDefault": false, "Tags": [{"Key": "Name", "Value": "main"}],
          "CidrBlockAssociationSet": [{"CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}}]}]}
        """,
        "aws_configs/us-west-2/net/Subnets.json": """
        {"Subnets": [
          {"SubnetId": "subnet-pub", "VpcId": "vpc-1", "CidrBlock": "10.1.0.0/24", "AvailabilityZone": "us-west-2a", "MapPublicIpOnLaunch": true},
          {"SubnetId": "subnet-priv", "VpcId": "vpc-1", "CidrBlock": "10.1.1.0/24", "AvailabilityZone": "us-west-2a", "MapPublicIpOnLaunch": false}]}
        """,
        "aws_configs/us-west-2/igw.json": """
        {"InternetGateways": [{"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}]}
        """,
        "aws_configs/us-west-2/rt.json": """
        {"RouteTables": [
          {"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": true, "RouteTableAssociationId": "rtbassoc-0"}],
           "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"}]},
          {"RouteTableId": "rtb-pub", "VpcId": "vpc-1", "Associations": [{"Main": false, "SubnetId": "subnet-pub"}],
           "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"},
                      {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}]},
          {"RouteTableId": "rtb-priv", "VpcId": "vpc-1", "Associations": [{"Main": false, "SubnetId": "subnet-priv"}],
           "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"},
                      {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"},
                      {"DestinationCidrBlock": "192.0.2.0/24", "NatGatewayId": "nat-gone", "State": "blackhole"}]}]}
        """,
        "aws_configs/us-west-2/sg.json": """
        {"SecurityGroups": [
          {"GroupId": "sg-jump", "GroupName": "jump", "Description": "ssh", "VpcId": "vpc-1",
           "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "UserIdGroupPairs": []}],
           "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "UserIdGroupPairs": []}]},
          {"GroupId": "sg-app", "GroupName": "app", "Description": "app", "VpcId": "vpc-1",
           "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [], "UserIdGroupPairs": [{"GroupId": "sg-jump"}]}],
           "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "UserIdGroupPairs": []}]}]}
        """,
        "aws_configs/us-west-2/acl.json": """
        {"NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": true,
          "Associations": [{"SubnetId": "subnet-pub"}, {"SubnetId": "subnet-priv"}],
          "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0"},
                      {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"},
                      {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0"},
                      {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"}]}]}
        """,
        "aws_configs/us-west-2/instances.json": """
        {"Reservations": [{"Instances": [
          {"InstanceId": "i-jump", "State": {"Name": "running"}, "LaunchTime": "2021-03-12 18:24:33+00:00", "SubnetId": "subnet-pub",
           "VpcId": "vpc-1", "PrivateIpAddress": "10.1.0.10", "PublicIpAddress": "54.0.0.10", "Tags": [{"Key": "Name", "Value": "jump"}],
           "NetworkInterfaces": [{"NetworkInterfaceId": "eni-jump", "SubnetId": "subnet-pub", "Groups": [{"GroupId": "sg-jump"}],
             "SourceDestCheck": true, "Attachment": {"DeviceIndex": 0}, "Association": {"PublicIp": "54.0.0.10"},
             "PrivateIpAddresses": [{"PrivateIpAddress": "10.1.0.10", "Primary": true}]}]},
          {"InstanceId": "i-app", "State": {"Name": "stopped"}, "LaunchTime": "2021-03-12T18:24:33.000Z", "SubnetId": "subnet-priv",
           "Tags": [{"Key": "Name", "Value": "app"}],
           "NetworkInterfaces": [{"NetworkInterfaceId": "eni-app", "SubnetId": "subnet-priv", "Groups": [{"GroupId": "sg-app"}],
             "SourceDestCheck": true, "Attachment": {"DeviceIndex": 0}, "Association": {"PublicIp": "54.0.0.20"},
             "PrivateIpAddresses": [{"PrivateIpAddress": "10.1.1.20", "Primary": true}]}]},
          {"InstanceId": "i-worker", "State": {"Name": "running"}, "SubnetId": "subnet-priv", "PrivateIpAddress": "10.1.1.30",
           "SecurityGroups": [{"GroupId": "sg-app"}], "SourceDestCheck": true, "Tags": [{"Key": "Name", "Value": "worker"}]}]}]}
        """,
        "aws_configs/us-west-2/eip.json": """
        {"Addresses": [{"AllocationId": "eipalloc-app", "PublicIp": "54.0.0.20", "InstanceId": "i-app", "NetworkInterfaceId": "eni-app",
          "PrivateIpAddress": "10.1.1.20", "Domain": "vpc"}]}
        """,
        "aws_configs/us-west-2/nat.json": """
        {"NatGateways": [{"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "VpcId": "vpc-1", "State": "available",
          "CreateTime": "2021-03-12 18:24:33+00:00",
          "NatGatewayAddresses": [{"AllocationId": "eipalloc-nat", "NetworkInterfaceId": "eni-nat", "PrivateIp": "10.1.0.50",
                                   "PublicIp": "54.0.0.50"}]}]}
        """,
        "aws_configs/eu-west-1/vpcs.json": """
        {"Vpcs": [{"VpcId": "vpc-2", "CidrBlock": "10.2.0.0/16", "IsDefault": false}]}
        """,
        "aws_configs/us-west-2/TargetGroups.json": """
        {"TargetGroups": []}
        """,
    ]

    static func write() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-snapshot-\(UUID().uuidString)")
        for (path, body) in bodies {
            let file = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try body.write(to: file, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func aSnapshotDirectoryLoadsWithItsStatesAsGiven() throws {
        let root = try Self.write()
        defer { try? FileManager.default.removeItem(at: root) }
        let design = try DesignLoader.load(root.path)
        #expect(design.source == .snapshot)
        #expect(design.topology.region == "us-west-2", "the region of the aws_configs/<region>/ folder")
        #expect(design.topology.instances.count == 3)
        #expect(design.topology.vpcs.map(\.id.rawValue).sorted() == ["vpc-1", "vpc-2"], "two regions' VPCs in one model")
        #expect(design.notes.contains { $0.contains("TargetGroups.json: not a describe-* body") && $0.contains("skipped") })
        // Names: a unique Name tag, and the AWS ID.
        #expect(try design.analyze("worker", "internet", port: 443).isReachable, "a private instance goes out through the NAT gateway")
        #expect(try design.analyze("i-worker", "internet", port: 443).isReachable)
        #expect(try design.analyze("internet", "jump", port: 22).isReachable)
        #expect(try design.analyze("jump", "worker", port: 22).isReachable, "a group pair admits the jump host's group")
        // A NAT gateway answers no connection from the internet (Batfish's AwsConfigurationNatGatewayTest says the same).
        #expect(try !design.analyze("internet", "54.0.0.50", port: 22).isReachable)
        // Stopped instances keep their Elastic IP, and forward nothing.
        let app = try #require(design.topology.instances.first { $0.id == "i-app" })
        #expect(app.state == .stopped)
        #expect(design.topology.elasticIPs.first?.association?.networkInterfaceID == "eni-app")
        #expect(try !design.analyze("internet", "app", port: 22).isReachable)
        // A route to a NAT gateway that is gone is a blackhole.
        let network = CompiledNetwork(design.topology)
        let table = try #require(design.topology.routeTable("rtb-priv"))
        #expect(network.routeStates(of: table).map(\.1.rawValue) == ["active", "blackhole"])
    }

    /// A directory with no describe body is an error naming it; a file that is not JSON beside good
    /// ones is skipped with a note.
    @Test func badSnapshotFiles() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try "{\"Something\": []}".write(to: empty.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect {
            _ = try DesignLoader.load(empty.path)
        } throws: { error in
            "\(error)".contains("No describe-* body here")
        }
        let root = try Self.write()
        defer { try? FileManager.default.removeItem(at: root) }
        try "not json".write(to: root.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let design = try DesignLoader.load(root.path)
        #expect(design.notes.contains { $0.contains("broken.json") && $0.contains("not a JSON object") })
        #expect(design.topology.instances.count == 3)
    }
}
