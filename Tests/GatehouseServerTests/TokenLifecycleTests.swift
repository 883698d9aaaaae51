import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// A token never outlives or outgrows what it came from.
@Suite struct TokenLifecycleTests {
    @Test func narrowingAKeyNarrowsItsCachedTokens() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:*"])
            let token = try #require(try await server.request(.post, "/api/v1/auth/token", key: key.secret)["access_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token)["scopes"] == ["iam:*"])
            _ = try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)", json: ["scopes": ["iam:read"]])
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(2)
            var scopes: JSONValue? = nil
            while clock.now < deadline {
                scopes = try await server.request(.get, "/api/v1/auth/whoami", key: token)["scopes"]
                if scopes == [] { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(scopes == [], "iam:* is no longer covered by the key's iam:read")
        }
    }

    @Test func logoutEndsTheSessionsAccessToken() async throws {
        try await TestServer.run { server throws in
            let session = try await server.request(
                .post, "/api/v1/auth/register", json: ["email": "l@example.com", "password": "correct horse battery", "name": "L"])
            let access = try #require(session["access_token"]?.stringValue)
            let refresh = try #require(session["refresh_token"]?.stringValue)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: access).status == 200)
            #expect(try await server.request(.post, "/api/v1/auth/logout", json: ["refresh_token": .string(refresh)]).status == 204)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: access).status == 401)
        }
    }

    @Test func aClientRevokesAndIntrospectsOnlyItsOwnTokens() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            func client(_ name: String, scopes: [String]) async throws -> (String, String) {
                let created = try await server.admin(
                    .post, "/api/v1/iam/tenants/\(tenant)/oauth-clients",
                    json: ["name": .string(name), "scopes": .array(scopes.map(JSONValue.string))])
                return (try #require(created["client_id"]?.stringValue), try #require(created["client_secret"]?.stringValue))
            }
            let owner = try await client("owner", scopes: ["iam:*"])
            let other = try await client("other", scopes: [])
            let token = try #require(try await OAuthTests.post(
                server, "/oauth/token", ["grant_type": "client_credentials"], basic: owner)["access_token"]?.stringValue)
            #expect(try await OAuthTests.post(server, "/oauth/introspect", ["token": token], basic: other)["active"] == false)
            _ = try await OAuthTests.post(server, "/oauth/revoke", ["token": token], basic: other)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 200, "not revoked by another client")

            _ = try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/oauth-clients/\(owner.0)", json: ["scopes": ["iam:read"]])
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token)["scopes"] == [], "narrowed with the client")
        }
    }
}
