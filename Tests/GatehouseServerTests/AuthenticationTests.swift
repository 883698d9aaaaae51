import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Admin routes and the ways a credential is presented (SPEC §2).
@Suite struct AuthenticationTests {
    @Test func noCredentialIs401() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.request(.get, "/api/v1/admin/tenants")
            #expect(reply.status == 401)
            #expect(reply.errorCode == "unauthenticated")
            #expect(reply.headers[.wwwAuthenticate] != nil)
        }
    }

    @Test func aWrongCredentialIs401AndSaysWhy() async throws {
        try await TestServer.run { server throws in
            let unknown = try await server.request(
                .get, "/api/v1/admin/tenants", key: APIKeyFormat.generate(prefix: PlatformAdmin.keyPrefix))
            #expect(unknown.status == 401)
            #expect(unknown.json["error"]?["message"]?.stringValue?.contains("not known") == true)

            var typo = Array(server.adminKey)
            typo[12] = typo[12] == "A" ? "B" : "A"
            let mistyped = try await server.request(.get, "/api/v1/admin/tenants", key: String(typo))
            #expect(mistyped.status == 401)
            #expect(mistyped.json["error"]?["message"]?.stringValue?.contains("checksum") == true)

            let garbage = try await server.request(.get, "/api/v1/admin/tenants", key: "hunter2")
            #expect(garbage.status == 401)
            #expect(!garbage.text.contains("hunter2"), "errors never echo a credential")
        }
    }

    @Test func theAdminKeyWorksInEveryPresentation() async throws {
        try await TestServer.run { server throws in
            #expect(try await server.request(.get, "/api/v1/admin/tenants", key: server.adminKey).status == 200)
            for header in ["X-Api-Key", "x-api-key", "X-API-KEY"] {
                let reply = try await server.request(
                    .get, "/api/v1/admin/tenants", headers: [.init(header)!: server.adminKey])
                #expect(reply.status == 200, "header \(header)")
            }
            let query = try await server.request(.get, "/api/v1/admin/tenants?bearer_token=\(server.adminKey)")
            #expect(query.status == 200)
        }
    }

    @Test func twoDifferentCredentialsAre400() async throws {
        try await TestServer.run { server throws in
            let other = APIKeyFormat.generate(prefix: "gk")
            let reply = try await server.request(
                .get, "/api/v1/admin/tenants", key: server.adminKey, headers: [.init("X-Api-Key")!: other])
            #expect(reply.status == 400)
            #expect(reply.errorCode == "bad_request")
            let same = try await server.request(
                .get, "/api/v1/admin/tenants", key: server.adminKey, headers: [.init("X-Api-Key")!: server.adminKey])
            #expect(same.status == 200, "the same credential twice is not ambiguous")
        }
    }

    @Test func aNonBearerAuthorizationSchemeIs401() async throws {
        try await TestServer.run { server throws in
            let reply = try await server.request(
                .get, "/api/v1/admin/tenants", headers: [.authorization: "Basic dXNlcjpwYXNz"])
            #expect(reply.status == 401)
        }
    }

    @Test func aTenantCredentialNeverReachesAdminRoutes() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "Acme"])
            let tenantID = try #require(ResourceID(tenant["id"]?.stringValue ?? "", kind: .tenant))
            let secret = APIKeyFormat.generate(prefix: "gk")
            let now = Date()
            try await server.store.apiKeys.insert(
                APIKeyRecord(
                    id: .generate(.apiKey), tenantID: tenantID, owner: .tenant, ownerID: nil, name: "all scopes",
                    start: APIKeyFormat.start(of: secret), scopes: ["*"], createdAt: now, updatedAt: now),
                secretHash: APIKeyFormat.hash(secret), audit: nil)
            try await server.waitUntilIndexed(secret)
            let reply = try await server.request(.get, "/api/v1/admin/tenants", key: secret)
            #expect(reply.status == 403)
            #expect(reply.errorCode == "permission_denied")
        }
    }

    @Test func aRevokedAdminKeyStopsWorkingAfterForcedBootstrap() async throws {
        try await TestServer.run { server throws in
            guard case .refused = try await PlatformAdmin.bootstrap(store: server.store, force: false) else {
                Issue.record("a second bootstrap without --force must refuse")
                return
            }
            guard case .created(let fresh, let revoked) = try await PlatformAdmin.bootstrap(store: server.store, force: true)
            else { return }
            #expect(revoked == 1)
            try await server.waitUntilIndexed(fresh)
            #expect(try await server.request(.get, "/api/v1/admin/tenants", key: fresh).status == 200)
            #expect(try await server.request(.get, "/api/v1/admin/tenants", key: server.adminKey).status == 401)
        }
    }
}
