import Foundation
import GatehouseCore
import GatehouseStorage
import Logging

/// A job that cannot do its work; the text is stored and shown (never a secret).
struct JobError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What each job does. Every handler is idempotent: a job may run again after its node
/// stopped mid-way (at-least-once).
struct JobHandlers {
    let environment: ServerEnvironment
    let logger: Logger
    var store: Store { environment.store }

    func run(_ job: Job) async throws -> JSONValue {
        switch job.name {
        case .dekRotation: try await reencrypt(job)
        case .auditRetention: try await auditRetention(job)
        case .expiredCredentialsCleanup: try await cleanup()
        }
    }

    /// Re-seals every credential of the tenant under its newest data key, in batches, then
    /// retires older keys nobody uses. A credential written meanwhile (its compare-and-set
    /// lost) is picked up by the next batch; the passes repeat while old keys stay in use.
    func reencrypt(_ job: Job) async throws -> JSONValue {
        guard let raw = job.params["tenant_id"]?.stringValue, let tenant = ResourceID(raw, kind: .tenant) else {
            throw JobError("params.tenant_id is missing or not a tenant id")
        }
        var reencrypted = 0
        var raced = 0
        var unreadable = Set<ResourceID>()
        var retirement = DataKeyRetirement()
        for _ in 0..<5 {
            var after: ResourceID?
            while !Task.isCancelled {
                let batch = try await store.vault.reencrypt(
                    tenant: tenant, after: after, limit: environment.options.reencryptionBatchSize, keys: environment.dataKeys)
                reencrypted += batch.reencrypted
                raced += batch.raced
                unreadable.formUnion(batch.unreadable)
                guard batch.found > 0, let last = batch.last else { break }
                after = last
            }
            try Task.checkCancellation()
            let pass = try await store.vault.retireUnusedKeys(tenant: tenant, at: Date())
            retirement.retired += pass.retired
            retirement.stillInUse = pass.stillInUse
            if pass.stillInUse.isEmpty { break }
            if !unreadable.isEmpty { break }  // those rows keep their key in use; no pass fixes them
        }
        if reencrypted > 0 || !retirement.retired.isEmpty {
            try await store.audit.append([
                AuditEvent(
                    tenantID: tenant, actorType: "system", actorID: "job:\(job.id)", action: "vault.dek.reencrypted",
                    target: tenant.rawValue, outcome: .success,
                    details: [
                        "reencrypted": "\(reencrypted)",
                        "retired_versions": retirement.retired.map(String.init).joined(separator: ","),
                    ])
            ])
        }
        guard unreadable.isEmpty else {
            throw JobError(
                "\(unreadable.count) credential(s) do not decrypt (altered or moved) and keep their old key: "
                    + unreadable.map(\.rawValue).sorted().prefix(10).joined(separator: ", ")
                    + "; every other credential was re-encrypted")
        }
        return [
            "tenant_id": .string(tenant.rawValue), "reencrypted": .int(Int64(reencrypted)), "raced": .int(Int64(raced)),
            "retired_versions": .array(retirement.retired.map { JSONValue.int(Int64($0)) }),
            "versions_still_in_use": .array(retirement.stillInUse.map { JSONValue.int(Int64($0)) }),
        ]
    }

    func auditRetention(_ job: Job) async throws -> JSONValue {
        guard let seconds = job.params["older_than_seconds"]?.intValue, seconds > 0 else {
            throw JobError("params.older_than_seconds must be a positive number")
        }
        let purged = try await store.audit.purge(before: Date().addingTimeInterval(-Double(seconds)))
        return ["purged": .int(Int64(purged))]
    }

    /// Expired vault credentials, refresh tokens and token-denylist entries, finished jobs
    /// older than 30 days, and shared rate-limit buckets that are full again.
    func cleanup() async throws -> JSONValue {
        let now = Date()
        let buckets = try await store.rateLimits.prune(now: RateLimiter.nowNanos())
        let credentials = try await store.vault.deleteExpired(before: now)
        let refreshTokens = try await store.users.pruneRefreshTokens(expiredBefore: now)
        let revokedTokens = try await store.oauthClients.pruneRevokedTokens(expiredBefore: now)
        let jobs = try await store.jobs.prune(finishedBefore: now.addingTimeInterval(-30 * 86_400))
        return [
            "vault_credentials": .int(Int64(credentials)), "refresh_tokens": .int(Int64(refreshTokens)),
            "revoked_tokens": .int(Int64(revokedTokens)), "finished_jobs": .int(Int64(jobs)),
            "rate_limit_buckets": .int(Int64(buckets)),
        ]
    }
}
