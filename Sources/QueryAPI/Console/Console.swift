import Diagram
import Foundation
import HashTreeCollections
import VPCEngine
import VPCModel

/// The web console served at `/console`: a page (ConsolePage) and the small JSON and SVG endpoints it
/// reads. It shows the state the API holds and changes nothing but what a trace adds (a path and an
/// analysis, made through the same actions as `CreateNetworkInsightsPath` and
/// `StartNetworkInsightsAnalysis`). With `--credentials` it is refused: it does not sign calls.
extension QueryAPIServer {
    struct ConsoleResponse: Sendable {
        var status: Int
        var contentType: String
        var body: String
        var location: String? = nil
    }

    /// Whether a request is the console's: a path under `/console`, or a browser's `GET /` (it accepts
    /// HTML and names no `Action`), which is sent there. API clients are unaffected.
    static func isConsole(method: String, path: String, query: String, accept: String?) -> Bool {
        if path == "/console" || path.hasPrefix("/console/") || path == "/favicon.ico" { return true }
        return method == "GET" && (path == "/" || path.isEmpty) && !query.contains("Action=") && (accept ?? "").contains("text/html")
    }

    func console(method: String, path: String, query: String, body: String) -> ConsoleResponse {
        if path == "/" || path.isEmpty { return ConsoleResponse(status: 302, contentType: "text/plain", body: "", location: "/console") }
        if path == "/favicon.ico" { return ConsoleResponse(status: 204, contentType: "text/plain", body: "") }
        if verifier != nil {
            return ConsoleResponse(
                status: 403, contentType: "text/plain",
                body: "The console is not served when localvpc serve requires signed requests (--credentials); it does not sign its calls.")
        }
        let form = Self.decodeForm(query + (body.isEmpty ? "" : "&" + body))
        let region = form["region"].flatMap { Regions.isKnown($0) ? $0 : nil } ?? "us-east-1"
        do {
            switch (method, path) {
            case ("GET", "/console"), ("GET", "/console/"):
                return ConsoleResponse(status: 200, contentType: "text/html; charset=utf-8", body: ConsolePage.html)
            case ("GET", "/console/api/regions"):
                return json(["regions": Regions.names, "default": "us-east-1"])
            case ("GET", "/console/api/version"):
                _ = try emulator.snapshot(region)
                return json(["version": emulator.version(of: region)])
            case ("GET", "/console/api/diagram.svg"):
                let (state, topology) = try namedTopology(region: region)
                var analysis: Reachability?
                if let id = form["analysis"], let stored = state[StoredAnalysis.self][id], let path = state[InsightsPath.self][stored.pathID] {
                    analysis = try? emulator.network(region).analyze(InsightsActions.query(for: path))
                }
                return ConsoleResponse(
                    status: 200, contentType: "image/svg+xml", body: DiagramRenderer(topology: topology, analysis: analysis).svg())
            case ("GET", "/console/api/resources"):
                let (_, topology) = try namedTopology(region: region)
                return json(["resources": resources(topology)])
            case ("GET", "/console/api/resource"):
                return json(try resource(form["id"] ?? "", region: region))
            case ("GET", "/console/api/claims"):
                return json(claims.verify(self))
            case ("GET", "/console/api/analyses"):
                return json(["analyses": try analyses(region)])
            case ("POST", "/console/api/trace"):
                return json(try trace(form, region: region))
            default:
                return ConsoleResponse(status: 404, contentType: "text/plain", body: "not found: \(path)")
            }
        } catch let error as APIError {
            return json(["error": ["code": error.code, "message": error.message]], status: 400)
        } catch {
            return json(["error": ["code": "InternalError", "message": "\(error)"]], status: 500)
        }
    }

    private func json(_ value: Any, status: Int = 200) -> ConsoleResponse {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return ConsoleResponse(status: status, contentType: "application/json", body: String(decoding: data, as: UTF8.self))
    }

    static func decodeForm(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            if let key = parts.first { form[decode(key)] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return form
    }

    /// Every resource with its name and kind, for the trace form's completion.
    func resources(_ topology: Topology) -> [[String: String]] {
        var list: [[String: String]] = [["id": "internet", "name": "internet", "kind": "internet"]]
        for row in Topology.kinds {
            for (id, name) in row.names(in: topology) {
                list.append(["id": id, "name": name ?? id, "kind": row.kind.name])
            }
        }
        return list.sorted { ($0["kind"]!, $0["name"]!) < ($1["kind"]!, $1["name"]!) }
    }

    /// The stored analyses, newest last, with their verdicts.
    private func analyses(_ region: String) throws -> [[String: Any]] {
        let state = try emulator.snapshot(region)
        return state[StoredAnalysis.self].values.sorted { $0.id < $1.id }.map { stored in
            let fields = (try? JSONSerialization.jsonObject(with: stored.analysis)) as? [String: Any] ?? [:]
            let path = state[InsightsPath.self][stored.pathID]
            let codes = (fields["Explanations"] as? [[String: Any]] ?? []).compactMap { $0["ExplanationCode"] as? String }
            return [
                "id": stored.id, "pathId": stored.pathID, "source": path?.source ?? "", "destination": path?.destination ?? "",
                "protocol": path?.ipProtocol ?? "", "port": path?.destinationPort.map(String.init) ?? "",
                "found": fields["NetworkPathFound"] as? Bool ?? false, "explanations": codes,
            ]
        }
    }
}
