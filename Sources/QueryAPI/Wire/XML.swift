/// A small XML tree for Query API responses.
struct XML: Sendable {
    var name: String
    var text: String?
    var children: [XML]
    /// Rendered inside the opening tag (e.g. `xmlns="…"`).
    var attributes: String = ""

    init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
        self.children = []
    }

    init(_ name: String, _ children: [XML] = []) {
        self.name = name
        self.text = nil
        self.children = children
    }

    init(_ name: String, @XMLBuilder _ build: () -> [XML]) {
        self.init(name, build())
    }

    /// An element with a value, or nothing when the value is nil.
    static func optional(_ name: String, _ value: String?) -> [XML] { value.map { [XML(name, $0)] } ?? [] }

    /// EC2's list shape: `<nameSet><item>…</item></nameSet>`.
    static func set(_ name: String, _ items: [XML]) -> XML { XML(name, items) }

    func render(into output: inout String) {
        output += "<"
        output += name
        if !attributes.isEmpty {
            output += " "
            output += attributes
        }
        if let text {
            output += ">"
            Self.escape(text, into: &output)
        } else if children.isEmpty {
            output += "/>"
            return
        } else {
            output += ">"
            for child in children { child.render(into: &output) }
        }
        output += "</"
        output += name
        output += ">"
    }

    static func escape(_ text: String, into output: inout String) {
        // Most values need no escaping: append them whole.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 < 0x20 }) {
            output += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            default:
                // XML 1.0 cannot carry most control characters; drop them.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" { continue }
                output.unicodeScalars.append(scalar)
            }
        }
    }
}

@resultBuilder
enum XMLBuilder {
    static func buildExpression(_ element: XML) -> [XML] { [element] }
    static func buildExpression(_ elements: [XML]) -> [XML] { elements }
    static func buildBlock(_ parts: [XML]...) -> [XML] { parts.flatMap { $0 } }
    static func buildOptional(_ part: [XML]?) -> [XML] { part ?? [] }
    static func buildEither(first: [XML]) -> [XML] { first }
    static func buildEither(second: [XML]) -> [XML] { second }
    static func buildArray(_ parts: [[XML]]) -> [XML] { parts.flatMap { $0 } }
}

extension Bool {
    var xml: String { self ? "true" : "false" }
}
