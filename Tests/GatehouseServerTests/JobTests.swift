import Foundation
import GatehouseCore
import GatehouseServer
import GatehouseStorage
import GatehouseTestSupport
import Testing

/// SPEC §10 jobs: the durable queue through HTTP, retries, leases, several nodes.
@Suite struct JobTests {
    @Test func aTriggeredJobRunsAndItsStatsSaySo() async throws {
        try await TestServer.run { server throws in
            let trigger = try await server.admin(.post, "/api/v1/admin/jobs/trigger", json: ["job": "audit-retention",
                                                                                            "params": ["older_than_days": 30]])
            #expect(trigger.status == 202)
            #expect(trigger["state"]?.stringValue == "queued")
            let id = try #require(trigger["id"]?.stringValue)
            try await server.waitForJob(id, name: "audit-retention")
            let stats = try await server.admin(.get, "/api/v1/admin/jobs/audit-retention/stats")
            #expect(stats.status == 200)
            #expect(stats["succeeded"]?.intValue == 1)
            #expect(stats["queued"]?.intValue == 0)
            #expect(stats["last_run"]?["id"]?.stringValue == id)
            #expect(stats["last_run"]?["result"]?["purged"]?.intValue == 0)
            let health = try await server.admin(.get, "/api/v1/admin/health")
            #expect(health["jobs"]?["status"]?.stringValue == "ok")
            #expect(health["vault"]?["master_key_fingerprint"]?.stringValue == TestServer.masterKey.fingerprint)
        }
    }

    @Test func triggerChecksItsInput() async throws {
        try await TestServer.run { server throws in
            let cases: [(JSONValue, String)] = [
                (["job": "mine-bitcoin"], "job"),
                (["job": "dek-rotation"], "params.tenant_id"),
                (["job": "dek-rotation", "params": ["tenant_id": "ten_01jdq3v6m8x4k2c9r7t5w0y1zb"]], "params.tenant_id"),
                (["job": "expired-credentials-cleanup", "params": ["all": true]], "params.all"),
                (["job": "audit-retention"], "params.older_than_days"),
                (["job": "audit-retention", "params": ["older_than_days": 0]], "params.older_than_days"),
            ]
            for (body, field) in cases {
                let reply = try await server.admin(.post, "/api/v1/admin/jobs/trigger", json: body)
                #expect(reply.status == 422, "\(body)")
                #expect(reply.json["error"]?["details"]?["fields"]?[field] != nil, "names \(field): \(reply.text)")
            }
            #expect(try await server.admin(.get, "/api/v1/admin/jobs/mine-bitcoin/stats").status == 404)
            let tenant = try await server.makeTenant()
            let key = try await server.makeKey(tenant: tenant, scopes: ["*"])
            let denied = try await server.request(
                .post, "/api/v1/admin/jobs/trigger", key: key.secret, json: ["job": "expired-credentials-cleanup"])
            #expect(denied.status == 403)
            #expect(try await server.request(.post, "/api/v1/admin/dek/rotate", key: key.secret, json: [:]).status == 403)
        }
    }

