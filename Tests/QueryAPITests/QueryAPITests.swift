import Foundation
import QueryAPI
import Testing
import VPCStore
import VPCTesting

/// The Query protocol through the production front end: request parsing, routing, response and error shapes.
struct QueryAPITests {
    @Test func ec2ResponsesUseTheEC2NamespaceAndRequestID() async throws {
        try await withServer { client in
            let (status, body) = try await client.post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16")
            #expect(status == 200)
            #expect(body.contains("<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"))
            #expect(value("requestId", in: body)?.count == 36)
            #expect(value("cidrBlock", in: body) == "10.1.0.0/16")
            #expect(body.hasSuffix("</CreateVpcResponse>"))
        }
    }

    /// AWS stores "10.1.2.3/16" as 10.1.0.0/16 (host bits cleared).
    @Test func cidrWithHostBitsIsNormalized() async throws {
        try await withServer { client in
            let (_, body) = try await client.post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.2.3%2F16")
            #expect(value("cidrBlock", in: body) == "10.1.0.0/16")
        }
    }

    @Test func errorsHaveEC2sShapeAndNothingChanges() async throws {
        try await withServer { client in
            let (_, before) = try await client.post("Action=DescribeVpcs&Version=2016-11-15")
            let (status, body) = try await client.post("Action=CreateSubnet&Version=2016-11-15&VpcId=vpc-0000000000000dead&CidrBlock=10.0.0.0%2F24")
            #expect(status == 400)
            #expect(
                body.contains(
                    "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-0000000000000dead' does not exist</"
                        + "Message></Error></Errors><RequestID>"
                ))
            let (_, after) = try await client.post("Action=DescribeSubnets&Version=2016-11-15")
            #expect(after.components(separatedBy: "<subnetId>").count == 4, "only the three default subnets")
            #expect(before.contains("172.31.0.0/16"))
        }
    }

    /// A call that fails half-way (the second rule is a duplicate of the first) stores nothing.
    @Test func aFailingCallChangesNothing() async throws {
        try await withServer { client in
            let (_, created) = try await client.post("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=g&GroupDescription=d")
            let group = try #require(value("groupId", in: created))
            let rule = "IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8"
            let twice =
                "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=\(group)&"
                + "IpPermissions.1.\(rule)&IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0%2F8"
            let (status, body) = try await client.post(twice)
            #expect(status == 400)
            #expect(body.contains("InvalidPermission.Duplicate"))
            let (_, described) = try await client.post("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=\(group)")
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
            groupID = try await withServer(server) { client in
                let (_, vpc) = try await client.post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16")
                let vpcID = try #require(value("vpcId", in: vpc))
                let create = "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=d"
                let (first, created) = try await client.post(create)
                #expect(first == 200)
                let groupID = try #require(value("groupId", in: created))
                let (again, duplicate) = try await client.post(create)
                #expect(again == 400 && duplicate.contains("InvalidGroup.Duplicate"))
                let (other, _) = try await client.post(create + "&VpcId=\(vpcID)")
                #expect(other == 200, "the same name in another VPC")
                return groupID
            }
        }
        // After a restart the index is rebuilt from the store (once the stopped server's connections
        // have let go of the file).
        let server = try await reopen(path)
        try await withServer(server) { client in
            let create = "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=d"
            let (again, duplicate) = try await client.post(create)
            #expect(again == 400 && duplicate.contains("InvalidGroup.Duplicate"))
            let (deleted, _) = try await client.post("Action=DeleteSecurityGroup&Version=2016-11-15&GroupId=\(groupID)")
            #expect(deleted == 200)
            let (reused, _) = try await client.post(create)
            #expect(reused == 200, "a deleted group's name is free again")
            let (byName, described) = try await client.post("Action=DescribeSecurityGroups&Version=2016-11-15&GroupName.1=web")
            #expect(byName == 200 && described.contains("<groupName>web</groupName>"))
        }
    }

    /// EC2 API Reference, CreateSecurityGroup: a VPC group's name and description use a-z, A-Z, 0-9,
    /// spaces and ._-:/()#,@[]+=&;{}!$*; a NUL (once stored and shown as a duplicate "xy") or a non-ASCII
    /// letter is InvalidParameterValue, and nothing is stored.
    @Test func groupNamesAndDescriptionsUseEC2sCharacters() async throws {
        try await withServer { client in
            let create = "Action=CreateSecurityGroup&Version=2016-11-15"
            for (name, description) in [("x%00y", "d"), ("caf%C3%A9", "d"), ("ok", "tab%09here"), ("new%0Aline", "d")] {
                let (status, body) = try await client.post("\(create)&GroupName=\(name)&GroupDescription=\(description)")
                #expect(status == 400 && body.contains("<Code>InvalidParameterValue</Code>"), "\(name) / \(description): \(body)")
            }
            let (good, _) = try await client.post(
                "\(create)&GroupName=web%20(prod)%20%5B1%5D%3A%2F%23%2C%40%2B%3D%26%3B%7B%7D%21%24%2A._-&GroupDescription=ok")
            #expect(good == 200, "every character EC2 allows")
            let (_, groups) = try await client.post("Action=DescribeSecurityGroups&Version=2016-11-15")
            #expect(groups.components(separatedBy: "<groupDescription>").count == 3, "the default group and the good one only")
        }
    }

    /// Numbers and CIDRs are read as EC2 reads them (EC2 API Reference, IpPermission and the CIDR
    /// parameters): ports 0-65535 as plain digits, ICMP type and code -1 to 255, no "+80", "-0" or "abc";
    /// no leading zeros in an address or a prefix length; host bits are cleared, as EC2 stores them.
    @Test func numbersAndCIDRsAreStrict() async throws {
        try await withServer { client in
            let (_, created) = try await client.post("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=g&GroupDescription=d")
            let group = try #require(value("groupId", in: created))
            let authorize = "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=\(group)&IpPermissions.1.IpRanges.1.CidrIp="
            for (cidr, fields) in [
                ("10.0.0.0%2F8", "IpProtocol=icmp&IpPermissions.1.FromPort=abc&IpPermissions.1.ToPort=-1"),
                ("10.0.0.0%2F8", "IpProtocol=icmp&IpPermissions.1.FromPort=8&IpPermissions.1.ToPort=256"),
                ("10.0.0.0%2F8", "IpProtocol=tcp&IpPermissions.1.FromPort=%2B80&IpPermissions.1.ToPort=80"),
                ("10.0.0.0%2F8", "IpProtocol=tcp&IpPermissions.1.FromPort=-0&IpPermissions.1.ToPort=80"),
                ("010.0.0.0%2F8", "IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80"),
                ("10.0.0.0%2F08", "IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80"),
                ("10.0.0.0%2F%2B24", "IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80"),
            ] {
                let (status, body) = try await client.post("\(authorize)\(cidr)&IpPermissions.1.\(fields)")
                #expect(status == 400 && body.contains("<Code>InvalidParameterValue</Code>"), "\(cidr) \(fields): \(body)")
            }
            let (ok, _) = try await client.post(
                "\(authorize)10.0.0.28%2F29&IpPermissions.1.IpProtocol=icmp&IpPermissions.1.FromPort=8&IpPermissions.1.ToPort=-1")
            #expect(ok == 200, "ICMP echo (type 8, any code) from a block with host bits")
            let (_, described) = try await client.post("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=\(group)")
            #expect(described.contains("<cidrIp>10.0.0.24/29</cidrIp>"), "host bits cleared, as EC2 stores them")
            for cidr in ["010.1.0.0%2F16", "10.1.0.0%2F016", "10.1.0.0%2F%2B16"] {
                let (status, _) = try await client.post("Action=CreateVpc&Version=2016-11-15&CidrBlock=\(cidr)")
                #expect(status == 400, "CreateVpc \(cidr)")
            }
        }
    }

    @Test func elbUsesItsOwnEnvelope() async throws {
        try await withServer { client in
            let (status, body) = try await client.post("Action=DescribeLoadBalancers&Version=2012-06-01", service: "elasticloadbalancing")
            #expect(status == 200)
            #expect(
                body.contains(
                    "<DescribeLoadBalancersResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/\"><"
                        + "DescribeLoadBalancersResult><LoadBalancerDescriptions/></DescribeLoadBalancersResult><"
                        + "ResponseMetadata><RequestId>"
                ))
        }
    }

    @Test func regionComesFromTheCredentialScope() async throws {
        try await withServer { client in
            _ = try await client.post("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16", region: "eu-west-1")
            let (_, west) = try await client.post("Action=DescribeVpcs&Version=2016-11-15", region: "eu-west-1")
            let (_, east) = try await client.post("Action=DescribeVpcs&Version=2016-11-15", region: "us-east-1")
            #expect(west.contains("10.9.0.0/16"))
            #expect(!east.contains("10.9.0.0/16"))
        }
    }

    @Test func analysesAreReturnedInEC2XML() async throws {
        try await withServer { client in
            let (_, vpcs) = try await client.post("Action=DescribeInternetGateways&Version=2016-11-15")
            let gateway = try #require(value("internetGatewayId", in: vpcs))
            let (_, subnets) = try await client.post("Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(value("subnetId", in: subnets))
            let (_, run) = try await client.post("Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=\(subnet)")
            let instance = try #require(value("instanceId", in: run))
            let (_, path) = try await client.post(
                "Action=CreateNetworkInsightsPath&Version=2016-11-15&Source=\(gateway)&Destination=\(instance)&Protocol=tcp&DestinationPort=22")
            let pathID = try #require(value("networkInsightsPathId", in: path))
            let (status, analysis) = try await client.post("Action=StartNetworkInsightsAnalysis&Version=2016-11-15&NetworkInsightsPathId=\(pathID)")
            #expect(status == 200)
            // The default VPC's default group admits nothing from the internet.
            #expect(value("networkPathFound", in: analysis) == "false")
            #expect(analysis.contains("<explanationSet><item>"))
            #expect(analysis.contains("<explanationCode>ENI_SG_RULES_MISMATCH</explanationCode>"))
            #expect(analysis.contains("<forwardPathComponentSet><item>"))
            #expect(analysis.contains("<sequenceNumber>1</sequenceNumber>"))
        }
    }

    @Test func accountIDIsConfigurable() async throws {
        let server = try QueryAPIServer(store: try Store.inMemory(), accountID: "999988887777")
        try await withServer(server) { client in
            let (_, body) = try await client.post("Action=DescribeVpcs&Version=2016-11-15")
            #expect(value("ownerId", in: body) == "999988887777")
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
        try await withServer { client in
            let (_, subnets) = try await client.post("Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(value("subnetId", in: subnets))
            let (_, address) = try await client.post("Action=AllocateAddress&Version=2016-11-15&Domain=vpc")
            let allocation = try #require(value("allocationId", in: address))
            let (_, created) = try await client.post("Action=CreateNatGateway&Version=2016-11-15&SubnetId=\(subnet)&AllocationId=\(allocation)")
            let gateway = try #require(value("natGatewayId", in: created))
            let (_, tables) = try await client.post("Action=DescribeRouteTables&Version=2016-11-15")
            let table = try #require(value("routeTableId", in: tables))
            _ = try await client.post(
                "Action=CreateRoute&Version=2016-11-15&RouteTableId=\(table)&DestinationCidrBlock=192.0.2.0%2F24&NatGatewayId=\(gateway)")
            let (_, before) = try await client.post("Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1=\(table)")
            #expect(before.contains("<natGatewayId>\(gateway)</natGatewayId><state>active</state>"))
            _ = try await client.post("Action=DeleteNatGateway&Version=2016-11-15&NatGatewayId=\(gateway)")
            let (_, after) = try await client.post("Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1=\(table)")
            #expect(after.contains("<natGatewayId>\(gateway)</natGatewayId><state>blackhole</state>"))
        }
    }

    /// EC2 API Reference, DetachInternetGateway: "The VPC must not contain any running instances with
    /// Elastic IP addresses or public IPv4 addresses" (DependencyViolation).
    @Test func detachingAGatewayWithMappedPublicAddressesIsRefused() async throws {
        try await withServer { client in
            let (_, gateways) = try await client.post("Action=DescribeInternetGateways&Version=2016-11-15")
            let gateway = try #require(value("internetGatewayId", in: gateways))
            let vpc = try #require(value("vpcId", in: gateways))
            let (_, subnets) = try await client.post("Action=DescribeSubnets&Version=2016-11-15")
            let subnet = try #require(value("subnetId", in: subnets))
            // Default subnets map public IPs on launch.
            _ = try await client.post("Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1&SubnetId=\(subnet)")
            let (status, body) = try await client.post("Action=DetachInternetGateway&Version=2016-11-15&InternetGatewayId=\(gateway)&VpcId=\(vpc)")
            #expect(status == 400)
            #expect(body.contains("<Code>DependencyViolation</Code>"))
        }
    }
}

/// The front end's own framing, over a raw socket (RFC 9112).
struct FrontEndTests {
    /// RFC 9112, 9.3.2: a server answers pipelined requests in the order received; the read behind a
    /// change sees it.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { client in
            func request(_ form: String, _ extra: String = "") -> String {
                "POST / HTTP/1.1\r\nHost: x\r\n\(extra)Content-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)"
            }
            let create = request("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.7.0.0%2F16")
            // The last request closes the connection once answered, which ends the read.
            let describe = request("Action=DescribeVpcs&Version=2016-11-15", "Connection: close\r\n")
            let port = client.port
            let answer = try await RawConnection.exchangeOnThread(port: port, create + describe, timeout: .seconds(10))
            let heads = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(heads == ["200", "200"], "\(answer.prefix(300))")
            let second = try #require(answer.range(of: "<DescribeVpcsResponse"))
            #expect(answer.range(of: "<CreateVpcResponse")!.lowerBound < second.lowerBound)
            #expect(answer[second.lowerBound...].contains("10.7.0.0/16"))
        }
    }

    /// RFC 9112, 9.6: a client may close its sending side once its requests are sent; they are still
    /// answered, in order, and then the server closes (it used to close at once, answering nothing).
    @Test func requestsOfAHalfClosedConnectionAreAnswered() async throws {
        try await withServer { client in
            func request(_ form: String) -> String {
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)"
            }
            let requests = request("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.9.0.0%2F16") + request("Action=DescribeVpcs&Version=2016-11-15")
            let answer = try await RawConnection.exchangeOnThread(port: client.port, requests, timeout: .seconds(10), halfClose: true)
            let heads = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(heads == ["200", "200"], "\(answer.prefix(300))")
            #expect(answer.contains("10.9.0.0/16"))
        }
    }

    /// A request whose lines end in a bare LF is refused at once (400, closed), not waited on until the
    /// idle timeout; so are the smuggling shapes of the parser's corpus, e.g. Content-Length with
    /// Transfer-Encoding.
    @Test func bareLFAndAmbiguousFramingAre400AtOnce() async throws {
        try await withServer { client in
            let port = client.port
            let (bareLF, answeredIn) = try await RawConnection.timedExchangeOnThread(
                port: port, "POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n", timeout: .seconds(5))
            #expect(bareLF.hasPrefix("HTTP/1.1 400 ") && bareLF.contains("Connection: close"), "\(bareLF)")
            #expect(answeredIn < .seconds(1))
            let both = try await RawConnection.exchangeOnThread(
                port: port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            #expect(both.hasPrefix("HTTP/1.1 400 "), "\(both)")
        }
    }

    /// RFC 9112, 3: a request line that is not `method SP target SP version` is a 400, and the
    /// connection closes; an unknown path is a 404.
    @Test func badRequestLinesAndUnknownPaths() async throws {
        try await withServer { client in
            let port = client.port
            let bad = try await RawConnection.exchangeOnThread(port: port, "NONSENSE\r\nHost: x\r\n\r\n")
            #expect(bad.hasPrefix("HTTP/1.1 400 "))
            #expect(bad.contains("Connection: close"))
            let missing = try await RawConnection.exchangeOnThread(port: port, "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(missing.hasPrefix("HTTP/1.1 404 "))
        }
    }
}
