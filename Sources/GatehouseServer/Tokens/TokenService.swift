import Crypto
import Foundation
import GatehouseCore
import Synchronization

/// Mints scoped JWTs from API keys (seed 002) and authenticates them.
///
/// A token already verified is served from a bounded cache keyed by its SHA-256 until its
/// `exp`, so a client reusing its token pays no signature check per request. Every use,
/// cached or not, re-checks the parent key in the in-memory index: revoking the key, or
/// rotating out the secret the token was minted with, ends the token on every node as
/// soon as the index learns of it.
public final class TokenService: Sendable {
    final class Cached: Sendable {
        /// What the token was minted from, and must still be live on every use.
        enum Parent: Sendable {
            case apiKey(SecretDigest)
            case client(ResourceID)
            case user(ResourceID)
        }

        let claims: AccessTokenClaims
        let expiresAt: Date
        let parent: Parent
        /// The token's scopes, parsed once.
        let scopes: [Scope]
        /// The principal built on the last use, with the parent entry it was built from:
        /// reused while the parent is unchanged.
        let last = Mutex<(parent: CredentialIndex.Entry, principal: Principal)?>(nil)
        let responses = EncodedResponseCache()

        init(claims: AccessTokenClaims, expiresAt: Date, parent: Parent) {
            self.claims = claims
            self.expiresAt = expiresAt
            self.parent = parent
            self.scopes = claims.scope.split(separator: " ").compactMap { try? Scope(parsing: String($0)) }
        }
    }

    /// Whether this token was verified already (a cheap test, before parsing anything).
    func isCached(_ token: String) -> Bool {
        let digest = APIKeyFormat.digest(token)
        return cache.withLock { $0[digest] != nil }
    }

    public static let defaultTTL = 900
    public static let maximumTTL = 3600
    static let clockSkew: TimeInterval = 60

    let ring: SigningKeyRing
    let index: CredentialIndex
    let authenticator: Authenticator
    let oauth: OAuthState
    let tenants: TenantDirectory
    let users: UserDirectory
    /// How many verified tokens are kept (0: none — every use verifies the signature).
    let cacheLimit: Int
    /// `iss` of every token, and the audience Gatehouse's own API accepts.
    public let issuer: String
    private let sidKey: SymmetricKey
    private let cache = Mutex<[SecretDigest: Cached]>([:])

    init(
        ring: SigningKeyRing, index: CredentialIndex, authenticator: Authenticator, oauth: OAuthState,
        tenants: TenantDirectory, users: UserDirectory, issuer: String, masterKey: MasterKey, cacheLimit: Int
    ) {
        self.cacheLimit = cacheLimit
        self.users = users
        self.ring = ring
        self.index = index
        self.authenticator = authenticator
        self.oauth = oauth
        self.tenants = tenants
        self.issuer = issuer
        self.sidKey = masterKey.derive(purpose: "token-sid")
    }

