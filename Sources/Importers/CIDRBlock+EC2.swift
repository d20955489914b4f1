import VPCModel

extension CIDRBlock {
    /// A block as templates and describe calls write it, stored as EC2 stores it: host bits cleared
    /// (`10.0.0.28/29` is `10.0.0.24/29`); nil when it is not an IPv4 block.
    init?(storedByEC2 text: String) {
        if let block = try? CIDRBlock(parsing: text) {
            self = block
            return
        }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]), String(length) == parts[1],
            (0...32).contains(length)
        else { return nil }
        self.init(containing: address, prefixLength: length)
    }
}
