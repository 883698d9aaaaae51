import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// `POST /api/v1/auth/token` (scoped tokens from API keys, seed 002), `GET /api/v1/auth/config`,
/// the JWKS and discovery documents, and signing-key rotation.
struct TokenRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.post("/api/v1/auth/token", use: token)
        router.get("/api/v1/auth/config", use: config)
        router.get("/.well-known/jwks.json", use: jwks)
        router.get("/.well-known/openid-configuration", use: discovery)
        router.get("/.well-known/oauth-authorization-server", use: discovery)
        router.post("/api/v1/admin/signing-keys/rotate", use: rotate)
    }

    struct TokenBody: Decodable {
        let scopes: [String]?
        let ttlSeconds: Int?
        let audience: String?

        enum CodingKeys: String, CodingKey {
            case scopes, audience
            case ttlSeconds = "ttl_seconds"
        }
    }

    struct TokenResponse: Encodable {
        let access_token: String
        let token_type: String
        let expires_in: Int
        let scope: String
    }

    @Sendable func token(request: Request, context: GatehouseContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard principal.kind != .accessToken, let entry = context.credential else {
            throw GatehouseError.permissionDenied(
                "A bearer token cannot mint another token; call this with the API key itself.")
        }
        var request = request
        let body = try await request.bodyOrEmpty(as: TokenBody.self, limit: environment.options.maxBodyBytes)
            ?? TokenBody(scopes: nil, ttlSeconds: nil, audience: nil)
        let ttl = body.ttlSeconds ?? TokenService.defaultTTL
        guard (1...TokenService.maximumTTL).contains(ttl) else {
            throw GatehouseError.invalid("ttl_seconds", "must be between 1 and \(TokenService.maximumTTL)")
        }
        if let audience = body.audience, audience.isEmpty || audience.count > 256 {
            throw GatehouseError.invalid("audience", "must be 1 to 256 characters")
        }
        let scopes = try body.scopes.map { try Scope.parseAll($0) } ?? principal.scopes
        for (index, scope) in scopes.enumerated() where !scope.isCovered(by: principal.scopes) {
            throw GatehouseError.permissionDenied(
                "scopes[\(index)] '\(scope)' is not within the API key's scopes; a token can only narrow them.",
                required: [scope.description])
        }
        let minted = try await environment.tokens.mint(
            from: entry, scopes: scopes, ttl: ttl, audience: body.audience, now: Date())
        var response = try JSONResponse.make(TokenResponse(
            access_token: minted.token, token_type: "Bearer", expires_in: minted.expiresIn, scope: minted.scope))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func config(request: Request, context: GatehouseContext) async throws -> Response {
        let issuer = environment.tokens.issuer
        return try JSONResponse.make([
            "issuer": .string(issuer),
            "jwks_uri": .string(issuer + "/.well-known/jwks.json"),
            "token_endpoint": .string(issuer + "/api/v1/auth/token"),
            "credential_kinds": ["api_key", "access_token"],
            "api_key_headers": ["Authorization: Bearer", "X-Api-Key"],
            "token_signing_alg_values_supported": .array(environment.signingKeys.algorithms.map(JSONValue.string)),
        ] as JSONValue)
    }

    @Sendable func jwks(request: Request, context: GatehouseContext) async throws -> Response {
        var response = try JSONResponse.make(environment.signingKeys.jwks)
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    /// RFC 8414 / OpenID discovery: what exists today (scoped tokens from API keys).
    @Sendable func discovery(request: Request, context: GatehouseContext) async throws -> Response {
        let issuer = environment.tokens.issuer
        return try JSONResponse.make([
            "issuer": .string(issuer),
            "jwks_uri": .string(issuer + "/.well-known/jwks.json"),
            "token_endpoint": .string(issuer + "/api/v1/auth/token"),
            "response_types_supported": ["token"],
            "grant_types_supported": [],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": .array(environment.signingKeys.algorithms.map(JSONValue.string)),
            "token_endpoint_auth_methods_supported": [],
            "scopes_supported": [],
        ] as JSONValue)
    }

    struct RotateBody: Decodable {
        let algorithm: String?
    }

    @Sendable func rotate(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.bodyOrEmpty(as: RotateBody.self, limit: environment.options.maxBodyBytes)
        let algorithm = try body?.algorithm.map { name throws(GatehouseError) in
            guard let algorithm = SigningKeyRing.Algorithm(rawValue: name) else {
                throw .invalid("algorithm", "must be EdDSA or ES256")
            }
            return algorithm
        } ?? environment.options.signingAlgorithm
        let kid = try await environment.signingKeys.rotate(
            store: environment.store, algorithm: algorithm,
            audit: context.auditEvent("signing_key.rotate", target: nil, tenant: .some(nil)))
        try await environment.signingKeys.load(from: environment.store, algorithm: algorithm)
        return try JSONResponse.make(["kid": .string(kid), "algorithm": .string(algorithm.rawValue)] as JSONValue)
    }
}
