import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to 127.0.0.1 that sends bytes as given and reads until the server closes or
/// stays silent for `timeout`: for the front end's framing (pipelining, bad heads), which no HTTP
/// client library will send.
public struct RawConnection {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// `exchange` on a thread of its own: a blocking read on Swift concurrency's few shared threads
    /// could starve the server's own tasks (the answer it waits for would never be computed).
    /// - Parameter halfClose: shut the sending side once the request is sent (a client may, RFC 9112, 9.6).
    public static func exchangeOnThread(
        port: Int, _ request: String, timeout: Duration = .seconds(2), halfClose: Bool = false
    ) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try timedExchange(port: port, request, timeout: timeout, halfClose: halfClose).reply })
            }.start()
        }
    }

    /// `exchange` on a thread of its own, with how long the server took to answer (from the request sent to
    /// the first bytes back), measured on that thread: what a busy test runner does to awaiting tasks does
    /// not count.
    public static func timedExchangeOnThread(
        port: Int, _ request: String, timeout: Duration = .seconds(2)
    ) async throws -> (
        reply: String, answeredIn: Duration
    ) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try timedExchange(port: port, request, timeout: timeout) }) }.start()
        }
    }

    /// Sends `request` and returns everything received before the connection closed or went quiet.
    public static func exchange(port: Int, _ request: String, timeout: Duration = .seconds(2)) throws -> String {
        try timedExchange(port: port, request, timeout: timeout).reply
    }

    static func timedExchange(
        port: Int, _ request: String, timeout: Duration, halfClose: Bool = false
    ) throws -> (reply: String, answeredIn: Duration) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        let seconds = timeout.components.seconds
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port) failed") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure(description: "send failed") }
            sent += count
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        let sentAt = ContinuousClock.now
        var answeredIn: Duration = timeout
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }  // closed, or silent for `timeout`
            if received.isEmpty { answeredIn = ContinuousClock.now - sentAt }
            received += chunk[..<count]
        }
        return (String(decoding: received, as: UTF8.self), answeredIn)
    }
}
