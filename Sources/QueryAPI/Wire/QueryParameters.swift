/// The parameters of one AWS Query request (`Action=…&VpcId.1=…`), with AWS's flattened lists.
struct QueryParameters: Sendable {
    private(set) var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// Parses an `application/x-www-form-urlencoded` body or query string.
    /// - Throws: ``APIError`` for bad percent-encoding or invalid UTF-8.
    init(formEncoded text: Substring) throws(APIError) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw APIError.malformedQueryString("The request has a parameter that is not valid form encoding: \(pair.prefix(60))")
            }
            values[key] = value
        }
        self.values = values
    }

    private static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    subscript(name: String) -> String? { values[name] }

    func string(_ name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }

    func required(_ name: String) throws(APIError) -> String {
        guard let value = string(name) else {
            throw APIError.missingParameter("The request must contain the parameter \(name)")
        }
        return value
    }

    func int(_ name: String) throws(APIError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError.invalidParameterValue("Invalid value '\(text)' for \(name): not an integer")
        }
        return value
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw APIError.invalidParameterValue("Invalid value '\(text)' for \(name): expected true or false")
        }
    }

    /// `Name.1`, `Name.2`, … in order (EC2 flattens every list this way).
    func list(_ name: String) -> [String] {
        var result: [String] = []
        var index = 1
        while let value = values["\(name).\(index)"] {
            result.append(value)
            index += 1
        }
        return result
    }

    /// The members of `Name.N.*` as sub-parameters, for lists of structures.
    func structures(_ name: String) -> [QueryParameters] {
        var result: [QueryParameters] = []
        var index = 1
        while true {
            let prefix = "\(name).\(index)."
            let members = values.filter { $0.key.hasPrefix(prefix) }
            if members.isEmpty { break }
            result.append(QueryParameters(Dictionary(uniqueKeysWithValues: members.map { (String($0.key.dropFirst(prefix.count)), $0.value) })))
            index += 1
        }
        return result
    }

    /// The members of `Name.*` as sub-parameters, for one nested structure.
    func structure(_ name: String) -> QueryParameters? {
        let prefix = "\(name)."
        let members = values.filter { $0.key.hasPrefix(prefix) }
        if members.isEmpty { return nil }
        return QueryParameters(Dictionary(uniqueKeysWithValues: members.map { (String($0.key.dropFirst(prefix.count)), $0.value) }))
    }

    /// EC2's `Filter.N.Name` / `Filter.N.Value.M`.
    func filters() -> [(name: String, values: [String])] {
        structures("Filter").compactMap { filter in
            filter.string("Name").map { ($0, filter.list("Value")) }
        }
    }

    /// `TagSpecification.N` entries for one resource type, as key/value pairs.
    func tags(for resourceType: String) -> [String: String] {
        var result: [String: String] = [:]
        for specification in structures("TagSpecification") where specification.string("ResourceType") == resourceType {
            for tag in specification.structures("Tag") {
                if let key = tag.string("Key") { result[key] = tag["Value"] ?? "" }
            }
        }
        return result
    }
}
