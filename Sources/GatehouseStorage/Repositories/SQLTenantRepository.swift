import Foundation
import GatehouseCore
import SQLKit

struct SQLTenantRepository: TenantRepository {
    let backend: any DatabaseBackend

    /// Tables holding a tenant's data, children first: deleting a tenant empties each in
    /// one transaction. Every later table keyed by tenant is added here.
    static let ownedData: [@Sendable (String) -> SQLQueryString] = [
        { "DELETE FROM api_key_secrets WHERE key_id IN (SELECT id FROM api_keys WHERE tenant_id = \(bind: $0))" },
        { "DELETE FROM api_keys WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM service_accounts WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM oauth_clients WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM refresh_tokens WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM users WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM roles WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM revoked_tokens WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM document_revisions WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM documents WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM audit_events WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM request_log WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM usage_hourly WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM vault_credentials WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM vault_keys WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM meter_events WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM webhook_attempts WHERE subscription_id IN (SELECT id FROM webhook_subscriptions WHERE tenant_id = \(bind: $0))" },
        { "DELETE FROM webhook_deliveries WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM webhook_events WHERE tenant_id = \(bind: $0)" },
        { "DELETE FROM webhook_subscriptions WHERE tenant_id = \(bind: $0)" },
    ]

    func create(_ tenant: Tenant, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            if let partnerID = tenant.partnerID {
                try await Self.requirePartner(partnerID, on: database)
            }
            try await database.raw("""
                INSERT INTO tenants (id, name, status, partner_id, settings, created_at, updated_at)
                VALUES (\(bind: tenant.id.rawValue), \(bind: tenant.name), \(bind: tenant.status.rawValue),
                        \(bind: tenant.partnerID?.rawValue), \(bind: SQLColumn.json(tenant.settings)),
                        \(bind: SQLColumn.millis(tenant.createdAt)), \(bind: SQLColumn.millis(tenant.updatedAt)))
                """).run()
            try await SQLChangeFeed.publish(.tenant, tenant.id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    static func requirePartner(_ id: ResourceID, on database: any SQLDatabase) async throws {
        let row = try await database.raw("SELECT id FROM partners WHERE id = \(bind: id.rawValue)").first()
        guard row != nil else { throw GatehouseError.invalid("partner_id", "no partner has this id") }
    }

    func get(_ id: ResourceID) async throws -> Tenant? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM tenants WHERE id = \(bind: id.rawValue)").first().map(Self.tenant)
        }
    }

    func list(_ page: PageRequest, filter: TenantFilter) async throws -> Page<Tenant> {
        var conditions: SQLQueryString = " WHERE 1 = 1"
        if let partnerID = filter.partnerID { conditions = conditions + " AND partner_id = \(bind: partnerID.rawValue)" }
        if let status = filter.status { conditions = conditions + " AND status = \(bind: status.rawValue)" }
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("tenants", where: conditions, on: database, decode: Self.tenant, id: \.id.rawValue)
        }
    }

    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout Tenant) throws -> Void
    ) async throws -> Tenant? {
        try await backend.transaction { database in
            guard
                let row = try await database.raw(
                    "SELECT * FROM tenants WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first()
            else { return nil }
            let before = try Self.tenant(row)
            var tenant = before
            try change(&tenant)
            if let partnerID = tenant.partnerID, partnerID != before.partnerID {
                try await Self.requirePartner(partnerID, on: database)
            }
            try await database.raw("""
                UPDATE tenants SET name = \(bind: tenant.name), status = \(bind: tenant.status.rawValue),
                    partner_id = \(bind: tenant.partnerID?.rawValue), settings = \(bind: SQLColumn.json(tenant.settings)),
                    updated_at = \(bind: SQLColumn.millis(tenant.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLChangeFeed.publish(.tenant, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return tenant
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard
                try await database.raw(
                    "SELECT id FROM tenants WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first() != nil
            else { return false }
            for statement in Self.ownedData {
                try await database.raw(statement(id.rawValue)).run()
            }
            try await database.raw("DELETE FROM tenants WHERE id = \(bind: id.rawValue)").run()
            try await SQLChangeFeed.publish(.tenant, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func stats(_ id: ResourceID) async throws -> TenantStats? {
        try await backend.read { database in
            guard try await database.raw("SELECT id FROM tenants WHERE id = \(bind: id.rawValue)").first() != nil
            else { return nil }
            let row = try await database.raw("""
                SELECT
                    SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END) AS active,
                    SUM(CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END) AS revoked
                FROM api_keys WHERE tenant_id = \(bind: id.rawValue)
                """).first()
            return TenantStats(
                activeKeys: try row?.decode(column: "active", as: Int?.self) ?? 0,
                revokedKeys: try row?.decode(column: "revoked", as: Int?.self) ?? 0)
        }
    }

    func all() async throws -> [Tenant] {
        try await backend.read { database in
            try await database.raw("SELECT * FROM tenants").all().map(Self.tenant)
        }
    }

    static func tenant(_ row: any SQLRow) throws -> Tenant {
        guard let status = TenantStatus(rawValue: try row.string("status")) else {
            throw StorageError.corrupt("tenants.status")
        }
        return Tenant(
            id: try row.id("id", .tenant),
            name: try row.string("name"),
            status: status,
            partnerID: try row.optionalID("partner_id", .partner),
            settings: try row.json("settings", as: TenantSettings.self),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}
