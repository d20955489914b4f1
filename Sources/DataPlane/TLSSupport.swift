import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// TLS for HTTPS and SSL listeners: the user's certificate and key, or a self-signed certificate for
/// localhost and 127.0.0.1 made at start-up (P-256, valid for a year).
enum TLSSupport {
    static func serverContext(certificatePath: String?, keyPath: String?) throws -> (NIOSSLContext, String) {
        if let certificatePath, let keyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            return (try NIOSSLContext(configuration: configuration), "certificate \(certificatePath)")
        }
        let (certificatePEM, keyPEM) = try selfSigned()
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        return (try NIOSSLContext(configuration: configuration), "self-signed certificate")
    }

    /// A self-signed certificate (PEM) and its private key (PEM, PKCS#8).
    static func selfSigned(commonName: String = "localvpc.localhost") throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(365 * 24 * 3600),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: certificateKey)
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// A client context that trusts any certificate: health checks of HTTPS and SSL targets, which on
    /// AWS do not validate the instance's certificate either.
    static let insecureClient: NIOSSLContext? = {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try? NIOSSLContext(configuration: configuration)
    }()
}
