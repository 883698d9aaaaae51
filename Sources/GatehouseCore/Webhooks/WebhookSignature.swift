import Crypto
import Foundation

/// Standard Webhooks signatures (standardwebhooks.com): `webhook-signature` holds
/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per live secret, space-separated.
/// A secret is `whsec_` followed by the base64 of its key bytes.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// A fresh secret: 32 random bytes.
    public static func generateSecret() -> String {
        secretPrefix + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static func keyBytes(_ secret: String) -> Data? {
        guard secret.hasPrefix(secretPrefix) else { return nil }
        return Data(base64Encoded: String(secret.dropFirst(secretPrefix.count)))
    }

    /// `v1,<signature>` of one message under one secret.
    public static func sign(id: String, timestamp: Int64, body: Data, secret: String) -> String? {
        guard let key = keyBytes(secret) else { return nil }
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` value: a signature per secret (the current one first).
    public static func header(id: String, timestamp: Int64, body: Data, secrets: [String]) -> String {
        secrets.compactMap { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }
}
