import Foundation
import GatehouseCore
import Hummingbird

/// Counts every request against the budgets that apply to it (SPEC §9), right after
/// authentication: the credential's own (`rate_limit` of the key — or of the key a token
/// was minted from — else the tenant's `default_rate_limit`), the tenant's `rate_limit`
/// across all its credentials, and, on the unauthenticated auth endpoints, the client
/// address. A refusal is 429 `rate_limited` with `Retry-After`; every limited response
/// carries the rate-limit fields (added by the outermost middleware, errors included).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GatehouseContext
    /// Unauthenticated endpoints that do real work per call (password hashing, secrets).
    static let addressLimitedPaths: Set<String> = [
        "/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh", "/oauth/token",
    ]

    let limiter: RateLimiter
    let tenants: TenantDirectory
    let addressLimit: RateLimit?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let policies = policies(request: request, context: context)
        guard !policies.isEmpty else { return try await next(request, context) }
        let report = try await limiter.check(policies)
        context.facts.update { $0.rateLimit = report }
        if let retryAfter = report.retryAfterSeconds { throw GatehouseError.rateLimited(retryAfterSeconds: retryAfter) }
        return try await next(request, context)
    }

    func policies(request: Request, context: Context) -> [RateLimitPolicy] {
        guard let principal = context.principal else {
            guard let addressLimit, Self.addressLimitedPaths.contains(request.uri.path) else { return [] }
            // The peer address (X-Forwarded-For is not trusted); requests without one share a bucket.
            return [RateLimitPolicy(kind: .ip, subject: context.remoteAddress ?? "unknown", limit: addressLimit)]
        }
        guard !principal.isPlatform, principal.kind != .partner, let tenantID = principal.tenantID else { return [] }
        let tenant = tenants.entry(tenantID)
        var policies: [RateLimitPolicy] = []
        let subject = context.limitedKey?.id.rawValue ?? principal.id
        if let limit = context.limitedKey?.rateLimit ?? tenant?.defaultRateLimit {
            policies.append(RateLimitPolicy(kind: .key, subject: subject, limit: limit))
        }
        if let limit = tenant?.rateLimit {
            policies.append(RateLimitPolicy(kind: .tenant, subject: tenantID.rawValue, limit: limit))
        }
        return policies
    }
}
