import Foundation
import NIOCore
import QueryAPI
import VPCStore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of the Query API as users run it: the production SwiftNIO front end (`startHTTP`) on
/// 127.0.0.1, a free port, real HTTP over a socket.
struct APIClient {
    let port: Int
    let session: URLSession

    /// POSTs a form the way botocore does: SigV4-shaped Authorization whose credential scope names the
    /// service and region (the signature is not checked unless the server has credentials).
    func post(_ body: String, service: String = "ec2", region: String = "us-east-1") async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/")!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/\(region)/\(service)/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            forHTTPHeaderField: "Authorization")
        request.httpBody = Data(body.utf8)
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

/// Starts `server` (by default a fresh one in memory) on 127.0.0.1:0, runs `body` with a client of it,
/// and stops the server whatever `body` does.
func withServer<T>(
    _ server: QueryAPIServer? = nil, _ body: (APIClient) async throws -> T
) async throws -> T {
    let server = try server ?? QueryAPIServer(store: try Store.inMemory())
    let channel = try await server.startHTTP(host: "127.0.0.1", port: 0)
    let session = URLSession(configuration: .ephemeral)
    do {
        let result = try await body(APIClient(port: channel.localAddress?.port ?? 0, session: session))
        session.finishTasksAndInvalidate()
        try await channel.close()
        return result
    } catch {
        session.finishTasksAndInvalidate()
        try? await channel.close()
        throw error
    }
}

/// A server on the state file at `path`, once the previous owner (a stopped server whose connections
/// are closing) has released it: as a restarted `localvpc serve` would find it.
func reopen(_ path: String) async throws -> QueryAPIServer {
    for _ in 0..<100 {
        do { return try QueryAPIServer(store: try Store(path: path)) } catch is Store.InUse { try await Task.sleep(for: .milliseconds(20)) }
    }
    return try QueryAPIServer(store: try Store(path: path))
}

/// The text between `<tag>` and `</tag>`, first occurrence.
func value(_ tag: String, in xml: String) -> String? {
    guard let start = xml.range(of: "<\(tag)>"), let end = xml.range(of: "</\(tag)>", range: start.upperBound..<xml.endIndex)
    else { return nil }
    return String(xml[start.upperBound..<end.lowerBound])
}
