import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// SPEC §9: budgets per key, per tenant and per address, reported on every limited response.
@Suite struct RateLimitTests {
    static func field(_ reply: TestReply, _ name: String) -> String? { reply.headers[HTTPField.Name(name)!] }

    @Test func everyLimitedResponseCarriesTheFieldsAndTheLimitIsEnforced() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant(settings: ["default_rate_limit": ["limit": 3, "window_seconds": 60]])
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            for remaining in [2, 1, 0] {
                let reply = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
                #expect(reply.status == 200)
                #expect(Self.field(reply, "X-RateLimit-Limit") == "3")
                #expect(Self.field(reply, "X-RateLimit-Remaining") == "\(remaining)")
                let reset = Int(Self.field(reply, "X-RateLimit-Reset") ?? "") ?? 0
                #expect(abs(reset - Int(Date().timeIntervalSince1970) - 20 * (3 - remaining)) <= 2)
                #expect(Self.field(reply, "RateLimit-Policy") == "\"key\";q=3;w=60")
                #expect(Self.field(reply, "RateLimit")?.hasPrefix("\"key\";r=\(remaining);t=") == true)
            }
            let refused = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(refused.status == 429)
            #expect(refused.errorCode == "rate_limited")
            #expect((19...20).contains(Int(Self.field(refused, "Retry-After") ?? "") ?? 0), "one request frees every 20 s")
            #expect(Self.field(refused, "X-RateLimit-Remaining") == "0")
            // Unlimited principals (the platform admin) carry no fields.
            #expect(Self.field(try await server.admin(.get, "/api/v1/admin/tenants"), "X-RateLimit-Limit") == nil)
        }
    }

    @Test func theBudgetRecoversAfterTheRetryTime() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 2, "window_seconds": 1]])
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
            let refused = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(refused.status == 429)
            #expect(Self.field(refused, "Retry-After") == "1")
            try await Task.sleep(for: .milliseconds(550))
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
        }
    }

    /// A key's override beats the tenant default; the tenant's own budget applies too, and
    /// the tighter of the two is the one reported.
    @Test func theTighterOfTwoPoliciesIsReported() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant(settings: [
                "default_rate_limit": ["limit": 1, "window_seconds": 60], "rate_limit": ["limit": 4, "window_seconds": 60],
            ])
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 100, "window_seconds": 60]])
            let first = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(Self.field(first, "X-RateLimit-Limit") == "4")
            #expect(Self.field(first, "X-RateLimit-Remaining") == "3")
            #expect(Self.field(first, "RateLimit-Policy") == "\"key\";q=100;w=60, \"tenant\";q=4;w=60")
            #expect(Self.field(first, "RateLimit")?.hasPrefix("\"tenant\";r=3;") == true)
            // The tenant budget is shared by the tenant's other keys.
            let other = try await server.makeKey(tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 50, "window_seconds": 60]])
            for _ in 0..<3 { _ = try await server.request(.get, "/api/v1/auth/whoami", key: other.secret) }
            let refused = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(refused.status == 429)
            #expect(Self.field(refused, "RateLimit")?.hasPrefix("\"tenant\";r=0;") == true)
            let budget = try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)/rate-limit")
            #expect(budget.status == 200)
            #expect(budget["policies"]?.arrayValue?.first?["source"]?.stringValue == "key")
            #expect(budget["policies"]?.arrayValue?.last?["remaining"]?.intValue == 0)
        }
    }

    @Test func tokensMintedFromAKeySpendItsBudget() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 3, "window_seconds": 60]])
            let token = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 200)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 200)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 429)
        }
    }

    @Test func loginIsLimitedPerAddress() async throws {
        var options = ServerOptions(changePollInterval: .milliseconds(50))
        options.addressRateLimit = RateLimit(limit: 3, windowSeconds: 60)
        try await TestServer.run(options: options) { server throws in
            var statuses: [Int] = []
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            for index in 0..<4 {
                // A spelling the router treats as the same path, sent with a credential, counts too.
                let (path, credential) = index == 2 ? ("/api/v1/auth//login/", key.secret as String?) : ("/api/v1/auth/login", nil)
                let reply = try await server.request(
                    .post, path, key: credential, json: ["email": .string("nobody\(index)@example.com"), "password": "x"])
                statuses.append(reply.status)
                if index == 3 {
                    #expect(reply.errorCode == "rate_limited")
                    #expect(Self.field(reply, "RateLimit-Policy") == "\"ip\";q=3;w=60")
                }
            }
            #expect(statuses == [401, 401, 401, 429])
        }
    }
}
