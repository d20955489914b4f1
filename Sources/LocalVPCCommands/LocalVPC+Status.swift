import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension LocalVPC {
    /// `localvpc status`: every load balancer's instances and their health, from a running server.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each load balancer's instances as InService or OutOfService, with AWS's reason codes (DescribeInstanceHealth).")

        @Option(help: "The API server (localvpc up / serve).")
        var endpoint = "http://127.0.0.1:4566"

        @Option(help: "The region.")
        var region = "us-east-1"

        func run() async throws {
            let balancers = try await call(["Action": "DescribeLoadBalancers"]).values("LoadBalancerName")
            if balancers.isEmpty { print("No load balancers in \(region).") }
            var rows: [[String]] = [["LOAD BALANCER", "INSTANCE", "STATE", "REASON CODE", "DESCRIPTION"]]
            for balancer in balancers {
                let response = try await call(["Action": "DescribeInstanceHealth", "LoadBalancerName": balancer])
                for member in response.elements("member") {
                    rows.append([
                        balancer, member.value("InstanceId"), member.value("State"), member.value("ReasonCode"), member.value("Description"),
                    ])
                }
            }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows where balancers.count > 0 {
                print((0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[4])
            }
            try await printClaims()
        }

        /// The intents and scopes `serve --load` keeps, as verified after the last change.
        private func printClaims() async throws {
            guard var components = URLComponents(string: endpoint) else { return }
            components.path = "/console/api/claims"
            components.queryItems = [URLQueryItem(name: "region", value: region)]
            guard let url = components.url, let (data, _) = try? await URLSession.shared.data(from: url),
                let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any], claims["loaded"] as? Bool == true,
                claims["region"] as? String == region
            else { return }
            print("\nCLAIMS (loaded with serve --load; verified again after every change):")
            for (kind, key) in [("intent", "intents"), ("scope", "scopes")] {
                for claim in claims[key] as? [[String: Any]] ?? [] {
                    let holds = claim["holds"] as? Bool ?? false
                    let findings = (claim["findings"] as? [String] ?? []).joined(separator: "; ")
                    let name = claim["name"] as? String ?? ""
                    print("\(holds ? "PASS" : "FAIL")  \(kind): \(name)\(findings.isEmpty ? "" : " — findings: \(findings)")")
                }
            }
        }

        /// One ELB Query API call; the response text, or exit 1 with AWS's error.
        private func call(_ parameters: [String: String]) async throws -> XMLText {
            guard let url = URL(string: endpoint) else { throw ValidationError("--endpoint must be a URL.") }
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.setValue("application/x-www-form-urlencoded; charset=utf-8", forHTTPHeaderField: "Content-Type")
            request.setValue(
                "AWS4-HMAC-SHA256 Credential=localvpc/20260101/\(region)/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0",
                forHTTPHeaderField: "Authorization")
            let form = (parameters.merging(["Version": "2012-06-01"]) { a, _ in a })
                .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
                .joined(separator: "&")
            request.httpBody = Data(form.utf8)
            let data: Data
            let response: URLResponse
            do {
                (data, response) = try await URLSession.shared.data(for: request)
            } catch {
                printError("error: cannot reach \(endpoint): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            let text = XMLText(String(decoding: data, as: UTF8.self))
            if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
                printError("error: \(text.value("Code")): \(text.value("Message"))")
                throw ExitCode(1)
            }
            return text
        }
    }
}

/// Just enough XML reading for the ELB responses `status` shows.
struct XMLText {
    var text: String
    init(_ text: String) { self.text = text }

    func values(_ tag: String) -> [String] {
        var result: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "<\(tag)>"), let end = rest.range(of: "</\(tag)>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    func elements(_ tag: String) -> [XMLText] { values(tag).map(XMLText.init) }
    func value(_ tag: String) -> String { values(tag).first ?? "" }
}