    /// A job that fails is retried with backoff until its attempts run out; every attempt
    /// is audited and the last error is shown.
    @Test func aFailingJobIsRetriedThenMarkedFailed() async throws {
        try await TestServer.run { server throws in
            let tenant = try await server.makeTenant()
            let base = VaultTests.base(tenant)
            let first = try await server.admin(.post, base, json: [
                "integration_id": "a", "name": "A", "auth_type": "jwt", "data": ["token": "t1"],
            ])
            let second = try await server.admin(.post, base, json: [
                "integration_id": "b", "name": "B", "auth_type": "jwt", "data": ["token": "t2"],
            ])
            let firstID = try #require(first["id"]?.stringValue)
            let secondID = try #require(second["id"]?.stringValue)
            try await server.executeSQL("""
                UPDATE vault_credentials SET ciphertext = (SELECT ciphertext FROM vault_credentials WHERE id = '\(firstID)')
                WHERE id = '\(secondID)'
                """)
            let rotated = try await server.admin(.post, "/api/v1/admin/dek/rotate", json: ["tenant_id": .string(tenant)])
            #expect(rotated.status == 202)
            let clock = ContinuousClock()
            let start = clock.now
            var stats = try await server.admin(.get, "/api/v1/admin/jobs/dek-rotation/stats")
            while stats["failed"]?.intValue != 1, clock.now - start < .seconds(20) {
                try await Task.sleep(for: .milliseconds(50))
                stats = try await server.admin(.get, "/api/v1/admin/jobs/dek-rotation/stats")
            }
            #expect(stats["failed"]?.intValue == 1)
            #expect(stats["last_error"]?.stringValue?.contains("1 credential(s) do not decrypt") == true)
            #expect(stats["last_error"]?.stringValue?.contains(secondID) == true)
            #expect(stats["last_run"]?["attempts"]?.intValue == 5)
            let failures = try await server.admin(.get, "/api/v1/admin/audit-logs?action=job.failed")
            #expect(failures["total"]?.intValue == 5)
            // The untouched credential was re-encrypted and still reveals: nothing is lost.
            let untouched = try await server.admin(.get, "\(base)/a")
            #expect(untouched.status == 200)
            #expect(untouched["data"]?.arrayValue?.first?["key_version"]?.intValue == 2)
        }
    }

    /// A job whose node stopped mid-run (its lease lapsed) is run again by another node.
    @Test func aJobWhoseNodeStoppedRunsAgain() async throws {
        try await TestServer.run { server throws in
            let now = Timestamp.now
            let job = Job(id: .generate(.job, now: now), name: .expiredCredentialsCleanup, params: [:], runAfter: now, createdAt: now)
            _ = try await server.store.jobs.enqueue(job, audit: nil)
            // A node that claims it and then disappears — unless the server's runner was faster.
            let ghost = try await server.store.jobs.claim(node: "ghost", now: Date(), leaseUntil: Date().addingTimeInterval(0.3))
            try await server.waitForJob(job.id.rawValue, name: "expired-credentials-cleanup")
            let finished = try #require(try await server.store.jobs.get(job.id))
            #expect(finished.state == .succeeded)
            #expect(finished.attempts == (ghost == nil ? 1 : 2))
        }
    }

    /// Several nodes poll the same queue; each job runs exactly once.
    @Test func twoNodesRunEachJobExactlyOnce() async throws {
        try await TestServer.run { nodeA throws in
            try await nodeA.secondNode(options: ServerOptions(changePollInterval: .milliseconds(200))) { nodeB throws in
                var ids: [String] = []
                for index in 0..<24 {
                    let node = index.isMultiple(of: 2) ? nodeA : nodeB
                    let reply = try await node.admin(
                        .post, "/api/v1/admin/jobs/trigger", json: ["job": "audit-retention", "params": ["older_than_days": 1]])
                    ids.append(try #require(reply["id"]?.stringValue))
                }
                for id in ids { try await nodeA.waitForJob(id, name: "audit-retention", within: .seconds(30)) }
                let runs = try await nodeA.admin(.get, "/api/v1/admin/jobs/audit-retention/runs?limit=100")
                let attempts = runs["data"]?.arrayValue?.compactMap { $0["attempts"]?.intValue } ?? []
                #expect(attempts.count == 24)
                #expect(attempts.allSatisfy { $0 == 1 }, "no job was claimed twice")
                let succeeded = try await nodeA.admin(.get, "/api/v1/admin/audit-logs?action=job.succeeded&limit=1000")
                let targets = succeeded["data"]?.arrayValue?.compactMap { $0["target"]?.stringValue } ?? []
                for id in ids {
                    #expect(targets.filter { $0 == id }.count == 1, "job \(id) ran and finished exactly once")
                }
            }
        }
    }
}
