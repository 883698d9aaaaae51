import Crypto
import Foundation

/// Opaque, tamper-proof keyset cursors.
///
/// A cursor carries the sort key of the last row a page returned and the list it belongs to,
/// HMAC-SHA256-signed with a key derived from the master key. A client cannot forge one,
/// edit one, or replay one against another list; any such cursor is a `bad_request`.
public struct CursorCodec: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    struct Payload: Codable {
        var list: String
        var after: String
    }

    /// A cursor that resumes `list` after the row whose sort key is `after`.
    public func encode(list: String, after: String) -> String {
        let payload = try! JSONEncoder().encode(Payload(list: list, after: after))
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return Self.base64URL(payload) + "." + Self.base64URL(Data(mac))
    }

    /// The sort key to resume after, if `cursor` was issued for `list` by this deployment.
    public func decode(_ cursor: String, list: String) throws(GatehouseError) -> String {
        let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.data(base64URL: parts[0]), let mac = Self.data(base64URL: parts[1]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            let decoded = try? JSONDecoder().decode(Payload.self, from: payload), decoded.list == list
        else {
            throw .badRequest("The cursor is invalid or belongs to another list; start again without a cursor.")
        }
        return decoded.after
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded base64url (JWT segments, cursors).
    public static func data(base64URLString text: Substring) -> Data? { data(base64URL: text) }

    static func data(base64URL: Substring) -> Data? {
        guard base64URL.utf8.count < 4096 else { return nil }
        var base64 = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
