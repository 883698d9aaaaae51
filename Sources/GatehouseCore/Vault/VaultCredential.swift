import Foundation

/// A stored third-party credential: metadata in the clear, secret fields sealed with the
/// tenant's data key (`VaultEnvelope`).
public struct VaultCredential: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID
    public var integrationID: String
    public var name: String
    public var authType: CredentialAuthType
    /// Non-secret, caller-defined object.
    public var metadata: JSONValue
    public var expiresAt: Date?
    public var createdBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// The sealed secret fields, and the version of the data key that sealed them.
    public var sealed: Data
    public var dekVersion: Int
    /// Bumped by every write, so the re-encryption job's compare-and-set never overwrites
    /// a concurrent change.
    public var revision: Int64

    public init(
        id: ResourceID, tenantID: ResourceID, integrationID: String, name: String, authType: CredentialAuthType,
        metadata: JSONValue, expiresAt: Date?, createdBy: String?, createdAt: Date, updatedAt: Date,
        sealed: Data = Data(), dekVersion: Int = 0, revision: Int64 = 1
    ) {
        self.id = id
        self.tenantID = tenantID
        self.integrationID = integrationID
        self.name = name
        self.authType = authType
        self.metadata = metadata
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sealed = sealed
        self.dekVersion = dekVersion
        self.revision = revision
    }

    public func isExpired(at now: Date) -> Bool { expiresAt.map { $0 <= now } ?? false }

    /// The associated data of this credential's ciphertext under `dekVersion`.
    public func binding(dekVersion: Int) -> Data {
        VaultEnvelope.associatedData(
            tenantID: tenantID.rawValue, credentialID: id.rawValue, authType: authType.rawValue, dekVersion: dekVersion)
    }
}

/// The id a caller gives a group of credentials (one integration, seed 004): 1 to 128
/// letters, digits, `.`, `_`, `:` or `-`.
public enum IntegrationID {
    public static func validate(_ raw: String, field: String = "integration_id") throws(GatehouseError) -> String {
        guard (1...128).contains(raw.utf8.count),
            raw.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                    || byte == UInt8(ascii: "-")
            })
        else {
            throw .invalid(field, "must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-'")
        }
        return raw
    }
}
