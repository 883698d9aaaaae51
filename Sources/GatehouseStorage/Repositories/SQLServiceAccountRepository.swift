import Foundation
import GatehouseCore
import SQLKit

struct SQLServiceAccountRepository: ServiceAccountRepository {
    let backend: any DatabaseBackend

    func create(_ account: ServiceAccount, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO service_accounts (id, tenant_id, name, description, created_by, created_at, updated_at)
                VALUES (\(bind: account.id.rawValue), \(bind: account.tenantID?.rawValue), \(bind: account.name),
                    \(bind: account.description), \(bind: account.createdBy),
                    \(bind: SQLColumn.millis(account.createdAt)), \(bind: SQLColumn.millis(account.updatedAt)))
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> ServiceAccount? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM service_accounts WHERE id = \(bind: id.rawValue)").first()
                .map(Self.account)
        }
    }

    func list(tenant: ResourceID?, page: PageRequest) async throws -> Page<ServiceAccount> {
        let condition: SQLQueryString =
            tenant.map { " WHERE tenant_id = \(bind: $0.rawValue)" } ?? " WHERE tenant_id IS NULL"
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("service_accounts", where: condition, on: database, decode: Self.account, id: \.id.rawValue)
        }
    }

    func delete(_ id: ResourceID, at date: Date, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard
                try await database.raw(
                    "SELECT id FROM service_accounts WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first() != nil
            else { return false }
            for owner in [APIKeyRecord.Owner.serviceAccount, .platformServiceAccount] {
                _ = try await SQLAPIKeyRepository.revokeAll(
                    owner: owner, ownerID: id.rawValue, at: date, on: database, engine: backend.engine)
            }
            try await database.raw("DELETE FROM service_accounts WHERE id = \(bind: id.rawValue)").run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    static func account(_ row: any SQLRow) throws -> ServiceAccount {
        ServiceAccount(
            id: try row.id("id", .serviceAccount),
            tenantID: try row.optionalID("tenant_id", .tenant),
            name: try row.string("name"),
            description: try row.optionalString("description"),
            createdBy: try row.optionalString("created_by"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}
