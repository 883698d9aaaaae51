import Foundation
import GatehouseCore

/// A key as the API shows it: never its secret, except in `key` on create and rotate.
struct APIKeyView: Encodable {
    let record: APIKeyRecord
    var secret: String? = nil
    var previousSecretExpiresAt: Date? = nil

    enum CodingKeys: String, CodingKey {
        case id, name, start, scopes, permissions, metadata, status, key
        case tenantID = "tenant_id"
        case ownerType = "owner_type"
        case serviceAccountID = "service_account_id"
        case rateLimit = "rate_limit"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revokedAt = "revoked_at"
        case previousSecretExpiresAt = "previous_secret_expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.tenantID, forKey: .tenantID)
        try container.encode(record.owner.rawValue, forKey: .ownerType)
        try container.encode(
            record.owner == .serviceAccount || record.owner == .platformServiceAccount ? record.ownerID : nil,
            forKey: .serviceAccountID)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.start, forKey: .start)
        try container.encode(record.scopes, forKey: .scopes)
        try container.encode(record.permissions, forKey: .permissions)
        try container.encode(record.metadata, forKey: .metadata)
        try container.encode(record.rateLimit, forKey: .rateLimit)
        try container.encode(record.expiresAt, forKey: .expiresAt)
        try container.encode(record.lastUsedAt, forKey: .lastUsedAt)
        try container.encode(record.createdBy, forKey: .createdBy)
        try container.encode(record.createdAt, forKey: .createdAt)
        try container.encode(record.updatedAt, forKey: .updatedAt)
        try container.encode(record.revokedAt, forKey: .revokedAt)
        try container.encode(status, forKey: .status)
        if let secret { try container.encode(secret, forKey: .key) }
        if let previousSecretExpiresAt { try container.encode(previousSecretExpiresAt, forKey: .previousSecretExpiresAt) }
    }

    var status: String {
        if record.revokedAt != nil { return "revoked" }
        if let expiresAt = record.expiresAt, expiresAt <= Date() { return "expired" }
        return "active"
    }
}

/// The answer of `POST /iam/keys/verify` and `POST /api-keys/{keyId}/validate`.
struct KeyVerification: Encodable {
    let valid: Bool
    let code: String
    let keyID: String?
    let tenantID: String?
    let scopes: [String]?
    let permissions: [String]?
    let expiresAt: Date?
    let ratelimit: RateLimit?

    enum CodingKeys: String, CodingKey {
        case valid, code, scopes, permissions, ratelimit
        case keyID = "key_id"
        case tenantID = "tenant_id"
        case expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(valid, forKey: .valid)
        try container.encode(code, forKey: .code)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(scopes, forKey: .scopes)
        try container.encode(permissions, forKey: .permissions)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(ratelimit, forKey: .ratelimit)
    }

    static func notFound() -> KeyVerification {
        KeyVerification(
            valid: false, code: "NOT_FOUND", keyID: nil, tenantID: nil, scopes: nil, permissions: nil, expiresAt: nil,
            ratelimit: nil)
    }

    init(valid: Bool, code: String, keyID: String?, tenantID: String?, scopes: [String]?, permissions: [String]?,
         expiresAt: Date?, ratelimit: RateLimit?) {
        self.valid = valid
        self.code = code
        self.keyID = keyID
        self.tenantID = tenantID
        self.scopes = scopes
        self.permissions = permissions
        self.expiresAt = expiresAt
        self.ratelimit = ratelimit
    }

    init(code: String, key: APIKeyRecord) {
        self.init(
            valid: code == "VALID", code: code, keyID: key.id.rawValue, tenantID: key.tenantID?.rawValue,
            scopes: key.scopes, permissions: key.permissions, expiresAt: key.expiresAt, ratelimit: key.rateLimit)
    }
}
