import Testing

@testable import HTTPWire

/// The proxy path's byte-level HTTP/1.1 framing (RFC 9112).
@Suite struct HTTPFramingTests {
    static func parse(_ text: String, isRequest: Bool = true, limit: Int = 16384) throws(MessageHead.Failure) -> (MessageHead, [String]) {
        var lines: [String] = []
        let bytes = Array(text.utf8)
        let head = try bytes.withUnsafeBytes { raw in
            Result { () throws(MessageHead.Failure) in
                try MessageHead.parse(raw, limit: limit, isRequest: isRequest) { line, name, _ in
                    if let name, MessageHead.isHopByHop(name) { return }
                    lines.append(String(decoding: line, as: UTF8.self))
                }
            }
        }.get()
        return (head, lines)
    }

    static func consume(_ framer: inout BodyFramer, _ text: String) throws -> Int {
        try Array(text.utf8).withUnsafeBytes { try framer.consume($0) }
    }

    @Test func requestHeadIsParsedAndHopByHopHeadersAreDropped() throws {
        let (head, lines) = try Self.parse(
            "POST /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"
        )
        #expect(
            head.length
                == ("POST /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: "
                + "h2c\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").utf8.count)
        #expect(head.contentLength == 5 && head.keepAlive && head.expectContinue && !head.isHead)
        #expect(lines == ["POST /a HTTP/1.1", "Host: x", "Content-Length: 5"])
    }

    /// RFC 9112, 9.3: HTTP/1.1 is persistent unless "close"; HTTP/1.0 only with "keep-alive".
    @Test func persistence() throws {
        #expect(try Self.parse("GET / HTTP/1.1\r\n\r\n").0.keepAlive)
        #expect(try !Self.parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").0.keepAlive)
        #expect(try !Self.parse("GET / HTTP/1.0\r\n\r\n").0.keepAlive)
        #expect(try Self.parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").0.keepAlive)
    }

    /// RFC 9112, 6.3: a request with both Content-Length and Transfer-Encoding is refused (request smuggling).
    @Test func malformedHeadsAreRefused() {
        #expect(throws: MessageHead.Failure.self) { try Self.parse("GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") }
        #expect(throws: MessageHead.Failure.self) { try Self.parse("GARBAGE\r\n\r\n") }
        #expect(throws: MessageHead.Failure.self) { try Self.parse("GET / HTTP/2.0\r\n\r\n") }
        #expect(throws: MessageHead.Failure.self) { try Self.parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") }
        #expect(throws: MessageHead.Failure.self) { try Self.parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") }
        #expect(throws: MessageHead.Failure.self) {
            try Self.parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 200) + "\r\n\r\n", limit: 100)
        }
        do {
            _ = try Self.parse("GET / HTTP/1.1\r\nHost: x\r\n")
            Issue.record("an incomplete head parsed")
        } catch {
            guard case .incomplete = error else {
                Issue.record("expected incomplete, got \(error)")
                return
            }
        }
    }

    /// RFC 9112, 3 and 4: "method SP request-target SP HTTP-version" and "HTTP-version SP status-code
    /// SP [reason-phrase]"; the method is case-sensitive, the status code three digits.
    @Test func startLines() throws {
        let head = try Self.parse("HEAD /x HTTP/1.1\r\n\r\n").0
        #expect(head.isHead && !head.isConnect && head.major == 1 && head.minor == 1)
        #expect(try Self.parse("CONNECT example.com:443 HTTP/1.1\r\n\r\n").0.isConnect)
        #expect(try !Self.parse("HEADER / HTTP/1.0\r\n\r\n").0.isHead)
        #expect(try Self.parse("HTTP/1.1 404\r\n\r\n", isRequest: false).0.status == 404)
        #expect(try Self.parse("HTTP/1.0 503 Service Unavailable\r\n\r\n", isRequest: false).0.status == 503)
        for bad in ["get / HTTP/1.1", "GET /", "GET / HTTP/1.10", "GET / http/1.1", "GET  HTTP/1.1x", " / HTTP/1.1", "GET /a b HTTP/1.1"] {
            #expect(throws: MessageHead.Failure.self, "\(bad)") { try Self.parse(bad + "\r\n\r\n") }
        }
        for bad in ["HTTP/1.1 20 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1 2000 OK", "HTTP/1.1", "HTTP/3.0 200 OK"] {
            #expect(throws: MessageHead.Failure.self, "\(bad)") { try Self.parse(bad + "\r\n\r\n", isRequest: false) }
        }
    }

    /// RFC 9112, 6.3: responses to HEAD, 1xx, 204 and 304 have no body; without a length, the body runs to the close.
    @Test func responseFraming() throws {
        let ok = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", isRequest: false).0
        #expect(ok.status == 200)
        #expect(BodyFramer.response(ok, toHeadRequest: false).state == .length(4))
        #expect(BodyFramer.response(ok, toHeadRequest: true).isDone)
        let noContent = try Self.parse("HTTP/1.1 204 No Content\r\n\r\n", isRequest: false).0
        #expect(BodyFramer.response(noContent, toHeadRequest: false).isDone)
        let unframed = try Self.parse("HTTP/1.0 200 OK\r\n\r\n", isRequest: false).0
        #expect(BodyFramer.response(unframed, toHeadRequest: false).state == .untilClose)
    }

    /// RFC 9112, 7.1: chunked bodies end with the zero-size chunk and the trailer section; bytes after
    /// that belong to the next message (pipelining).
    @Test func chunkedBodiesAreDelimited() throws {
        var framer = BodyFramer.request(try Self.parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").0)
        let body = "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n"
        let used = try Self.consume(&framer, body + "GET /next HTTP/1.1\r\n\r\n")
        #expect(used == body.utf8.count)
        #expect(framer.isDone)
        // The same body arriving a byte at a time.
        var slow = BodyFramer.request(try Self.parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").0)
        var total = 0
        for byte in body { total += try Self.consume(&slow, String(byte)) }
        #expect(total == body.utf8.count && slow.isDone)
        var bad = BodyFramer(state: .chunkSize(0, digits: 0))
        #expect(throws: BodyFramer.Invalid.self) { try Self.consume(&bad, "zz\r\n") }
    }

    @Test func contentLengthBodiesStopAtTheirLength() throws {
        var framer = BodyFramer.request(try Self.parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").0)
        #expect(try Self.consume(&framer, "ab") == 2)
        #expect(try Self.consume(&framer, "cGET") == 1)
        #expect(framer.isDone)
    }
}
