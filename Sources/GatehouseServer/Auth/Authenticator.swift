import Foundation
import GatehouseCore

/// Turns a presented secret into a principal using only memory.
struct Authenticator: Sendable {
    let index: CredentialIndex

    func authenticate(_ secret: String, now: Date) throws(GatehouseError) -> Principal {
        switch APIKeyFormat.validate(secret) {
        case .failure(.malformed):
            throw .unauthenticated("The credential is not a Gatehouse API key.")
        case .failure(.checksumMismatch):
            throw .unauthenticated("The API key's checksum does not match: it was mistyped or truncated.")
        case .success:
            break
        }
        guard let entry = index.lookup(hash: APIKeyFormat.hash(secret)) else {
            throw .unauthenticated("The API key is unknown or has been revoked.")
        }
        if let expiresAt = entry.key.expiresAt, expiresAt <= now {
            throw .unauthenticated("The API key expired at \(Timestamp.format(expiresAt)).")
        }
        if let secretExpiry = entry.secretExpiresAt, secretExpiry <= now {
            throw .unauthenticated("This secret was rotated out; its grace period ended at \(Timestamp.format(secretExpiry)).")
        }
        return entry.key.principal
    }
}
