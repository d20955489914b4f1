/// An error thrown when input cannot form a valid network model.
///
/// Every error names what is wrong in a full sentence and, where it can, the resource and field
/// it is about, so a file loader can point at the line that holds it.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error category.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidAddress, invalidCIDRBlock, invalidPortRange, invalidProtocol
            case cidrOutsideVPC, overlappingSubnets, addressOutsideSubnet, duplicateAddress
            case unknownReference, duplicateName, duplicateRuleNumber, invalidRuleNumber
            case invalidValue, missingValue, unsupported
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let invalidAddress = Code(.invalidAddress)
        public static let invalidCIDRBlock = Code(.invalidCIDRBlock)
        public static let invalidPortRange = Code(.invalidPortRange)
        public static let invalidProtocol = Code(.invalidProtocol)
        public static let cidrOutsideVPC = Code(.cidrOutsideVPC)
        public static let overlappingSubnets = Code(.overlappingSubnets)
        public static let addressOutsideSubnet = Code(.addressOutsideSubnet)
        public static let duplicateAddress = Code(.duplicateAddress)
        public static let unknownReference = Code(.unknownReference)
        public static let duplicateName = Code(.duplicateName)
        public static let duplicateRuleNumber = Code(.duplicateRuleNumber)
        public static let invalidRuleNumber = Code(.invalidRuleNumber)
        public static let invalidValue = Code(.invalidValue)
        public static let missingValue = Code(.missingValue)
        public static let unsupported = Code(.unsupported)

        public var description: String { base.rawValue }
    }

    /// What the error is about: a resource ID and, optionally, one of its fields.
    public struct Subject: Hashable, Sendable {
        public var resource: String
        public var field: String?
        public init(resource: String, field: String? = nil) {
            self.resource = resource
            self.field = field
        }
    }

    public var code: Code
    /// A full sentence, e.g. "10.0.0.1/16 has host bits set."
    public var message: String
    public var subject: Subject?

    public init(_ code: Code, _ message: String, subject: Subject? = nil) {
        self.code = code
        self.message = message
        self.subject = subject
    }

    public var description: String { message }
}
