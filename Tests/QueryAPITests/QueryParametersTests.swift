import Testing

@testable import QueryAPI

/// The AWS Query protocol's form encoding and flattened lists ("Query protocol" in the AWS SDK
/// developer guides; botocore's serializer writes `Name.N.Member`, lists from 1).
struct QueryParametersTests {
    @Test func formEncodingIsDecoded() throws {
        let parameters = try QueryParameters(formEncoded: "Action=CreateTags&Tag.1.Key=Name&Tag.1.Value=web%201+a%2Bb&Empty=&Bare&&Dup=1&Dup=2")
        #expect(parameters["Action"] == "CreateTags")
        #expect(parameters["Tag.1.Value"] == "web 1 a+b")
        #expect(parameters["Empty"] == "" && parameters.string("Empty") == nil)
        #expect(parameters["Bare"] == "")
        #expect(parameters["Dup"] == "2")
        #expect(try QueryParameters(formEncoded: "V=%E6%BC%A2")["V"] == "漢")
        #expect(try QueryParameters(formEncoded: "")["Action"] == nil)
    }

    @Test(arguments: ["A=%ZZ", "A=%4", "A=%FF%FE", "%=1"])
    func badEncodingIsMalformedQueryString(text: String) {
        #expect(throws: APIError.self) { try QueryParameters(formEncoded: Substring(text)) }
        do { _ = try QueryParameters(formEncoded: Substring(text)) } catch { #expect(error.code == "MalformedQueryString") }
    }

    @Test func structuresAreReadInIndexOrderUpToTheFirstGap() throws {
        let parameters = try QueryParameters(
            formEncoded: """
                IpPermissions.2.IpProtocol=udp&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/16\
                &IpPermissions.1.IpRanges.2.CidrIp=10.1.0.0/16&IpPermissions.4.IpProtocol=icmp&IpPermissions.01.IpProtocol=x\
                &IpPermissionsX.1.IpProtocol=y&IpPermissions.1.=empty
                """)
        let permissions = parameters.structures("IpPermissions")
        #expect(permissions.count == 2)  // 4 follows a gap; "01" is not an index
        #expect(permissions[0]["IpProtocol"] == "tcp" && permissions[1]["IpProtocol"] == "udp")
        #expect(permissions[0]["[]"] == nil && permissions[0][""] == "empty")
        #expect(permissions[0].structures("IpRanges").map { $0["CidrIp"] } == ["10.0.0.0/16", "10.1.0.0/16"])
        #expect(parameters.structures("Nothing").isEmpty)
    }
}
