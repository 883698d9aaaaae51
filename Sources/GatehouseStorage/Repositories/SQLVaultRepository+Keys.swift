import Crypto
import Foundation
import GatehouseCore
import SQLKit

/// Data keys: creation on first use, rotation, re-encryption and retirement.
///
/// Concurrency: a write seals with the newest live key, read and share-locked inside the
/// write's transaction. Retirement takes the same rows `FOR UPDATE` and counts users after
/// the lock is granted, so a key is destroyed only once no committed or in-flight write
/// uses it. (On SQLite the single writer serializes all of this.)
extension SQLVaultRepository {
    struct ActiveKey {
        let version: Int
        let key: SymmetricKey
    }

    func activeKey(tenant: ResourceID, keys: DataKeyWrapper, on database: any SQLDatabase) async throws -> ActiveKey {
        for _ in 0..<2 {
            if let row = try await database.raw("""
                SELECT version, wrapped_key FROM vault_keys
                WHERE tenant_id = \(bind: tenant.rawValue) AND retired_at IS NULL
                ORDER BY version DESC LIMIT 1\(unsafeRaw: backend.forShare)
                """).first(), let wrapped = try row.optionalString("wrapped_key")
            {
                let version = try row.int("version")
                return ActiveKey(version: version, key: try keys.unwrap(wrapped, tenantID: tenant.rawValue, version: version))
            }
            // First secret of this tenant: create version 1. A concurrent creator wins the
            // primary key; the loop then reads its key.
            let wrapped = try keys.wrap(DataKeyWrapper.generate(), tenantID: tenant.rawValue, version: 1)
            try await database.raw("""
                INSERT INTO vault_keys (tenant_id, version, wrapped_key, created_at)
                VALUES (\(bind: tenant.rawValue), 1, \(bind: wrapped), \(bind: Timestamp.nowMilliseconds))
                ON CONFLICT (tenant_id, version) DO NOTHING
                """).run()
        }
        throw VaultError.keyDestroyed
    }

    static func seal(_ data: JSONValue, for credential: VaultCredential, with key: ActiveKey) throws -> VaultCredential {
        var sealed = credential
        sealed.dekVersion = key.version
        sealed.sealed = try VaultEnvelope.seal(
            Data(SQLColumn.json(data).utf8), dek: key.key, associatedData: credential.binding(dekVersion: key.version))
        return sealed
    }

    static func open(_ credential: VaultCredential, with key: SymmetricKey) throws -> JSONValue {
        do {
            let plaintext = try VaultEnvelope.open(
                credential.sealed, dek: key, associatedData: credential.binding(dekVersion: credential.dekVersion))
            return try JSONDecoder().decode(JSONValue.self, from: plaintext)
        } catch {
            throw VaultError.tampered(credential.id)
        }
    }

    func rotateKeys(
        tenant: ResourceID?, keys: DataKeyWrapper, job: @Sendable (ResourceID, Int) -> Job, audit: AuditEvent?
    ) async throws -> [DataKeyRotation] {
        let tenants: [ResourceID]
        if let tenant {
            tenants = [tenant]
        } else {
            tenants = try await backend.read { database in
                try await database.raw("SELECT DISTINCT tenant_id FROM vault_keys ORDER BY tenant_id").all()
                    .compactMap { ResourceID(try $0.string("tenant_id"), kind: .tenant) }
            }
        }
        // One transaction per tenant (each with its job), so rotating thousands of tenants
        // holds no more than one tenant's locks at a time; the audit event goes with the first.
        var rotations: [DataKeyRotation] = []
        for (index, tenantID) in tenants.enumerated() {
            rotations.append(try await backend.transaction { database in
                let version = try await addKeyVersion(tenant: tenantID, keys: keys, on: database)
                let queued = job(tenantID, version)
                try await SQLJobQueue.insert(queued, on: database)
                if index == 0 { try await SQLAuditLog.record(audit, on: database, engine: backend.engine) }
                return DataKeyRotation(tenantID: tenantID, version: version, jobID: queued.id)
            })
        }
        if tenants.isEmpty {
            try await SQLAuditLog(backend: backend).append(audit.map { [$0] } ?? [])
        }
        return rotations
    }

