import Testing
import VPCModel

struct AddressingTests {
    @Test(arguments: ["10.0.1.5", "0.0.0.0", "255.255.255.255"])
    func parsesAddresses(text: String) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.description == text)
    }

    @Test(arguments: [
        "10.0.1", "10.0.1.256", "a.b.c.d", "10.0.0.1.2", "", "01234.1.1.1", "10..0.1", ".10.0.1", "10.0.0.1.", "10.0.0.1 ", "١٠.0.0.1", "+1.0.0.1",
        "999.0.0.1",
    ])
    func rejectsBadAddresses(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: ["0.0.0.0/0", "10.0.0.0/8", "10.100.9.0/24", "172.31.255.240/28", "255.255.255.255/32", "192.168.1.7/32"])
    func cidrBlocksPrintAsParsed(text: String) throws {
        #expect(try CIDRBlock(parsing: text).description == text)
        #expect(IPv4Address(text.split(separator: "/")[0])?.description == String(text.split(separator: "/")[0]))
    }

    @Test func cidrBlockRejectsHostBits() throws {
        let error = try #require(throws: ModelError.self) { try CIDRBlock(parsing: "10.0.0.1/16") }
        #expect(error.code == .invalidCIDRBlock)
        #expect(error.message.contains("10.0.0.0/16"))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "banana"])
    func cidrBlockRejectsMalformedText(text: String) {
        #expect(throws: ModelError.self) { try CIDRBlock(parsing: text) }
    }

    @Test func cidrContainmentAndOverlap() throws {
        let vpc = try CIDRBlock(parsing: "10.0.0.0/16")
        let subnet = try CIDRBlock(parsing: "10.0.1.0/24")
        let other = try CIDRBlock(parsing: "10.1.0.0/24")
        #expect(vpc.contains(subnet))
        #expect(!vpc.contains(other))
        #expect(vpc.overlaps(subnet) && subnet.overlaps(vpc))
        #expect(!subnet.overlaps(other))
        #expect(subnet.last.description == "10.0.1.255")
        #expect(CIDRBlock.all.contains(try #require(IPv4Address("8.8.8.8"))))
    }

    @Test func portRangesParseAndValidate() throws {
        #expect(try PortRange(parsing: "80") == PortRange(port: 80))
        #expect(try PortRange(parsing: "1024-65535") == PortRange(from: 1024, to: 65535))
        #expect(try PortRange(parsing: "all") == .all)
        let outOfRange = try #require(throws: ModelError.self) { try PortRange(parsing: "70000") }
        #expect(outOfRange.code == .invalidPortRange)
        #expect(throws: ModelError.self) { try PortRange(parsing: "90-80") }
    }

    @Test func protocolsParseAWSNames() throws {
        #expect(try IPProtocol(parsing: "tcp") == .tcp)
        #expect(try IPProtocol(parsing: "-1") == .all)
        #expect(try IPProtocol(parsing: "all").awsName == "-1")
        #expect(throws: ModelError.self) { try IPProtocol(parsing: "tcpp") }
    }

    /// AWS reserves the first four addresses and the last of each subnet (VPC User Guide, "Subnet CIDR blocks").
    @Test func subnetReservesFirstFourAndLast() throws {
        let subnet = Subnet(id: "subnet-1", vpcID: "vpc-1", cidrBlock: try CIDRBlock(parsing: "10.0.1.0/24"), availabilityZone: "us-east-1a")
        for reserved in ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"] {
            #expect(subnet.isReserved(try #require(IPv4Address(reserved))))
        }
        #expect(!subnet.isReserved(try #require(IPv4Address("10.0.1.4"))))
    }

    @Test func generatedIDsAreStableAndAWSShaped() {
        let a: VPC.ID = IDGenerator().make("vpc", seed: "seed")
        let b: VPC.ID = IDGenerator().make("vpc", seed: "seed")
        let c: VPC.ID = IDGenerator().make("vpc", seed: "other")
        #expect(a == b && a != c)
        #expect(a.rawValue.count == "vpc-".count + 17)
    }
}

/// Addresses and blocks are written one way: no leading zeros ("010" is octal to some parsers), a
/// prefix length of plain digits.
struct StrictAddressSyntaxTests {
    @Test func leadingZerosAndSignsAreRefused() {
        #expect(IPv4Address("10.0.0.1") != nil && IPv4Address("0.0.0.0") != nil && IPv4Address("100.200.0.9") != nil)
        #expect(IPv4Address("010.0.0.1") == nil && IPv4Address("10.00.0.1") == nil)
        #expect((try? CIDRBlock(parsing: "10.0.0.0/8")) != nil)
        #expect((try? CIDRBlock(parsing: "10.0.0.0/08")) == nil && (try? CIDRBlock(parsing: "10.0.0.0/+8")) == nil)
    }
}
