import Foundation

/// A stored API key: everything about it except its secret, of which only hashes are kept.
public struct APIKeyRecord: Sendable, Equatable {
    /// Who the key acts for.
    public enum Owner: String, Sendable, Codable {
        case platformAdmin = "platform_admin"
        case platformServiceAccount = "platform_service_account"
        case partner
        case tenant
        case serviceAccount = "service_account"
    }

    public var id: ResourceID
    public var tenantID: ResourceID?
    public var owner: Owner
    /// The partner or service account id, for those owners.
    public var ownerID: String?
    public var name: String
    public var start: String
    public var scopes: [String]
    public var permissions: [String]
    public var metadata: JSONValue
    public var rateLimit: RateLimit?
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var createdBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var revokedAt: Date?

    public init(
        id: ResourceID, tenantID: ResourceID?, owner: Owner, ownerID: String?, name: String, start: String,
        scopes: [String], permissions: [String] = ["*"], metadata: JSONValue = .object([:]),
        rateLimit: RateLimit? = nil, expiresAt: Date? = nil, lastUsedAt: Date? = nil, createdBy: String? = nil,
        createdAt: Date, updatedAt: Date, revokedAt: Date? = nil
    ) {
        self.id = id
        self.tenantID = tenantID
        self.owner = owner
        self.ownerID = ownerID
        self.name = name
        self.start = start
        self.scopes = scopes
        self.permissions = permissions
        self.metadata = metadata
        self.rateLimit = rateLimit
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revokedAt = revokedAt
    }

    /// The principal a request presenting this key acts as.
    public var principal: Principal {
        let kind: Principal.Kind =
            switch owner {
            case .platformAdmin: .platformAdmin
            case .platformServiceAccount: .platformServiceAccount
            case .partner: .partner
            case .tenant, .serviceAccount: .apiKey
            }
        return Principal(
            kind: kind, id: id.rawValue, tenantID: tenantID,
            partnerID: owner == .partner ? ownerID.flatMap { ResourceID($0, kind: .partner) } : nil,
            // Stored scopes were validated when written; one that no longer parses grants nothing.
            scopes: scopes.compactMap { try? Scope(parsing: $0) }, permissions: permissions, expiresAt: expiresAt)
    }
}

/// One live secret of a key (a key has two during a rotation's grace period).
public struct APIKeySecretRecord: Sendable, Equatable {
    public var hash: String
    public var keyID: ResourceID
    public var expiresAt: Date?

    public init(hash: String, keyID: ResourceID, expiresAt: Date?) {
        self.hash = hash
        self.keyID = keyID
        self.expiresAt = expiresAt
    }
}
