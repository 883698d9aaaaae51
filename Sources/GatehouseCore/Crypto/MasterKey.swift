import Crypto
import Foundation

/// The deployment's root secret (32 bytes). Nothing is encrypted with it directly:
/// purpose-bound keys are derived from it with HKDF-SHA256.
public struct MasterKey: Sendable {
    let key: SymmetricKey

    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        else { return nil }
        self.key = SymmetricKey(data: data)
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a master key is 32 bytes")
        self.key = SymmetricKey(data: bytes)
    }

    /// 32 fresh random bytes, base64-encoded, for a new key file.
    public static func generateBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A key for one purpose (`"cursor"`, `"dek-wrap"`, …); different purposes never share a key.
    public func derive(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Data("gatehouse/\(purpose)".utf8), outputByteCount: 32)
    }

    /// A short public identifier of this key (not a hash of it: derived for this purpose),
    /// shown by health and the rotate command so operators can tell keys apart.
    public var fingerprint: String {
        derive(purpose: "fingerprint").withUnsafeBytes { bytes in
            SHA256.hash(data: Data(bytes)).prefix(8).map { String(format: "%02x", $0) }.joined()
        }
    }
}
