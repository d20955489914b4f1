import Foundation
import HashTreeCollections
import NIOCore
import Synchronization
import VPCModel
import VPCStore

/// The XML bodies of answers and errors, EC2's and ELB's.
extension QueryAPIServer {
    static func xmlResponse(_ status: Int, _ root: XML) -> QueryResponse {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        text.reserveCapacity(1024)
        root.render(into: &text)
        return QueryResponse(status: status, text: text)
    }

    /// An EC2 response around its already-rendered children.
    static func ec2Response(action: String, requestID: String, rendered: String) -> QueryResponse {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(action)Response xmlns=\"\(ec2Namespace)\"><requestId>\(requestID)</requestId>"
        text.reserveCapacity(text.utf8.count + rendered.utf8.count + action.utf8.count + 16)
        text += rendered
        text += "</\(action)Response>"
        return QueryResponse(status: 200, text: text)
    }

    static func elbResponse(action: String, requestID: String, children: [XML]) -> QueryResponse {
        var root = XML("\(action)Response", [XML("\(action)Result", children), XML("ResponseMetadata", [XML("RequestId", requestID)])])
        root.attributes = "xmlns=\"\(elbNamespace)\""
        return xmlResponse(200, root)
    }

    /// EC2's error shape: `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors><RequestID>…`.
    static func ec2Error(_ error: APIError, requestID: String) -> QueryResponse {
        xmlResponse(
            error.status,
            XML(
                "Response",
                [
                    XML("Errors", [XML("Error", [XML("Code", error.code), XML("Message", error.message)])]), XML("RequestID", requestID),
                ]))
    }

    /// The awsQuery error shape of ELB: `<ErrorResponse><Error><Type>Sender</Type><Code>…`.
    static func elbError(_ error: APIError, requestID: String) -> QueryResponse {
        var root = XML(
            "ErrorResponse",
            [
                XML("Error", [XML("Type", error.status >= 500 ? "Receiver" : "Sender"), XML("Code", error.code), XML("Message", error.message)]),
                XML("RequestId", requestID),
            ])
        root.attributes = "xmlns=\"\(elbNamespace)\""
        return xmlResponse(error.status, root)
    }
}
