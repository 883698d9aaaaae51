import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// OAuth 2.0 clients and the client credentials grant (seed 004, RFC 6749/7662/7009).
@Suite struct OAuthTests {
    static func form(_ fields: [String: String]) -> String {
        fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
    }

    static func post(_ server: TestServer, _ path: String, _ fields: [String: String], basic: (String, String)? = nil)
        async throws -> TestReply
    {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let (id, secret) = basic {
            headers[.authorization] = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
        }
        return try await server.request(.post, path, raw: form(fields), headers: headers)
    }

    @Test func clientCredentialsGrantIssuesScopedTokens() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let created = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/oauth-clients",
                json: ["name": "billing", "scopes": ["provisioning:users.*", "iam:read"]])
            #expect(created.status == 201)
            let id = try #require(created["client_id"]?.stringValue)
            let secret = try #require(created["client_secret"]?.stringValue)
            #expect(id.hasPrefix("cli_"))
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/oauth-clients/\(id)")["client_secret"] == nil)

            let basic = try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials", "scope": "provisioning:users.read"], basic: (id, secret))
            #expect(basic.status == 200)
            #expect(basic.headers[.cacheControl] == "no-store")
            #expect(basic["token_type"] == "Bearer")
            #expect(basic["scope"] == "provisioning:users.read")
            let token = try #require(basic["access_token"]?.stringValue)
            let base = "/api/v1/provisioning/tenants/\(tenant)"
            _ = try await server.admin(.post, "\(base)/users/u1", json: [:])
            #expect(try await server.request(.get, "\(base)/users/u1", key: token).status == 200)
            #expect(try await server.request(.post, "\(base)/users/u2", key: token, json: [:]).status == 403)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token)["type"] == "oauth_client")

            let post = try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials", "client_id": id, "client_secret": secret])
            #expect(post.status == 200)
            #expect(post["scope"] == "provisioning:users.* iam:read", "all allowed scopes by default")

            let wrong = try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials"], basic: (id, "nope"))
            #expect(wrong.status == 401)
            #expect(wrong["error"] == "invalid_client")
            #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let scope = try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials", "scope": "*"], basic: (id, secret))
            #expect(scope.status == 400)
            #expect(scope["error"] == "invalid_scope")
            let grant = try await Self.post(server, "/oauth/token", ["grant_type": "password"], basic: (id, secret))
            #expect(grant["error"] == "unsupported_grant_type")
            let json = try await server.request(.post, "/oauth/token", json: ["grant_type": "client_credentials"])
            #expect(json["error"] == "invalid_request")
        }
    }

    @Test func introspectionAndRevocation() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let created = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/oauth-clients", json: ["name": "c", "scopes": ["iam:read"]])
            let id = try #require(created["client_id"]?.stringValue)
            let secret = try #require(created["client_secret"]?.stringValue)
            let token = try #require(try await Self.post(
                server, "/oauth/token", ["grant_type": "client_credentials"], basic: (id, secret))["access_token"]?.stringValue)
            let active = try await Self.post(server, "/oauth/introspect", ["token": token], basic: (id, secret))
            #expect(active["active"] == true)
            #expect(active["client_id"]?.stringValue == id)
            #expect(active["scope"] == "iam:read")
            #expect(try await Self.post(server, "/oauth/introspect", ["token": "garbage"], basic: (id, secret))["active"] == false)
            #expect(try await Self.post(server, "/oauth/introspect", ["token": token]).status == 401, "introspection is authenticated")

            #expect(try await Self.post(server, "/oauth/revoke", ["token": token], basic: (id, secret)).status == 200)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: token).status == 401)
            #expect(try await Self.post(server, "/oauth/introspect", ["token": token], basic: (id, secret))["active"] == false)
            #expect(try await Self.post(server, "/oauth/revoke", ["token": "unknown"], basic: (id, secret)).status == 200)

            let second = try #require(try await Self.post(
                server, "/oauth/token", ["grant_type": "client_credentials"], basic: (id, secret))["access_token"]?.stringValue)
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/oauth-clients/\(id)").status == 204)
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: second)
        }
    }

    @Test func secretRotationKeepsTheOldSecretForItsGrace() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let created = try await server.admin(.post, "/api/v1/iam/tenants/\(tenant)/oauth-clients", json: ["name": "c"])
            let id = try #require(created["client_id"]?.stringValue)
            let old = try #require(created["client_secret"]?.stringValue)
            let rotated = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/oauth-clients/\(id)/rotate-secret", json: ["grace_seconds": 0])
            let fresh = try #require(rotated["client_secret"]?.stringValue)
            #expect(try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials"], basic: (id, old)).status == 401)
            let accepted = try await Self.post(server, "/oauth/token", ["grant_type": "client_credentials"], basic: (id, fresh))
            #expect(accepted.status == 200, "\(accepted.text)")
            let other = try await server.makeTenant("Other")
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(other)/oauth-clients/\(id)").status == 404)
        }
    }
}
