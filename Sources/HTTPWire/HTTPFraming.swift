import NIOCore

/// Byte-level HTTP/1.1 framing, shared by the load balancer's proxy path and the Query API's front end: a message head is found and read
/// where it lies in the connection's buffer (no header objects), rewritten in one pass, and bodies are
/// relayed as the bytes that arrived, with only their boundaries tracked (Content-Length, chunked, or
/// until close). RFC 9112, "HTTP/1.1", sections 2-7.
package struct MessageHead {
    package init() {}

    /// Bytes of the head, through the blank line.
    package var length = 0
    package var major = 1
    package var minor = 1
    /// Requests: whether the method is HEAD (its response has no body) or CONNECT.
    package var isHead = false
    package var isConnect = false
    /// Responses: the status code.
    package var status = 0
    package var contentLength: Int?
    package var chunked = false
    package var hasTransferEncoding = false
    package var connectionClose = false
    package var connectionKeepAlive = false
    package var expectContinue = false

    /// Whether the connection stays open after this message (RFC 9112, 9.3).
    package var keepAlive: Bool {
        if connectionClose { return false }
        return major > 1 || (major == 1 && minor >= 1) || connectionKeepAlive
    }

    package enum Failure: Error {
        case incomplete, tooLarge
        case invalid(String)
    }

    /// Headers a proxy does not forward (RFC 9110, 7.6.1), and the ones the load balancer sets itself.
    package static func isHopByHop(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 2: return equalsLowercase(name, "te")
        case 6: return equalsLowercase(name, "expect")
        case 7: return equalsLowercase(name, "trailer") || equalsLowercase(name, "upgrade")
        case 10: return equalsLowercase(name, "connection") || equalsLowercase(name, "keep-alive")
        case 16: return equalsLowercase(name, "proxy-connection")
        case 19: return equalsLowercase(name, "proxy-authorization")
        default: return false
        }
    }

    package static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte >= 65 && byte <= 90 { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }

    package static func containsLowercase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        let count = lower.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        for start in 0...(bytes.count - count) where equalsLowercase(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]), lower) {
            return true
        }
        return false
    }

    /// The end of the head (index after "\r\n\r\n") in the bytes, if it is there.
    /// - Throws: `.invalid` at the first line that ends in a bare LF: RFC 9112 (section 2.2) lets a recipient
    ///   accept it, but a head whose lines end differently for two parsers is how requests are smuggled, so
    ///   it is refused at once (400) rather than waited on (HAProxy refuses it too).
    package static func headEnd(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 10 {
                guard index > 0, bytes[index - 1] == 13 else { throw .invalid("a line ends in LF without CR") }
                if index >= 3 && bytes[index - 2] == 10 && bytes[index - 3] == 13 { return index + 1 }
            }
            index += 1
        }
        return nil
    }

    /// Parses the head at the start of the bytes. `visit` sees the start line, then every header line
    /// as (name, value) without surrounding spaces; it may copy what it forwards.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer, limit: Int, isRequest: Bool,
        visit: (_ line: UnsafeRawBufferPointer, _ name: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer?) -> Void
    ) throws(Failure) -> MessageHead {
        guard let end = try headEnd(bytes) else {
            if bytes.count > limit { throw .tooLarge }
            throw .incomplete
        }
        if end > limit { throw .tooLarge }
        var head = MessageHead()
        head.length = end
        var lineStart = 0
        var first = true
        while lineStart < end - 2 {
            var lineEnd = lineStart
            while lineEnd < end && bytes[lineEnd] != 13 { lineEnd += 1 }
            guard lineEnd + 1 < end, bytes[lineEnd + 1] == 10 else { throw .invalid("a line does not end in CRLF") }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            if first {
                try head.parseStartLine(line, isRequest: isRequest)
                visit(line, nil, nil)
                first = false
            } else {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { throw .invalid("a header line has no name") }
                let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
                guard !name.contains(where: { $0 == 32 || $0 == 9 }) else { throw .invalid("a header name contains white space") }
                // RFC 9110, 5.1 and 5.5: a name is a token; a value has no control characters but HTAB.
                guard name.allSatisfy(Self.isTokenCharacter) else { throw .invalid("a header name has a character a token cannot") }
                guard !line[(colon + 1)...].contains(where: { ($0 < 32 && $0 != 9) || $0 == 127 }) else {
                    throw .invalid("a header value contains a control character")
                }
                var valueStart = colon + 1
                var valueEnd = line.count
                while valueStart < valueEnd && (line[valueStart] == 32 || line[valueStart] == 9) { valueStart += 1 }
                while valueEnd > valueStart && (line[valueEnd - 1] == 32 || line[valueEnd - 1] == 9) { valueEnd -= 1 }
                let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
                try head.note(name: name, value: value)
                visit(line, name, value)
            }
            lineStart = lineEnd + 2
        }
        if isRequest && head.hasTransferEncoding && head.contentLength != nil {
            throw .invalid("both Content-Length and Transfer-Encoding")
        }
        if isRequest && head.hasTransferEncoding && !head.chunked {
            throw .invalid("a request's Transfer-Encoding must end in chunked")
        }
        return head
    }

    /// Parses the head at the start of a buffer's readable bytes (the buffer is not moved).
    package static func parse(
        _ buffer: ByteBuffer, limit: Int, isRequest: Bool,
        visit: (_ line: UnsafeRawBufferPointer, _ name: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer?) -> Void
    ) -> Result<MessageHead, Failure> {
        buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(Failure) in try parse(bytes, limit: limit, isRequest: isRequest, visit: visit) }
        }
    }

    /// The start line, split at its first two spaces without copying: a request line is
    /// "METHOD TARGET HTTP/1.x", a status line "HTTP/1.x CODE [REASON]".
    private mutating func parseStartLine(_ line: UnsafeRawBufferPointer, isRequest: Bool) throws(Failure) {
        guard let firstSpace = line.firstIndex(of: 32) else { throw .invalid("malformed start line") }
        var secondSpace: Int?
        var index = firstSpace + 1
        while index < line.count {
            if line[index] == 32 {
                secondSpace = index
                break
            }
            index += 1
        }
        guard secondSpace != nil || !isRequest else { throw .invalid("malformed request line") }
        let versionRange = isRequest ? (secondSpace! + 1)..<line.count : 0..<firstSpace
        guard versionRange.count == 8, Self.equals(line, versionRange.lowerBound, "HTTP/"),
            line[versionRange.lowerBound + 6] == UInt8(ascii: "."),
            (48...57).contains(line[versionRange.lowerBound + 5]), (48...57).contains(line[versionRange.lowerBound + 7])
        else { throw .invalid("malformed HTTP version") }
        major = Int(line[versionRange.lowerBound + 5] - 48)
        minor = Int(line[versionRange.lowerBound + 7] - 48)
        guard major == 1 else { throw .invalid("unsupported HTTP version") }
        if isRequest {
            let method = UnsafeRawBufferPointer(rebasing: line[0..<firstSpace])
            guard !method.isEmpty, method.allSatisfy({ (65...90).contains($0) || $0 == 45 || $0 == 95 }) else { throw .invalid("malformed method") }
            isHead = method.count == 4 && Self.equals(method, 0, "HEAD")
            isConnect = method.count == 7 && Self.equals(method, 0, "CONNECT")
        } else {
            let codeEnd = secondSpace ?? line.count
            guard codeEnd - firstSpace == 4 else { throw .invalid("malformed status code") }
            let digits = (line[firstSpace + 1], line[firstSpace + 2], line[firstSpace + 3])
            guard (48...57).contains(digits.0), (48...57).contains(digits.1), (48...57).contains(digits.2) else {
                throw .invalid("malformed status code")
            }
            status = Int(digits.0 - 48) * 100 + Int(digits.1 - 48) * 10 + Int(digits.2 - 48)
        }
    }

    /// RFC 9110, 5.6.2: tchar.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func isChunked(_ coding: [UInt8]) -> Bool {
        coding.count == 7 && zip(coding, "chunked".utf8).allSatisfy { ($0 | 0x20) == $1 }
    }

    /// Whether the bytes at `offset` are exactly the text (case-sensitive).
    private static func equals(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        for index in 0..<count where bytes[offset + index] != text.utf8Start[index] { return false }
        return true
    }

    private mutating func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(Failure) {
        switch name.count {
        case 14 where Self.equalsLowercase(name, "content-length"):
            guard !value.isEmpty, value.count <= 18, value.allSatisfy({ (48...57).contains($0) }) else { throw .invalid("invalid Content-Length") }
            let length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
            if let contentLength, contentLength != length { throw .invalid("conflicting Content-Length values") }
            contentLength = length
        case 17 where Self.equalsLowercase(name, "transfer-encoding"):
            // Chunked only when it is the last coding (RFC 9112, 6.3): "xchunked" or "chunked, gzip" is not.
            hasTransferEncoding = true
            let last = value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).last ?? []
            let trimmed = last.drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }.reversed()
            chunked = Self.isChunked(Array(trimmed))
        case 10 where Self.equalsLowercase(name, "connection"):
            if Self.containsLowercase(value, "close") { connectionClose = true }
            if Self.containsLowercase(value, "keep-alive") { connectionKeepAlive = true }
        case 6 where Self.equalsLowercase(name, "expect"):
            if Self.containsLowercase(value, "100-continue") { expectContinue = true }
        default:
            break
        }
    }
}

