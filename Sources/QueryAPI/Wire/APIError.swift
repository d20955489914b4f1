/// An error in AWS's shape: an error code, a message, and the HTTP status botocore expects.
struct APIError: Error, Sendable, Equatable {
    var code: String
    var message: String
    var status: Int = 400

    static func missingParameter(_ message: String) -> APIError { APIError(code: "MissingParameter", message: message) }
    static func invalidParameterValue(_ message: String) -> APIError { APIError(code: "InvalidParameterValue", message: message) }
    static func invalidParameterCombination(_ message: String) -> APIError { APIError(code: "InvalidParameterCombination", message: message) }
    static func malformedQueryString(_ message: String) -> APIError { APIError(code: "MalformedQueryString", message: message) }
    static func dependencyViolation(_ message: String) -> APIError { APIError(code: "DependencyViolation", message: message) }
    static func invalidAction(_ action: String) -> APIError {
        APIError(code: "InvalidAction", message: "The action \(action) is not valid for this web service.")
    }
    /// EC2's `Invalid<Resource>ID.NotFound` family: "The vpc ID 'vpc-1' does not exist".
    static func notFound(_ code: String, _ noun: String, _ id: String) -> APIError {
        APIError(code: code, message: "The \(noun) ID '\(id)' does not exist")
    }
    /// EC2's answer to a call with DryRun=true that would have succeeded.
    static let dryRunOperation = APIError(code: "DryRunOperation", message: "Request would have succeeded, but DryRun flag is set.", status: 412)

    static func internalError(_ message: String) -> APIError { APIError(code: "InternalError", message: message, status: 500) }
}
