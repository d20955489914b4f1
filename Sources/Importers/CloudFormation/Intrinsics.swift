import Foundation
import TopologyFile
import VPCModel

/// Evaluates CloudFormation's intrinsic functions over a template's nodes (CloudFormation User Guide,
/// "Intrinsic function reference"), recording every problem with its place instead of stopping.
struct Intrinsics {
    let file: String
    var parameters: [String: TemplateValue] = [:]
    /// Parameters without a value: an error only where a modelled property needs one.
    var missingParameters: Set<String> = []
    var mappings: TemplateNode?
    var conditionNodes: [String: TemplateNode] = [:]
    var conditionValues: [String: Bool] = [:]
    var pseudo: [String: TemplateValue] = [:]
    var importValues: [String: String] = [:]
    /// The value `Ref` gives for each resource (its physical ID, name or address).
    var resourceRefs: [String: String] = [:]
    /// The value of `Fn::GetAtt` for a resource's attribute; nil when the template's resource has no such attribute.
    var attribute: (_ logicalID: String, _ name: String, _ intrinsics: inout Intrinsics) -> TemplateValue? = { _, _, _ in nil }
    /// Zones per region for `Fn::GetAZs`.
    var zones: (String) -> [String] = { region in ["a", "b", "c"].map { region + $0 } }
    private(set) var diagnostics: [Diagnostic] = []
    /// Conditions and attributes being evaluated, to find circular references.
    private var evaluating: [String] = []

    init(file: String) { self.file = file }

    mutating func error(_ message: String, at location: TemplateLocation) {
        let diagnostic = Diagnostic(file: file, line: location.line, column: location.column, message: message)
        if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
    }

    /// Evaluates a node; nil when it cannot be (the reason is recorded).
    mutating func evaluate(_ node: TemplateNode) -> TemplateValue? {
        switch node {
        case .scalar(let text, _):
            return .string(text)
        case .sequence(let items, _):
            var values: [TemplateValue] = []
            for item in items {
                guard let value = evaluate(item) else { return nil }
                if value != .noValue { values.append(value) }
            }
            return .list(values)
        case .mapping(let pairs, let location):
            if pairs.count == 1, let function = pairs.first, function.key == "Ref" || function.key.hasPrefix("Fn::") {
                return call(function.key, function.value, at: location)
            }
            var values: [(key: String, value: TemplateValue)] = []
            var failed = false
            for (key, item) in pairs {
                guard let value = evaluate(item) else {
                    failed = true
                    continue
                }
                if value != .noValue { values.append((key, value)) }
            }
            return failed ? nil : .map(values)
        }
    }

    /// Evaluates a node that must give text.
    mutating func string(_ node: TemplateNode, _ what: String) -> String? {
        guard let value = evaluate(node) else { return nil }
        guard let text = value.string else {
            error("\(what) must be a single value here.", at: node.location)
            return nil
        }
        return text
    }

    private mutating func call(_ name: String, _ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        switch name {
        case "Ref": return ref(argument, at: location)
        case "Fn::GetAtt": return getAtt(argument, at: location)
        case "Fn::Sub": return sub(argument, at: location)
        case "Fn::Join":
            guard case .sequence(let parts, _) = argument, parts.count == 2 else { return malformed(name, "[delimiter, [values]]", at: location) }
            guard let delimiter = string(parts[0], "Fn::Join's delimiter"), let items = evaluate(parts[1]) else { return nil }
            guard let list = items.list else { return malformed(name, "[delimiter, [values]]", at: location) }
            let texts = list.compactMap(\.string)
            guard texts.count == list.count else { return malformed(name, "a list of single values", at: location) }
            return .string(texts.joined(separator: delimiter))
        case "Fn::Select":
            guard case .sequence(let parts, _) = argument, parts.count == 2 else { return malformed(name, "[index, [values]]", at: location) }
            guard let indexValue = evaluate(parts[0]), let listValue = evaluate(parts[1]) else { return nil }
            guard let index = indexValue.int, let items = listValue.list else { return malformed(name, "[index, [values]]", at: location) }
            guard items.indices.contains(index) else {
                error("Fn::Select: index \(index) is out of range (the list has \(items.count) values).", at: location)
                return nil
            }
            return items[index]
        case "Fn::Split":
            guard case .sequence(let parts, _) = argument, parts.count == 2 else { return malformed(name, "[delimiter, string]", at: location) }
            guard let delimiter = string(parts[0], "Fn::Split's delimiter"), let text = string(parts[1], "Fn::Split's string") else { return nil }
            return .list(text.components(separatedBy: delimiter).map { .string($0) })
        case "Fn::FindInMap": return findInMap(argument, at: location)
        case "Fn::GetAZs":
            guard let value = evaluate(argument) else { return nil }
            guard let region = value.string else { return malformed(name, "a region or ''", at: location) }
            let named = region.isEmpty ? pseudo["AWS::Region"]?.string ?? "us-east-1" : region
            return .list(zones(named).map { .string($0) })
        case "Fn::Cidr": return cidr(argument, at: location)
        case "Fn::If":
            guard case .sequence(let parts, _) = argument, parts.count == 3, let condition = parts[0].scalar else {
                return malformed(name, "[condition, value if true, value if false]", at: location)
            }
            guard let holds = self.condition(named: condition, at: parts[0].location) else { return nil }
            return evaluate(holds ? parts[1] : parts[2])
        case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
            guard let value = test(.mapping([(name, argument)], location)) else { return nil }
            return .string(value ? "true" : "false")
        case "Fn::Base64":
            return evaluate(argument)
        case "Fn::ImportValue":
            guard let export = string(argument, "Fn::ImportValue's export name") else { return nil }
            guard let value = importValues[export] else {
                error(
                    "Fn::ImportValue: the export '\(export)' comes from another stack; give its value with --import-value \(export)=VALUE.",
                    at: location)
                return nil
            }
            return .string(value)
        default:
            error("\(name) is not an intrinsic function LocalVPC evaluates.", at: location)
            return nil
        }
    }

