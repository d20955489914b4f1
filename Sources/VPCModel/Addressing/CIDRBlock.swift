/// An IPv4 CIDR block such as 10.0.0.0/16. No value with host bits set can exist.
public struct CIDRBlock: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// The block that holds every IPv4 address.
    public static let all = CIDRBlock(uncheckedNetwork: IPv4Address(0), prefixLength: 0)

    /// Creates a block from a network address; throws if host bits are set.
    public init(network: IPv4Address, prefixLength: Int) throws(ModelError) {
        guard (0...32).contains(prefixLength) else {
            throw ModelError(.invalidCIDRBlock, "\(network)/\(prefixLength) has a prefix length outside 0-32.")
        }
        let mask = Self.mask(prefixLength)
        guard network.value & ~mask == 0 else {
            let fixed = IPv4Address(network.value & mask)
            throw ModelError(
                .invalidCIDRBlock,
                "\(network)/\(prefixLength) has host bits set; the network address is \(fixed)/\(prefixLength).")
        }
        self.network = network
        self.prefixLength = prefixLength
    }

    init(uncheckedNetwork: IPv4Address, prefixLength: Int) {
        self.network = uncheckedNetwork
        self.prefixLength = prefixLength
    }

    /// Parses "a.b.c.d/n"; a bare address means /32.
    public init(parsing string: String) throws(ModelError) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPv4Address(parts[0]) else {
            throw ModelError(.invalidCIDRBlock, "'\(string)' is not a CIDR block (expected e.g. 10.0.0.0/16).")
        }
        var length = 32
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), parts[1] == String(parsed),
                (0...32).contains(parsed)
            else {
                throw ModelError(.invalidCIDRBlock, "'\(string)' has an invalid prefix length (expected /0 to /32).")
            }
            length = parsed
        }
        try self.init(network: address, prefixLength: length)
    }

    /// The block of the given length that contains an address (host bits cleared), as AWS stores
    /// "10.0.0.1/16" given to its API. The prefix length must be 0-32.
    public init(containing address: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length outside 0-32")
        self.init(uncheckedNetwork: IPv4Address(address.value & Self.mask(prefixLength)), prefixLength: prefixLength)
    }

    /// The block of one address (a /32).
    public init(host: IPv4Address) {
        self.init(uncheckedNetwork: host, prefixLength: 32)
    }

    static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    public var mask: UInt32 { Self.mask(prefixLength) }
    public var first: IPv4Address { network }
    public var last: IPv4Address { IPv4Address(network.value | ~mask) }
    /// The addresses as a closed range of 32-bit values.
    public var range: ClosedRange<UInt32> { network.value...last.value }
    /// How many addresses the block holds.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }
    public func contains(_ other: CIDRBlock) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }
    public func overlaps(_ other: CIDRBlock) -> Bool { contains(other.network) || other.contains(network) }

    public var description: String {
        String(unsafeUninitializedCapacity: 18) { buffer in
            var count = network.write(into: buffer)
            buffer[count] = UInt8(ascii: "/")
            count += 1
            if prefixLength >= 10 {
                buffer[count] = UInt8(48 + prefixLength / 10)
                count += 1
            }
            buffer[count] = UInt8(48 + prefixLength % 10)
            return count + 1
        }
    }
}
