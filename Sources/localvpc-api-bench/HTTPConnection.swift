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
    private var buffer: [UInt8] = []
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
    }

    /// Sends one request; returns the status and body.
    func send(_ request: [UInt8]) throws -> (status: Int, body: String) {
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
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 65536, 0) }
        guard n > 0 else { throw Failure(description: "closed") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readResponse() throws -> (status: Int, body: String) {
        var headerEnd: Int?
        while headerEnd == nil {
            if let index = find([13, 10, 13, 10]) { headerEnd = index } else { try fill() }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        let http10 = statusLine.first == "HTTP/1.0"
        var length = 0
        var close = http10
        var chunked = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: " ").lowercased() }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "content-length": length = Int(parts[1]) ?? 0
            case "connection": close = parts[1] == "close" ? true : (parts[1] == "keep-alive" ? false : close)
            case "transfer-encoding": chunked = parts[1].contains("chunked")
            default: break
            }
        }
        buffer.removeFirst(headerEnd! + 4)
        var body: [UInt8] = []
        if chunked {
            while true {
                var lineEnd = find([13, 10])
                while lineEnd == nil { try fill(); lineEnd = find([13, 10]) }
                let size = Int(String(decoding: buffer[0..<lineEnd!], as: UTF8.self), radix: 16) ?? 0
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { try fill() }
                body += buffer[0..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        } else {
            while buffer.count < length { try fill() }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        }
        if close { try connect() ; reconnects += 1 }
        return (status, String(decoding: body, as: UTF8.self))
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            outer: for index in 0...(bytes.count - pattern.count) where bytes[index] == pattern[0] {
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] { continue outer }
                return index
            }
            return nil
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
