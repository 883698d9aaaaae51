import Foundation
import GatehouseCore
import Hummingbird

/// Attaches the principal to the context for every route that is not public.
/// Public: `/health`, `/metrics`, `/openapi.json`, `/.well-known/*`, `/api/v1/health`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext
    let authenticator: Authenticator
    let usage: KeyUsageRecorder
    let tokens: TokenService
    let external: ExternalIdentity

    /// Three dot-separated parts: a compact JWS. API keys never contain a dot.
    static func looksLikeJWT(_ credential: String) -> Bool {
        credential.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
    }

    static func isPublic(_ path: String) -> Bool {
        path == "/health" || path == "/metrics" || path == "/openapi.json" || path == "/api/v1/health"
            || path == "/api/v1/auth/config" || path.hasPrefix("/.well-known/") || path.hasPrefix("/oauth/")
            || SessionRoutes.publicPaths.contains(path)
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard !Self.isPublic(request.uri.path) else { return try await next(request, context) }
        guard let credential = try CredentialExtractor.credential(in: request) else {
            throw GatehouseError.unauthenticated(
                "This route needs a credential: send Authorization: Bearer <key> or X-Api-Key: <key>.")
        }
        var context = context
        let now = Date()
        if Self.looksLikeJWT(credential), external.hasProviders, !tokens.isCached(credential),
            let issuer = ExternalIdentity.issuer(of: credential), issuer != tokens.issuer, external.trusts(issuer: issuer)
        {
            let principal = try await external.authenticate(credential, issuer: issuer, now: now)
            context.principal = principal
            context.facts.update { $0.principal = principal }
            return try await next(request, context)
        }
        if Self.looksLikeJWT(credential) {
            let (principal, parent, responses) = try await tokens.authenticateCached(credential, now: now)
            context.principal = principal
            context.credentialCache = responses
            context.limitedKey = parent?.key
            context.facts.update {
                $0.principal = principal
                $0.keyID = parent?.key.id
            }
            return try await next(request, context)
        }
        let entry = try authenticator.authenticatedEntry(credential, now: now)
        context.principal = entry.principal
        context.credential = entry
        context.limitedKey = entry.key
        context.credentialCache = entry.whoami
        context.facts.update {
            $0.principal = entry.principal
            $0.keyID = entry.key.id
        }
        usage.record(entry.key.id, at: now)
        return try await next(request, context)
    }
}
