import Foundation
import HashTreeCollections
import NIOCore
import Synchronization
import VPCModel
import VPCStore

/// Holds the data plane's health lookup for `DescribeInstanceHealth`.
final class HealthSourceBox: Sendable {
    private let source = Mutex<(@Sendable (String, String, String) -> LiveInstanceHealth?)?>(nil)
    func withLock<T>(_ body: (inout (@Sendable (String, String, String) -> LiveInstanceHealth?)?) -> T) -> T { source.withLock { body(&$0) } }
    func lookup(region: String, balancer: String, instance: String) -> LiveInstanceHealth? {
        source.withLock { $0 }?(region, balancer, instance)
    }
}

/// The EC2 + Classic ELB Query API of `localvpc serve`.
///
/// Both services share one endpoint. A request is routed on the service of its SigV4 credential scope
/// (`Credential=AKID/20261129/us-east-1/ec2/aws4_request`), or on `Version` when unsigned; the scope's
/// region selects the region. Credentials are accepted as given.
public struct QueryAPIServer: Sendable {
    public static let ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
    public static let elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"
    /// Larger bodies are refused (413) before they are parsed.
    public static let maximumBodySize = 1 << 20

    let emulator: Emulator
    let accountID: String
    /// The intents and scopes of a loaded design, verified again after every change (the console, `status`).
    let claims = Claims()
    /// When set, every request must carry a valid SigV4 signature from one of these credentials.
    let verifier: SignatureVerifier?

    /// - Parameters:
    ///   - store: where state lives (a file, or in memory for tests).
    ///   - accountID: the 12-digit account every resource belongs to.
    ///   - credentials: access key ID → secret; when given, requests must be signed with one of them (SigV4).
    public init(store: Store, accountID: String = "123456789012", credentials: [String: String]? = nil) throws {
        self.emulator = try Emulator(store: store, accountID: accountID)
        self.accountID = accountID
        self.verifier = credentials.map { SignatureVerifier(secrets: $0) }
    }

    /// The service and region a request is for.
    struct Target {
        enum Service { case ec2, elb, sts }
        var service: Service
        var region: String
    }

    static func target(authorization: String?, version: String?) -> Target {
        var region = "us-east-1"
        var service: Target.Service?
        if let authorization, let start = credentialStart(authorization) {
            // "AKID/20261129/us-east-1/ec2/aws4_request": the third and fourth fields, read in place.
            let bytes = authorization.utf8
            var fields: [Range<String.UTF8View.Index>] = []
            var fieldStart = start
            var index = start
            while fields.count < 5 {
                if index == bytes.endIndex || bytes[index] == UInt8(ascii: "/") || bytes[index] == UInt8(ascii: ",")
                    || bytes[index] == UInt8(ascii: " ")
                {
                    fields.append(fieldStart..<index)
                    if index == bytes.endIndex || bytes[index] != UInt8(ascii: "/") { break }
                    fieldStart = bytes.index(after: index)
                }
                index = bytes.index(after: index)
            }
            if fields.count >= 5 {
                region = String(Substring(bytes[fields[2]]))
                let name = bytes[fields[3]]
                service =
                    name.elementsEqual("elasticloadbalancing".utf8)
                    ? .elb : name.elementsEqual("ec2".utf8) ? .ec2 : name.elementsEqual("sts".utf8) ? .sts : nil
            }
        }
        return Target(service: service ?? (version == "2012-06-01" ? .elb : version == "2011-06-15" ? .sts : .ec2), region: region)
    }