    /// The `sid` claim for a secret: an HMAC of its digest, so the token carries no hash of it.
    func sid(of digest: SecretDigest) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(digest.hex.utf8), using: sidKey)
        return String(SigningKeyRing.base64URL(Data(mac)).prefix(22))
    }

    struct Minted {
        let token: String
        let expiresIn: Int
        let scope: String
    }

    func mint(from entry: CredentialIndex.Entry, scopes: [Scope], ttl: Int, audience: String?, now: Date) async throws -> Minted {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        var expiry = issuedAt + Int64(ttl)
        if let keyExpiry = entry.key.expiresAt { expiry = min(expiry, Int64(keyExpiry.timeIntervalSince1970.rounded(.down))) }
        let scope = scopes.map(\.description).joined(separator: " ")
        let claims = AccessTokenClaims(
            iss: issuer, sub: entry.key.id.rawValue, aud: [audience ?? issuer], exp: expiry, iat: issuedAt,
            jti: ResourceID.generate(.event).rawValue.replacingOccurrences(of: "evt_", with: "jti_"),
            tenantID: entry.key.tenantID?.rawValue, partnerID: entry.principal.partnerID?.rawValue, scope: scope,
            permissions: entry.key.permissions, sid: sid(of: entry.digest))
        return Minted(token: try await ring.sign(claims), expiresIn: Int(expiry - issuedAt), scope: scope)
    }

    /// A client-credentials token: `sub` is the client.
    func mint(for client: OAuthClient, scopes: [Scope], ttl: Int, now: Date) async throws -> Minted {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let scope = scopes.map(\.description).joined(separator: " ")
        let claims = AccessTokenClaims(
            iss: issuer, sub: client.id.rawValue, aud: [issuer], exp: issuedAt + Int64(ttl), iat: issuedAt,
            jti: ResourceID.generate(.event).rawValue.replacingOccurrences(of: "evt_", with: "jti_"),
            tenantID: client.tenantID.rawValue, partnerID: nil, scope: scope, permissions: [], sid: nil)
        return Minted(token: try await ring.sign(claims), expiresIn: ttl, scope: scope)
    }

    /// A session token for a user (`sub` is the user; scopes come from its roles at each use).
    func mint(for user: User, ttl: Int, family: ResourceID, now: Date) async throws -> Minted {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            iss: issuer, sub: user.id.rawValue, aud: [issuer], exp: issuedAt + Int64(ttl), iat: issuedAt,
            jti: ResourceID.generate(.event).rawValue.replacingOccurrences(of: "evt_", with: "jti_"),
            tenantID: user.tenantID.rawValue, partnerID: nil, scope: user.roles.joined(separator: " "),
            permissions: ["*"], sid: family.rawValue)
        return Minted(token: try await ring.sign(claims), expiresIn: ttl, scope: claims.scope)
    }

    /// Verified claims of a token of ours, or `nil` (introspection answers `active: false`).
    func introspect(_ token: String, now: Date) async -> AccessTokenClaims? {
        // Live (parent, revocation and expiry checked), then the claims — verified again
        // rather than read from the cache, which may be off or just emptied.
        guard (try? await authenticateCached(token, now: now)) != nil else { return nil }
        return try? await ring.verify(token)
    }

    /// The principal, the parent key's entry (API-key tokens) and the token's response cache.
    func authenticateCached(_ token: String, now: Date) async throws(GatehouseError)
        -> (Principal, CredentialIndex.Entry?, EncodedResponseCache?)
    {
        let digest = APIKeyFormat.digest(token)
        let cached: Cached
        if let hit = cache.withLock({ $0[digest] }) {
            cached = hit
        } else {
            cached = try await verify(token, now: now)
            cache.withLock { cache in
                guard cacheLimit > 0 else { return }
                if cache.count >= cacheLimit {
                    cache = cache.filter { $0.value.expiresAt > now }
                    if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
                }
                cache[digest] = cached
            }
        }
        guard cached.expiresAt > now else {
            throw .unauthenticated("The token expired at \(Timestamp.format(cached.expiresAt)).")
        }
        guard !oauth.isRevoked(cached.claims.jti), !(cached.claims.sid.map(oauth.isRevoked) ?? false) else {
            throw .unauthenticated("The token was revoked.")
        }
        let parentDigest: SecretDigest
        switch cached.parent {
        case .client(let clientID):
            return (try clientPrincipal(cached, client: clientID), nil, nil)
        case .user(let userID):
            // Roles can change under a live session: nothing derived from them is cached.
            return (try userPrincipal(cached, user: userID), nil, nil)
        case .apiKey(let digest):
            parentDigest = digest
        }
        guard let parent = index.lookup(parentDigest) else {
            throw .unauthenticated("The API key this token was minted from is no longer known.")
        }
        let status = authenticator.status(of: parent, now: now)
        if let error = status.error {
            if case .tenantSuspended = error { throw error }
            throw .unauthenticated("The API key this token was minted from is no longer valid.")
        }
        // Never more than the parent holds now, even if its scopes were narrowed after minting;
        // rebuilt only when the parent's entry changed since the last use.
        // Held strongly and compared by identity: a replaced entry can never look unchanged.
        if let last = cached.last.withLock({ $0 }), last.parent === parent {
            return (last.principal, parent, cached.responses)
        }
        let principal = Principal(
            kind: .accessToken, id: cached.claims.sub, tenantID: parent.key.tenantID, partnerID: parent.principal.partnerID,
            scopes: cached.scopes.filter { $0.isCovered(by: parent.principal.scopes) },
            permissions: cached.claims.permissions.filter {
                parent.key.permissions.contains("*") || parent.key.permissions.contains($0)
            }, expiresAt: cached.expiresAt)
        cached.last.withLock { $0 = (parent, principal) }
        cached.responses.value = nil  // the principal may have changed
        return (principal, parent, cached.responses)
    }

    private func verify(_ token: String, now: Date) async throws(GatehouseError) -> Cached {
        let claims = try await ring.verify(token)
        guard claims.iss == issuer else { throw .unauthenticated("The token was issued by someone else.") }
        guard claims.aud.contains(issuer) else {
            throw .unauthenticated("The token is meant for another audience, not this API.")
        }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(claims.exp))
        guard expiresAt > now else { throw .unauthenticated("The token expired at \(Timestamp.format(expiresAt)).") }
        guard TimeInterval(claims.iat) <= now.timeIntervalSince1970 + Self.clockSkew else {
            throw .unauthenticated("The token is dated in the future.")
        }
        if let clientID = ResourceID(claims.sub, kind: .client) {
            return Cached(claims: claims, expiresAt: expiresAt, parent: .client(clientID))
        }
        if let userID = ResourceID(claims.sub, kind: .user) {
            return Cached(claims: claims, expiresAt: expiresAt, parent: .user(userID))
        }
        guard let keyID = ResourceID(claims.sub, kind: .apiKey), let sid = claims.sid,
            let parent = index.digests(ofKey: keyID).first(where: { self.sid(of: $0) == sid })
        else {
            throw .unauthenticated("The API key secret this token was minted with is no longer valid.")
        }
        return Cached(claims: claims, expiresAt: expiresAt, parent: .apiKey(parent))
    }

    private func userPrincipal(_ cached: Cached, user: ResourceID) throws(GatehouseError) -> Principal {
        guard let parts = users.principalParts(of: user), parts.tenantID.rawValue == cached.claims.tenantID else {
            throw .unauthenticated("The user of this session no longer exists.")
        }
        switch tenants.entry(parts.tenantID)?.status {
        case nil: throw .unauthenticated("The user's tenant no longer exists.")
        case .suspended: throw .tenantSuspended
        case .active: break
        }
        return Principal(
            kind: .user, id: user.rawValue, tenantID: parts.tenantID, scopes: parts.scopes, permissions: ["*"],
            expiresAt: cached.expiresAt)
    }

    private func clientPrincipal(_ cached: Cached, client: ResourceID) throws(GatehouseError) -> Principal {
        guard let tenantID = oauth.tenant(ofClient: client), tenantID.rawValue == cached.claims.tenantID else {
            throw .unauthenticated("The OAuth client of this token no longer exists.")
        }
        switch tenants.entry(tenantID)?.status {
        case nil: throw .unauthenticated("The OAuth client's tenant no longer exists.")
        case .suspended: throw .tenantSuspended
        case .active: break
        }
        // Never more than the client may request now.
        let allowed = oauth.scopes(ofClient: client)
        return Principal(
            kind: .oauthClient, id: client.rawValue, tenantID: tenantID,
            scopes: cached.scopes.filter { $0.isCovered(by: allowed) }, permissions: [], expiresAt: cached.expiresAt)
    }
}
