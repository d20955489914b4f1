import Foundation
import Testing
import VPCStore
import VPCTesting

@testable import QueryAPI

/// The console's doors: a browser's `GET /` goes to `/console`; API clients (no `text/html`, or an
/// `Action`) are answered as before; the page and its endpoints; refused under `--credentials`.
struct ConsoleTests {
    func get(_ port: Int, _ target: String, accept: String? = nil) async throws -> String {
        let header = accept.map { "Accept: \($0)\r\n" } ?? ""
        return try await RawConnection.exchangeOnThread(port: port, "GET \(target) HTTP/1.1\r\nHost: x\r\n\(header)Connection: close\r\n\r\n")
    }

    @Test func browsersAreSentToTheConsoleAndAPIClientsAreNot() async throws {
        try await withServer { client in
            let browser = try await get(client.port, "/", accept: "text/html,application/xhtml+xml")
            #expect(browser.hasPrefix("HTTP/1.1 302 ") && browser.contains("Location: /console\r\n"), "\(browser)")
            let api = try await get(client.port, "/")
            #expect(api.hasPrefix("HTTP/1.1 400 ") && api.contains("<Response><Errors>"), "\(api.prefix(200))")
            let action = try await get(client.port, "/?Action=DescribeVpcs&Version=2016-11-15", accept: "text/html")
            #expect(action.hasPrefix("HTTP/1.1 200 ") && action.contains("<DescribeVpcsResponse"), "\(action.prefix(200))")
            let page = try await get(client.port, "/console")
            #expect(page.hasPrefix("HTTP/1.1 200 ") && page.contains("<title>LocalVPC console</title>") && !page.contains("src=\"http"))
            let svg = try await get(client.port, "/console/api/diagram.svg?region=us-east-1")
            #expect(svg.contains("Content-Type: image/svg+xml") && svg.contains("172.31.0.0/16"), "the default VPC is drawn")
            let detail = try await get(client.port, "/console/api/resource?region=us-east-1&id=nowhere")
            #expect(detail.hasPrefix("HTTP/1.1 400 ") && detail.contains("No resource nowhere"))
        }
    }

    @Test func theConsoleIsRefusedWhenRequestsMustBeSigned() async throws {
        let server = try QueryAPIServer(store: try Store.inMemory(), credentials: ["AKID": "secret"])
        try await withServer(server) { client in
            let page = try await get(client.port, "/console")
            #expect(page.hasPrefix("HTTP/1.1 403 ") && page.contains("--credentials"), "\(page)")
        }
    }
}
