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
    struct Cached: Sendable {
        let claims: AccessTokenClaims
        let expiresAt: Date
        let parent: SecretDigest
    }

    public static let defaultTTL = 900
    public static let maximumTTL = 3600
    static let cacheLimit = 100_000
    static let clockSkew: TimeInterval = 60

    let ring: SigningKeyRing
    let index: CredentialIndex
    let authenticator: Authenticator
    /// `iss` of every token, and the audience Gatehouse's own API accepts.
    public let issuer: String
    private let sidKey: SymmetricKey
    private let cache = Mutex<[SecretDigest: Cached]>([:])

    init(ring: SigningKeyRing, index: CredentialIndex, authenticator: Authenticator, issuer: String, masterKey: MasterKey) {
        self.ring = ring
        self.index = index
        self.authenticator = authenticator
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

    func authenticate(_ token: String, now: Date) async throws(GatehouseError) -> (Principal, CredentialIndex.Entry) {
        let digest = APIKeyFormat.digest(token)
        let cached: Cached
        if let hit = cache.withLock({ $0[digest] }) {
            cached = hit
        } else {
            cached = try await verify(token, now: now)
            cache.withLock { cache in
                if cache.count >= Self.cacheLimit {
                    cache = cache.filter { $0.value.expiresAt > now }
                    if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
                }
                cache[digest] = cached
            }
        }
        guard cached.expiresAt > now else {
            throw .unauthenticated("The token expired at \(Timestamp.format(cached.expiresAt)).")
        }
        guard let parent = index.lookup(cached.parent) else {
            throw .unauthenticated("The API key this token was minted from is no longer known.")
        }
        let status = authenticator.status(of: parent, now: now)
        if let error = status.error {
            if case .tenantSuspended = error { throw error }
            throw .unauthenticated("The API key this token was minted from is no longer valid.")
        }
        // Never more than the parent holds now, even if its scopes were narrowed after minting.
        let scopes = cached.claims.scope.split(separator: " ").compactMap { try? Scope(parsing: String($0)) }
            .filter { $0.isCovered(by: parent.principal.scopes) }
        let principal = Principal(
            kind: .accessToken, id: cached.claims.sub, tenantID: parent.key.tenantID, partnerID: parent.principal.partnerID,
            scopes: scopes, permissions: cached.claims.permissions.filter {
                parent.key.permissions.contains("*") || parent.key.permissions.contains($0)
            }, expiresAt: cached.expiresAt)
        return (principal, parent)
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
        guard let keyID = ResourceID(claims.sub, kind: .apiKey), let sid = claims.sid,
            let parent = index.digests(ofKey: keyID).first(where: { self.sid(of: $0) == sid })
        else {
            throw .unauthenticated("The API key secret this token was minted with is no longer valid.")
        }
        return Cached(claims: claims, expiresAt: expiresAt, parent: parent)
    }
}
