import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Users, sessions and roles (SPEC §4, seeds 001 and 003).
@Suite struct SessionTests {
    @Test func registerLoginRefreshLogout() async throws {
        try await TestServer.run { server throws in
            let registered = try await server.request(
                .post, "/api/v1/auth/register", json: ["email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada"])
            #expect(registered.status == 201)
            let tenant = try #require(registered["tenant_id"]?.stringValue)
            let access = try #require(registered["access_token"]?.stringValue)
            #expect(registered["expires_in"] == 86400, "24 h by default (seed 001)")
            let whoami = try await server.request(.get, "/api/v1/auth/whoami", key: access)
            #expect(whoami["type"] == "user")
            #expect(whoami["scopes"] == ["*"], "the registering user owns the tenant")
            #expect(try await server.request(.get, "/api/v1/iam/tenants/\(tenant)/users", key: access)["total"] == 1)

            let duplicate = try await server.request(
                .post, "/api/v1/auth/register", json: ["email": "ada@example.com", "password": "another long one", "name": "A"])
            #expect(duplicate.status == 409)
            let wrong = try await server.request(.post, "/api/v1/auth/login", json: ["email": "ada@example.com", "password": "wrong password!"])
            #expect(wrong.status == 401)
            let unknown = try await server.request(.post, "/api/v1/auth/login", json: ["email": "nobody@example.com", "password": "whatever123"])
            #expect(unknown.status == 401)
            #expect(unknown.json["error"]?["message"] == wrong.json["error"]?["message"], "no hint which emails exist")

            let login = try await server.request(.post, "/api/v1/auth/login", json: ["email": "ada@example.com", "password": "correct horse battery"])
            #expect(login.status == 200)
            let refresh = try #require(login["refresh_token"]?.stringValue)
            let rotated = try await server.request(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(refresh)])
            #expect(rotated.status == 200)
            let next = try #require(rotated["refresh_token"]?.stringValue)
            #expect(next != refresh)
            // Replaying the used token revokes the whole family, including the new one.
            #expect(try await server.request(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(refresh)]).status == 401)
            #expect(try await server.request(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(next)]).status == 401)

            let again = try await server.request(.post, "/api/v1/auth/login", json: ["email": "ada@example.com", "password": "correct horse battery"])
            let third = try #require(again["refresh_token"]?.stringValue)
            #expect(try await server.request(.post, "/api/v1/auth/logout", json: ["refresh_token": .string(third)]).status == 204)
            #expect(try await server.request(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(third)]).status == 401)
            #expect(try await server.request(.post, "/api/v1/auth/register", json: ["email": "b@example.com", "password": "short", "name": "B"]).status == 422)
        }
    }

    @Test func loginIsThrottledPerAccount() async throws {
        try await TestServer.run { server throws in
            _ = try await server.request(
                .post, "/api/v1/auth/register", json: ["email": "t@example.com", "password": "correct horse battery", "name": "T"])
            for _ in 0..<5 {
                _ = try await server.request(.post, "/api/v1/auth/login", json: ["email": "t@example.com", "password": "nope nope nope"])
            }
            let limited = try await server.request(.post, "/api/v1/auth/login", json: ["email": "t@example.com", "password": "correct horse battery"])
            #expect(limited.status == 429)
            #expect(limited.errorCode == "rate_limited")
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    @Test func rolesGrantScopesAndChangesApplyAtOnce() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let created = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/users",
                json: ["email": "v@example.com", "name": "Vi", "roles": ["viewer"], "password": "correct horse battery"])
            #expect(created.status == 201)
            let userID = try #require(created["id"]?.stringValue)
            let session = try await server.request(.post, "/api/v1/auth/login", json: ["email": "v@example.com", "password": "correct horse battery"])
            let token = try #require(session["access_token"]?.stringValue)
            let base = "/api/v1/provisioning/tenants/\(tenant)"
            #expect(try await server.request(.get, "\(base)/users/u1", key: token).status == 404, "viewer reads")
            #expect(try await server.request(.post, "\(base)/users/u1", key: token, json: [:]).status == 403, "viewer does not write")

            let role = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/roles", json: ["name": "editor", "scopes": ["provisioning:users.*"]])
            #expect(role.status == 201)
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/roles")["total"] == 5)
            _ = try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/users/\(userID)", json: ["roles": ["viewer", "editor"]])
            #expect(try await server.request(.post, "\(base)/users/u1", key: token, json: [:]).status == 201, "the same token, new roles")

            // A user creates a key within its roles' scopes, not beyond.
            #expect(try await server.request(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: token, json: ["scopes": ["provisioning:users.read"]]).status == 403,
                "viewer+editor lack iam:api-keys.write")
            #expect(try await server.admin(.post, "/api/v1/iam/tenants/\(tenant)/roles", json: ["name": "owner", "scopes": []]).status == 409)
            #expect(try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/users/\(userID)", json: ["roles": ["ghost"]]).status == 422)

            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/users/\(userID)").status == 204)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 401, "a removed user's session stops")
        }
    }

    @Test func aDeveloperCreatesItsOwnKeysWithinItsScopes() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            _ = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/users",
                json: ["email": "dev@example.com", "name": "Dev", "roles": ["developer"], "password": "correct horse battery"])
            let token = try #require(try await server.request(
                .post, "/api/v1/auth/login", json: ["email": "dev@example.com", "password": "correct horse battery"])["access_token"]?.stringValue)
            let key = try await server.request(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: token, json: ["scopes": ["provisioning:bots.*"]])
            #expect(key.status == 201)
            let keyID = try #require(key["id"]?.stringValue)
            #expect(try await server.request(.post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: token, json: ["scopes": ["vault:*"]]).status == 403)
            #expect(try await server.request(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(keyID)", key: token).status == 204)
        }
    }

    @Test func aUserHoldingADeletedRoleCanStillBeManaged() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            _ = try await server.admin(.post, "/api/v1/iam/tenants/\(tenant)/roles", json: ["name": "temp", "scopes": ["iam:read"]])
            let user = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/users", json: ["email": "r@example.com", "name": "R", "roles": ["temp"]])
            let id = try #require(user["id"]?.stringValue)
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/roles/temp").status == 204)
            #expect(try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/users/\(id)", json: ["roles": ["viewer"]]).status == 200)
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/users/\(id)").status == 204)
        }
    }
}
