import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The key lifecycle of SPEC §3 through HTTP.
@Suite struct APIKeyTests {
    @Test func createShowsTheSecretOnceAndStoresOnlyItsHash() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant(settings: ["key_prefix": "cm"])
            let created = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys",
                json: ["name": "CI", "scopes": ["provisioning:read", "provisioning:read"], "metadata": ["team": "core"],
                       "rate_limit": ["limit": 10, "window_seconds": 60]])
            #expect(created.status == 201)
            let secret = try #require(created["key"]?.stringValue)
            #expect(secret.hasPrefix("cm_"))
            #expect(APIKeyFormat.validate(secret) == .success("cm"))
            #expect(created["start"]?.stringValue == APIKeyFormat.start(of: secret))
            #expect(created["scopes"] == ["provisioning:read"], "duplicates are folded")
            #expect(created["permissions"] == ["*"], "permissions default to all")
            #expect(created["status"] == "active")
            #expect(created["created_by"]?.stringValue?.hasPrefix("key_") == true)
            let id = try #require(created["id"]?.stringValue)

            let fetched = try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys/\(id)")
            #expect(fetched["key"] == nil, "the secret is never shown again")
            #expect(!fetched.text.contains(secret))
            let listed = try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys")
            #expect(listed["total"] == 1)
            #expect(!listed.text.contains(secret))
            let keyID = try #require(ResourceID(id, kind: .apiKey))
            let stored = try #require(try await server.store.apiKeys.get(keyID))
            #expect(stored.start.count == 3 + 4)
        }
    }

    @Test func malformedScopesAreRefusedWith422() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let reply = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", json: ["scopes": ["iam:read", "iam:keys"]])
            #expect(reply.status == 422)
            #expect(reply.json["error"]?["details"]?["fields"]?["scopes[1]"] != nil)
            let permissions = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", json: ["permissions": ["LLM"]])
            #expect(permissions.status == 422)
            let past = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", json: ["expires_at": "2001-01-01T00:00:00Z"])
            #expect(past.status == 422)
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys")["total"] == 0)
        }
    }

    @Test func aKeyCannotGrantMoreThanItHolds() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let manager = try await server.makeKey(tenant: tenant, scopes: ["iam:api-keys.*", "provisioning:read"])
            let narrower = try await server.request(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: manager.secret,
                json: ["scopes": ["provisioning:users.read"]])
            #expect(narrower.status == 201)
            let broader = try await server.request(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: manager.secret, json: ["scopes": ["*"]])
            #expect(broader.status == 403)
            #expect(broader.json["error"]?["details"]?["required"] == ["*"])
        }
    }

    @Test func patchChangesFieldsAndNullClears() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"],
                extra: ["expires_at": "2999-01-01T00:00:00Z", "rate_limit": ["limit": 5, "window_seconds": 1]])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)"
            let patched = try await server.admin(
                .patch, uri,
                json: ["name": "Renamed", "scopes": ["iam:*"], "permissions": ["llm"], "metadata": ["a": 1],
                       "expires_at": .null, "rate_limit": .null])
            #expect(patched.status == 200)
            #expect(patched["name"] == "Renamed")
            #expect(patched["scopes"] == ["iam:*"])
            #expect(patched["permissions"] == ["llm"])
            #expect(patched["metadata"] == ["a": 1])
            #expect(patched["expires_at"] == .null)
            #expect(patched["rate_limit"] == .null)
            #expect(try await server.admin(.patch, uri, json: ["secret": "x"]).status == 422)
            _ = try await server.waitForStatus(200, "/api/v1/iam/tenants/\(tenant)/api-keys", key: key.secret)
        }
    }

    @Test func revocationTakesEffectAndSaysSo() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200)
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)").status == 204)
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret)
            let denied = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(denied.json["error"]?["message"]?.stringValue?.contains("revoked") == true)
            let fetched = try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)")
            #expect(fetched["status"] == "revoked")
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)").status == 204)
            #expect(try await server.admin(.patch, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)", json: ["name": "x"]).status == 409)
        }
    }

    @Test func expiryIsEnforcedAndSaysSo() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let soon = Timestamp.format(Date().addingTimeInterval(1.5))
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"], extra: ["expires_at": .string(soon)])
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret, within: .seconds(5))
            let denied = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(denied.json["error"]?["message"]?.stringValue?.contains("expired") == true)
        }
    }

    @Test func rotationKeepsTheOldSecretForTheGracePeriod() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)"
            let rotated = try await server.admin(.post, "\(uri)/rotate", json: ["grace_seconds": 3])
            #expect(rotated.status == 200)
            let fresh = try #require(rotated["key"]?.stringValue)
            #expect(fresh != key.secret)
            #expect(rotated["id"]?.stringValue == key.id, "rotation keeps the key, changes the secret")
            #expect(rotated["start"]?.stringValue == APIKeyFormat.start(of: fresh))
            try await server.waitUntilIndexed(fresh)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 200, "grace")
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret, within: .seconds(8))
            let denied = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(denied.json["error"]?["message"]?.stringValue?.contains("rotated out") == true)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: fresh).status == 200)
        }
    }

    @Test func rotationWithZeroGraceEndsTheOldSecretAtOnceAndKeepsAtMostTwo() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)"
            let second = try #require(try await server.admin(.post, "\(uri)/rotate", json: [:])["key"]?.stringValue)
            let third = try #require(try await server.admin(.post, "\(uri)/rotate", json: ["grace_seconds": 0])["key"]?.stringValue)
            try await server.waitUntilIndexed(third)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: key.secret).status == 401)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: second).status == 401)
            #expect(try await server.request(.get, "/api/v1/auth/whoami", key: third).status == 200)
            #expect(try await server.admin(.post, "\(uri)/rotate", json: ["grace_seconds": -1]).status == 422)
            #expect(try await server.request(.post, "\(uri)/rotate", key: server.adminKey).status == 200, "no body: defaults")
        }
    }

    @Test func validateSaysWhetherTheSecretIsThisKey() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let other = try await server.makeKey(tenant: tenant, scopes: [])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)/validate"
            let valid = try await server.admin(.post, uri, json: ["key": .string(key.secret)])
            #expect(valid["valid"] == true)
            #expect(valid["code"] == "VALID")
            #expect(valid["key_id"]?.stringValue == key.id)
            let wrongKey = try await server.admin(.post, uri, json: ["key": .string(other.secret)])
            #expect(wrongKey["valid"] == false)
            #expect(wrongKey["code"] == "NOT_FOUND")
            let garbage = try await server.admin(.post, uri, json: ["key": "nope"])
            #expect(garbage["code"] == "NOT_FOUND")
        }
    }

    @Test func serviceAccountsOwnKeys() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let account = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/service-accounts", json: ["name": "billing-sync"])
            #expect(account.status == 201)
            let accountID = try #require(account["id"]?.stringValue)
            #expect(accountID.hasPrefix("sa_"))
            let key = try await server.makeKey(
                tenant: tenant, scopes: ["iam:read"], extra: ["service_account_id": .string(accountID)])
            let fetched = try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)")
            #expect(fetched["owner_type"] == "service_account")
            #expect(fetched["service_account_id"]?.stringValue == accountID)
            #expect(try await server.admin(.get, "/api/v1/iam/tenants/\(tenant)/service-accounts")["total"] == 1)
            #expect(try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/service-accounts/\(accountID)").status == 204)
            _ = try await server.waitForStatus(401, "/api/v1/auth/whoami", key: key.secret)
            let foreign = try await server.admin(
                .post, "/api/v1/iam/tenants/\(tenant)/api-keys", json: ["service_account_id": .string(accountID)])
            #expect(foreign.status == 422)
        }
    }

    @Test func platformServiceAccountsReachAdminRoutesWithinTheirScopes() async throws {
        try await TestServer.run { server throws in
            let created = try await server.admin(
                .post, "/api/v1/admin/service-account/create", json: ["name": "ops-bot", "scopes": ["admin:tenants.read"]])
            #expect(created.status == 201)
            let secret = try #require(created["api_key"]?["key"]?.stringValue)
            try await server.waitUntilIndexed(secret)
            #expect(try await server.request(.get, "/api/v1/admin/tenants", key: secret).status == 200)
            let write = try await server.request(.post, "/api/v1/admin/tenants", key: secret, json: ["name": "X"])
            #expect(write.status == 403)
            #expect(write.json["error"]?["details"]?["required"]?.arrayValue?.contains("admin:tenants.write") == true)
            let whoami = try await server.request(.get, "/api/v1/auth/whoami", key: secret)
            #expect(whoami["type"] == "platform_service_account")
        }
    }

    @Test func whoamiDescribesTheCredential() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"], extra: ["permissions": ["llm"]])
            let reply = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret)
            #expect(reply.json == [
                "type": "api_key", "id": .string(key.id), "tenant_id": .string(tenant), "partner_id": .null,
                "scopes": ["iam:read"], "permissions": ["llm"], "expires_at": .null,
            ])
        }
    }
}

/// `last_used_at` is written in batches, off the request path.
@Suite struct KeyUsageTests {
    @Test func lastUsedIsRecordedByTheBatchFlush() async throws {
        let options = ServerOptions(changePollInterval: .milliseconds(50), usageFlushInterval: .milliseconds(100))
        try await TestServer.run(options: options) { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            let uri = "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)"
            #expect(try await server.admin(.get, uri)["last_used_at"] == .null)
            for _ in 0..<20 { _ = try await server.request(.get, "/api/v1/auth/whoami", key: key.secret) }
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            var lastUsed: JSONValue? = .null
            while clock.now < deadline, lastUsed == .null {
                try await Task.sleep(for: .milliseconds(50))
                lastUsed = try await server.admin(.get, uri)["last_used_at"]
            }
            #expect(lastUsed?.stringValue.flatMap(Timestamp.parse) != nil)
        }
    }
}
