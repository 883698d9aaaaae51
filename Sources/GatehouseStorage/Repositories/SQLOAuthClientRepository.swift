import Foundation
import GatehouseCore
import SQLKit

public protocol OAuthClientRepository: Sendable {
    func create(_ client: OAuthClient, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> OAuthClient?
    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<OAuthClient>
    /// Applies `change` in one transaction; `nil` when the client does not exist.
    func update(_ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout OAuthClient) throws -> Void) async throws
        -> OAuthClient?
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    /// Every client, for the in-memory directory of live clients.
    func all() async throws -> [OAuthClient]
    /// Records a revoked token (`jti`) until it would have expired anyway.
    func revokeToken(jti: String, tenantID: ResourceID?, expiresAt: Date, audit: AuditEvent?) async throws
    func revokedTokens(now: Date) async throws -> [String: Date]
    /// Deletes denylist entries of tokens that expired before `date`; returns how many.
    func pruneRevokedTokens(expiredBefore date: Date) async throws -> Int
}

struct SQLOAuthClientRepository: OAuthClientRepository {
    let backend: any DatabaseBackend

    func create(_ client: OAuthClient, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO oauth_clients (id, tenant_id, name, secret_hash, secret_start, previous_secret_hash,
                    previous_secret_expires_at, scopes, created_by, created_at, updated_at)
                VALUES (\(bind: client.id.rawValue), \(bind: client.tenantID.rawValue), \(bind: client.name),
                    \(bind: client.secretHash), \(bind: client.secretStart), NULL, NULL, \(bind: SQLColumn.json(client.scopes)),
                    \(bind: client.createdBy), \(bind: SQLColumn.millis(client.createdAt)), \(bind: SQLColumn.millis(client.updatedAt)))
                """).run()
            try await SQLChangeFeed.publish(.oauthClient, client.id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> OAuthClient? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM oauth_clients WHERE id = \(bind: id.rawValue)").first().map(Self.client)
        }
    }

    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<OAuthClient> {
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run(
                "oauth_clients", where: " WHERE tenant_id = \(bind: tenant.rawValue)", on: database, decode: Self.client,
                id: \.id.rawValue)
        }
    }

    func update(_ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout OAuthClient) throws -> Void) async throws
        -> OAuthClient?
    {
        try await backend.transaction { database in
            guard
                var client = try await database.raw(
                    "SELECT * FROM oauth_clients WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first().map(Self.client)
            else { return nil }
            try change(&client)
            try await database.raw("""
                UPDATE oauth_clients SET name = \(bind: client.name), secret_hash = \(bind: client.secretHash),
                    secret_start = \(bind: client.secretStart), previous_secret_hash = \(bind: client.previousSecretHash),
                    previous_secret_expires_at = \(bind: SQLColumn.millis(client.previousSecretExpiresAt)),
                    scopes = \(bind: SQLColumn.json(client.scopes)), updated_at = \(bind: SQLColumn.millis(client.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLChangeFeed.publish(.oauthClient, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return client
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard try await database.raw("SELECT id FROM oauth_clients WHERE id = \(bind: id.rawValue)").first() != nil
            else { return false }
            try await database.raw("DELETE FROM oauth_clients WHERE id = \(bind: id.rawValue)").run()
            try await SQLChangeFeed.publish(.oauthClient, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func all() async throws -> [OAuthClient] {
        try await backend.read { database in
            try await database.raw("SELECT * FROM oauth_clients").all().map(Self.client)
        }
    }

    func revokeToken(jti: String, tenantID: ResourceID?, expiresAt: Date, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO revoked_tokens (jti, tenant_id, expires_at)
                VALUES (\(bind: jti), \(bind: tenantID?.rawValue), \(bind: SQLColumn.millis(expiresAt)))
                ON CONFLICT (jti) DO NOTHING
                """).run()
            try await SQLChangeFeed.publish(.revokedToken, jti, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func revokedTokens(now: Date) async throws -> [String: Date] {
        try await backend.read { database in
            var revoked: [String: Date] = [:]
            for row in try await database.raw(
                "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > \(bind: SQLColumn.millis(now))"
            ).all() {
                revoked[try row.string("jti")] = try row.date("expires_at")
            }
            return revoked
        }
    }

    func pruneRevokedTokens(expiredBefore date: Date) async throws -> Int {
        try await backend.transaction { database in
            try await database.raw(
                "DELETE FROM revoked_tokens WHERE expires_at < \(bind: SQLColumn.millis(date)) RETURNING jti"
            ).all().count
        }
    }

    static func client(_ row: any SQLRow) throws -> OAuthClient {
        OAuthClient(
            id: try row.id("id", .client), tenantID: try row.id("tenant_id", .tenant), name: try row.string("name"),
            secretHash: try row.string("secret_hash"), secretStart: try row.string("secret_start"),
            previousSecretHash: try row.optionalString("previous_secret_hash"),
            previousSecretExpiresAt: try row.optionalDate("previous_secret_expires_at"),
            scopes: try row.json("scopes", as: [String].self), createdBy: try row.optionalString("created_by"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }
}
