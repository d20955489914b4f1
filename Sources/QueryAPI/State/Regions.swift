import Synchronization

/// The regions LocalVPC answers for, with three Availability Zones each.
enum Regions {
    static let names = [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
        "eu-central-1", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "sa-east-1", "me-south-1", "af-south-1",
    ]

    static func isKnown(_ region: String) -> Bool { names.contains(region) }

    static func zones(_ region: String) -> [String] { ["a", "b", "c"].map { region + $0 } }

    /// AWS-style zone IDs ("use1-az1").
    static func zoneID(_ zone: String) -> String {
        let region = String(zone.dropLast())
        let parts = region.split(separator: "-")
        let short = parts.count == 3 ? "\(parts[0])\(parts[1].prefix(1))\(parts[2])" : region
        let index = (zone.last.flatMap { "abcdef".firstIndex(of: $0) }.map { "abcdef".distance(from: "abcdef".startIndex, to: $0) } ?? 0) + 1
        return "\(short)-az\(index)"
    }
}

/// Random AWS-shaped IDs: a prefix and 17 hex digits.
enum AWSID {
    static func make(_ prefix: String) -> String {
        let value = IDRandom.next() & 0x0fff_ffff_ffff_ffff
        let digits: StaticString = "0123456789abcdef"
        return prefix
            + String(unsafeUninitializedCapacity: 18) { buffer in
                buffer[0] = UInt8(ascii: "-")
                buffer[1] = UInt8(ascii: "0")
                for index in 0..<16 { buffer[2 + index] = digits.utf8Start[Int(value >> UInt64(60 - 4 * index) & 15)] }
                return 18
            }
    }
}

/// Random numbers for resource and request IDs, without a system call each.
///
/// SplitMix64 over an atomic counter seeded once from the system's random source: successive values
/// are distinct (the mix is a bijection of the counter) and unpredictable enough for IDs, which, as in
/// AWS, are names and not secrets. `SystemRandomNumberGenerator` made one `getrandom` call per value,
/// three per API call.
enum IDRandom {
    private static let counter = Atomic<UInt64>(
        {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }())

    static func next() -> UInt64 {
        var z = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
