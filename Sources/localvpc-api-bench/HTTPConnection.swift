#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client connection over a blocking socket: keep-alive when the server allows
/// it, a new connection when it closes (as HTTP/1.0 servers do). Just enough for the benchmark.
final class HTTPConnection {
    let port: UInt16
    private var socket: Int32 = -1
    /// Received bytes not yet consumed start at `start`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// One receive buffer per connection, reused.
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private(set) var reconnects = 0

    init(port: UInt16) throws {
        self.port = port
        try connect()
    }

    deinit { if socket >= 0 { close(socket) } }

    struct Failure: Error, CustomStringConvertible { var description: String }

    private func connect() throws {
        if socket >= 0 { close(socket) }
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket() failed") }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port) failed") }
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    /// Sends one request; returns the status and body.
    func send(_ request: [UInt8]) throws -> (status: Int, body: String) {
        let (status, body) = try exchange(request)
        return (status, String(decoding: body, as: UTF8.self))
    }

    /// Sends one request; returns the status and the body's bytes (no text decoding: the timed path).
    func exchange(_ request: [UInt8]) throws -> (status: Int, body: ArraySlice<UInt8>) {
        for attempt in 0..<2 {
            do {
                try write(request)
                return try readResponse()
            } catch let failure as Failure where attempt == 0 && failure.description == "closed" {
                reconnects += 1
                try connect()
            }
        }
        throw Failure(description: "request failed twice")
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "closed") }
            sent += n
        }
    }

    private func fill() throws {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 65536, 0) }
        guard n > 0 else { throw Failure(description: "closed") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private var available: Int { buffer.count - start }

    private func consume(_ count: Int) -> ArraySlice<UInt8> {
        defer { start += count }
        return buffer[start..<start + count]
    }

    private func readResponse() throws -> (status: Int, body: ArraySlice<UInt8>) {
        var headerEnd: Int?
        while headerEnd == nil {
            if let index = find([13, 10, 13, 10]) { headerEnd = index } else { try fill() }
        }
        let head = consume(headerEnd!)
        start += 4
        // Status line and the three headers that matter, read on bytes ("HTTP/1.1 200 OK\r\n…").
        let status = head.count >= 12 ? head.dropFirst(9).prefix(3).reduce(0) { $0 * 10 + Int($1) - 48 } : 0
        var close = head.starts(with: Array("HTTP/1.0".utf8))
        var length = 0
        var chunked = false
        var lineStart = head.startIndex
        while lineStart < head.endIndex {
            var lineEnd = lineStart
            while lineEnd < head.endIndex && head[lineEnd] != 13 { lineEnd += 1 }
            let line = head[lineStart..<lineEnd]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                let name = line[lineStart..<colon]
                var valueStart = colon + 1
                while valueStart < lineEnd && head[valueStart] == 32 { valueStart += 1 }
                let value = head[valueStart..<lineEnd]
                if Self.equalsIgnoringCase(name, "content-length") {
                    length = value.reduce(0) { $0 * 10 + Int($1) - 48 }
                } else if Self.equalsIgnoringCase(name, "connection") {
                    close = Self.equalsIgnoringCase(value, "close")
                } else if Self.equalsIgnoringCase(name, "transfer-encoding") {
                    chunked = Self.equalsIgnoringCase(value, "chunked")
                }
            }
            lineStart = lineEnd + 2
        }
        var body: ArraySlice<UInt8> = []
        if chunked {
            var collected: [UInt8] = []
            while true {
                var lineEnd = find([13, 10])
                while lineEnd == nil {
                    try fill()
                    lineEnd = find([13, 10])
                }
                let size = Int(String(decoding: consume(lineEnd!), as: UTF8.self), radix: 16) ?? 0
                start += 2
                while available < size + 2 { try fill() }
                collected += consume(size)
                start += 2
                if size == 0 { break }
            }
            body = collected[...]
        } else {
            while available < length { try fill() }
            body = consume(length)
        }
        if close {
            try connect()
            reconnects += 1
        }
        return (status, body)
    }

    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
        }
    }

    /// The offset from `start` of the first occurrence of a pattern among the unread bytes.
    private func find(_ pattern: [UInt8]) -> Int? {
        guard available >= pattern.count else { return nil }
        let base = start
        return buffer.withUnsafeBufferPointer { bytes in
            outer: for index in base...(bytes.count - pattern.count) where bytes[index] == pattern[0] {
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] { continue outer }
                return index - base
            }
            return nil
        }
    }
}
