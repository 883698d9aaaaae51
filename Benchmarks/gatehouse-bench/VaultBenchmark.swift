import Foundation
import GatehouseCore
import GatehouseStorage

/// The vault below the router on one backend: credentials stored (sealed, one transaction
/// each, with an audit event) and revealed (read, unwrapped, opened) by 16 concurrent
/// tasks, then the re-encryption of 10,000 credentials under a new data key, timed the way
/// the `dek-rotation` job runs it (batches of 500 with compare-and-set, then retirement).
enum VaultBenchmark {
    static let operations = 4_000
    static let rotated = 10_000

    static func run(url: DatabaseURL) async throws {
        try await StorageBenchmark.withTenant(url: url) { store, tenant in
            let keys = DataKeyWrapper(masterKey: MasterKey(bytes: Array(repeating: 9, count: 32)))
            let data: JSONValue = ["client_id": "bench", "client_secret": .string(String(repeating: "s", count: 64)),
                                   "token_url": "https://idp.example/token"]
            let stored = try await StorageBenchmark.timed(count: operations) { index in
                _ = try await store.vault.create(
                    [(credential: credential(tenant, integration: "int-\(index)"), data: data)], keys: keys,
                    audit: [AuditEvent(tenantID: tenant, actorType: "bench", actorID: "bench", action: "vault.credential.create",
                                       target: nil)])
            }
            let revealed = try await StorageBenchmark.timed(count: operations) { index in
                let opened = try await store.vault.reveal(tenant: tenant, integrationID: "int-\(index)", credentialID: nil, keys: keys)
                precondition(opened.count == 1)
            }
            for _ in 0..<((rotated - operations) / 500) {
                _ = try await store.vault.create(
                    (0..<500).map { _ in (credential: credential(tenant, integration: "bulk"), data: data) }, keys: keys, audit: [])
            }
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await store.vault.rotateKeys(
                tenant: tenant, keys: keys,
                job: { tenant, _ in Job(id: .generate(.job), name: .dekRotation, params: [:], runAfter: Date(), createdAt: Date()) },
                audit: nil)
            var reencrypted = 0
            var after: ResourceID?
            while true {
                let batch = try await store.vault.reencrypt(tenant: tenant, after: after, limit: 500, keys: keys)
                reencrypted += batch.reencrypted
                guard batch.found > 0 else { break }
                after = batch.last
            }
            let retired = try await store.vault.retireUnusedKeys(tenant: tenant, at: Date())
            let elapsed = clock.now - start
            print(String(format: "%@  credentials stored/s: %.0f  revealed/s: %.0f  (%d each, %d concurrent)",
                         url.description, stored, revealed, operations, StorageBenchmark.writers))
            print("DEK rotation: \(reencrypted) credentials re-encrypted in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds]))), "
                + "retired versions \(retired.retired)")
        }
    }

    static func credential(_ tenant: ResourceID, integration: String) -> VaultCredential {
        let now = Timestamp.now
        return VaultCredential(
            id: .generate(.credential, now: now), tenantID: tenant, integrationID: integration, name: "bench",
            authType: .oauth2ClientCredentials, metadata: [:], expiresAt: nil, createdBy: nil, createdAt: now, updatedAt: now)
    }
}
