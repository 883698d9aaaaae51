import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// No credential can turn itself or another into something broader than it is.
@Suite struct EscalationTests {
    @Test func aKeyManagerCannotTakeOverABroaderKey() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let owner = try await server.makeKey(tenant: tenant, scopes: ["*"])
            let manager = try await server.makeKey(tenant: tenant, scopes: ["iam:api-keys.*"])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(owner.id)"
            let rotate = try await server.request(.post, "\(uri)/rotate", key: manager.secret, json: ["grace_seconds": 0])
            #expect(rotate.status == 403)
            #expect(rotate["key"] == nil)
            #expect(try await server.request(.patch, uri, key: manager.secret, json: ["scopes": []]).status == 403)
            #expect(try await server.request(.delete, uri, key: manager.secret).status == 403)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: owner.secret).status == 200)
            let narrower = try await server.makeKey(tenant: tenant, scopes: ["iam:api-keys.read"])
            #expect(try await server.request(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys/\(narrower.id)/rotate", key: manager.secret, json: [:]).status == 200)
        }
    }

    @Test func permissionsAndExpiryStayWithinTheCreators() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let expiry = Timestamp.format(Date().addingTimeInterval(3600))
            let limited = try await server.makeKey(
                tenant: tenant, scopes: ["iam:api-keys.*"],
                extra: ["permissions": ["llm"], "expires_at": .string(expiry), "rate_limit": ["limit": 50, "window_seconds": 60]])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys"
            let wider = try await server.request(.post, uri, key: limited.secret, json: ["permissions": ["*"]])
            #expect(wider.status == 403)
            let inherited = try await server.request(.post, uri, key: limited.secret, json: [:])
            #expect(inherited.status == 201)
            #expect(inherited["permissions"] == ["llm"], "permissions default to the creator's")
            #expect(inherited["expires_at"]?.stringValue.flatMap(Timestamp.parse) != nil, "expiry defaults to the creator's")
            let later = Timestamp.format(Date().addingTimeInterval(7200))
            #expect(try await server.request(.post, uri, key: limited.secret, json: ["expires_at": .string(later)]).status == 403)
            let own = "\(uri)/\(limited.id)"
            #expect(try await server.request(.patch, own, key: limited.secret, json: ["expires_at": .null]).status == 200)
            let after = try await server.admin(.get, own)
            #expect(after["expires_at"] != .null, "clearing an expiry falls back to the credential's own")
            #expect(try await server.request(.patch, own, key: limited.secret, json: ["rate_limit": .null]).status == 403)
            #expect(try await server.request(.patch, own, key: limited.secret, json: ["permissions": ["*"]]).status == 403)
        }
    }

    @Test func aPlatformServiceAccountCannotMintABroaderOne() async throws {
        try await TestServer.run { server throws in
            let created = try await server.admin(
                .post, "/api/v1/admin/service-account/create", json: ["name": "ops", "scopes": ["admin:service-account.*"]])
            let secret = try #require(created["api_key"]?["key"]?.stringValue)
            try await server.waitUntilIndexed(secret)
            let escalate = try await server.request(
                .post, "/api/v1/admin/service-account/create", key: secret, json: ["name": "root", "scopes": ["*"]])
            #expect(escalate.status == 403)
            let same = try await server.request(
                .post, "/api/v1/admin/service-account/create", key: secret, json: ["name": "peer", "scopes": ["admin:service-account.write"]])
            #expect(same.status == 201)
        }
    }

    @Test func aPartnerCannotReviveDeleteOrMoveItsTenants() async throws {
        try await TestServer.run { server throws in
            let partner = try #require(try await server.admin(.post, "/api/v1/admin/partners", json: ["name": "P"])["id"]?.stringValue)
            let tenant = try await server.makeTenant("Child", partner: partner)
            let key = try #require(try await server.admin(
                .post, "/api/v1/admin/partners/\(partner)/api-keys", json: ["name": "p", "scopes": ["admin:tenants.*"]])["key"]?.stringValue)
            try await server.waitUntilIndexed(key)
            _ = try await server.admin(.patch, "/api/v1/admin/tenants/\(tenant)", json: ["status": "suspended"])
            let uri = "/api/v1/admin/tenants/\(tenant)"
            #expect(try await server.request(.patch, uri, key: key, json: ["status": "active"]).status == 403)
            #expect(try await server.request(.patch, uri, key: key, json: ["partner_id": .null]).status == 403)
            #expect(try await server.request(.delete, uri, key: key).status == 403)
            #expect(try await server.request(.patch, uri, key: key, json: ["name": "Renamed"]).status == 200)
            #expect(try await server.admin(.get, uri)["status"] == "suspended")
        }
    }

    @Test func controlCharactersAndOverlongPathsAreRefused() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            #expect(try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?actor=%00").status == 400)
            #expect(try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/service-accounts", json: ["name": "a", "description": "\u{0}"]).status == 422)
            let deep = (0..<20).map { "s\($0)" + String(repeating: "x", count: 100) }.joined(separator: "/")
            #expect(try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/\(deep)", json: [:]).status == 400)
        }
    }

    @Test func aDocumentThatGrowsPastTheLimitIsNotStored() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let uri = "/api/v1/provisioning/tenants/\(tenant)/users/u1"
            let almost = #"{"blob":""# + String(repeating: "/", count: 1024 * 1024 - 12) + #""}"#
            let reply = try await server.admin(.post, uri, raw: almost)
            #expect(reply.status == 413, "the stamps push it past 1 MiB")
            #expect(try await server.admin(.get, uri).status == 404)
        }
    }
}
