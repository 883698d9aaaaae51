import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import Testing

/// Two nodes on one database: what one node changes, the other learns within a second.
@Suite struct MultiNodeTests {
    /// On PostgreSQL node B polls only every 30 s, so only LISTEN/NOTIFY can tell it in
    /// time; on SQLite (two processes sharing a file) it is the poll that does.
    static var secondNodeOptions: ServerOptions {
        TestDatabase.postgresURL == nil
            ? ServerOptions(changePollInterval: .milliseconds(200))
            : ServerOptions(changePollInterval: .seconds(30))
    }

    /// Node B learns of a key made on node A once its change listener is up; on a loaded
    /// machine that can take a moment after start, so the timed checks begin after it.
    static func warmUp(_ nodeA: TestServer, _ nodeB: TestServer, tenant: String) async throws {
        let probe = try await nodeA.makeKey(tenant: tenant, scopes: [])
        _ = try await nodeB.waitForStatus(200, "/api/v1/auth/whoami", key: probe.secret, within: .seconds(35))
    }

    @Test func revocationOnOneNodeReachesTheOtherWithinASecond() async throws {
        try await TestServer.run { nodeA throws in
            let tenant = try await nodeA.makeTenant()
            let key = try await nodeA.makeKey(tenant: tenant, scopes: ["iam:read"])
            try await nodeA.secondNode(options: Self.secondNodeOptions) { nodeB throws in
                try await Self.warmUp(nodeA, nodeB, tenant: tenant)
                #expect(try await nodeB.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
                #expect(try await nodeA.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)").status == 204)
                let elapsed = try await nodeB.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret, within: .seconds(1))
                #expect(elapsed < .seconds(1))
            }
        }
    }

    @Test func suspensionAndNewKeysReachTheOtherNode() async throws {
        try await TestServer.run { nodeA throws in
            let tenant = try await nodeA.makeTenant()
            try await nodeA.secondNode(options: Self.secondNodeOptions) { nodeB throws in
                try await Self.warmUp(nodeA, nodeB, tenant: tenant)
                let key = try await nodeA.makeKey(tenant: tenant, scopes: ["iam:read"])
                _ = try await nodeB.waitForStatus(200, "/api/v1/auth/whoami", key: key.secret, within: .seconds(1))
                _ = try await nodeA.admin(.patch, "/api/v1/admin/tenants/\(tenant)", json: ["status": "suspended"])
                _ = try await nodeB.waitForStatus(403, "/api/v1/auth/whoami", key: key.secret, within: .seconds(1))
                _ = try await nodeA.admin(.delete, "/api/v1/admin/tenants/\(tenant)")
                _ = try await nodeB.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret, within: .seconds(1))
            }
        }
    }

    @Test func signingKeyRotationReachesTheOtherNode() async throws {
        try await TestServer.run { nodeA throws in
            let tenant = try await nodeA.makeTenant()
            let key = try await nodeA.makeKey(tenant: tenant, scopes: ["iam:read"])
            try await nodeA.secondNode(options: Self.secondNodeOptions) { nodeB throws in
                try await Self.warmUp(nodeA, nodeB, tenant: tenant)
                let rotated = try await nodeA.admin(.post, "/api/v1/admin/signing-keys/rotate", json: [:])
                #expect(rotated.status == 200)
                let token = try #require(
                    try await nodeA.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
                _ = try await nodeB.waitForStatus(200, "/api/v1/auth/whoami", key: token, within: .seconds(1))
                let revoked = try await nodeA.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)")
                #expect(revoked.status == 204)
                _ = try await nodeB.waitForStatus(401, "/api/v1/auth/whoami", key: token, within: .seconds(1))
            }
        }
    }
}
