/// A typed resource identifier: a subnet ID cannot be passed where a VPC ID is expected.
public struct ResourceID<Resource>: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Makes AWS-shaped IDs ("vpc-0a1b2c3d4e5f60718") that are stable for a given seed,
/// so files that name resources produce the same IDs on every run.
public struct IDGenerator: Sendable {
    public init() {}

    /// A 17-hex-digit ID with the given prefix, derived from `seed` (FNV-1a, 64 bit).
    public func make<Resource>(_ prefix: String, seed: String) -> ResourceID<Resource> {
        ResourceID(Self.makeRaw(prefix, seed: seed))
    }

    public static func makeRaw(_ prefix: String, seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (prefix + ":" + seed).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let digits = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        // AWS IDs have 17 hex digits after the prefix; the first is 0 for new-style IDs.
        return "\(prefix)-0\(digits)"
    }
}
