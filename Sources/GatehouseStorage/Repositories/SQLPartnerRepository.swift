import Foundation
import GatehouseCore
import SQLKit

struct SQLPartnerRepository: PartnerRepository {
    let backend: any DatabaseBackend

    func create(_ partner: Partner, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO partners (id, name, created_at, updated_at)
                VALUES (\(bind: partner.id.rawValue), \(bind: partner.name),
                        \(bind: SQLColumn.millis(partner.createdAt)), \(bind: SQLColumn.millis(partner.updatedAt)))
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> Partner? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM partners WHERE id = \(bind: id.rawValue)").first().map(Self.partner)
        }
    }

    func list(_ page: PageRequest) async throws -> Page<Partner> {
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("partners", where: " WHERE 1 = 1", on: database, decode: Self.partner, id: \.id.rawValue)
        }
    }

    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout Partner) throws -> Void
    ) async throws -> Partner? {
        try await backend.transaction { database in
            guard
                let row = try await database.raw(
                    "SELECT * FROM partners WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first()
            else { return nil }
            var partner = try Self.partner(row)
            try change(&partner)
            try await database.raw("""
                UPDATE partners SET name = \(bind: partner.name), updated_at = \(bind: SQLColumn.millis(partner.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return partner
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard
                try await database.raw(
                    "SELECT id FROM partners WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first() != nil
            else { return false }
            let tenants =
                try await database.raw("SELECT COUNT(*) AS n FROM tenants WHERE partner_id = \(bind: id.rawValue)")
                .first()?.int("n") ?? 0
            guard tenants == 0 else {
                throw GatehouseError.conflict(
                    "The partner still has \(tenants) tenant(s); delete them or move them to another partner first.")
            }
            _ = try await SQLAPIKeyRepository.revokeAll(
                owner: .partner, ownerID: id.rawValue, at: Date(), on: database, engine: backend.engine)
            try await database.raw("DELETE FROM partners WHERE id = \(bind: id.rawValue)").run()
            try await SQLChangeFeed.publish(.partner, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func tenantCount(_ id: ResourceID) async throws -> Int {
        try await backend.read { database in
            try await database.raw("SELECT COUNT(*) AS n FROM tenants WHERE partner_id = \(bind: id.rawValue)")
                .first()?.int("n") ?? 0
        }
    }

    static func partner(_ row: any SQLRow) throws -> Partner {
        Partner(
            id: try row.id("id", .partner),
            name: try row.string("name"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}
