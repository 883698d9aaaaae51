import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// SPEC §9 on several nodes: budgets shared through the database (cluster mode).
@Suite struct ClusterRateLimitTests {
    static var clusterOptions: ServerOptions {
        var options = ServerOptions(changePollInterval: .milliseconds(50))
        options.rateLimitMode = .cluster
        return options
    }

    /// One key hammered through two nodes at once for less than a window: together they
    /// admit at most limit × 1.1, and not much less than the limit.
    @Test func twoNodesTogetherStayWithinTheLimit() async throws {
        try await TestServer.run(options: Self.clusterOptions) { nodeA throws in
            let tenant = try await nodeA.makeTenant()
            let key = try await nodeA.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 200, "window_seconds": 60]])
            try await nodeA.secondNode(options: Self.clusterOptions) { nodeB throws in
                _ = try await nodeB.waitForStatus(200, "/api/v1/auth/whoami", key: key.secret, within: .seconds(5))
                let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<8 {
                        let node = worker.isMultiple(of: 2) ? nodeA : nodeB
                        group.addTask {
                            var ok = 0
                            for _ in 0..<60 where try await node.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200 {
                                ok += 1
                            }
                            return ok
                        }
                    }
                    return try await group.reduce(0, +)
                }
                // 480 requests offered within one window, plus the one that found the key on node B.
                #expect(admitted + 1 <= 220, "admitted \(admitted + 1) of a 200 budget")
                #expect(admitted + 1 >= 180, "admitted \(admitted + 1): leases must not starve the key")
            }
        }
    }

    /// With the shared state unreachable, a protection limit (the key's) falls back to
    /// the node's own bucket and a quota (the tenant's) refuses.
    @Test func anUnreachableDatabaseFailsOpenForProtectionAndClosedForQuotas() async throws {
        try await TestServer.run(options: Self.clusterOptions) { server throws in
            let open = try await server.makeTenant("Open", settings: ["default_rate_limit": ["limit": 2, "window_seconds": 60]])
            let closed = try await server.makeTenant("Closed", settings: ["rate_limit": ["limit": 100, "window_seconds": 60]])
            let openKey = try await server.makeKey(tenant: open, scopes: ["iam:read"])
            let closedKey = try await server.makeKey(tenant: closed, scopes: ["iam:read"])
            try await server.executeSQL("ALTER TABLE rate_limit_buckets RENAME TO rate_limit_buckets_gone")
            let first = try await server.request(.get, "/api/v1/auth/whoami", key: openKey.secret)
            #expect(first.status == 200)
            #expect(first.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "1", "the node's own bucket still counts")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: openKey.secret).status == 200)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: openKey.secret).status == 429)
            let refused = try await server.request(.get, "/api/v1/auth/whoami", key: closedKey.secret)
            #expect(refused.status == 503)
            #expect(refused.errorCode == "unavailable")
            try await server.executeSQL("ALTER TABLE rate_limit_buckets_gone RENAME TO rate_limit_buckets")
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: closedKey.secret).status == 200)
        }
    }

    /// Shared buckets that are full again are deleted by the cleanup job.
    @Test func fullBucketsArePruned() async throws {
        try await TestServer.run(options: Self.clusterOptions) { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["rate_limit": ["limit": 5, "window_seconds": 1]])
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
            #expect(try await server.tableText("rate_limit_buckets").contains(key.id))
            try await Task.sleep(for: .milliseconds(1100))
            let job = try await server.admin(.post, "/api/v1/admin/jobs/trigger", json: ["job": "expired-credentials-cleanup"])
            try await server.waitForJob(try #require(job["id"]?.stringValue), name: "expired-credentials-cleanup")
            #expect(try await server.tableText("rate_limit_buckets").isEmpty)
        }
    }
}
