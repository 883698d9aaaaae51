import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// SPEC §2 Tenancy and §5 through HTTP: which credential reaches which tenant, and why not.
@Suite struct TenancyTests {
    @Test func aTenantKeyWorksInEveryPresentation() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys"
            #expect(try await server.request(.get, uri, key: key.secret).status == 200)
            for header in ["X-Api-Key", "x-api-key"] {
                #expect(try await server.request(.get, uri, headers: [.init(header)!: key.secret]).status == 200)
            }
            #expect(try await server.request(.get, "\(uri)?bearer_token=\(key.secret)").status == 200)
        }
    }

    @Test func aDenialNamesTheScopesThatWouldDo() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:write"])
            let reply = try await server.request(.get, "/api/v1/iam/tenants/\(tenant)/api-keys", key: key.secret)
            #expect(reply.status == 403)
            #expect(reply.errorCode == "permission_denied")
            #expect(reply.json["error"]?["details"]?["required"] == ["*", "iam:*", "iam:read", "iam:api-keys.*", "iam:api-keys.read"])
        }
    }

    @Test func anotherTenantsCredentialIsDeniedWithoutRevealingTheTenant() async throws {
        try await TestServer.run { server throws in
            let mine = try await server.makeTenant("Mine")
            let theirs = try await server.makeTenant("Theirs")
            let key = try await server.makeKey(tenant: mine, scopes: ["*"])
            let existing = try await server.request(.get, "/api/v1/iam/tenants/\(theirs)/api-keys", key: key.secret)
            let missing = try await server.request(
                .get, "/api/v1/iam/tenants/\(ResourceID.generate(.tenant))/api-keys", key: key.secret)
            #expect(existing.status == 403)
            #expect(missing.status == 403)
            #expect(existing.json["error"]?["message"] == missing.json["error"]?["message"])
            #expect(!existing.text.contains("Theirs"))
        }
    }

    @Test func theTenantComesFromTheHeaderOrTheCredential() async throws {
        try await TestServer.run { server throws in
            let mine = try await server.makeTenant("Mine")
            let other = try await server.makeTenant("Other")
            let key = try await server.makeKey(tenant: mine, scopes: ["iam:keys.write"])
            let verify = try await server.request(
                .post, "/api/v1/iam/keys/verify", key: key.secret, json: ["key": .string(key.secret)])
            #expect(verify["tenant_id"]?.stringValue == mine, "the credential's own tenant by default")
            let viaHeader = try await server.request(
                .post, "/api/v1/iam/keys/verify", key: key.secret, json: ["key": .string(key.secret)],
                headers: [.init("x-tenantid")!: other])
            #expect(viaHeader.status == 403, "a header naming another tenant is held to the same rule")
            let conflicting = try await server.request(
                .get, "/api/v1/iam/tenants/\(mine)/api-keys", key: server.adminKey, headers: [.init("X-Tenant-Id")!: other])
            #expect(conflicting.status == 400)
            let malformed = try await server.request(
                .get, "/api/v1/iam/tenants/not-a-tenant/api-keys", key: server.adminKey)
            #expect(malformed.status == 400)
        }
    }

    @Test func aSuspendedTenantsCredentialsGet403() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            _ = try await server.admin(.patch, "/api/v1/admin/tenants/\(tenant)", json: ["status": "suspended"])
            _ = try await server.waitForStatus(403, "/api/v1/auth/whoami", key: key.secret)
            let reply = try await server.request(.get, "/api/v1/iam/tenants/\(tenant)/api-keys", key: key.secret)
            #expect(reply.errorCode == "tenant_suspended")
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys").status == 200, "the admin still manages it")
            _ = try await server.admin(.patch, "/api/v1/admin/tenants/\(tenant)", json: ["status": "active"])
            _ = try await server.waitForStatus(200, "/api/v1/auth/whoami", key: key.secret)
        }
    }

    @Test func aDeletedTenantsCredentialsStopAtOnce() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            #expect(try await server.admin(.delete, "/api/v1/admin/tenants/\(tenant)").status == 204)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 401)
        }
    }

    @Test func partnerKeysActOnTheirPartnersTenantsOnly() async throws {
        try await TestServer.run { server throws in
            let partner = try #require(try await server.admin(.post, "/api/v1/admin/partners", json: ["name": "Reseller"])["id"]?.stringValue)
            let child = try await server.makeTenant("Child", partner: partner)
            let stranger = try await server.makeTenant("Stranger")
            let created = try await server.admin(
                .post, "/api/v1/admin/partners/\(partner)/api-keys", json: ["name": "reseller", "scopes": ["iam:*", "admin:tenants.read"]])
            #expect(created.status == 201)
            let secret = try #require(created["key"]?.stringValue)
            try await server.waitUntilIndexed(secret)
            #expect(try await server.request(.get, "/api/v1/iam/tenants/\(child)/api-keys", key: secret).status == 200)
            #expect(try await server.request(.get, "/api/v1/iam/tenants/\(stranger)/api-keys", key: secret).status == 403)
            #expect(try await server.request(.get, "/api/v1/admin/tenants/\(child)", key: secret).status == 200)
            #expect(try await server.request(.get, "/api/v1/admin/tenants/\(stranger)", key: secret).status == 403)
            #expect(try await server.request(.get, "/api/v1/admin/tenants", key: secret).status == 403, "lists are platform-only")
            let whoami = try await server.request(.get, "/api/v1/auth/whoami", key: secret)
            #expect(whoami["type"] == "partner")
            #expect(whoami["partner_id"]?.stringValue == partner)
        }
    }

    /// Every result code of `POST /iam/keys/verify` but RATE_LIMITED (rate limits are a later milestone).
    @Test func verifyReportsEveryResultCode() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let verifier = try await server.makeKey(tenant: tenant, scopes: ["iam:keys.write"])
            func verify(_ body: JSONValue, as key: String? = nil) async throws -> TestReply {
                try await server.request(.post, "/api/v1/iam/keys/verify", key: key ?? verifier.secret, json: body)
            }
            let live = try await server.makeKey(tenant: tenant, scopes: ["provisioning:users.*"], extra: ["permissions": ["llm"]])
            let valid = try await verify(["key": .string(live.secret), "scopes": ["provisioning:users.read"], "permission": "llm"])
            #expect(valid["valid"] == true)
            #expect(valid["code"] == "VALID")
            #expect(valid["key_id"]?.stringValue == live.id)
            #expect(valid["scopes"] == ["provisioning:users.*"])
            #expect(try await verify(["key": .string(live.secret), "scopes": ["provisioning:*"]])["code"] == "INSUFFICIENT_SCOPE")
            #expect(try await verify(["key": .string(live.secret), "permission": "tts"])["code"] == "INSUFFICIENT_SCOPE")
            #expect(try await verify(["key": .string(APIKeyFormat.generate(prefix: "gk"))])["code"] == "NOT_FOUND")
            #expect(try await verify(["key": "gk_typo"])["code"] == "NOT_FOUND")

            let revoked = try await server.makeKey(tenant: tenant, scopes: [])
            _ = try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(revoked.id)")
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: revoked.secret)
            #expect(try await verify(["key": .string(revoked.secret)])["code"] == "REVOKED")

            let soon = Timestamp.format(Date().addingTimeInterval(1.5))
            let expiring = try await server.makeKey(tenant: tenant, scopes: [], extra: ["expires_at": .string(soon)])
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: expiring.secret, within: .seconds(5))
            #expect(try await verify(["key": .string(expiring.secret)])["code"] == "EXPIRED")

            let other = try await server.makeTenant("Other")
            let foreign = try await server.makeKey(tenant: other, scopes: [])
            #expect(try await verify(["key": .string(foreign.secret)])["code"] == "NOT_FOUND", "other tenants' keys are invisible")
            let suspendedKey = try await server.makeKey(tenant: other, scopes: [])
            _ = try await server.admin(.patch, "/api/v1/admin/tenants/\(other)", json: ["status": "suspended"])
            _ = try await server.waitForStatus(403, "/api/v1/auth/whoami", key: suspendedKey.secret)
            let suspended = try await verify(["key": .string(suspendedKey.secret)], as: server.adminKey)
            #expect(suspended["code"] == "TENANT_SUSPENDED")

            let unprivileged = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let denied = try await verify(["key": .string(live.secret)], as: unprivileged.secret)
            #expect(denied.status == 403)
            #expect(denied.json["error"]?["details"]?["required"]?.arrayValue?.contains("iam:keys.write") == true)
            #expect(try await verify(["key": .string(live.secret), "scopes": ["bad scope"]]).status == 422)
        }
    }
}
