/// An IP protocol as AWS names it in rules: a protocol number, or `.all` (AWS `-1`).
public struct IPProtocol: Hashable, Sendable, CustomStringConvertible {
    /// The IANA protocol number, or -1 for all protocols.
    public var number: Int

    public init(number: Int) { self.number = number }

    public static let all = IPProtocol(number: -1)
    public static let icmp = IPProtocol(number: 1)
    public static let tcp = IPProtocol(number: 6)
    public static let udp = IPProtocol(number: 17)

    /// Parses "tcp", "udp", "icmp", "all", "-1" or a protocol number 0-255.
    public init(parsing string: String) throws(ModelError) {
        switch string.lowercased() {
        case "tcp": self = .tcp
        case "udp": self = .udp
        case "icmp": self = .icmp
        case "all", "-1", "any": self = .all
        default:
            guard let number = Int(string), (0...255).contains(number) else {
                throw ModelError(.invalidProtocol, "'\(string)' is not a protocol (use tcp, udp, icmp, all, or a number 0-255).")
            }
            self.init(number: number)
        }
    }

    /// Whether rules of this protocol carry a port range (TCP and UDP only).
    public var hasPorts: Bool { self == .tcp || self == .udp }

    /// The name AWS uses on the wire: "tcp", "udp", "icmp", "-1", or the number.
    public var awsName: String {
        switch self {
        case .all: "-1"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        default: String(number)
        }
    }

    public var description: String { self == .all ? "all" : awsName }
}

/// An inclusive range of ports, 0-65535.
public struct PortRange: Hashable, Sendable, CustomStringConvertible {
    public let from: Int
    public let to: Int

    public static let all = PortRange(uncheckedFrom: 0, to: 65535)

    public init(from: Int, to: Int) throws(ModelError) {
        guard (0...65535).contains(from), (0...65535).contains(to) else {
            throw ModelError(.invalidPortRange, "Port range \(from)-\(to) is out of range; ports are 0-65535.")
        }
        guard from <= to else {
            throw ModelError(.invalidPortRange, "Port range \(from)-\(to) is reversed; write \(to)-\(from).")
        }
        self.from = from
        self.to = to
    }

    public init(port: Int) throws(ModelError) { try self.init(from: port, to: port) }

    init(uncheckedFrom from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    /// Parses "80", "1024-65535" or "all".
    public init(parsing string: String) throws(ModelError) {
        let trimmed = string.trimmingSpaces
        if trimmed.lowercased() == "all" {
            self = .all
            return
        }
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
        guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts[parts.count - 1]) else {
            throw ModelError(.invalidPortRange, "'\(string)' is not a port or port range (e.g. 80, 1024-65535, all).")
        }
        try self.init(from: low, to: high)
    }

    public func contains(_ port: Int) -> Bool { (from...to).contains(port) }

    public var description: String {
        if self == .all { return "all" }
        return from == to ? "\(from)" : "\(from)-\(to)"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces.
    package var trimmingSpaces: String {
        guard first == " " || last == " " else { return String(self) }
        return String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
