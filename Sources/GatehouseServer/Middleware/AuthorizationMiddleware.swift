import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Authorizes every `/api/v1/{api}/...` request by one rule (SPEC §2 Tenancy, §5):
///
/// 1. Resolve the tenant: the path, else `X-Tenant-Id` / `x-tenantid`, else the
///    credential's own. Path and header naming different tenants is a 400.
/// 2. A credential reaches another tenant only if it is a platform principal or that
///    tenant's partner; otherwise 403, with the same words whether or not the tenant
///    exists.
/// 3. `admin` routes need a platform principal — or, for its own tenants' records, the
///    partner — whatever the scopes.
/// 4. The scopes must allow (api, resource, action) derived from the path and method;
///    a denial lists every scope that would have been accepted.
///
/// The `auth` and `health` apis carry their own rules and are not scope-checked.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext
    static let tenantHeaders = [HTTPField.Name("X-Tenant-Id")!, HTTPField.Name("x-tenantid")!]
    static let unscopedAPIs: Set<String> = ["auth", "health"]

    let tenants: TenantDirectory

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let principal = context.principal else { return try await next(request, context) }
        let target: RequestTarget
        do {
            target = try RequestTarget.derive(method: request.method.rawValue, path: request.uri.path)
        } catch .notAnAPIPath {
            return try await next(request, context)
        } catch {
            throw GatehouseError.badRequest("The path contains dot segments or malformed escapes.")
        }
        var context = context
        context.tenantID = try resolveTenant(request: request, target: target, principal: principal)
        context.facts.update { [tenantID = context.tenantID] in $0.tenantID = tenantID }
        guard !Self.unscopedAPIs.contains(target.api) else { return try await next(request, context) }
        if target.api == "admin" { try authorizeAdmin(target: target, request: request, principal: principal) }
        if case .denied(let required) = AuthorizationEngine.decide(grants: principal.scopes, target: target) {
            throw GatehouseError.permissionDenied(
                "This credential lacks a scope for \(target.action) on \(target.api)"
                    + (target.resource.map { " \($0)" } ?? "") + "; any of the listed scopes would do.",
                required: required)
        }
        return try await next(request, context)
    }

    func resolveTenant(request: Request, target: RequestTarget, principal: Principal) throws(GatehouseError) -> ResourceID? {
        let header = Self.tenantHeaders.lazy.compactMap { request.headers[$0] }.first
        if let path = target.tenantID, let header, path != header {
            throw .badRequest("The path names tenant \(path) but X-Tenant-Id names another.")
        }
        guard let named = target.tenantID ?? header else { return principal.tenantID }
        guard let tenantID = ResourceID(named, kind: .tenant) else {
            throw .badRequest("'\(named.prefix(64))' is not a tenant id (ten_…).")
        }
        try authorize(principal, toActOn: tenantID)
        return tenantID
    }

    func authorize(_ principal: Principal, toActOn tenantID: ResourceID) throws(GatehouseError) {
        if principal.isPlatform || principal.tenantID == tenantID { return }
        if principal.kind == .partner, let partnerID = principal.partnerID,
            tenants.entry(tenantID)?.partnerID == partnerID
        {
            return
        }
        throw .permissionDenied("This credential cannot act on that tenant; use a credential of the tenant itself.")
    }

    /// Partners reach `admin/tenants/{tenantId}[/...]` of their own tenants, to read them
    /// and to PATCH their name and settings (the route refuses status and partner changes).
    func authorizeAdmin(target: RequestTarget, request: Request, principal: Principal) throws(GatehouseError) {
        if principal.isPlatform { return }
        if principal.kind == .partner, request.method == .get || request.method == .patch {
            let segments = request.uri.path.split(separator: "/")
            if segments.count >= 5, segments[3] == "tenants", let tenantID = ResourceID(String(segments[4]), kind: .tenant) {
                try authorize(principal, toActOn: tenantID)
                return
            }
        }
        throw .permissionDenied(
            "Admin routes need a platform credential (the bootstrap admin key or a platform service account).")
    }
}
