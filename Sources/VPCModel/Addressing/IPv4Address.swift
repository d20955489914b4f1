/// An IPv4 address, stored as its 32-bit value.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad notation ("10.0.1.5"): four decimal numbers 0-255 of one to three ASCII
    /// digits; returns nil for anything else. Reads the UTF-8 bytes once, without splitting.
    public init?(_ string: some StringProtocol) {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        for byte in string.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                // "010" is not 10 everywhere (some parsers read it as octal): no leading zeros.
                guard digits == 0 || octet != 0 else { return nil }
                digits += 1
                guard digits <= 3 else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            } else if byte == UInt8(ascii: ".") {
                guard digits > 0, octet <= 255, octets < 3 else { return nil }
                result = result << 8 | octet
                octets += 1
                octet = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, octet <= 255, octets == 3 else { return nil }
        self.value = result << 8 | octet
    }

    /// Parses an address, throwing a ``ModelError`` with a clear message.
    public init(parsing string: String) throws(ModelError) {
        guard let address = IPv4Address(string) else {
            throw ModelError(.invalidAddress, "'\(string)' is not an IPv4 address (expected four numbers 0-255, e.g. 10.0.1.5).")
        }
        self = address
    }

    public var description: String {
        String(unsafeUninitializedCapacity: 15) { write(into: $0) }
    }

    /// Writes the dotted quad at the start of a buffer of at least 15 bytes; returns how many it wrote.
    public func write(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var index = 0
        for shift in [UInt32(24), 16, 8, 0] {
            let octet = value >> shift & 0xff
            if octet >= 100 {
                buffer[index] = UInt8(48 + octet / 100)
                index += 1
            }
            if octet >= 10 {
                buffer[index] = UInt8(48 + octet / 10 % 10)
                index += 1
            }
            buffer[index] = UInt8(48 + octet % 10)
            index += 1
            if shift > 0 {
                buffer[index] = UInt8(ascii: ".")
                index += 1
            }
        }
        return index
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    /// Adds an offset, for address arithmetic inside a block.
    public func advanced(by offset: UInt32) -> IPv4Address { IPv4Address(value &+ offset) }
}
