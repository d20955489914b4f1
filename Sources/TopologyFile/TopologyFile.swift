import VPCEngine
import VPCModel
import Yams

/// A topology file: one VPC written by name in YAML, with an `expect:` section of intents.
///
/// Loading reports every problem at once, each with file, line and column.
public struct TopologyFile: Sendable {
    public var topology: Topology
    public var intents: [Intent]
    /// Network Access Analyzer scopes (`scopes:`).
    public var scopes: [AccessScope]
    /// Where things are written, by resource ID and by `<id>.<field>` (`sg-….egress.0`, `acl-….ingress.100`,
    /// `rtb-….route.0.0.0.0/0`): their line.
    public var lines: [String: Int]

    static let topLevelKeys = [
        "region", "account", "vpc", "internet-gateway", "subnets", "route-tables", "security-groups", "network-acls",
        "instances", "nat-gateways", "load-balancers", "expect", "ids", "scopes",
    ]

    /// Parses YAML text.
    /// - Parameter file: the name to put in messages.
    /// - Throws: ``TopologyFileError`` listing every problem.
    public init(yaml: String, file: String = "<input>") throws(TopologyFileError) {
        var reader = YAMLReader(file: file)
        let root = try Self.compose(yaml, file: file)
        guard let root else {
            throw TopologyFileError(diagnostics: [
                Diagnostic(file: file, line: 1, column: 1, message: "The file is empty; it needs at least a 'vpc:' section.")
            ])
        }
        var builder = TopologyBuilder(reader: reader)
        builder.build(root)
        reader = builder.reader
        // Model rules (overlaps, containment, duplicate rule numbers …), mapped back to the lines that hold
        // them, reported together with the file's own errors; a line that already has an error keeps only it
        // (what the builder skipped there would only echo it).
        let reportedLines = Set(reader.diagnostics.map(\.line))
        for error in builder.topology.validate() {
            let node = error.subject.flatMap { builder.node(for: $0) }
            if let line = node?.mark?.line, reportedLines.contains(line) { continue }
            reader.error(error.message, at: node)
        }
        guard reader.diagnostics.isEmpty else {
            throw TopologyFileError(diagnostics: reader.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        self.topology = builder.topology
        self.intents = builder.intents
        self.scopes = builder.scopes
        self.lines = builder.nodes.compactMapValues { $0.mark?.line }
    }

    /// The YAML tree of a text, or its syntax error with line and column.
    static func compose(_ yaml: String, file: String) throws(TopologyFileError) -> Node? {
        do {
            return try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw TopologyFileError(diagnostics: [Self.diagnostic(for: error, file: file)])
        } catch {
            throw TopologyFileError(diagnostics: [Diagnostic(file: file, line: 1, column: 1, message: "\(error)")])
        }
    }

    /// The place and message of a YAML syntax error.
    public static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let where_ = context.map { " \($0.text)" } ?? ""
            return Diagnostic(file: file, line: mark.line, column: mark.column, message: "This is not valid YAML: \(problem)\(where_).")
        default:
            return Diagnostic(file: file, line: 1, column: 1, message: "This is not valid YAML: \(error).")
        }
    }
}

extension TopologyFile {
    /// Reads intents kept apart from the design (`check SOURCE --intents FILE`): an `expect:` list, or a
    /// file holding just the list.
    /// - Parameter names: every name the design knows, with its kind ("instance", "load balancer", …).
    public static func intents(yaml: String, file: String, names: [String: String]) throws(TopologyFileError) -> [Intent] {
        let root = try Self.compose(yaml, file: file)
        var builder = TopologyBuilder(reader: YAMLReader(file: file))
        for (name, kind) in names { builder.names[name] = (kind, name, Node(name)) }
        var list = root
        if case .mapping? = root {
            let top = builder.reader.pairs(root, "The intents file", allowed: ["expect"])
            list = builder.reader.value(top, "expect")
        }
        guard let list else {
            throw TopologyFileError(diagnostics: [
                Diagnostic(file: file, line: 1, column: 1, message: "The intents file needs an 'expect:' list of intents.")
            ])
        }
        for item in builder.reader.sequence(list, "expect") { builder.buildIntent(item) }
        guard builder.reader.diagnostics.isEmpty else {
            throw TopologyFileError(diagnostics: builder.reader.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return builder.intents
    }
}
