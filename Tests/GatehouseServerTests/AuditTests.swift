import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The audit log and reporting, SPEC §7, through HTTP.
@Suite struct AuditTests {
    @Test func changesAreAuditedInTheTenantsChainAndVerify() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["provisioning:*"])
            _ = try await server.request(
                .post, "/api/v1/provisioning/tenants/\(tenant)/users/u1", key: key.secret, json: ["a": 1],
                headers: [.userAgent: "audit-test/1.0"])
            _ = try await server.admin(.delete, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)")
            let events = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events")
            let actions = events["data"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
            #expect(actions == ["api_key.create", "document.write", "api_key.revoke"])
            let write = try #require(events["data"]?.arrayValue?[1])
            #expect(write["actor"] == ["type": "api_key", "id": .string(key.id)])
            #expect(write["target"] == "users/u1")
            #expect(write["user_agent"] == "audit-test/1.0")
            #expect(write["request_id"]?.stringValue?.hasPrefix("req_") == true)
            #expect(write["outcome"] == "success")

            let verified = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/verify")
            #expect(verified.json == ["valid": true, "events_checked": 3])

            let filtered = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?action=api_key.revoke")
            #expect(filtered["total"] == 1)
            let byActor = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?actor=\(key.id)")
            #expect(byActor["total"] == 1)
            let future = Timestamp.format(Date().addingTimeInterval(3600))
            #expect(try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?from=\(future)")["total"] == 0)
            #expect(try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?from=yesterday").status == 400)
            #expect(try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?outcome=meh").status == 400)

            let platform = try await server.admin(.get, "/api/v1/admin/audit-logs?limit=2&offset=0")
            #expect(platform["data"]?.arrayValue?.count == 2)
            #expect((platform["total"]?.intValue ?? 0) >= 5, "bootstrap, tenant.create and the tenant's events")
        }
    }

    @Test func editingAStoredEventBreaksTheChainAtThatEvent() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for index in 0..<4 {
                _ = try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/docs/d\(index)", json: [:])
            }
            let events = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events")
            let third = try #require(events["data"]?.arrayValue?[2]["id"]?.stringValue)
            try await server.executeSQL("UPDATE audit_events SET target = 'docs/innocent' WHERE id = '\(third)'")
            let verified = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/verify")
            #expect(verified.json == ["valid": false, "events_checked": 2, "first_invalid": .string(third)])
        }
    }

    @Test func deletingAStoredEventBreaksTheChain() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for index in 0..<3 {
                _ = try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/docs/d\(index)", json: [:])
            }
            let events = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events")
            let second = try #require(events["data"]?.arrayValue?[1]["id"]?.stringValue)
            let third = try #require(events["data"]?.arrayValue?[2]["id"]?.stringValue)
            try await server.executeSQL("DELETE FROM audit_events WHERE id = '\(second)'")
            let verified = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/verify")
            #expect(verified["valid"] == false)
            #expect(verified["first_invalid"]?.stringValue == third)
        }
    }

    /// If the audit insert fails, the change it records fails with it.
    @Test func aFailedAuditInsertRollsTheChangeBack() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            try await server.executeSQL("ALTER TABLE audit_events RENAME TO audit_events_hidden")
            let write = try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/users/u1", json: ["a": 1])
            #expect(write.status == 500)
            #expect(write.errorCode == "internal")
            let create = try await server.admin(.post, "/api/v1/admin/tenants", json: ["name": "Ghost"])
            #expect(create.status == 500)
            try await server.executeSQL("ALTER TABLE audit_events_hidden RENAME TO audit_events")
            #expect(try await server.admin(.get, "/api/v1/provisioning/tenants/\(tenant)/users/u1").status == 404)
            let tenants = try await server.admin(.get, "/api/v1/admin/tenants")
            #expect(tenants["data"]?.arrayValue?.contains { $0["name"] == "Ghost" } == false)
        }
    }

    @Test func failedAuthenticationsAndDenialsAreAudited() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["iam:read"])
            _ = try await server.request(.get, "/api/v1/admin/tenants", key: "gk_wrong")
            _ = try await server.request(.post, "/api/v1/iam/tenants/\(tenant)/api-keys", key: key.secret, json: [:])
            try await server.flushTelemetry()
            let failed = try await server.admin(.get, "/api/v1/admin/audit-logs?action=auth.failed")
            #expect(failed["total"] == 1)
            #expect(failed["data"]?.arrayValue?.first?["outcome"] == "failure")
            let denied = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events?action=auth.denied")
            #expect(denied["total"] == 1)
            #expect(denied["data"]?.arrayValue?.first?["actor"]?["id"]?.stringValue == key.id)
            #expect(try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/verify")["valid"] == true)
        }
    }

    @Test func retentionPurgesOldEventsAndTheRestStillVerifies() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            for index in 0..<3 {
                _ = try await server.admin(.post, "/api/v1/provisioning/tenants/\(tenant)/docs/d\(index)", json: [:])
            }
            let events = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/events")
            let first = try #require(events["data"]?.arrayValue?.first?["id"]?.stringValue)
            try await server.executeSQL("UPDATE audit_events SET occurred_at = 1000 WHERE id = '\(first)'")
            #expect(try await server.store.audit.purge(before: Date(timeIntervalSince1970: 86_400)) == 1)
            let verified = try await server.admin(.get, "/api/v1/audit/tenants/\(tenant)/verify")
            #expect(verified.json == ["valid": true, "events_checked": 2])
        }
    }

    /// A whole flow, then every stored event and every log line is searched for the secrets.
    @Test func noSecretReachesTheAuditLogOrTheLogs() async throws {
        let capture = LogCapture()
        try await TestServer.run(logger: capture.logger()) { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["*"])
            let rotated = try await server.admin(.post, "/api/v1/iam/tenants/\(tenant)/api-keys/\(key.id)/rotate", json: [:])
            let fresh = try #require(rotated["key"]?.stringValue)
            try await server.waitUntilIndexed(fresh)
            _ = try await server.request(.post, "/api/v1/provisioning/tenants/\(tenant)/users/u1", key: fresh, json: ["x": 1])
            _ = try await server.request(.get, "/api/v1/auth/whoami?bearer_token=\(key.secret)")
            _ = try await server.request(.post, "/api/v1/iam/keys/verify", key: fresh, json: ["key": .string(key.secret)])
            _ = try await server.request(.get, "/api/v1/admin/tenants", key: fresh)
            let account = try await server.admin(
                .post, "/api/v1/admin/service-account/create", json: ["name": "ops", "scopes": ["admin:*"]])
            let accountSecret = try #require(account["api_key"]?["key"]?.stringValue)
            try await server.flushTelemetry()
            let stored = try await server.allAuditRowsText()
            let logs = capture.text
            #expect(!stored.isEmpty)
            for secret in [server.adminKey, key.secret, fresh, accountSecret] {
                #expect(!stored.contains(secret), "an audit event holds a secret")
                #expect(!logs.contains(secret), "a log line holds a secret")
                #expect(!stored.contains(APIKeyFormat.hash(secret)), "not even a hash")
            }
        }
    }
}