    /// Where the credential scope starts ("Credential=" found by bytes, without Foundation's search).
    static func credentialStart(_ authorization: String) -> String.UTF8View.Index? {
        let marker = Array("Credential=".utf8)
        let bytes = authorization.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index...].starts(with: marker) { return bytes.index(index, offsetBy: marker.count) }
            index = bytes.index(after: index)
        }
        return nil
    }

    /// A request ID in AWS's UUID form (version 4 layout), without a system call.
    package static func makeRequestID() -> String {
        let high = IDRandom.next()
        let low = (IDRandom.next() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        let version4 = (high & 0xffff_ffff_ffff_0fff) | 0x4000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            func put(_ value: UInt64, _ count: Int) {
                for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int(value >> UInt64(shift) & 15)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = UInt8(ascii: "-")
                index += 1
            }
            put(version4 >> 32, 8)
            dash()
            put(version4 >> 16, 4)
            dash()
            put(version4, 4)
            dash()
            put(low >> 48, 4)
            dash()
            put(low, 12)
            return index
        }
    }

    /// A Query request as the front end read it.
    struct QueryRequest: Sendable {
        var method: String
        var path: String
        var query: String
        /// Header names lowercased.
        var headers: [(String, String)]
        var host: String
        var body: ByteBuffer
        /// The body was larger than `maximumBodySize` (and was not kept).
        var bodyTooLarge = false
        /// The form text (query string and body) and its plain `Action`, once `prepare()` has read them.
        var form: Result<String, APIError>?
        var plainAction: String?

        var authorization: String? { headers.first { $0.0 == "authorization" }?.1 }

        /// Reads the form text and the action once, for the checks that look at them before the call runs.
        mutating func prepare() {
            if form == nil { form = Result { () throws(APIError) in try QueryAPIServer.formText(self) } }
            plainAction = (try? form?.get()).flatMap(QueryAPIServer.action(in:))
        }

        /// The `Action` if it needs no decoding (from `prepare()`, or read now).
        var quickAction: String? { plainAction ?? (try? QueryAPIServer.formText(self)).flatMap(QueryAPIServer.action(in:)) }
    }

    /// A rendered response: status and XML text.
    struct QueryResponse: Sendable {
        var status: Int
        var text: String
    }

    /// The form text of a request: its query string and its body.
    static func formText(_ request: QueryRequest) throws(APIError) -> String {
        if let form = request.form { return try form.get() }
        var text = request.query
        if request.body.readableBytes > 0 {
            guard let bodyText = String(validating: request.body.readableBytesView, as: UTF8.self) else {
                throw APIError.malformedQueryString("The request body is not valid UTF-8.")
            }
            text += text.isEmpty ? bodyText : "&" + bodyText
        }
        return text
    }

    /// A `Describe*` answer straight from the cache of rendered results, without leaving the event
    /// loop; nil when the request needs the full path (not cached, signed-request checking, not EC2).
    func respondFromCache(_ request: QueryRequest) -> QueryResponse? {
        guard verifier == nil, !request.bodyTooLarge, let action = request.quickAction, action.hasPrefix("Describe"),
            let text = try? Self.formText(request), !text.contains("DryRun="), let authorization = request.authorization
        else { return nil }
        let target = Self.target(authorization: authorization, version: nil)
        guard target.service == .ec2, EC2Router.handlers[action] != nil,
            let cached = emulator.cachedResponse(region: target.region, key: "\(action)?\(text)")
        else { return nil }
        return Self.ec2Response(action: action, requestID: Self.makeRequestID(), rendered: cached)
    }

    /// Whether a request is cheap enough to answer on the event loop that read it: every call except
    /// the reads that render or analyze a whole region (`Describe*`, `StartNetworkInsightsAnalysis`).
    func runsInline(_ request: QueryRequest) -> Bool {
        guard let action = request.quickAction else { return true }
        return !action.hasPrefix("Describe") && action != "StartNetworkInsightsAnalysis"
    }

    /// The value of the first `Action=` parameter, if it needs no decoding.
    static func action(in text: String) -> String? {
        let bytes = text.utf8
        var pairStart = bytes.startIndex
        // Pair by pair, without splitting the text.
        while pairStart < bytes.endIndex {
            let pairEnd = bytes[pairStart...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            let pair = bytes[pairStart..<pairEnd]
            if pair.starts(with: "Action=".utf8) {
                let value = pair.dropFirst(7)
                guard value.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0) }) else { return nil }
                return String(Substring(value))
            }
            pairStart = pairEnd < bytes.endIndex ? bytes.index(after: pairEnd) : pairEnd
        }
        return nil
    }

    func respond(_ request: QueryRequest) -> QueryResponse {
        let requestID = Self.makeRequestID()
        var target = Self.target(authorization: request.authorization, version: nil)
        do {
            if request.bodyTooLarge {
                throw APIError(code: "RequestEntityTooLarge", message: "The request body is larger than \(Self.maximumBodySize) bytes.", status: 413)
            }
            if let verifier {
                let hasHost = request.headers.contains { $0.0 == "host" }
                let headers = hasHost ? request.headers : request.headers + [("host", request.host)]
                try verifier.verify(
                    method: request.method, path: request.path, query: request.query, headers: headers,
                    body: Array(request.body.readableBytesView))
            }
            let text = try Self.formText(request)
            let parameters = try QueryParameters(formEncoded: Substring(text))
            target = Self.target(authorization: request.authorization, version: parameters["Version"])
            guard let action = parameters.string("Action") else {
                throw APIError(code: "MissingAction", message: "The request must contain the parameter Action")
            }
            switch target.service {
            case .ec2:
                guard let handler = EC2Router.handlers[action] else { throw APIError.invalidAction(action) }
                // DryRun (EC2 API Reference, "Common query parameters"): the call is checked as if it ran and
                // changes nothing; a call that would have succeeded is DryRunOperation (412).
                if try parameters.bool("DryRun") == true {
                    let call = EC2Call(parameters: parameters, region: target.region, accountID: accountID, emulator: emulator)
                    try Emulator.$dryRun.withValue(true) { _ = try handler(call) }
                    throw APIError.dryRunOperation
                }
                // Describe calls answer from the committed state of the region; the rendered result is
                // cached per state version and dropped on the region's next change.
                let cacheable = action.hasPrefix("Describe")
                let key = cacheable ? "\(action)?\(text)" : ""
                if cacheable, let cached = emulator.cachedResponse(region: target.region, key: key) {
                    return Self.ec2Response(action: action, requestID: requestID, rendered: cached)
                }
                let version = cacheable ? emulator.version(of: target.region) : 0
                let children = try handler(EC2Call(parameters: parameters, region: target.region, accountID: accountID, emulator: emulator))
                var rendered = ""
                for child in children { child.render(into: &rendered) }
                if cacheable { emulator.cache(rendered, region: target.region, key: key, version: version) }
                return Self.ec2Response(action: action, requestID: requestID, rendered: rendered)
            case .sts:
                // The first call of many tools: who am I (STS API Reference, GetCallerIdentity).
                guard action == "GetCallerIdentity" else { throw APIError.invalidAction(action) }
                let accessKey = request.authorization.flatMap(SignatureVerifier.parse)?.accessKey ?? "AKIDLOCALVPC"
                var root = XML(
                    "GetCallerIdentityResponse",
                    [
                        XML(
                            "GetCallerIdentityResult",
                            [XML("Arn", "arn:aws:iam::\(accountID):user/localvpc"), XML("UserId", accessKey), XML("Account", accountID)]),
                        XML("ResponseMetadata", [XML("RequestId", requestID)]),
                    ])
                root.attributes = "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\""
                return Self.xmlResponse(200, root)
            case .elb:
                guard let handler = ELBActions.handlers[action] else { throw APIError.invalidAction(action) }
                let children = try handler(EC2Call(parameters: parameters, region: target.region, accountID: accountID, emulator: emulator))
                return Self.elbResponse(action: action, requestID: requestID, children: children)
            }
        } catch let error as APIError {
            return target.service == .elb ? Self.elbError(error, requestID: requestID) : Self.ec2Error(error, requestID: requestID)
        } catch {
            let failure = APIError.internalError("An internal error has occurred: \(error)")
            return target.service == .elb ? Self.elbError(failure, requestID: requestID) : Self.ec2Error(failure, requestID: requestID)
        }
    }
}

