import Foundation
import GatehouseCore
import Hummingbird

/// Attaches the principal to the context for every route that is not public.
/// Public: `/health`, `/metrics`, `/openapi.json`, `/.well-known/*`, `/api/v1/health`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext
    let authenticator: Authenticator
    let usage: KeyUsageRecorder

    static func isPublic(_ path: String) -> Bool {
        path == "/health" || path == "/metrics" || path == "/openapi.json" || path == "/api/v1/health"
            || path.hasPrefix("/.well-known/")
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
        let entry = try authenticator.authenticatedEntry(credential, now: now)
        context.principal = entry.principal
        context.credential = entry
        context.facts.update {
            $0.principal = entry.principal
            $0.keyID = entry.key.id
        }
        usage.record(entry.key.id, at: now)
        return try await next(request, context)
    }
}
