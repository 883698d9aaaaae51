import Foundation
import GatehouseCore

/// Turns a presented secret into a principal using only memory: format and checksum,
/// then the hash in the credential index, then revocation, expiry and the tenant's status.
///
/// Secrets are never compared byte by byte: the lookup is by SHA-256, so timing reveals
/// nothing about a secret.
public struct Authenticator: Sendable {
    let index: CredentialIndex
    let tenants: TenantDirectory

    public init(index: CredentialIndex, tenants: TenantDirectory) {
        self.index = index
        self.tenants = tenants
    }

    /// Why a key is not usable, in the words of `POST /iam/keys/verify`.
    enum Status: String, Sendable {
        case valid = "VALID"
        case notFound = "NOT_FOUND"
        case expired = "EXPIRED"
        case revoked = "REVOKED"
        case tenantSuspended = "TENANT_SUSPENDED"
    }

    struct Lookup: Sendable {
        let status: Status
        let entry: CredentialIndex.Entry?
        let error: GatehouseError?
    }

    func lookup(_ secret: String, now: Date) -> Lookup {
        switch APIKeyFormat.validate(secret) {
        case .failure(.malformed):
            return Lookup(status: .notFound, entry: nil, error: .unauthenticated("The credential is not a Gatehouse API key."))
        case .failure(.checksumMismatch):
            return Lookup(
                status: .notFound, entry: nil,
                error: .unauthenticated("The API key's checksum does not match: it was mistyped or truncated."))
        case .success:
            break
        }
        guard let entry = index.lookup(APIKeyFormat.digest(secret)) else {
            return Lookup(status: .notFound, entry: nil, error: .unauthenticated("The API key is not known."))
        }
        return status(of: entry, now: now)
    }

    /// Whether an indexed secret is usable now: revocation, expiry, rotation, tenant status.
    func status(of entry: CredentialIndex.Entry, now: Date) -> Lookup {
        if let revokedAt = entry.key.revokedAt {
            return Lookup(
                status: .revoked, entry: entry,
                error: .unauthenticated("The API key was revoked at \(Timestamp.format(revokedAt))."))
        }
        if let expiresAt = entry.key.expiresAt, expiresAt <= now {
            return Lookup(
                status: .expired, entry: entry,
                error: .unauthenticated("The API key expired at \(Timestamp.format(expiresAt))."))
        }
        if let secretExpiry = entry.secretExpiresAt, secretExpiry <= now {
            return Lookup(
                status: .expired, entry: entry,
                error: .unauthenticated(
                    "This secret was rotated out; its grace period ended at \(Timestamp.format(secretExpiry))."))
        }
        if let tenantID = entry.key.tenantID {
            switch tenants.entry(tenantID)?.status {
            case nil:
                return Lookup(status: .notFound, entry: nil, error: .unauthenticated("The API key's tenant no longer exists."))
            case .suspended:
                return Lookup(status: .tenantSuspended, entry: entry, error: .tenantSuspended)
            case .active:
                break
            }
        }
        return Lookup(status: .valid, entry: entry, error: nil)
    }

    public func authenticate(_ secret: String, now: Date) throws(GatehouseError) -> Principal {
        try authenticatedEntry(secret, now: now).principal
    }

    func authenticatedEntry(_ secret: String, now: Date) throws(GatehouseError) -> CredentialIndex.Entry {
        let result = lookup(secret, now: now)
        if let error = result.error { throw error }
        return result.entry!
    }
}