/// Where a message body ends, tracked over the bytes as they arrive (RFC 9112, 6 and 7.1).
package struct BodyFramer {
    package enum State: Equatable {
        case length(Int)
        case chunkSize(Int, digits: Int)
        case chunkExtension(Int)
        case chunkSizeLF(Int)
        case chunkData(Int)
        case chunkDataCR, chunkDataLF
        case trailerStart, trailerLine, trailerLineLF, finalLF
        case untilClose
        case done
    }

    package var state: State

    package init(state: State) { self.state = state }

    /// The framing of a request body.
    package static func request(_ head: MessageHead) -> BodyFramer {
        if head.chunked { return BodyFramer(state: .chunkSize(0, digits: 0)) }
        return BodyFramer(state: (head.contentLength ?? 0) > 0 ? .length(head.contentLength!) : .done)
    }

    /// The framing of a response body, given the request it answers (RFC 9112, 6.3).
    package static func response(_ head: MessageHead, toHeadRequest: Bool) -> BodyFramer {
        if toHeadRequest || head.status / 100 == 1 || head.status == 204 || head.status == 304 { return BodyFramer(state: .done) }
        if head.chunked { return BodyFramer(state: .chunkSize(0, digits: 0)) }
        if head.hasTransferEncoding { return BodyFramer(state: .untilClose) }
        if let length = head.contentLength { return BodyFramer(state: length > 0 ? .length(length) : .done) }
        return BodyFramer(state: .untilClose)
    }

    package var isDone: Bool { state == .done }

    package struct Invalid: Error {}

    /// How many of the bytes belong to the body (the rest is the next message).
    package mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(Invalid) -> Int {
        var index = 0
        while index < bytes.count {
            switch state {
            case .done:
                return index
            case .untilClose:
                return bytes.count
            case .length(let remaining):
                let take = min(remaining, bytes.count - index)
                index += take
                state = remaining - take == 0 ? .done : .length(remaining - take)
            case .chunkData(let remaining):
                let take = min(remaining, bytes.count - index)
                index += take
                state = remaining - take == 0 ? .chunkDataCR : .chunkData(remaining - take)
            default:
                try step(bytes[index])
                index += 1
            }
        }
        return index
    }

    private mutating func step(_ byte: UInt8) throws(Invalid) {
        switch state {
        case .chunkSize(let size, let digits):
            if let digit = Self.hex(byte) {
                guard digits < 15 else { throw Invalid() }
                state = .chunkSize(size * 16 + digit, digits: digits + 1)
            } else if digits > 0 && (byte == 59 || byte == 32 || byte == 9) {
                state = .chunkExtension(size)
            } else if digits > 0 && byte == 13 {
                state = .chunkSizeLF(size)
            } else {
                throw Invalid()
            }
        case .chunkExtension(let size):
            // An extension ends at CR; a bare LF or another control character in it is not HTTP.
            if byte == 13 {
                state = .chunkSizeLF(size)
            } else if (byte < 32 && byte != 9) || byte == 127 {
                throw Invalid()
            }
        case .chunkSizeLF(let size):
            guard byte == 10 else { throw Invalid() }
            state = size == 0 ? .trailerStart : .chunkData(size)
        case .chunkDataCR:
            guard byte == 13 else { throw Invalid() }
            state = .chunkDataLF
        case .chunkDataLF:
            guard byte == 10 else { throw Invalid() }
            state = .chunkSize(0, digits: 0)
        case .trailerStart:
            state = byte == 13 ? .finalLF : .trailerLine
        case .trailerLine:
            if byte == 13 {
                state = .trailerLineLF
            } else if (byte < 32 && byte != 9) || byte == 127 {
                throw Invalid()
            }
        case .trailerLineLF:
            guard byte == 10 else { throw Invalid() }
            state = .trailerStart
        case .finalLF:
            guard byte == 10 else { throw Invalid() }
            state = .done
        case .length, .chunkData, .untilClose, .done:
            break
        }
    }

    private static func hex(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }
}
