import Yams

/// Typed access to a composed YAML tree that records a diagnostic, with its line and column,
/// for every value of the wrong shape instead of stopping at the first.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    mutating func error(_ message: String, at node: Node?) {
        let mark = node?.mark
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    mutating func error(_ message: String, line: Int, column: Int) {
        diagnostics.append(Diagnostic(file: file, line: line, column: column, message: message))
    }

    /// The key/value pairs of a mapping, in file order; complains about keys not in `allowed`.
    mutating func pairs(_ node: Node?, _ what: String, allowed: [String]? = nil) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of key: value pairs.", at: node)
            return []
        }
        var result: [(String, Node, Node)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error("\(what): keys must be plain names.", at: key)
                continue
            }
            if !seen.insert(scalar.string).inserted {
                error("\(what): '\(scalar.string)' appears twice.", at: key)
                continue
            }
            if let allowed, !allowed.contains(scalar.string) {
                let suggestion = allowed.min { distance($0, scalar.string) < distance($1, scalar.string) }
                let hint = suggestion.map { distance($0, scalar.string) <= 3 ? " Did you mean '\($0)'?" : "" } ?? ""
                error("\(what): unknown key '\(scalar.string)'.\(hint) Expected one of: \(allowed.joined(separator: ", ")).", at: key)
                continue
            }
            result.append((scalar.string, key, value))
        }
        return result
    }

    func value(_ pairs: [(key: String, keyNode: Node, value: Node)], _ key: String) -> Node? {
        pairs.first { $0.key == key }?.value
    }

    mutating func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            error("\(what) must be a single value.", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node?, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            error("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'.", at: node)
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node?, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error("\(what) must be true or false, not '\(text)'.", at: node)
            return nil
        }
    }

    /// A list of scalars; a single scalar counts as a list of one.
    mutating func strings(_ node: Node?, _ what: String) -> [(String, Node)] {
        guard let node else { return [] }
        switch node {
        case .scalar(let scalar): return [(scalar.string, node)]
        case .sequence(let sequence):
            return sequence.compactMap { item in string(item, "Each entry of \(what)").map { ($0, item) } }
        default:
            error("\(what) must be a value or a list of values.", at: node)
            return []
        }
    }

    mutating func sequence(_ node: Node?, _ what: String) -> [Node] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else {
            error("\(what) must be a list (lines starting with '- ').", at: node)
            return []
        }
        return Array(sequence)
    }

    /// Parses with a throwing model initializer, turning its error into a diagnostic at the node.
    mutating func parse<T, E: Error & CustomStringConvertible>(_ node: Node?, _ what: String, _ make: (String) throws(E) -> T) -> T? {
        guard let text = string(node, what) else { return nil }
        do {
            return try make(text)
        } catch {
            self.error("\(what): \(error.description)", at: node)
            return nil
        }
    }

    private func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
