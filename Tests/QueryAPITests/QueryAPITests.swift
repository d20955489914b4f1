import Foundation
import Hummingbird
import HummingbirdTesting
import QueryAPI
import Testing
import VPCStore

/// The Query protocol in process (no socket): request parsing, routing, response and error shapes.
struct QueryAPITests {
    static func post(_ client: some TestClientProtocol, _ body: String, service: String = "ec2", region: String = "us-east-1") async throws -> (Int, String) {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-www-form-urlencoded; charset=utf-8"
        headers[.authorization] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/\(region)/\(service)/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        return try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    static func value(_ tag: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(tag)>"), let end = xml.range(of: "</\(tag)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    func application() throws -> some ApplicationProtocol {
        let server = try QueryAPIServer(store: try Store.inMemory())
        return Application(router: server.makeRouter())
    }

    @Test func ec2ResponsesUseTheEC2NamespaceAndRequestID() async throws {
        try await application().test(.router) { client in
            let (status, body) = try await Self.post(client, "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16")
            #expect(status == 200)
            #expect(body.contains("<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"))
            #expect(Self.value("requestId", in: body)?.count == 36)
            #expect(Self.value("cidrBlock", in: body) == "10.1.0.0/16")
            #expect(body.hasSuffix("</CreateVpcResponse>"))
        }
    }

    /// AWS stores "10.1.2.3/16" as 10.1.0.0/16 (host bits cleared).
    @Test func cidrWithHostBitsIsNormalized() async throws {
        try await application().test(.router) { client in
            let (_, body) = try await Self.post(client, "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.2.3%2F16")
            #expect(Self.value("cidrBlock", in: body) == "10.1.0.0/16")
        }
    }

    @Test func errorsHaveEC2sShapeAndNothingChanges() async throws {
        try await application().test(.router) { client in
            let (_, before) = try await Self.post(client, "Action=DescribeVpcs&Version=2016-11-15")
            let (status, body) = try await Self.post(client, "Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-0000000000000dead&CidrBlock=10.0.0.0%2F24")
            #expect(status == 400)
            #expect(body.contains("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-0000000000000dead' does not exist</Message></Error></Errors><RequestID>"))
            let (_, after) = try await Self.post(client, "Action=DescribeSubnets&Version=2016-11-15")
            #expect(after.components(separatedBy: "<subnetId>").count == 4, "only the three default subnets")
            #expect(before.contains("172.31.0.0/16"))
        }
    }

    /// A call that fails half-way (the second rule is a duplicate of the first) stores nothing.
    @Test func aFailingCallChangesNothing() async throws {
        try await application().test(.router) { client in
            let (_, created) = try await Self.post(client, "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=g&GroupDescription=d")
            let group = try #require(Self.value("groupId", in: created))
            let rule = "IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8"
            let twice = "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=\(group)&IpPermissions.1.\(rule)&IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0%2F8"
            let (status, body) = try await Self.post(client, twice)
            #expect(status == 400)
            #expect(body.contains("InvalidPermission.Duplicate"))
            let (_, described) = try await Self.post(client, "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=\(group)")
            #expect(described.contains("<ipPermissions/>"), "no half-applied rule")
        }
    }

    /// EC2 API reference, CreateSecurityGroup: a group name is unique within its VPC
    /// (InvalidGroup.Duplicate); the same name is free in another VPC, and again once the group is
    /// deleted. Names are looked up through an index that must follow every change, and a restart.
    @Test func securityGroupNamesAreUniquePerVPC() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("localvpc-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("state.sqlite").path
        let groupID: String
        do {
            let server = try QueryAPIServer(store: try Store(path: path))
            groupID = try await Application(router: server.makeRouter()).test(.router) { client in
                let (_, vpc) = try await Self.post(client, "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16")
                let vpcID = try #require(Self.value("vpcId", in: vpc))
                let create = "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=d"
                let (first, created) = try await Self.post(client, create)
                #expect(first == 200)
                let groupID = try #require(Self.value("groupId", in: created))
                let (again, duplicate) = try await Self.post(client, create)
                #expect(again == 400 && duplicate.contains("InvalidGroup.Duplicate"))
                let (other, _) = try await Self.post(client, create + "&VpcId=\(vpcID)")
                #expect(other == 200, "the same name in another VPC")
                return groupID
            }
        }
        // After a restart the index is rebuilt from the store.
        let server = try QueryAPIServer(store: try Store(path: path))
        try await Application(router: server.makeRouter()).test(.router) { client in
            let create = "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=d"
            let (again, duplicate) = try await Self.post(client, create)
            #expect(again == 400 && duplicate.contains("InvalidGroup.Duplicate"))
            let (deleted, _) = try await Self.post(client, "Action=DeleteSecurityGroup&Version=2016-11-15&GroupId=\(groupID)")
            #expect(deleted == 200)
            let (reused, _) = try await Self.post(client, create)
            #expect(reused == 200, "a deleted group's name is free again")
            let (byName, described) = try await Self.post(client, "Action=DescribeSecurityGroups&Version=2016-11-15&GroupName.1=web")
            #expect(byName == 200 && described.contains("<groupName>web</groupName>"))
        }
    }

    @Test func elbUsesItsOwnEnvelope() async throws {
        try await application().test(.router) { client in
            let (status, body) = try await Self.post(client, "Action=DescribeLoadBalancers&Version=2012-06-01", service: "elasticloadbalancing")
            #expect(status == 200)
            #expect(body.contains("<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/\"><DescribeLoadBalancersResult><LoadBalancerDescriptions/></DescribeLoadBalancersResult><ResponseMetadata><RequestId>"))
        }
    }

    @Test func regionComesFromTheCredentialScope() async throws {
        try await application().test(.router) { client in
            _ = try await Self.post(client, "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16", region: "eu-west-1")
            let (_, west) = try await Self.post(client, "Action=DescribeVpcs&Version=2016-11-15", region: "eu-west-1")
            let (_, east) = try await Self.post(client, "Action=DescribeVpcs&Version=2016-11-15", region: "us-east-1")
            #expect(west.contains("10.9.0.0/16"))
            #expect(!east.contains("10.9.0.0/16"))
        }
    }

    @Test func analysesAreReturnedInEC2XML() async throws {
        try await application().test(.router) { client in
            let (_, vpcs) = try await Self.post(client, "Action=DescribeInternetGateways&Version=2016-11-15")
            let gateway = try #require(Self.value("internetGatewayId", in: vpcs))
            let (_, subnets) = try await Self.post(client, "Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(Self.value("subnetId", in: subnets))
            let (_, run) = try await Self.post(client, "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=\(subnet)")
            let instance = try #require(Self.value("instanceId", in: run))
            let (_, path) = try await Self.post(client, "Action=CreateNetworkInsightsPath&Version=2016-11-15&Source=\(gateway)&Destination=\(instance)&Protocol=tcp&DestinationPort=22")
            let pathID = try #require(Self.value("networkInsightsPathId", in: path))
            let (status, analysis) = try await Self.post(client, "Action=StartNetworkInsightsAnalysis&Version=2016-11-15&NetworkInsightsPathId=\(pathID)")
            #expect(status == 200)
            // The default VPC's default group admits nothing from the internet.
            #expect(Self.value("networkPathFound", in: analysis) == "false")
            #expect(analysis.contains("<explanationSet><item>"))
            #expect(analysis.contains("<explanationCode>ENI_SG_RULES_MISMATCH</explanationCode>"))
            #expect(analysis.contains("<forwardPathComponentSet><item>"))
            #expect(analysis.contains("<sequenceNumber>1</sequenceNumber>"))
        }
    }

    @Test func accountIDIsConfigurable() async throws {
        let server = try QueryAPIServer(store: try Store.inMemory(), accountID: "999988887777")
        try await Application(router: server.makeRouter()).test(.router) { client in
            let (_, body) = try await Self.post(client, "Action=DescribeVpcs&Version=2016-11-15")
            #expect(Self.value("ownerId", in: body) == "999988887777")
        }
    }

    /// The request ID has AWS's UUID form (8-4-4-4-12 hex).
    @Test func requestIDsAreUUIDShaped() {
        let id = QueryAPIServer.makeRequestID()
        #expect(id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit })
        #expect(UUID(uuidString: id) != nil)
        #expect(Array(id)[14] == "4" && "89ab".contains(Array(id)[19]))  // version 4, RFC 4122 variant
        #expect(id != QueryAPIServer.makeRequestID())
    }

    /// VPC User Guide, "Route tables": a route's state is blackhole when its target is gone, e.g. a
    /// deleted NAT gateway.
    @Test func deletingANATGatewayTurnsItsRoutesBlackhole() async throws {
        try await application().test(.router) { client in
            let (_, subnets) = try await Self.post(client, "Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(Self.value("subnetId", in: subnets))
            let (_, address) = try await Self.post(client, "Action=AllocateAddress&Version=2016-11-15&Domain=vpc")
            let allocation = try #require(Self.value("allocationId", in: address))
            let (_, created) = try await Self.post(client, "Action=CreateNatGateway&Version=2016-11-15&SubnetId=\(subnet)&AllocationId=\(allocation)")
            let gateway = try #require(Self.value("natGatewayId", in: created))
            let (_, tables) = try await Self.post(client, "Action=DescribeRouteTables&Version=2016-11-15")
            let table = try #require(Self.value("routeTableId", in: tables))
            _ = try await Self.post(client, "Action=CreateRoute&Version=2016-11-15&RouteTableId=\(table)&DestinationCidrBlock=192.0.2.0%2F24&NatGatewayId=\(gateway)")
            let (_, before) = try await Self.post(client, "Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1=\(table)")
            #expect(before.contains("<natGatewayId>\(gateway)</natGatewayId><state>active</state>"))
            _ = try await Self.post(client, "Action=DeleteNatGateway&Version=2016-11-15&NatGatewayId=\(gateway)")
            let (_, after) = try await Self.post(client, "Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1=\(table)")
            #expect(after.contains("<natGatewayId>\(gateway)</natGatewayId><state>blackhole</state>"))
        }
    }

    /// EC2 API Reference, DetachInternetGateway: "The VPC must not contain any running instances with
    /// Elastic IP addresses or public IPv4 addresses" (DependencyViolation).
    @Test func detachingAGatewayWithMappedPublicAddressesIsRefused() async throws {
        try await application().test(.router) { client in
            let (_, gateways) = try await Self.post(client, "Action=DescribeInternetGateways&Version=2016-11-15")
            let gateway = try #require(Self.value("internetGatewayId", in: gateways))
            let vpc = try #require(Self.value("vpcId", in: gateways))
            let (_, subnets) = try await Self.post(client, "Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(Self.value("subnetId", in: subnets))
            // Default subnets map public IPs on launch.
            _ = try await Self.post(client, "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=\(subnet)")
            let (status, body) = try await Self.post(client, "Action=DetachInternetGateway&Version=2016-11-15&InternetGatewayId=\(gateway)&VpcId=\(vpc)")
            #expect(status == 400)
            #expect(body.contains("<Code>DependencyViolation</Code>"))
        }
    }
}
