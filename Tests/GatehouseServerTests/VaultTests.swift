import Foundation
import GatehouseCore
import GatehouseStorage
import GatehouseTestSupport
import Testing

/// SPEC §8: the credentials vault through HTTP.
@Suite struct VaultTests {
    static let samples: [(type: String, data: JSONValue)] = [
        ("oauth2_bearer", ["access_token": "ya29.bearer-secret-1", "refresh_token": "1//refresh-secret-1"]),
        ("oauth2_client_credentials", [
            "client_id": "cid-1", "client_secret": "client-secret-2", "token_url": "https://idp.example/token",
        ]),
        ("api_key", ["key": "sk_live_api-key-secret-3", "header_name": "X-Api-Key"]),
        ("basic_auth", ["username": "svc", "password": "basic-secret-4"]),
        ("bearer_token", ["token": "bearer-token-secret-5"]),
        ("jwt", ["token": "eyJhbGciOi.jwt-secret-6.sig"]),
        ("saml", ["assertion": "<saml:Assertion>saml-secret-7</saml:Assertion>"]),
        ("custom", ["anything": ["nested": "custom-secret-8"], "n": 1]),
    ]

    static func base(_ tenant: String) -> String { "/api/v1/vault/tenants/\(tenant)/credentials" }

    @Test func everyAuthTypeIsStoredListedAndRevealed() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for (type, data) in Self.samples {
                let created = try await server.admin(.post, Self.base(tenant), json: [
                    "integration_id": .string("int-\(type)"), "name": .string(type), "auth_type": .string(type),
                    "data": data, "metadata": ["env": "prod"],
                ])
                #expect(created.status == 201, "\(type): \(created.text)")
                #expect(created["data"] == nil, "create never echoes the secret")
                #expect(created["auth_type"]?.stringValue == type)
                #expect(created["status"]?.stringValue == "active")

                let details = try await server.admin(.get, "\(Self.base(tenant))/int-\(type)/details")
                #expect(details.status == 200)
                #expect(details["data"]?.arrayValue?.first?["data"] == nil, "details never hold the secret")
                #expect(details["data"]?.arrayValue?.first?["metadata"]?["env"]?.stringValue == "prod")

                let revealed = try await server.admin(.get, "\(Self.base(tenant))/int-\(type)")
                #expect(revealed.status == 200)
                #expect(revealed["data"]?.arrayValue?.first?["data"] == data, "\(type) decrypts to what was stored")
                #expect(revealed.headers[.cacheControl] == "no-store")
            }
            let list = try await server.admin(.get, Self.base(tenant))
            #expect(list["total"]?.intValue == Self.samples.count)
            for (_, data) in Self.samples {
                #expect(!list.text.contains(data.secretMarker), "a list never holds secrets")
            }
        }
    }

    @Test func invalidCredentialsAreRefusedNamingTheField() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let cases: [(JSONValue, String)] = [
                (["integration_id": "a", "name": "n", "auth_type": "basic_auth", "data": ["username": "u"]], "data.password"),
                (["integration_id": "a", "name": "n", "auth_type": "bearer_token", "data": ["token": "t", "x": "y"]], "data.x"),
                (["integration_id": "a", "name": "n", "auth_type": "jwt", "data": ["token": 5]], "data.token"),
                (["integration_id": "a", "name": "n", "auth_type": "kerberos", "data": ["token": "t"]], "auth_type"),
                (["integration_id": "a b", "name": "n", "auth_type": "jwt", "data": ["token": "t"]], "integration_id"),
                (["integration_id": "a", "name": "n", "auth_type": "custom", "data": [:]], "data"),
                (["integration_id": "a", "name": "n", "auth_type": "jwt", "data": ["token": "t"], "secret": "s"], "secret"),
                (["integration_id": "a", "name": "n", "auth_type": "oauth2_client_credentials",
                  "data": ["client_id": "c", "client_secret": "s", "token_url": "ftp://x"]], "data.token_url"),
                (["integration_id": "a", "name": "n", "auth_type": "custom",
                  "data": ["blob": .string(String(repeating: "x", count: 70_000))]], "data"),
            ]
            for (body, field) in cases {
                let reply = try await server.admin(.post, Self.base(tenant), json: body)
                #expect(reply.status == 422, "\(field): \(reply.text)")
                #expect(reply.json["error"]?["details"]?["fields"]?[field] != nil, "names \(field): \(reply.text)")
            }
            #expect(try await server.admin(.get, Self.base(tenant))["total"]?.intValue == 0, "nothing was kept")
        }
    }

    /// Reading secrets needs `vault:credentials.reveal`: `vault:read` and `vault:write` never
    /// imply it; `vault:*` and `*` do.
    @Test func revealNeedsTheRevealScope() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            _ = try await server.admin(.post, Self.base(tenant), json: [
                "integration_id": "crm", "name": "CRM", "auth_type": "bearer_token", "data": ["token": "crm-token-9"],
            ])
            let expectations: [([String], Int)] = [
                (["vault:read"], 403), (["vault:write"], 403), (["vault:read", "vault:write"], 403),
                (["vault:credentials.reveal"], 200), (["vault:*"], 200), (["*"], 200),
            ]
            for (scopes, status) in expectations {
                let key = try await server.makeKey(tenant: tenant, scopes: scopes)
                let reply = try await server.request(.get, "\(Self.base(tenant))/crm", key: key.secret)
                #expect(reply.status == status, "\(scopes)")
                if status == 403 {
                    #expect(reply.errorCode == "permission_denied")
                    #expect(reply.json["error"]?["details"]?["required"]?.arrayValue?.contains("vault:credentials.reveal") == true)
                    #expect(!reply.text.contains("crm-token-9"))
                }
            }
            let reader = try await server.makeKey(tenant: tenant, scopes: ["vault:read"])
            #expect(try await server.request(.get, "\(Self.base(tenant))/crm/details", key: reader.secret).status == 200)
            #expect(try await server.request(.get, Self.base(tenant), key: reader.secret).status == 200)
            let events = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?action=vault.credential.reveal")
            #expect(events["total"]?.intValue == 3, "each reveal is audited")
        }
    }

    @Test func patchChangesMetadataOrReplacesTheSecret() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let created = try await server.admin(.post, Self.base(tenant), json: [
                "integration_id": "erp", "name": "ERP", "auth_type": "basic_auth",
                "data": ["username": "u", "password": "old-password-10"],
            ])
            let id = try #require(created["id"]?.stringValue)
            let path = "\(Self.base(tenant))/erp/\(id)"
            let renamed = try await server.admin(.patch, path, json: ["name": "ERP prod", "metadata": ["region": "eu"]])
            #expect(renamed.status == 200)
            #expect(renamed["name"]?.stringValue == "ERP prod")
            #expect(try await server.admin(.patch, path, json: ["auth_type": "bearer_token"]).status == 422)
            let retyped = try await server.admin(.patch, path, json: [
                "auth_type": "bearer_token", "data": ["token": "new-token-11"],
            ])
            #expect(retyped.status == 200)
            #expect(retyped["data"] == nil)
            let revealed = try await server.admin(.get, "\(Self.base(tenant))/erp?credential_id=\(id)")
            #expect(revealed["data"]?.arrayValue?.first?["data"] == ["token": "new-token-11"])
            #expect(try await server.admin(.patch, path, json: [:]).status == 422)
            #expect(try await server.admin(.patch, "\(Self.base(tenant))/other/\(id)", json: ["name": "x"]).status == 404)
            #expect(try await server.admin(.delete, path).status == 204)
            #expect(try await server.admin(.delete, path).status == 404)
            #expect(try await server.admin(.get, "\(Self.base(tenant))/erp").status == 404)
        }
    }

    @Test func anotherTenantsKeyCannotReachTheVault() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant("A")
            let other = try await server.makeTenant("B")
            _ = try await server.admin(.post, Self.base(tenant), json: [
                "integration_id": "crm", "name": "CRM", "auth_type": "jwt", "data": ["token": "tenant-a-jwt-12"],
            ])
            let outsider = try await server.makeKey(tenant: other, scopes: ["*"])
            let reply = try await server.request(.get, "\(Self.base(tenant))/crm", key: outsider.secret)
            #expect(reply.status == 403)
            #expect(try await server.request(.get, "\(Self.base(other))/crm", key: outsider.secret).status == 404)
        }
    }

    @Test func expiredCredentialsAreNeverRevealedAndAreCleanedUp() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let soon = Timestamp.format(Date().addingTimeInterval(1))
            _ = try await server.admin(.post, Self.base(tenant), json: [
                "integration_id": "tmp", "name": "Temp", "auth_type": "jwt", "data": ["token": "short-lived-13"],
                "expires_at": .string(soon),
            ])
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await server.admin(.get, "\(Self.base(tenant))/tmp").status == 404)
            let details = try await server.admin(.get, "\(Self.base(tenant))/tmp/details")
            #expect(details["data"]?.arrayValue?.first?["status"]?.stringValue == "expired")
            let job = try await server.admin(.post, "/api/v1/admin/jobs/trigger", json: ["job": "expired-credentials-cleanup"])
            #expect(job.status == 202)
            try await server.waitForJob(try #require(job["id"]?.stringValue), name: "expired-credentials-cleanup")
            #expect(try await server.admin(.get, Self.base(tenant))["total"]?.intValue == 0)
        }
    }

    /// A ciphertext copied to another row (or with its auth type edited) does not open: the
    /// associated data binds it to tenant, credential, type and key version.
    @Test func aMovedCiphertextDoesNotDecrypt() async throws {
        try await TestServer.run { server throws in
            let tenantA = try await server.makeTenant("A")
            let tenantB = try await server.makeTenant("B")
            let a = try await server.admin(.post, Self.base(tenantA), json: [
                "integration_id": "crm", "name": "A", "auth_type": "jwt", "data": ["token": "moved-secret-14"],
            ])
            let b = try await server.admin(.post, Self.base(tenantB), json: [
                "integration_id": "crm", "name": "B", "auth_type": "jwt", "data": ["token": "b-secret-15"],
            ])
            let c = try await server.admin(.post, Self.base(tenantA), json: [
                "integration_id": "erp", "name": "C", "auth_type": "jwt", "data": ["token": "c-secret-16"],
            ])
            let aID = try #require(a["id"]?.stringValue)
            let bID = try #require(b["id"]?.stringValue)
            let cID = try #require(c["id"]?.stringValue)
            try await server.executeSQL("""
                UPDATE vault_credentials SET ciphertext = (SELECT ciphertext FROM vault_credentials WHERE id = '\(aID)')
                WHERE id IN ('\(bID)', '\(cID)')
                """)
            for (tenant, integration) in [(tenantB, "crm"), (tenantA, "erp")] {
                let reply = try await server.admin(.get, "\(Self.base(tenant))/\(integration)")
                #expect(reply.status == 500)
                #expect(!reply.text.contains("moved-secret-14"))
            }
            try await server.executeSQL("UPDATE vault_credentials SET auth_type = 'bearer_token' WHERE id = '\(aID)'")
            #expect(try await server.admin(.get, "\(Self.base(tenantA))/crm").status == 500)
        }
    }

    /// After a full flow, no plaintext secret is in any table, log line or audit event.
    @Test func noPlaintextInTheDatabaseOrTheLogs() async throws {
        let capture = LogCapture()
        try await TestServer.run(logger: capture.logger()) { server throws in
            let tenant = try await server.makeTenant()
            var ids: [String] = []
            for (type, data) in Self.samples {
                let reply = try await server.admin(.post, Self.base(tenant), json: [
                    "integration_id": "grep", "name": .string(type), "auth_type": .string(type), "data": data,
                ])
                ids.append(try #require(reply["id"]?.stringValue))
            }
            _ = try await server.admin(.patch, "\(Self.base(tenant))/grep/\(ids[4])", json: ["data": ["token": "patched-secret-17"]])
            _ = try await server.admin(.get, "\(Self.base(tenant))/grep")
            _ = try await server.admin(.post, "/api/v1/admin/dek/rotate", json: ["tenant_id": .string(tenant)])
            try await server.waitUntilReencrypted()
            _ = try await server.admin(.get, "\(Self.base(tenant))/grep")
            try await server.flushTelemetry()
            var stored = ""
            for table in ["vault_credentials", "vault_keys", "audit_events", "jobs", "request_log"] {
                stored += try await server.tableText(table)
            }
            let markers = Self.samples.map(\.data.secretMarker) + ["patched-secret-17"]
            for marker in markers {
                #expect(!stored.contains(marker), "a table holds \(marker)")
                #expect(!capture.text.contains(marker), "a log line holds \(marker)")
            }
            if case .sqlite(let path) = server.databaseURL {
                var bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
                bytes.append((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
                for marker in markers {
                    #expect(bytes.range(of: Data(marker.utf8)) == nil, "the database file holds \(marker)")
                }
            }
        }
    }
}

extension JSONValue {
    /// The distinctive secret string inside a sample (`…-secret-N` or similar).
    var secretMarker: String {
        switch self {
        case .string(let text): text
        case .object(let fields):
            fields.values.map(\.secretMarker).filter { $0.contains("secret") }.first ?? fields.values.map(\.secretMarker).first ?? ""
        default: ""
        }
    }
}

extension TestServer {
    /// Waits until the job `id` of `name` succeeded; fails after ten seconds or if it failed.
    public func waitForJob(_ id: String, name: String, within limit: Duration = .seconds(10)) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            let runs = try await admin(.get, "/api/v1/admin/jobs/\(name)/runs?limit=1000")
            if let run = runs["data"]?.arrayValue?.first(where: { $0["id"]?.stringValue == id }) {
                if run["state"]?.stringValue == "succeeded" { return }
                if run["state"]?.stringValue == "failed" { throw TestFailure("job \(id) failed: \(run)") }
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("job \(id) did not finish within \(limit)")
    }

    /// Waits until no credential is left on an older data key and no rotation job is pending.
    public func waitUntilReencrypted(within limit: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            let stats = try await admin(.get, "/api/v1/admin/jobs/dek-rotation/stats")
            // The store, not admin health: health counts are cached for a few seconds.
            if stats["queued"]?.intValue == 0, stats["running"]?.intValue == 0,
                try await store.vault.status().onOlderKeys == 0
            {
                return
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("re-encryption did not finish within \(limit)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