    private mutating func malformed(_ name: String, _ shape: String, at location: TemplateLocation) -> TemplateValue? {
        error("\(name) is malformed: it takes \(shape).", at: location)
        return nil
    }

    private mutating func ref(_ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        guard let name = argument.scalar else { return malformed("Ref", "the name of a parameter, resource or pseudo parameter", at: location) }
        if name == "AWS::NoValue" { return .noValue }
        if let value = pseudo[name] { return value }
        if let value = parameters[name] { return value }
        if missingParameters.contains(name) {
            error("The parameter \(name) has no value and no default: give one with --parameter \(name)=VALUE.", at: location)
            return nil
        }
        if let value = resourceRefs[name] { return .string(value) }
        error("Ref: '\(name)' is not a parameter, a resource or a pseudo parameter of this template.", at: location)
        return nil
    }

    private mutating func getAtt(_ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        var resource: String?
        var attributeName: String?
        switch argument {
        case .scalar(let dotted, _):
            // `A.B.C` is resource A, attribute `B.C` (split on the first dot).
            if let dot = dotted.firstIndex(of: ".") {
                resource = String(dotted[..<dot])
                attributeName = String(dotted[dotted.index(after: dot)...])
            }
        case .sequence(let parts, _) where parts.count == 2:
            resource = parts[0].scalar
            attributeName = string(parts[1], "Fn::GetAtt's attribute")
        default: break
        }
        guard let resource, let attributeName else { return malformed("Fn::GetAtt", "[resource, attribute] or 'resource.attribute'", at: location) }
        guard resourceRefs[resource] != nil else {
            error("Fn::GetAtt: '\(resource)' is not a resource of this template.", at: location)
            return nil
        }
        let key = "\(resource).\(attributeName)"
        if evaluating.contains(key) {
            error("Circular reference: \((evaluating + [key]).joined(separator: " -> ")).", at: location)
            return nil
        }
        evaluating.append(key)
        defer { evaluating.removeLast() }
        guard let value = attribute(resource, attributeName, &self) else {
            error("Fn::GetAtt: \(resource) has no attribute '\(attributeName)' that LocalVPC knows.", at: location)
            return nil
        }
        return value
    }

