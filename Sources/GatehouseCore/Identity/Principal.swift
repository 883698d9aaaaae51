import Foundation

/// Who is making a request, as established by authentication.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Created by `gatehouse bootstrap`; acts on every tenant.
        case platformAdmin = "platform_admin"
        /// A non-human principal at platform level (`/admin/service-account/create`).
        case platformServiceAccount = "platform_service_account"
        /// A partner's credential; acts on that partner's tenants.
        case partner
        /// A tenant API key (a user's or a tenant service account's).
        case apiKey = "api_key"
        /// A short-lived JWT minted from an API key (`POST /auth/token`); `id` is the parent key.
        case accessToken = "access_token"
        /// An OAuth 2.0 client's access token (client credentials grant); `id` is the client.
        case oauthClient = "oauth_client"
        /// A signed-in user of a tenant (session token); scopes are the union of its roles.
        case user
        /// A token of a trusted external identity provider (seed 003).
        case external
    }

    public var kind: Kind
    /// The id of the principal itself (the key id for API keys).
    public var id: String
    /// The tenant the credential belongs to; `nil` for platform and partner principals.
    public var tenantID: ResourceID?
    /// The partner a partner principal speaks for.
    public var partnerID: ResourceID?
    public var scopes: [Scope]
    public var permissions: [String]
    public var expiresAt: Date?

    public init(
        kind: Kind, id: String, tenantID: ResourceID? = nil, partnerID: ResourceID? = nil, scopes: [Scope],
        permissions: [String] = [], expiresAt: Date? = nil
    ) {
        self.kind = kind
        self.id = id
        self.tenantID = tenantID
        self.partnerID = partnerID
        self.scopes = scopes
        self.permissions = permissions
        self.expiresAt = expiresAt
    }

    /// Platform principals reach `admin` routes and every tenant.
    public var isPlatform: Bool {
        kind == .platformAdmin || kind == .platformServiceAccount
    }
}
