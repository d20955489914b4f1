import Foundation
import NIOPosix
import Synchronization
import VPCEngine
import VPCModel

/// The claims a design carries (its intents and access scopes), loaded with `serve --load` and verified
/// again after every change of their region: each commit schedules a verification on SwiftNIO's thread
/// pool, which analyses only what the change touched (`Reverification`). Read by the console and by
/// `localvpc status` (`GET /console/api/claims`).
final class Claims: Sendable {
    struct Verified: @unchecked Sendable {
        var region: String
        var intents: [Intent]
        var scopes: [AccessScope]
        var checker: Reverification?
        var version = -1
        var error: String?
    }
    private let state = Mutex<Verified?>(nil)

    func set(region: String, intents: [Intent], scopes: [AccessScope]) {
        state.withLock { $0 = Verified(region: region, intents: intents, scopes: scopes) }
    }

    var region: String? { state.withLock { $0?.region } }

    /// Verifies the region's current state if it changed since the last verification; the verdicts.
    func verify(_ server: QueryAPIServer) -> [String: Any] {
        state.withLock { (verified: inout Verified?) -> [String: Any] in
            guard var current = verified else { return ["loaded": false] }
            let version = server.emulator.version(of: current.region)
            if version != current.version {
                do {
                    let (_, topology) = try server.namedTopology(region: current.region)
                    if current.checker == nil {
                        current.checker = try Reverification(topology, intents: current.intents, scopes: current.scopes)
                    } else {
                        try current.checker!.update(topology)
                    }
                    current.error = nil
                } catch {
                    current.error = "\(error)"
                }
                current.version = version
                verified = current
            }
            guard let checker = current.checker else { return ["loaded": true, "error": current.error ?? "not verified"] }
            let intents = checker.intentResults.map { result -> [String: Any] in
                ["name": result.intent.name, "holds": result.holds, "actual": result.actual]
            }
            let scopes = zip(checker.scopes, checker.scopeFindings).map { scope, findings -> [String: Any] in
                [
                    "name": scope.name, "holds": findings.isEmpty,
                    "findings": findings.map { "\($0.source) -> \($0.destination) \($0.ipProtocol) \(ReachCell.ports($0.ports))" },
                ]
            }
            var answer: [String: Any] = [
                "loaded": true, "region": current.region, "version": version, "intents": intents, "scopes": scopes,
                "analysesRun": checker.analysesRun,
            ]
            if let error = current.error { answer["error"] = error }
            return answer
        }
    }
}

extension QueryAPIServer {
    /// Keeps a design's intents and scopes (`serve --load`), verified again after every change of its region.
    public func setClaims(region: String, intents: [Intent], scopes: [AccessScope]) {
        guard !intents.isEmpty || !scopes.isEmpty else { return }
        claims.set(region: region, intents: intents, scopes: scopes)
        _ = claims.verify(self)
        let server = self
        emulator.onCommit { committed in
            guard committed == server.claims.region else { return }
            NIOThreadPool.singleton.submit { _ in _ = server.claims.verify(server) }
        }
    }
}