@Suite struct ReportingTests {
    @Test func requestsUsageAndKeysAreReported() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["provisioning:*", "reporting:read"])
            for _ in 0..<3 {
                _ = try await server.request(.get, "/api/v1/provisioning/tenants/\(tenant)/users/u1", key: key.secret)
            }
            try await server.flushTelemetry()
            try await server.environment.usage.flush(to: server.store)
            let base = "/api/v1/reporting/tenants/\(tenant)"
            let requests = try await server.request(.get, "\(base)/requests", key: key.secret)
            #expect(requests.status == 200)
            // The admin's key creation on this tenant is logged too; keep the key's own requests.
            let rows = try #require(requests["data"]?.arrayValue).filter { $0["key_id"]?.stringValue == key.id }
            #expect(rows.count == 3)
            #expect(rows.first?["route"] == "/api/v1/provisioning/tenants/{tenantId}/**")
            #expect(rows.first?["status"] == 404)
            #expect(rows.first?["key_id"]?.stringValue == key.id)

            let usage = try await server.request(.get, "\(base)/usage?meter=api.requests&key_id=\(key.id)", key: key.secret)
            let hourly = try #require(usage["data"]?.arrayValue)
            #expect(hourly.count == 1)
            #expect(hourly.first?["quantity"] == 3)
            #expect(hourly.first?["key_id"]?.stringValue == key.id)
            let daily = try await server.request(.get, "\(base)/usage?granularity=day", key: key.secret)
            let period = try #require(daily["data"]?.arrayValue?.first?["period_start"]?.stringValue)
            #expect(period.hasSuffix("T00:00:00.000Z"))
            #expect(try await server.request(.get, "\(base)/usage?granularity=week", key: key.secret).status == 400)

            let keys = try await server.request(.get, "\(base)/keys", key: key.secret)
            #expect(keys["total"] == 1)
            #expect(keys["data"]?.arrayValue?.first?["last_used_at"] != .null)

            let audit = try await server.request(.get, "\(base)/audit-events", key: key.secret)
            #expect(audit["total"] == 1)
            for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
                let write = try await server.request(method, "\(base)/usage", key: key.secret, json: [:])
                #expect(write.status == 405 || write.status == 403, "reporting is read-only")
            }
            #expect(try await server.admin(.post, "\(base)/usage", json: [:]).status == 405)
        }
    }
}
