import Foundation
import VPCModel

/// A hand-written JSON writer for the records a busy API call rewrites (security groups, tags,
/// metadata).
///
/// Foundation's `JSONEncoder` builds a tree of boxed values before it writes a byte; an
/// `AuthorizeSecurityGroupIngress` re-encodes the whole group, so it took about a seventh of the
/// server's time in the create benchmark. This writer emits exactly the shape the synthesized
/// `Codable` conformances produce (keys in declaration order, `nil` optionals left out, enums with
/// associated values as `{"case":{"_0":…}}`), so the same `JSONDecoder` reads every record back, old or
/// new. `RecordJSONTests` checks that round trip.
struct RecordJSON {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    var data: Data { Data(bytes) }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    /// `"name":` (after a comma unless it is the first member).
    private mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }

    private mutating func dictionary(_ values: [String: String]) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (name, value) in values {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            string(name)
            bytes.append(UInt8(ascii: ":"))
            string(value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    // MARK: Records

    static func encode(_ group: SecurityGroup) -> Data {
        var writer = RecordJSON()
        writer.bytes.append(UInt8(ascii: "{"))
        writer.key("id", first: true)
        writer.string(group.id.rawValue)
        writer.key("name")
        writer.string(group.name)
        writer.key("description")
        writer.string(group.description)
        writer.key("vpcID")
        writer.string(group.vpcID.rawValue)
        writer.key("ingress")
        writer.rules(group.ingress)
        writer.key("egress")
        writer.rules(group.egress)
        writer.bytes.append(UInt8(ascii: "}"))
        return writer.data
    }

    private mutating func rules(_ rules: [SecurityGroupRule]) {
        bytes.append(UInt8(ascii: "["))
        for (index, rule) in rules.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            self.rule(rule)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func rule(_ rule: SecurityGroupRule) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        if let id = rule.id {
            key("id", first: true)
            string(id)
            first = false
        }
        key("ipProtocol", first: first)
        int(rule.ipProtocol.number)
        key("ports")
        raw("{\"from\":")
        int(rule.ports.from)
        raw(",\"to\":")
        int(rule.ports.to)
        bytes.append(UInt8(ascii: "}"))
        key("peer")
        switch rule.peer {
        case .cidr(let block):
            raw("{\"cidr\":{\"_0\":")
            string(block.description)
        case .securityGroup(let id):
            raw("{\"securityGroup\":{\"_0\":")
            string(id.rawValue)
        }
        raw("}}")
        if let description = rule.description {
            key("description")
            string(description)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    static func encode(_ tags: TagSet) -> Data { resourceDictionary(tags.resourceID, "tags", tags.tags) }

    static func encode(_ metadata: Metadata) -> Data { resourceDictionary(metadata.resourceID, "values", metadata.values) }

    /// `{"resourceID":…,"<key>":{…}}`: the shape of `TagSet` and `Metadata`.
    private static func resourceDictionary(_ id: String, _ key: StaticString, _ values: [String: String]) -> Data {
        var writer = RecordJSON()
        writer.bytes.append(UInt8(ascii: "{"))
        writer.key("resourceID", first: true)
        writer.string(id)
        writer.key(key)
        writer.dictionary(values)
        writer.bytes.append(UInt8(ascii: "}"))
        return writer.data
    }
}

/// A record kind with a hand-written JSON encoder (`RecordJSON`), used instead of `JSONEncoder`.
protocol FastRecordJSON {
    func recordJSON() -> Data
}

extension SecurityGroup: FastRecordJSON {
    func recordJSON() -> Data { RecordJSON.encode(self) }
}

extension TagSet: FastRecordJSON {
    func recordJSON() -> Data { RecordJSON.encode(self) }
}

extension Metadata: FastRecordJSON {
    func recordJSON() -> Data { RecordJSON.encode(self) }
}