/// Every EC2 action LocalVPC answers.
enum EC2Router {
    static let handlers: [String: EC2Handler] = {
        var all: [String: EC2Handler] = [:]
        for table in [
            NetworkActions.handlers, RoutingActions.handlers, SecurityGroupActions.handlers, InstanceActions.handlers,
            AddressActions.handlers, AccountActions.handlers, InsightsActions.handlers, LaunchTemplateActions.handlers, AccessScopeActions.handlers,
        ] {
            all.merge(table) { first, _ in first }
        }
        return all
    }()
}

extension QueryAPIServer {
    /// Replaces the state of the topology's region with the topology (for `serve --load`).
    /// Forgets every region (a new account: default VPCs come back when used).
    public func reset() throws { try emulator.reset() }

    public func replaceRegion(with topology: Topology) async throws {
        try emulator.replace(region: topology.region, with: topology)
    }
}

extension QueryAPIServer {
    /// A region's network with resources named by their Name tags, and the VPC to export: the one
    /// asked for, else the only VPC that is not the default VPC.
    public func exportTopology(region: String, vpc: String?) async throws -> (Topology, VPC.ID) {
        let (state, topology) = try namedTopology(region: region)
        if let vpc {
            guard state[VPC.self][vpc] != nil else { throw APIError.notFound("InvalidVpcID.NotFound", "vpc", vpc) }
            return (topology, VPC.ID(vpc))
        }
        let candidates = state[VPC.self].values.filter { state.meta($0.id.rawValue, .isDefault) != "true" }.map(\.id).sorted()
        guard candidates.count == 1 else {
            throw APIError.invalidParameterValue(
                candidates.isEmpty
                    ? "Region \(region) has only its default VPC; name it with --vpc."
                    : "Region \(region) has several VPCs (\(candidates.map(\.rawValue).joined(separator: ", "))); choose one with --vpc.")
        }
        return (topology, candidates[0])
    }
}