    private mutating func sub(_ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        var template: String?
        var variables: [String: TemplateValue] = [:]
        switch argument {
        case .scalar(let text, _): template = text
        case .sequence(let parts, _) where parts.count == 2:
            template = parts[0].scalar
            for (key, node) in parts[1].pairs ?? [] {
                guard let value = evaluate(node) else { return nil }
                variables[key] = value
            }
        default: break
        }
        guard let template else { return malformed("Fn::Sub", "a string, or [string, {variables}]", at: location) }
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                output += rest[open.lowerBound...]
                rest = ""
                break
            }
            let name = String(rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
            if name.hasPrefix("!") {
                output += "${\(name.dropFirst())}"  // `${!Literal}` is written as `${Literal}`
                continue
            }
            let value: TemplateValue?
            if let variable = variables[name] {
                value = variable
            } else if name.contains("."), !name.hasPrefix("AWS::") {
                value = getAtt(.scalar(name, location), at: location)
            } else {
                value = ref(.scalar(name, location), at: location)
            }
            guard let value else { return nil }
            guard let text = value.string else {
                error("Fn::Sub: ${\(name)} is a list; only single values can be substituted.", at: location)
                return nil
            }
            output += text
        }
        output += rest
        return .string(output)
    }

    private mutating func findInMap(_ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        guard case .sequence(let parts, _) = argument, parts.count == 3 else {
            return malformed("Fn::FindInMap", "[map, key, second key]", at: location)
        }
        guard let map = string(parts[0], "Fn::FindInMap's map"), let top = string(parts[1], "Fn::FindInMap's key"),
            let second = string(parts[2], "Fn::FindInMap's second key")
        else { return nil }
        guard let node = mappings?[map]?[top]?[second] else {
            error("Fn::FindInMap: the mapping \(map) has no value at \(top).\(second).", at: location)
            return nil
        }
        return evaluate(node)
    }

    /// `Fn::Cidr [block, count, bits]`: the first `count` blocks of `32 - bits` prefix length inside `block`.
    private mutating func cidr(_ argument: TemplateNode, at location: TemplateLocation) -> TemplateValue? {
        guard case .sequence(let parts, _) = argument, parts.count == 3 else {
            return malformed("Fn::Cidr", "[ipBlock, count, cidrBits]", at: location)
        }
        guard let blockText = string(parts[0], "Fn::Cidr's block"), let countValue = evaluate(parts[1]), let bitsValue = evaluate(parts[2]) else {
            return nil
        }
        guard let count = countValue.int, let bits = bitsValue.int else { return malformed("Fn::Cidr", "[ipBlock, count, cidrBits]", at: location) }
        guard let block = try? CIDRBlock(parsing: blockText), (1...32).contains(bits), 32 - bits >= block.prefixLength, count >= 1,
            count <= 256
        else {
            error("Fn::Cidr: cannot cut \(count) blocks of \(bits) host bits out of \(blockText).", at: location)
            return nil
        }
        let size = UInt32(1) << UInt32(bits)
        let available = bits == 32 - block.prefixLength ? 1 : Int(min(UInt64(1) << UInt64(32 - bits - block.prefixLength), 256))
        guard count <= available else {
            error("Fn::Cidr: \(blockText) holds only \(available) blocks of \(bits) host bits, not \(count).", at: location)
            return nil
        }
        return .list(
            (0..<count).map { index in
                .string("\(IPv4Address(block.first.value &+ UInt32(index) &* size))/\(32 - bits)")
            })
    }

    // MARK: Conditions

    /// The value of a named condition (Conditions section), evaluated once.
    mutating func condition(named name: String, at location: TemplateLocation) -> Bool? {
        if let value = conditionValues[name] { return value }
        guard let node = conditionNodes[name] else {
            error("The condition '\(name)' is not defined in the template's Conditions.", at: location)
            return nil
        }
        if evaluating.contains(name) {
            error("Circular reference between conditions: \((evaluating + [name]).joined(separator: " -> ")).", at: location)
            return nil
        }
        evaluating.append(name)
        defer { evaluating.removeLast() }
        let value = test(node)
        if let value { conditionValues[name] = value }
        return value
    }

    /// A condition function: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, or `Condition: Name`.
    mutating func test(_ node: TemplateNode) -> Bool? {
        guard let pairs = node.pairs, pairs.count == 1, let (name, argument) = pairs.first else {
            if let value = evaluate(node)?.bool { return value }
            error("A condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition.", at: node.location)
            return nil
        }
        switch name {
        case "Condition":
            guard let other = argument.scalar else { return nil }
            return condition(named: other, at: node.location)
        case "Fn::Equals":
            guard case .sequence(let parts, _) = argument, parts.count == 2, let a = evaluate(parts[0]), let b = evaluate(parts[1]) else {
                _ = malformed(name, "[value, value]", at: node.location)
                return nil
            }
            return a == b
        case "Fn::And", "Fn::Or":
            guard case .sequence(let parts, _) = argument, (2...10).contains(parts.count) else {
                _ = malformed(name, "a list of 2 to 10 conditions", at: node.location)
                return nil
            }
            var values: [Bool] = []
            for part in parts {
                guard let value = test(part) else { return nil }
                values.append(value)
            }
            return name == "Fn::And" ? values.allSatisfy { $0 } : values.contains(true)
        case "Fn::Not":
            guard case .sequence(let parts, _) = argument, parts.count == 1, let value = test(parts[0]) else {
                _ = malformed(name, "[condition]", at: node.location)
                return nil
            }
            return !value
        default:
            if let value = evaluate(node)?.bool { return value }
            error("A condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition, not \(name).", at: node.location)
            return nil
        }
    }
}
