import NIOCore
import VPCModel

/// A client's address for `X-Forwarded-For`: an IPv4 address is kept as its value and written out
/// digit by digit (no `inet_ntop` and no string per connection).
enum ClientAddress: CustomStringConvertible {
    case v4(IPv4Address)
    case text(String)
    static let unknown = ClientAddress.text("unknown")

    init(_ address: SocketAddress?) {
        guard let address else {
            self = .unknown
            return
        }
        if case .v4 = address {
            // sockaddr_in: family (2 bytes), port (2), then the address in network order.
            self = address.withSockAddr { pointer, _ in
                .v4(IPv4Address(UInt32(bigEndian: UnsafeRawPointer(pointer).loadUnaligned(fromByteOffset: 4, as: UInt32.self))))
            }
        } else {
            self = .text(address.ipAddress ?? "unknown")
        }
    }

    func write(to buffer: inout ByteBuffer) {
        switch self {
        case .v4(let address):
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 15) { address.write(into: $0.bindMemory(to: UInt8.self)) }
        case .text(let text):
            buffer.writeString(text)
        }
    }

    var description: String {
        switch self {
        case .v4(let address): address.description
        case .text(let text): text
        }
    }
}
