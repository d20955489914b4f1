import Foundation
import TopologyFile
import Yams

/// A CloudFormation template value after intrinsic functions are evaluated: everything scalar is text
/// (CloudFormation passes `"100"` and `100` alike), lists and maps keep their order.
indirect enum TemplateValue: Equatable, Sendable {
    case string(String)
    case list([TemplateValue])
    case map([(key: String, value: TemplateValue)])
    /// `AWS::NoValue`: the property is removed.
    case noValue

    static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.noValue, .noValue): true
        default: false
        }
    }

    var string: String? { if case .string(let text) = self { text } else { nil } }

    /// A list, or a comma-separated string read as one (a `CommaDelimitedList` parameter).
    var list: [TemplateValue]? {
        switch self {
        case .list(let items): items
        default: nil
        }
    }

    subscript(key: String) -> TemplateValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    var bool: Bool? {
        switch string?.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    var int: Int? { string.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// Strings of a list (items that are not strings are left out).
    var strings: [String] { list?.compactMap(\.string) ?? string.map { [$0] } ?? [] }
}

/// Where a template's parts are written, for messages: `file:line:column`.
struct TemplateLocation: Sendable, Hashable {
    var line: Int
    var column: Int
}

/// The YAML or JSON of a template as a tree whose intrinsic functions are still unevaluated, with the
/// short forms (`!Ref X`, `!GetAtt A.B`, `!Sub …`) rewritten to their long forms (`{Ref: X}`, …).
indirect enum TemplateNode: Sendable {
    case scalar(String, TemplateLocation)
    case sequence([TemplateNode], TemplateLocation)
    case mapping([(key: String, value: TemplateNode)], TemplateLocation)

    var location: TemplateLocation {
        switch self {
        case .scalar(_, let location), .sequence(_, let location), .mapping(_, let location): location
        }
    }

    var scalar: String? { if case .scalar(let text, _) = self { text } else { nil } }

    var pairs: [(key: String, value: TemplateNode)]? { if case .mapping(let pairs, _) = self { pairs } else { nil } }

    subscript(key: String) -> TemplateNode? { pairs?.first { $0.key == key }?.value }

    /// The short-form tags of CloudFormation YAML and the long form each stands for.
    static let shortForms: [String: String] = [
        "!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
        "!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs",
        "!Cidr": "Fn::Cidr", "!If": "Fn::If", "!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not",
        "!Base64": "Fn::Base64", "!ImportValue": "Fn::ImportValue", "!Transform": "Fn::Transform", "!Length": "Fn::Length",
        "!ToJsonString": "Fn::ToJsonString",
    ]

    /// Converts a composed YAML node (JSON is read the same way).
    init(_ node: Node) {
        let location = TemplateLocation(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        let plain: TemplateNode
        switch node {
        case .scalar(let scalar):
            // A plain `null` (`"Fn::GetAZs": null` in JSON) is no value: the empty string.
            let isNull = scalar.style == .plain && ["null", "Null", "NULL", "~"].contains(scalar.string)
            plain = .scalar(isNull ? "" : scalar.string, location)
        case .sequence(let sequence):
            plain = .sequence(sequence.map(TemplateNode.init), location)
        case .mapping(let mapping):
            plain = .mapping(mapping.map { (key: $0.key.string ?? "", value: TemplateNode($0.value)) }, location)
        case .alias:
            plain = .scalar("", location)
        }
        if let long = Self.shortForms[node.tag.rawValue] {
            // `!GetAtt A.B` is the dotted form of `Fn::GetAtt: [A, B]`; it stays a string here.
            self = .mapping([(key: long, value: plain)], location)
        } else {
            self = plain
        }
    }

    /// Converts what `JSONSerialization` read (when the YAML reader refuses a JSON file): no line numbers.
    init(json: Any) {
        let location = TemplateLocation(line: 1, column: 1)
        switch json {
        case let dictionary as [String: Any]:
            self = .mapping(dictionary.keys.sorted().map { (key: $0, value: TemplateNode(json: dictionary[$0]!)) }, location)
        case let array as [Any]:
            self = .sequence(array.map { TemplateNode(json: $0) }, location)
        case let flag as Bool where type(of: json) == Bool.self || "\(type(of: json))".contains("Boolean"):
            self = .scalar(flag ? "true" : "false", location)
        case let number as NSNumber:
            self = .scalar(number.stringValue, location)
        case let text as String:
            self = .scalar(text, location)
        default:
            self = .scalar("", location)
        }
    }

    /// Parses a template's text, YAML or JSON.
    static func parse(_ text: String, file: String) throws(TopologyFileError) -> TemplateNode {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw TopologyFileError(diagnostics: [Diagnostic(file: file, line: 1, column: 1, message: "The file is empty.")])
            }
            return TemplateNode(root)
        } catch let error as TopologyFileError {
            throw error
        } catch let yamlError {
            // JSON that YAML 1.1 refuses (tabs, some escapes) is still JSON.
            if text.drop(while: \.isWhitespace).first == "{",
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            {
                return TemplateNode(json: object)
            }
            if let yamlError = yamlError as? YamlError {
                throw TopologyFileError(diagnostics: [TopologyFile.diagnostic(for: yamlError, file: file)])
            }
            throw TopologyFileError(diagnostics: [
                Diagnostic(file: file, line: 1, column: 1, message: "This is not valid YAML or JSON: \(yamlError).")
            ])
        }
    }
}

extension Node {
    fileprivate var string: String? { scalar?.string }
}