    /// Inserts the next key version of `tenant`; a concurrent creator of the same version
    /// (first use, another rotation) makes it try the one after.
    func addKeyVersion(tenant: ResourceID, keys: DataKeyWrapper, on database: any SQLDatabase) async throws -> Int {
        for _ in 0..<5 {
            let row = try await database.raw(
                "SELECT MAX(version) AS v FROM vault_keys WHERE tenant_id = \(bind: tenant.rawValue)"
            ).first()
            let version = (try row.flatMap { try $0.decode(column: "v", as: Int?.self) } ?? 0) + 1
            let inserted = try await database.raw("""
                INSERT INTO vault_keys (tenant_id, version, wrapped_key, created_at)
                VALUES (\(bind: tenant.rawValue), \(bind: version),
                    \(bind: try keys.wrap(DataKeyWrapper.generate(), tenantID: tenant.rawValue, version: version)),
                    \(bind: Timestamp.nowMilliseconds))
                ON CONFLICT (tenant_id, version) DO NOTHING
                RETURNING version
                """).all()
            if !inserted.isEmpty { return version }
        }
        throw VaultError.contention
    }

    func reencrypt(tenant: ResourceID, after: ResourceID?, limit: Int, keys: DataKeyWrapper) async throws -> ReencryptionBatch {
        // Read and open outside the write transaction; only the sealing and the
        // compare-and-set run inside it. Pages follow ids, so a credential that does not
        // open is reported and passed over instead of stopping the rotation.
        let rows = try await backend.read { database in
            try await database.raw("""
                SELECT c.*, k.wrapped_key FROM vault_credentials c
                JOIN vault_keys k ON k.tenant_id = c.tenant_id AND k.version = c.dek_version
                WHERE c.tenant_id = \(bind: tenant.rawValue) AND c.id > \(bind: after?.rawValue ?? "")
                    AND c.dek_version < (SELECT MAX(version) FROM vault_keys m WHERE m.tenant_id = c.tenant_id)
                ORDER BY c.id LIMIT \(literal: limit)
                """).all()
        }
        var opened: [(VaultCredential, JSONValue)] = []
        var unreadable: [ResourceID] = []
        var last: ResourceID?
        for row in rows {
            let credential = try Self.credential(row)
            last = credential.id
            guard let wrapped = try row.optionalString("wrapped_key") else { throw VaultError.keyDestroyed }
            let dek = try keys.unwrap(wrapped, tenantID: tenant.rawValue, version: credential.dekVersion)
            do {
                opened.append((credential, try Self.open(credential, with: dek)))
            } catch {
                unreadable.append(credential.id)
            }
        }
        var batch = ReencryptionBatch(found: rows.count)
        batch.unreadable = unreadable
        batch.last = last
        guard !opened.isEmpty else { return batch }
        let toSeal = opened
        return try await backend.transaction { database in
            let key = try await activeKey(tenant: tenant, keys: keys, on: database)
            // One statement for the whole batch; each row is written only if its revision is
            // still the one that was read (compare-and-set), so a concurrent PATCH wins.
            var rows: [SQLQueryString] = []
            for (credential, data) in toSeal {
                let sealed = try Self.seal(data, for: credential, with: key)
                rows.append("""
                    (\(bind: credential.id.rawValue), \(bind: sealed.sealed.base64EncodedString()), \(bind: credential.revision))
                    """)
            }
            let updated = try await database.raw("""
                UPDATE vault_credentials SET ciphertext = v.column2, dek_version = \(bind: key.version),
                    revision = vault_credentials.revision + 1
                FROM (VALUES
                """ + rows.dropFirst().reduce(rows[0]) { $0 + ", " + $1 } + """
                ) AS v
                WHERE vault_credentials.id = v.column1 AND vault_credentials.revision = v.column3
                RETURNING vault_credentials.id
                """).all().count
            batch.reencrypted = updated
            batch.raced = toSeal.count - updated
            return batch
        }
    }

    func retireUnusedKeys(tenant: ResourceID, at date: Date) async throws -> DataKeyRetirement {
        try await backend.transaction { database in
            let candidates = try await database.raw("""
                SELECT version FROM vault_keys
                WHERE tenant_id = \(bind: tenant.rawValue) AND retired_at IS NULL
                    AND version < (SELECT MAX(version) FROM vault_keys m WHERE m.tenant_id = \(bind: tenant.rawValue))
                ORDER BY version\(unsafeRaw: backend.forUpdate)
                """).all().map { try $0.int("version") }
            var outcome = DataKeyRetirement()
            for version in candidates {
                let users = try await database.raw("""
                    SELECT COUNT(*) AS n FROM vault_credentials
                    WHERE tenant_id = \(bind: tenant.rawValue) AND dek_version = \(bind: version)
                    """).first()?.int("n") ?? 0
                if users > 0 {
                    outcome.stillInUse.append(version)
                    continue
                }
                // The key material is destroyed; the row stays as history.
                try await database.raw("""
                    UPDATE vault_keys SET retired_at = \(bind: SQLColumn.millis(date)), wrapped_key = NULL
                    WHERE tenant_id = \(bind: tenant.rawValue) AND version = \(bind: version)
                    """).run()
                outcome.retired.append(version)
            }
            return outcome
        }
    }
}
