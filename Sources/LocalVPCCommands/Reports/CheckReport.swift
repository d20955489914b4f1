import Foundation
import Importers
import VPCEngine
import VPCModel

/// What `localvpc check` found, in one model that every format renders: per intent the verdict and
/// each blocker with the lines of the source that hold it.
struct CheckReport {
    /// A component and rule that blocks (all the packets, or some of them when `partial`).
    struct Blocker {
        var code: String
        var message: String
        var partial: Bool
        /// Lines of the source (the design) that hold what blocks.
        var lines: [Int]
    }

    struct Entry {
        var result: IntentResult
        /// Why a failing intent fails (the analysis' explanations when nothing gets through), and the
        /// partial blocks of a reachable one.
        var blockers: [Blocker]
        var intent: Intent { result.intent }
        var holds: Bool { result.holds }
    }

    /// The design's path as given, and the file the intents are written in.
    var source: String
    var sourceKind: String
    var intentsFile: String
    var entries: [Entry]
    /// Access scopes and their findings (a scope with findings fails).
    var scopes: [(scope: AccessScope, findings: [AccessFinding])] = []
    var failedScopes: Int { scopes.filter { !$0.findings.isEmpty }.count }

    /// "web-1 -> internet tcp 443: web-1 -> web-1-eni -> …" for people.
    static func describe(_ finding: AccessFinding) -> String {
        let ports = finding.ipProtocol.hasPorts ? " \(ReachCell.ports(finding.ports))" : ""
        let path = finding.components.map { $0.component.name ?? $0.component.id }
            .reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }.joined(separator: " -> ")
        return "\(finding.source) -> \(finding.destination) \(finding.ipProtocol)\(ports): \(path)"
    }

    var passed: Int { entries.filter(\.holds).count }
    var failed: Int { entries.count - passed }

    init(source: String, intentsFile: String?, design: Design, results: [IntentResult]) {
        self.source = source
        self.sourceKind = design.source.rawValue
        self.intentsFile = intentsFile ?? source
        self.entries = results.map { result in
            let reachability = result.reachability
            let explanations = reachability.isReachable ? reachability.partialBlocks : reachability.analysis.explanations
            let blockers = explanations.map { explanation in
                Blocker(
                    code: explanation.explanationCode.rawValue, message: explanation.message, partial: reachability.isReachable,
                    lines: design.lines(of: explanation))
            }
            return Entry(result: result, blockers: blockers)
        }
    }

    /// "from -> to tcp 80" for people.
    static func describe(_ query: PathQuery) -> String {
        let ports = query.ipProtocol.hasPorts ? " port \(query.destinationPorts?.description ?? "all")" : ""
        return "\(query.source) -> \(query.destination) \(query.ipProtocol)\(ports)"
    }

    /// The hops of a path, one per line, as `check` prints a reason.
    static func path(_ components: [PathComponent]) -> String {
        components.map { "\($0.sequenceNumber). \($0.component.name ?? $0.component.id) \($0.note)" }.joined(separator: "\n")
    }
}
