import GatehouseCore
import Hummingbird

/// `admin` routes answer platform principals only: a tenant credential never reaches them,
/// whatever its scopes.
struct AdminAccessMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if path == "/api/v1/admin" || path.hasPrefix("/api/v1/admin/") {
            let principal = try context.requirePrincipal()
            guard principal.isPlatform else {
                throw GatehouseError.permissionDenied(
                    "Admin routes need a platform credential (the bootstrap admin key or a platform service account).")
            }
        }
        return try await next(request, context)
    }
}
