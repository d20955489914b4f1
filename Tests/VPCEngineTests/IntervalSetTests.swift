import Testing
import VPCEngine
import VPCModel

struct IntervalSetTests {
    @Test func mergesAndSubtracts() {
        let set = IntervalSet([10...20, 15...30, 31...40, 50...60])
        #expect(set.ranges == [10...40, 50...60])
        #expect(set.subtracting(IntervalSet(20...55)).ranges == [10...19, 56...60])
        #expect(set.intersection(IntervalSet(35...52)).ranges == [35...40, 50...52])
        #expect(set.count == 31 + 11)
        #expect(set.contains(55) && !set.contains(45))
    }

    @Test func boxSubtractionIsExactAndDisjoint() {
        var cut = HeaderBox.everything
        cut.destinationPorts = IntervalSet(80...80)
        cut.sources = IntervalSet(0...100)
        let rest = PacketSet(HeaderBox.everything).subtracting(cut)
        #expect(rest.intersection(cut).isEmpty)
        #expect(!rest.isEmpty)
        #expect(rest.union(PacketSet(cut)).subtracting(PacketSet(HeaderBox.everything)).isEmpty)
        #expect(PacketSet(HeaderBox.everything).subtracting(rest.union(PacketSet(cut))).isEmpty)
    }

    /// "The internet" excludes RFC 1918 and RFC 6598 space (SEMANTICS.md, "Internet gateway").
    @Test func internetExcludesPrivateRanges() throws {
        for address in ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1"] {
            #expect(!AddressSpace.internet.contains(try #require(IPv4Address(address)).value))
        }
        for address in ["8.8.8.8", "203.0.113.5", "172.32.0.1"] {
            #expect(AddressSpace.internet.contains(try #require(IPv4Address(address)).value))
        }
    }
}
