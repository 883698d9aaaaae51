import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `GET /api/v1/iam/tenants/{tenantId}/api-keys/{keyId}/rate-limit`: the budgets a key
/// spends and what is left of them now (nothing is spent by asking).
struct KeyRateLimitRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.get("/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}/rate-limit", use: budget)
    }

    struct Budget: Encodable {
        let kind: String
        let source: String
        let limit: Int
        let window_seconds: Int
        let remaining: Int
        let reset: Int64
    }

    struct Body: Encodable {
        let key_id: ResourceID
        let mode: String
        let policies: [Budget]
    }

    @Sendable func budget(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("keyId", .apiKey)
        guard let key = try await environment.store.apiKeys.get(id), key.tenantID == context.tenantID, let tenantID = key.tenantID
        else { throw GatehouseError.notFound("This tenant has no key with this id.") }
        let tenant = environment.tenants.entry(tenantID)
        var policies: [(RateLimitPolicy, String)] = []
        if let limit = key.rateLimit {
            policies.append((RateLimitPolicy(kind: .key, subject: key.id.rawValue, limit: limit), "key"))
        } else if let limit = tenant?.defaultRateLimit {
            policies.append((RateLimitPolicy(kind: .key, subject: key.id.rawValue, limit: limit), "tenant_default"))
        }
        if let limit = tenant?.rateLimit {
            policies.append((RateLimitPolicy(kind: .tenant, subject: tenantID.rawValue, limit: limit), "tenant"))
        }
        let now = RateLimiter.nowNanos()
        var budgets: [Budget] = []
        for (policy, source) in policies {
            let decision = try await environment.rateLimiter.peek(policy, now: now)
            budgets.append(Budget(
                kind: policy.kind.rawValue, source: source, limit: policy.limit.limit,
                window_seconds: policy.limit.windowSeconds, remaining: decision.remaining,
                reset: (now + decision.resetAfter + 999_999_999) / 1_000_000_000))
        }
        return try JSONResponse.make(Body(key_id: key.id, mode: environment.rateLimiter.mode.rawValue, policies: budgets))
    }
}
