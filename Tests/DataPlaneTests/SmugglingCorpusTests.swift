import Foundation
import Testing

@testable import HTTPWire

/// A corpus of malformed and smuggling-style requests for the one HTTP/1.1 parser that the API front end
/// and the ELB proxy share: each is refused (the servers answer 400 and close, as HAProxy does), never
/// read two ways (RFC 9112, 6.3 and 11.2; RFC 9110, 5.5).
struct SmugglingCorpusTests {
    /// Heads that must be refused, with why.
    static let invalidHeads: [(String, String)] = [
        ("POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n", "bare LF line endings"),
        ("GET / HTTP/1.1\r\nHost: x\nX-A: y\r\n\r\n", "one bare LF among CRLFs"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "Content-Length and Transfer-Encoding"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "two different Content-Lengths"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", "a signed Content-Length"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "a negative Content-Length"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 5\r\n\r\n", "a list in Content-Length"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n", "a hexadecimal Content-Length"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", "a coding that only contains chunked"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "chunked not last"),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "a request body of unknown length"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n", "obs-fold"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", "NUL in a value"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{7F}b\r\n\r\n", "DEL in a value"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "a lone CR in a value"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", "a name that is not a token"),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "white space before the colon"),
        ("GET / HTTP/1.1\r\nHost x\r\n\r\n", "a header line without a colon"),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/2 over HTTP/1.1 framing"),
        ("GET /\r\n\r\n", "an HTTP/0.9 request line"),
        ("get / HTTP/1.1\r\nHost: x\r\n\r\n", "a lowercase method"),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "two spaces in the request line"),
        ("GARBAGE\r\n\r\n", "garbage"),
    ]

    @Test(arguments: invalidHeads)
    func malformedHeadsAreRefused(head: String, why: String) {
        let result = Array(head.utf8).withUnsafeBytes { raw in
            Result { () throws(MessageHead.Failure) in try MessageHead.parse(raw, limit: 16384, isRequest: true) { _, _, _ in } }
        }
        guard case .failure(.invalid) = result else {
            Issue.record("\(why): not refused (\(result))")
            return
        }
    }

    @Test func wellFormedVariantsStillParse() throws {
        for head in [
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            "GET / HTTP/1.0\r\nX-Tab:\tvalue\t\r\n\r\n",
        ] {
            let parsed = Array(head.utf8).withUnsafeBytes { raw in
                Result { () throws(MessageHead.Failure) in try MessageHead.parse(raw, limit: 16384, isRequest: true) { _, _, _ in } }
            }
            guard case .success = parsed else {
                Issue.record("\(head.debugDescription) is valid HTTP/1.1 but was refused: \(parsed)")
                continue
            }
        }
    }

    /// Chunked bodies: a size too large to be one, an extension with a bare LF or a control character, a
    /// chunk not closed by CRLF, a trailer with a control character.
    @Test(arguments: [
        ("FFFFFFFFFFFFFFFF0\r\n", "a chunk size of 17 hex digits"),
        ("5;ext\nhello\r\n0\r\n\r\n", "a bare LF in a chunk extension"),
        ("5;e\u{1}x\r\nhello\r\n0\r\n\r\n", "a control character in a chunk extension"),
        ("5\r\nhelloXX0\r\n\r\n", "a chunk not closed by CRLF"),
        ("0\r\nX-T: a\u{0}\r\n\r\n", "a control character in a trailer"),
        ("Z\r\n", "a chunk size that is not hexadecimal"),
    ])
    func malformedChunkedBodiesAreRefused(body: String, why: String) {
        var framer = BodyFramer(state: .chunkSize(0, digits: 0))
        #expect(throws: BodyFramer.Invalid.self, "\(why)") { _ = try Array(body.utf8).withUnsafeBytes { try framer.consume($0) } }
    }
}
