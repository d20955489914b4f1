/// The parameters of one AWS Query request (`Action=…&VpcId.1=…`), with AWS's flattened lists.
struct QueryParameters: Sendable {
    private(set) var values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// Parses an `application/x-www-form-urlencoded` body or query string.
    /// - Throws: ``APIError`` for bad percent-encoding or invalid UTF-8.
    init(formEncoded text: Substring) throws(APIError) {
        var values: [String: String] = [:]
        let bytes = text.utf8
        var pairStart = bytes.startIndex
        // One pass over the bytes: pairs end at "&", a pair's name at its first "=".
        while pairStart < bytes.endIndex {
            var pairEnd = pairStart
            var equals: Substring.UTF8View.Index?
            while pairEnd < bytes.endIndex, bytes[pairEnd] != UInt8(ascii: "&") {
                if equals == nil, bytes[pairEnd] == UInt8(ascii: "=") { equals = pairEnd }
                pairEnd = bytes.index(after: pairEnd)
            }
            if pairEnd > pairStart {
                let nameEnd = equals ?? pairEnd
                let valueStart = equals.map { bytes.index(after: $0) } ?? pairEnd
                guard let key = Self.decode(text[pairStart..<nameEnd]), let value = Self.decode(text[valueStart..<pairEnd]) else {
                    throw APIError.malformedQueryString(
                        "The request has a parameter that is not valid form encoding: \(text[pairStart..<pairEnd].prefix(60))")
                }
                values[key] = value
            }
            pairStart = pairEnd < bytes.endIndex ? bytes.index(after: pairEnd) : pairEnd
        }
        self.values = values
    }

    private static func decode(_ text: Substring) -> String? {
        // Most names and values need no decoding (botocore encodes only what it must).
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(text) }
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
        // Digits, with a minus only before a number other than 0: "+80", "-0" and "8 0" are not integers to EC2.
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard let value = Int(text), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), !(text.hasPrefix("-") && value == 0) else {
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

    /// The members of `Name.N.*` as sub-parameters, for lists of structures: `Name.1`, `Name.2`, …
    /// up to the first index that is missing. One pass over the parameters.
    func structures(_ name: String) -> [QueryParameters] {
        let prefix = name.utf8.count + 1
        var members: [Int: [String: String]] = [:]
        for (key, value) in values
        where key.utf8.count > prefix + 1 && key.hasPrefix(name) && key.utf8.dropFirst(prefix - 1).first == UInt8(ascii: ".") {
            // "Name.12.Member": the index, then the member name after its dot.
            let rest = key.utf8.dropFirst(prefix)
            guard let dot = rest.firstIndex(of: UInt8(ascii: ".")), dot > rest.startIndex, rest[rest.startIndex] != UInt8(ascii: "0"),
                rest[rest.startIndex..<dot].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let index = Int(Substring(rest[rest.startIndex..<dot]))
            else { continue }
            members[index, default: [:]][String(Substring(rest[rest.index(after: dot)...]))] = value
        }
        var result: [QueryParameters] = []
        var index = 1
        while let found = members[index] {
            result.append(QueryParameters(found))
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
