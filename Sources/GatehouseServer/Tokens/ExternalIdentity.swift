import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GatehouseCore
import JWTKit
import Synchronization

/// A trusted external issuer (seed 003): its JWTs are accepted as credentials.
public struct IdentityProvider: Sendable, Codable, Equatable {
    public var issuer: String
    public var audience: String
    /// A JWKS document on disk, or
    public var jwksFile: String?
    /// a URL to fetch it from (at start).
    public var jwksURL: String?
    /// The tenants this issuer may speak for (`["*"]`: any): one customer's identity
    /// provider must not mint tokens for another customer's tenant.
    public var tenants: [String]

    enum CodingKeys: String, CodingKey {
        case issuer, audience, tenants
        case jwksFile = "jwks_file"
        case jwksURL = "jwks_url"
    }

    public init(issuer: String, audience: String, tenants: [String], jwksFile: String? = nil, jwksURL: String? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.tenants = tenants
        self.jwksFile = jwksFile
        self.jwksURL = jwksURL
    }

    func mayActFor(_ tenant: ResourceID) -> Bool {
        tenants.contains("*") || tenants.contains(tenant.rawValue)
    }
}

/// The claims read from an external token: `sub`, `tenant_id`, `partner_id`, `roles`,
/// `permissions` (seed 003), with the registered ones checked by ``ExternalIdentity``.
struct ExternalClaims: JWTPayload {
    var iss: String
    var sub: String
    var aud: [String]
    var exp: Int64
    var tenantID: String?
    var partnerID: String?
    var roles: [String]
    var permissions: [String]

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, roles, permissions
        case tenantID = "tenant_id"
        case partnerID = "partner_id"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        sub = try container.decode(String.self, forKey: .sub)
        aud = try container.decodeAudience(forKey: .aud)
        let exp = try container.decode(Double.self, forKey: .exp)
        guard exp.isFinite, exp >= 0, exp < 1e13 else {
            throw DecodingError.dataCorruptedError(forKey: .exp, in: container, debugDescription: "exp out of range")
        }
        self.exp = Int64(exp)
        tenantID = try container.decodeIfPresent(String.self, forKey: .tenantID)
        partnerID = try container.decodeIfPresent(String.self, forKey: .partnerID)
        roles = try container.decodeIfPresent([String].self, forKey: .roles) ?? []
        permissions = try container.decodeIfPresent([String].self, forKey: .permissions) ?? []
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(iss, forKey: .iss)
        try container.encode(sub, forKey: .sub)
        try container.encode(aud, forKey: .aud)
        try container.encode(exp, forKey: .exp)
        try container.encodeIfPresent(tenantID, forKey: .tenantID)
        try container.encodeIfPresent(partnerID, forKey: .partnerID)
        try container.encode(roles, forKey: .roles)
        try container.encode(permissions, forKey: .permissions)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Verifies JWTs of the configured external issuers and maps their claims onto principals:
/// the tenant from `tenant_id`, scopes from `roles` resolved through that tenant's role
/// definitions, service permissions from `permissions`.
public final class ExternalIdentity: Sendable {
    let providers: [IdentityProvider]
    let tenants: TenantDirectory
    let users: UserDirectory
    private let collections = Mutex<[String: (collection: JWTKeyCollection, kids: Set<String>)]>([:])

    init(providers: [IdentityProvider], tenants: TenantDirectory, users: UserDirectory) {
        self.providers = providers
        self.tenants = tenants
        self.users = users
    }

    /// Loads (or reloads) every provider's JWKS.
    func load() async throws {
        for provider in providers {
            let json: Data
            if let file = provider.jwksFile {
                json = try Data(contentsOf: URL(fileURLWithPath: file))
            } else if let address = provider.jwksURL, let url = URL(string: address) {
                json = try await URLSession.shared.data(from: url).0
            } else {
                continue
            }
            let jwks = try JSONDecoder().decode(JWKS.self, from: json)
            let collection = JWTKeyCollection()
            try await collection.add(jwks: jwks)
            _ = await collection.clearDefault()
            let kids = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
            collections.withLock { $0[provider.issuer] = (collection, kids) }
        }
    }

    var hasProviders: Bool { !providers.isEmpty }

    func trusts(issuer: String) -> Bool {
        providers.contains { $0.issuer == issuer }
    }

    func authenticate(_ token: String, issuer: String, now: Date) async throws(GatehouseError) -> Principal {
        guard let provider = providers.first(where: { $0.issuer == issuer }),
            let (collection, kids) = collections.withLock({ $0[issuer] })
        else { throw .unauthenticated("The token's issuer is not trusted.") }
        guard let kid = SigningKeyRing.kid(of: token), kids.contains(kid) else {
            throw .unauthenticated("The token names no key (kid) its issuer publishes.")
        }
        let claims: ExternalClaims
        do {
            claims = try await collection.verify(token, as: ExternalClaims.self)
        } catch {
            throw .unauthenticated("The token's signature or contents are invalid.")
        }
        guard claims.aud.contains(provider.audience) else { throw .unauthenticated("The token is meant for another audience.") }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(claims.exp))
        guard expiresAt > now else { throw .unauthenticated("The token expired at \(Timestamp.format(expiresAt)).") }
        guard let raw = claims.tenantID, let tenantID = ResourceID(raw, kind: .tenant) else {
            throw .unauthenticated("The token carries no tenant_id this deployment knows.")
        }
        guard provider.mayActFor(tenantID) else {
            throw .unauthenticated("The token's issuer is not trusted for this tenant.")
        }
        switch tenants.entry(tenantID)?.status {
        case nil: throw .unauthenticated("The token carries no tenant_id this deployment knows.")
        case .suspended: throw .tenantSuspended
        case .active: break
        }
        return Principal(
            kind: .external, id: "\(issuer)#\(claims.sub)", tenantID: tenantID,
            partnerID: claims.partnerID.flatMap { ResourceID($0, kind: .partner) },
            scopes: users.scopes(ofRoles: claims.roles, tenant: tenantID), permissions: claims.permissions,
            expiresAt: expiresAt)
    }

    /// The `iss` of a compact JWS, read without trusting it, to pick the verifier.
    static func issuer(of token: String) -> String? {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let data = CursorCodec.data(base64URLString: parts[1]),
            let object = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return nil }
        return object["iss"]?.stringValue
    }
}
