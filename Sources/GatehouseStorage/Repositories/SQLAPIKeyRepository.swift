import Foundation
import GatehouseCore
import SQLKit

struct SQLAPIKeyRepository: APIKeyRepository {
    let backend: any DatabaseBackend

    /// Rotated-out secrets stay in the index this long, so using one is answered
    /// "rotated out" rather than "unknown".
    static let expiredSecretRetention: TimeInterval = 7 * 24 * 3600

    func insert(_ key: APIKeyRecord, secretHash: String, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO api_keys (id, tenant_id, owner_kind, owner_id, name, start, scopes, permissions, metadata,
                    rate_limit, expires_at, last_used_at, created_by, created_at, updated_at, revoked_at)
                VALUES (\(bind: key.id.rawValue), \(bind: key.tenantID?.rawValue), \(bind: key.owner.rawValue),
                    \(bind: key.ownerID), \(bind: key.name), \(bind: key.start), \(bind: SQLColumn.json(key.scopes)),
                    \(bind: SQLColumn.json(key.permissions)), \(bind: SQLColumn.json(key.metadata)),
                    \(bind: key.rateLimit.map(SQLColumn.json)), \(bind: SQLColumn.millis(key.expiresAt)),
                    \(bind: SQLColumn.millis(key.lastUsedAt)), \(bind: key.createdBy),
                    \(bind: SQLColumn.millis(key.createdAt)), \(bind: SQLColumn.millis(key.updatedAt)),
                    \(bind: SQLColumn.millis(key.revokedAt)))
                """).run()
            try await Self.insertSecret(secretHash, key: key.id, at: key.createdAt, on: database)
            try await SQLChangeFeed.publish(.apiKey, key.id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    static func insertSecret(_ hash: String, key: ResourceID, at date: Date, on database: any SQLDatabase) async throws {
        try await database.raw("""
            INSERT INTO api_key_secrets (hash, key_id, created_at, expires_at)
            VALUES (\(bind: hash), \(bind: key.rawValue), \(bind: SQLColumn.millis(date)), NULL)
            """).run()
    }

    func get(_ id: ResourceID) async throws -> APIKeyRecord? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM api_keys WHERE id = \(bind: id.rawValue)").first().map(Self.key)
        }
    }

    func list(tenant: ResourceID?, page: PageRequest) async throws -> Page<APIKeyRecord> {
        let condition: SQLQueryString =
            tenant.map { " WHERE tenant_id = \(bind: $0.rawValue)" } ?? " WHERE tenant_id IS NULL"
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("api_keys", where: condition, on: database, decode: Self.key, id: \.id.rawValue)
        }
    }

    func indexedKeys(now: Date) async throws -> [IndexedKey] {
        try await indexed(keyCondition: "", now: now)
    }

    func indexedKey(_ id: ResourceID, now: Date) async throws -> IndexedKey? {
        try await indexed(keyCondition: " AND k.id = \(bind: id.rawValue)", now: now).first
    }

    private func indexed(keyCondition: SQLQueryString, now: Date) async throws -> [IndexedKey] {
        try await backend.read { database in
            let horizon = SQLColumn.millis(now.addingTimeInterval(-Self.expiredSecretRetention))
            let keys = try await database.raw("SELECT k.* FROM api_keys k WHERE 1 = 1" + keyCondition).all().map(Self.key)
            var secrets: [ResourceID: [APIKeySecretRecord]] = [:]
            for row in try await database.raw("""
                SELECT s.hash, s.key_id, s.expires_at FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
                WHERE (s.expires_at IS NULL OR s.expires_at > \(bind: horizon))
                """ + keyCondition).all()
            {
                let secret = APIKeySecretRecord(
                    hash: try row.string("hash"), keyID: try row.id("key_id", .apiKey),
                    expiresAt: try row.optionalDate("expires_at"))
                secrets[secret.keyID, default: []].append(secret)
            }
            return keys.map { ($0, secrets[$0.id] ?? []) }
        }
    }

    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout APIKeyRecord) throws -> Void
    ) async throws -> APIKeyRecord? {
        try await backend.transaction { database in
            guard var key = try await lockedKey(id, on: database) else { return nil }
            try change(&key)
            try await database.raw("""
                UPDATE api_keys SET name = \(bind: key.name), scopes = \(bind: SQLColumn.json(key.scopes)),
                    permissions = \(bind: SQLColumn.json(key.permissions)), metadata = \(bind: SQLColumn.json(key.metadata)),
                    rate_limit = \(bind: key.rateLimit.map(SQLColumn.json)), expires_at = \(bind: SQLColumn.millis(key.expiresAt)),
                    updated_at = \(bind: SQLColumn.millis(key.updatedAt)), revoked_at = \(bind: SQLColumn.millis(key.revokedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLChangeFeed.publish(.apiKey, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return key
        }
    }

    /// The key, locked for the rest of the transaction.
    private func lockedKey(_ id: ResourceID, on database: any SQLDatabase) async throws -> APIKeyRecord? {
        try await database.raw("SELECT * FROM api_keys WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)")
            .first().map(Self.key)
    }

    func rotate(
        _ id: ResourceID, newHash: String, newStart: String, graceUntil: Date, now: Date, audit: AuditEvent?
    ) async throws -> APIKeyRecord? {
        try await backend.transaction { database in
            guard var key = try await lockedKey(id, on: database) else { return nil }
            let nowMillis = SQLColumn.millis(now)
            // Secrets already in a grace period end now; the current one enters its grace.
            try await database.raw("""
                UPDATE api_key_secrets SET expires_at = \(bind: nowMillis)
                WHERE key_id = \(bind: id.rawValue) AND expires_at IS NOT NULL AND expires_at > \(bind: nowMillis)
                """).run()
            try await database.raw("""
                UPDATE api_key_secrets SET expires_at = \(bind: SQLColumn.millis(graceUntil))
                WHERE key_id = \(bind: id.rawValue) AND expires_at IS NULL
                """).run()
            try await Self.insertSecret(newHash, key: id, at: now, on: database)
            key.updatedAt = now
            key.start = newStart
            try await database.raw(
                "UPDATE api_keys SET start = \(bind: newStart), updated_at = \(bind: nowMillis) WHERE id = \(bind: id.rawValue)"
            ).run()
            try await SQLChangeFeed.publish(.apiKey, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return key
        }
    }

    func revokeAll(owner: APIKeyRecord.Owner, ownerID: String?, at date: Date, audit: AuditEvent?) async throws -> Int {
        try await backend.transaction { database in
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return try await Self.revokeAll(owner: owner, ownerID: ownerID, at: date, on: database, engine: backend.engine)
        }
    }

    static func revokeAll(
        owner: APIKeyRecord.Owner, ownerID: String?, at date: Date, on database: any SQLDatabase, engine: SQLEngine
    ) async throws -> Int {
        var condition: SQLQueryString = "owner_kind = \(bind: owner.rawValue) AND revoked_at IS NULL"
        if let ownerID { condition = condition + " AND owner_id = \(bind: ownerID)" }
        let ids = try await database.raw("SELECT id FROM api_keys WHERE " + condition).all().map { try $0.string("id") }
        for id in ids {
            try await database.raw("""
                UPDATE api_keys SET revoked_at = \(bind: SQLColumn.millis(date)), updated_at = \(bind: SQLColumn.millis(date))
                WHERE id = \(bind: id)
                """).run()
            try await SQLChangeFeed.publish(.apiKey, id, on: database, engine: engine)
        }
        return ids.count
    }

    func countLive(owner: APIKeyRecord.Owner) async throws -> Int {
        try await backend.read { database in
            try await database.raw("""
                SELECT COUNT(*) AS n FROM api_keys WHERE owner_kind = \(bind: owner.rawValue) AND revoked_at IS NULL
                """).first()?.int("n") ?? 0
        }
    }

    func recordUse(_ uses: [ResourceID: Date]) async throws {
        guard !uses.isEmpty else { return }
        try await backend.transaction { database in
            // Sorted, so concurrent flushes on several nodes lock rows in one order.
            for (id, date) in uses.sorted(by: { $0.key < $1.key }) {
                let millis = SQLColumn.millis(date)
                try await database.raw("""
                    UPDATE api_keys SET last_used_at = \(bind: millis)
                    WHERE id = \(bind: id.rawValue) AND (last_used_at IS NULL OR last_used_at < \(bind: millis))
                    """).run()
            }
        }
    }

    static func key(_ row: any SQLRow) throws -> APIKeyRecord {
        guard let owner = APIKeyRecord.Owner(rawValue: try row.string("owner_kind")) else {
            throw StorageError.corrupt("api_keys.owner_kind")
        }
        return APIKeyRecord(
            id: try row.id("id", .apiKey),
            tenantID: try row.optionalID("tenant_id", .tenant),
            owner: owner,
            ownerID: try row.optionalString("owner_id"),
            name: try row.string("name"),
            start: try row.string("start"),
            scopes: try row.json("scopes", as: [String].self),
            permissions: try row.json("permissions", as: [String].self),
            metadata: try row.json("metadata", as: JSONValue.self),
            rateLimit: try row.optionalJSON("rate_limit", as: RateLimit.self),
            expiresAt: try row.optionalDate("expires_at"),
            lastUsedAt: try row.optionalDate("last_used_at"),
            createdBy: try row.optionalString("created_by"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"),
            revokedAt: try row.optionalDate("revoked_at"))
    }
}
