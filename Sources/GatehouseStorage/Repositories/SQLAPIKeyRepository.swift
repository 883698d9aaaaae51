import Foundation
import GatehouseCore
import SQLKit

struct SQLAPIKeyRepository: APIKeyRepository {
    let backend: any DatabaseBackend

    func insert(_ key: APIKeyRecord, secretHash: String) async throws {
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
            try await database.raw("""
                INSERT INTO api_key_secrets (hash, key_id, created_at, expires_at)
                VALUES (\(bind: secretHash), \(bind: key.id.rawValue), \(bind: SQLColumn.millis(key.createdAt)), NULL)
                """).run()
            try await SQLChangeFeed.publish(.apiKey, key.id.rawValue, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> APIKeyRecord? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM api_keys WHERE id = \(bind: id.rawValue)").first().map(Self.key)
        }
    }

    func liveKeys(now: Date) async throws -> [(key: APIKeyRecord, secrets: [APIKeySecretRecord])] {
        try await live(keyCondition: "", now: now)
    }

    func liveKey(_ id: ResourceID, now: Date) async throws -> (key: APIKeyRecord, secrets: [APIKeySecretRecord])? {
        try await live(keyCondition: " AND k.id = \(bind: id.rawValue)", now: now).first
    }

    private func live(
        keyCondition: SQLQueryString, now: Date
    ) async throws -> [(key: APIKeyRecord, secrets: [APIKeySecretRecord])] {
        try await backend.read { database in
            let nowMillis = SQLColumn.millis(now)
            let keys = try await database.raw("SELECT k.* FROM api_keys k WHERE k.revoked_at IS NULL" + keyCondition)
                .all().map(Self.key)
            var secrets: [ResourceID: [APIKeySecretRecord]] = [:]
            for row in try await database.raw("""
                SELECT s.hash, s.key_id, s.expires_at FROM api_key_secrets s
                JOIN api_keys k ON k.id = s.key_id
                WHERE k.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > \(bind: nowMillis))
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

    func revokeAll(owner: APIKeyRecord.Owner, at date: Date) async throws -> Int {
        try await backend.transaction { database in
            let ids = try await database.raw("""
                SELECT id FROM api_keys WHERE owner_kind = \(bind: owner.rawValue) AND revoked_at IS NULL
                """).all().map { try $0.string("id") }
            for id in ids {
                try await database.raw("""
                    UPDATE api_keys SET revoked_at = \(bind: SQLColumn.millis(date)), updated_at = \(bind: SQLColumn.millis(date))
                    WHERE id = \(bind: id)
                    """).run()
                try await SQLChangeFeed.publish(.apiKey, id, on: database, engine: backend.engine)
            }
            return ids.count
        }
    }

    func countLive(owner: APIKeyRecord.Owner) async throws -> Int {
        try await backend.read { database in
            try await database.raw("""
                SELECT COUNT(*) AS n FROM api_keys WHERE owner_kind = \(bind: owner.rawValue) AND revoked_at IS NULL
                """).first()?.int("n") ?? 0
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
