import VPCModel

/// Well-known address ranges.
public enum AddressSpace {
    /// Ranges that are never "the internet": an internet gateway drops packets from them inbound and
    /// to them outbound (RFC 1918, RFC 6598; SEMANTICS.md, "Internet gateway"). LocalVPC also
    /// excludes "this network" 0/8, loopback 127/8, link-local 169.254/16, multicast 224/4 and
    /// the reserved 240/4 (LocalVPC choice, documented in the README).
    public static let nonInternet: [CIDRBlock] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    ].map { try! CIDRBlock(parsing: $0) }

    /// Every address that can be a host on the internet.
    public static let internet: IntervalSet = IntervalSet.full(through: UInt32.max)
        .subtracting(IntervalSet(nonInternet.map(\.range)))

    /// Renders an address set as compact CIDR blocks (at most `limit`, then "…").
    public static func cidrs(of set: IntervalSet) -> [String] {
        if set == internet { return internetCIDRs }
        return makeCIDRs(set)
    }

    private static let internetCIDRs = makeCIDRs(internet)

    private static func makeCIDRs(_ set: IntervalSet) -> [String] {
        var result: [String] = []
        for range in set.ranges {
            var start = UInt64(range.lowerBound)
            let end = UInt64(range.upperBound)
            while start <= end {
                var length = 32
                while length > 0 {
                    let size = UInt64(1) << UInt64(33 - length)
                    if start % size != 0 || start + size - 1 > end { break }
                    length -= 1
                }
                result.append("\(IPv4Address(UInt32(start)))/\(length)")
                start += UInt64(1) << UInt64(32 - length)
            }
        }
        return result
    }
}
