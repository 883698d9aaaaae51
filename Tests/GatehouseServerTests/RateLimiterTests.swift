import GatehouseCore
import Testing

@testable import GatehouseServer

/// The in-memory limiter on its own: memory follows active callers only.
@Suite struct RateLimiterTests {
    static let second: Int64 = 1_000_000_000

    @Test func bucketsBackToFullArePruned() async throws {
        let limiter = RateLimiter(mode: .local, buckets: nil, failureModes: [:])
        let limit = RateLimit(limit: 2, windowSeconds: 1)
        for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            _ = try await limiter.check([RateLimitPolicy(kind: .ip, subject: address, limit: limit)], now: 0)
        }
        #expect(limiter.bucketCount == 3)
        limiter.prune(now: Self.second / 4)
        #expect(limiter.bucketCount == 3, "not yet full again: still needed")
        limiter.prune(now: Self.second)
        #expect(limiter.bucketCount == 0)
    }

    @Test func aRefusalSpendsNothingOnTheOtherPolicies() async throws {
        let limiter = RateLimiter(mode: .local, buckets: nil, failureModes: [:])
        let key = RateLimitPolicy(kind: .key, subject: "key_a", limit: RateLimit(limit: 10, windowSeconds: 10))
        let tenant = RateLimitPolicy(kind: .tenant, subject: "ten_a", limit: RateLimit(limit: 1, windowSeconds: 10))
        #expect(try await limiter.check([key, tenant], now: 0).allowed)
        #expect(try await !limiter.check([key, tenant], now: 0).allowed)
        let left = try await limiter.peek(key, now: 0)
        #expect(left.remaining == 9, "the refused request did not spend the key's budget")
    }

    @Test func ipv6AddressesAreCountedPerSlash64() {
        #expect(RateLimitMiddleware.addressSubject("2001:db8:1:2:aaaa::1") == RateLimitMiddleware.addressSubject("2001:db8:1:2:bbbb::2"))
        #expect(RateLimitMiddleware.addressSubject("2001:db8:1:3::1") != RateLimitMiddleware.addressSubject("2001:db8:1:2::1"))
        #expect(RateLimitMiddleware.addressSubject("192.0.2.1") == "192.0.2.1")
        #expect(RateLimitMiddleware.canonical("/oauth//token/") == "/oauth/token")
    }
}
