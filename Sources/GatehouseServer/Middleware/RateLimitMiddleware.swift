import Foundation
import GatehouseCore
import HTTPTypes
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

    /// The path as the router sees it: empty segments dropped (`/oauth//token/` is `/oauth/token`).
    static func canonical(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// Addresses are counted per host (IPv4) or per /64 (IPv6: one subscriber's block).
    static func addressSubject(_ address: String?) -> String {
        guard let address else { return "unknown" }
        guard address.contains(":"), let bytes = NetworkAddress.ipv6Bytes(address) else { return address }
        return bytes.prefix(8).map { String(format: "%02x", $0) }.joined() + "::/64"
    }

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
        if let addressLimit, Self.addressLimitedPaths.contains(Self.canonical(request.uri.path)) {
            // The peer address (X-Forwarded-For is not trusted); requests without one share a bucket.
            return [RateLimitPolicy(kind: .ip, subject: Self.addressSubject(context.remoteAddress), limit: addressLimit)]
        }
        guard let principal = context.principal else { return [] }
        guard let tenantID = principal.tenantID else {
            // Platform and partner keys spend only a budget set on the key itself.
            guard let key = context.limitedKey, let limit = key.rateLimit else { return [] }
            return [RateLimitPolicy(kind: .key, subject: key.id.rawValue, limit: limit)]
        }
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

/// The rate-limit response fields, by name (parsed once).
enum RateLimitFields {
    static let limit = HTTPField.Name("X-RateLimit-Limit")!
    static let remaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let reset = HTTPField.Name("X-RateLimit-Reset")!
    static let policy = HTTPField.Name("RateLimit-Policy")!
    static let rateLimit = HTTPField.Name("RateLimit")!

    static func add(_ fields: RateLimitReport.Fields, to headers: inout HTTPFields) {
        headers[limit] = fields.limit
        headers[remaining] = fields.remaining
        headers[reset] = fields.reset
        headers[policy] = fields.policy
        headers[rateLimit] = fields.rateLimit
        if let retryAfter = fields.retryAfter { headers[.retryAfter] = retryAfter }
    }
}
