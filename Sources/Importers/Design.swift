import TopologyFile
import VPCEngine
import VPCModel

/// A network design read from any source: a topology file, a CloudFormation template, a snapshot.
public struct Design: Sendable {
    public enum Source: String, Sendable {
        case topologyFile = "topology file"
        case cloudFormation = "CloudFormation template"
        case snapshot = "describe-* snapshot"
    }

    public var source: Source
    public var topology: Topology
    /// The intents the source carries (only topology files do), then those of `--intents`.
    public var intents: [Intent]
    /// Network Access Analyzer scopes (topology files' `scopes:`).
    public var scopes: [AccessScope] = []
    /// What the reader chose or could not model, for people (printed on standard error).
    public var notes: [String]
    /// Other names of resources (a unique `Name` tag, a logical ID, an AWS ID) → the name or ID the
    /// engine resolves.
    public var aliases: [String: String]
    /// Where each resource is written in the source (resource ID → line), for reports.
    public var lines: [String: Int]
    /// What each resource is called in the source (resource ID → logical ID or AWS ID).
    public var origins: [String: String] = [:]

    public init(
        source: Source, topology: Topology, intents: [Intent] = [], notes: [String] = [], aliases: [String: String] = [:],
        lines: [String: Int] = [:]
    ) {
        self.source = source
        self.topology = topology
        self.intents = intents
        self.notes = notes
        self.aliases = aliases
        self.lines = lines
    }

    /// The reference the engine understands for a name people use (`--from`, `--to`, `through`, `avoiding`).
    public func resolve(_ reference: String) -> String { aliases[reference] ?? reference }

    /// A query with its endpoints and filters resolved through the aliases.
    public func resolve(_ query: PathQuery) -> PathQuery {
        var query = query
        query.source = resolve(query.source)
        query.destination = resolve(query.destination)
        query.through = query.through.map(resolve)
        query.avoiding = query.avoiding.map(resolve)
        return query
    }

    /// Every name an intent may use, with the kind of resource it names (for checking an intents file).
    public var knownNames: [String: String] {
        var names: [String: String] = [:]
        for row in Topology.kinds {
            for (id, name) in row.names(in: topology) {
                let kind = Self.kindName(row.kind)
                names[id] = kind
                if let name { names[name] = kind }
            }
        }
        for (alias, target) in aliases { names[alias] = names[target] ?? "instance" }
        return names
    }

    static func kindName(_ kind: ResourceKind) -> String {
        switch kind {
        case Instance.kind: "instance"
        case ClassicLoadBalancer.kind: "load balancer"
        case NetworkInterface.kind: "network interface"
        default: kind.name
        }
    }
}

/// The choices a reader of templates needs from the command line.
public struct ImportOptions: Sendable {
    public var region: String
    public var accountID: String
    public var stackName: String
    /// `--parameter Key=Value`, over the template's defaults.
    public var parameters: [String: String]
    /// `--import-value Name=Value`, for `Fn::ImportValue`.
    public var importValues: [String: String]

    public init(
        region: String = "us-east-1", accountID: String = "123456789012", stackName: String = "localvpc", parameters: [String: String] = [:],
        importValues: [String: String] = [:]
    ) {
        self.region = region
        self.accountID = accountID
        self.stackName = stackName
        self.parameters = parameters
        self.importValues = importValues
    }
}