extension QueryAPIServer {
    /// A region's network with resources named by their Name tags (as `export` writes it and the
    /// data plane names instances).
    func namedTopology(region: String) throws(APIError) -> (RegionState, Topology) {
        let state = try emulator.snapshot(region)
        var topology = state.topology
        topology.accountID = accountID
        for row in Topology.kinds { row.adoptTagNames(in: &topology) { state.tags(of: $0)["Name"] } }
        return (state, topology)
    }

    /// A region's live network for the data plane: its version (bumped by every change) and its
    /// resources named by their Name tags. Calls between changes return the same version.
    public func liveNetwork(region: String) async throws -> (version: Int, topology: Topology) {
        let version = emulator.version(of: region)
        let (_, topology) = try namedTopology(region: region)
        return (version, topology)
    }

    /// The version of a region's state, bumped by every change.
    public func stateVersion(region: String) -> Int { emulator.version(of: region) }

    /// Makes `DescribeInstanceHealth` report what a running data plane's health checks found,
    /// instead of the engine's static answer.
    public func reportHealth(from source: @escaping @Sendable (_ region: String, _ balancer: String, _ instance: String) -> LiveInstanceHealth?) {
        emulator.healthSource.withLock { $0 = source }
    }
}

/// An instance's health as a running data plane's health checks found it.
public struct LiveInstanceHealth: Sendable {
    public var state: String
    public var reasonCode: String
    public var description: String
    public init(state: String, reasonCode: String, description: String) {
        self.state = state
        self.reasonCode = reasonCode
        self.description = description
    }
}

extension APIError: CustomStringConvertible {
    var description: String { "\(code): \(message)" }
}
