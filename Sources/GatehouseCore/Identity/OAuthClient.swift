import Foundation

/// An OAuth 2.0 client of a tenant (client credentials grant). Its secret is stored as a
/// SHA-256 only; during a rotation's grace period the previous secret also works.
public struct OAuthClient: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID
    public var name: String
    public var secretHash: String
    public var secretStart: String
    public var previousSecretHash: String?
    public var previousSecretExpiresAt: Date?
    /// The scopes the client may request.
    public var scopes: [String]
    public var createdBy: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, tenantID: ResourceID, name: String, secretHash: String, secretStart: String,
        previousSecretHash: String? = nil, previousSecretExpiresAt: Date? = nil, scopes: [String], createdBy: String?,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.secretHash = secretHash
        self.secretStart = secretStart
        self.previousSecretHash = previousSecretHash
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.scopes = scopes
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether `secret` is the client's current secret, or its previous one within the grace.
    /// Compared by SHA-256 digest, as for API keys: no byte-by-byte comparison of secrets.
    public func accepts(secret: String, now: Date) -> Bool {
        let presented = APIKeyFormat.hash(secret)
        if presented == secretHash { return true }
        if let previousSecretHash, let until = previousSecretExpiresAt, until > now {
            return presented == previousSecretHash
        }
        return false
    }
}
