import Foundation
import JWTKit

/// The claims of Gatehouse's JWTs (SPEC §4). Times are whole seconds.
struct AccessTokenClaims: JWTPayload, Equatable {
    var iss: String
    var sub: String
    var aud: [String]
    var exp: Int64
    var iat: Int64
    var jti: String
    var tenantID: String?
    var partnerID: String?
    /// Space-separated scopes.
    var scope: String
    var permissions: [String]
    /// Binds the token to the API key secret it was minted with (an HMAC of the secret's
    /// digest, not the digest itself): rotating that secret out ends the token too.
    var sid: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, jti, scope, permissions, sid
        case tenantID = "tenant_id"
        case partnerID = "partner_id"
    }

    init(
        iss: String, sub: String, aud: [String], exp: Int64, iat: Int64, jti: String, tenantID: String?,
        partnerID: String?, scope: String, permissions: [String], sid: String?
    ) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.tenantID = tenantID
        self.partnerID = partnerID
        self.scope = scope
        self.permissions = permissions
        self.sid = sid
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        sub = try container.decode(String.self, forKey: .sub)
        aud = try container.decodeAudience(forKey: .aud)
        exp = try container.decode(Int64.self, forKey: .exp)
        iat = try container.decode(Int64.self, forKey: .iat)
        jti = try container.decode(String.self, forKey: .jti)
        tenantID = try container.decodeIfPresent(String.self, forKey: .tenantID)
        partnerID = try container.decodeIfPresent(String.self, forKey: .partnerID)
        scope = try container.decodeIfPresent(String.self, forKey: .scope) ?? ""
        permissions = try container.decodeIfPresent([String].self, forKey: .permissions) ?? []
        sid = try container.decodeIfPresent(String.self, forKey: .sid)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(iss, forKey: .iss)
        try container.encode(sub, forKey: .sub)
        if aud.count == 1 { try container.encode(aud[0], forKey: .aud) } else { try container.encode(aud, forKey: .aud) }
        try container.encode(exp, forKey: .exp)
        try container.encode(iat, forKey: .iat)
        try container.encode(jti, forKey: .jti)
        try container.encodeIfPresent(tenantID, forKey: .tenantID)
        try container.encodeIfPresent(partnerID, forKey: .partnerID)
        try container.encode(scope, forKey: .scope)
        try container.encode(permissions, forKey: .permissions)
        try container.encodeIfPresent(sid, forKey: .sid)
    }

    /// Expiry and the other checks are made by ``TokenService`` against its own clock.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension KeyedDecodingContainer {
    /// RFC 7519: `aud` is a string or an array of strings (or absent).
    func decodeAudience(forKey key: Key) throws -> [String] {
        if let single = try? decode(String.self, forKey: key) { return [single] }
        return try decodeIfPresent([String].self, forKey: key) ?? []
    }
}
