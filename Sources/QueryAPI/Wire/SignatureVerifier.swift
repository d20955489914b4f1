import Crypto
import Foundation

/// Verifies AWS Signature Version 4 on Query requests, for `serve --credentials AKID:SECRET`.
///
/// Follows AWS's "Signature Version 4 signing process": canonical request → string to sign →
/// HMAC-SHA256 chain of date, region, service and `aws4_request`. Only the header form
/// (`Authorization: AWS4-HMAC-SHA256 …` with `X-Amz-Date`) is accepted.
struct SignatureVerifier: Sendable {
    /// Secret keys by access key ID.
    var secrets: [String: String]
    /// The clock a signature's date is held to.
    var now: @Sendable () -> Date = { Date() }

    struct Parts {
        var accessKey: String
        var scope: [String]
        var signedHeaders: [String]
        var signature: String
    }

    /// Checks a request; throws `AuthFailure` (unknown key, missing or malformed signature) or
    /// `SignatureDoesNotMatch`.
    func verify(method: String, path: String, query: String, headers: [(String, String)], body: [UInt8]) throws(APIError) {
        guard let authorization = headers.first(where: { $0.0 == "authorization" })?.1 else {
            throw APIError(
                code: "AuthFailure", message: "AWS was not able to validate the provided access credentials (the request is not signed).", status: 401
            )
        }
        guard let parts = Self.parse(authorization) else {
            throw APIError(code: "AuthFailure", message: "The Authorization header is not a valid AWS4-HMAC-SHA256 signature.", status: 401)
        }
        guard let secret = secrets[parts.accessKey] else {
            throw APIError(code: "AuthFailure", message: "AWS was not able to validate the provided access credentials", status: 401)
        }
        guard let date = headers.first(where: { $0.0 == "x-amz-date" })?.1 else {
            throw APIError(code: "AuthFailure", message: "The request has no X-Amz-Date header.", status: 401)
        }
        let canonicalHeaders = parts.signedHeaders.map { name in
            let values = headers.filter { $0.0 == name }.map { Self.collapse($0.1) }
            return "\(name):\(values.joined(separator: ","))\n"
        }.joined()
        let canonicalRequest = [
            method, path.isEmpty ? "/" : path, Self.canonicalQuery(query), canonicalHeaders, parts.signedHeaders.joined(separator: ";"),
            Self.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", date, parts.scope.joined(separator: "/"), Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for component in parts.scope {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(component.utf8), using: key)))
        }
        let expected = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        guard expected == parts.signature.lowercased() else {
            throw APIError(
                code: "SignatureDoesNotMatch",
                message:
                    "The request signature we calculated does not match the signature you provided. Check "
                    + "your AWS Secret Access Key and signing method.",
                status: 403)
        }
        try checkFreshness(date, service: parts.scope.count > 2 ? parts.scope[2] : "ec2", now: now())
    }

    /// A signature is good for 15 minutes either side of its `X-Amz-Date` (EC2 API Reference, "Error codes":
    /// RequestExpired, "more than 15 minutes after the date stamp … or … more than 15 minutes in the
    /// future"), so a captured request cannot be replayed later. ELB answers as the Query services do:
    /// SignatureDoesNotMatch, "Signature expired: … (… - 15 min.)".
    func checkFreshness(_ stamp: String, service: String, now: Date) throws(APIError) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        guard let signed = formatter.date(from: stamp) else {
            throw APIError(code: "AuthFailure", message: "X-Amz-Date '\(stamp)' is not a date of the form 20261202T083000Z.", status: 401)
        }
        let window: TimeInterval = 15 * 60
        guard abs(now.timeIntervalSince(signed)) > window else { return }
        if service == "ec2" { throw APIError(code: "RequestExpired", message: "Request has expired.", status: 400) }
        let limit = signed < now ? now.addingTimeInterval(-window) : now.addingTimeInterval(window)
        let relation = signed < now ? "earlier" : "later"
        throw APIError(
            code: "SignatureDoesNotMatch",
            message: "Signature expired: \(stamp) is now \(relation) than \(formatter.string(from: limit)) "
                + "(\(formatter.string(from: now)) \(signed < now ? "-" : "+") 15 min.)", status: 403)
    }

    static func parse(_ authorization: String) -> Parts? {
        guard authorization.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
        var fields: [String: String] = [:]
        for item in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else { return nil }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else { return nil }
        return Parts(
            accessKey: scope[0], scope: Array(scope[1...]), signedHeaders: signed.split(separator: ";").map(String.init), signature: signature)
    }

    /// Query parameters sorted by name, each name and value URI-encoded (RFC 3986 unreserved kept).
    static func canonicalQuery(_ query: String) -> String {
        query.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in (String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)) }
            return (encode(decode(parts[0])), encode(parts.count > 1 ? decode(parts[1]) : ""))
        }.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func collapse(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
