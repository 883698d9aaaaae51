import Foundation
import GatehouseCore
import SQLKit

/// What refreshing a session found.
public enum RefreshOutcome: Sendable, Equatable {
    /// The token was live: it is now used, and the new one (same family) was stored.
    case rotated(userID: ResourceID, tenantID: ResourceID, familyID: ResourceID)
    /// The token had been used already: the whole family is now revoked.
    case reused(familyID: ResourceID)
    case invalid
}

public protocol UserRepository: Sendable {
    /// Creates a user; with `tenant`, creates that tenant first in the same transaction (register).
    func create(_ user: User, tenant: Tenant?, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> User?
    func find(email: String) async throws -> User?
    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<User>
    func update(_ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout User) throws -> Void) async throws -> User?
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    func all() async throws -> [User]

    func roles(tenant: ResourceID) async throws -> [Role]
    /// Every tenant's custom roles.
    func allRoles() async throws -> [ResourceID: [Role]]
    func saveRole(_ role: Role, tenant: ResourceID, audit: AuditEvent?) async throws
    func deleteRole(_ name: String, tenant: ResourceID, audit: AuditEvent?) async throws -> Bool

    func storeRefreshToken(hash: String, family: ResourceID, user: ResourceID, tenant: ResourceID, expiresAt: Date) async throws
    /// Uses a refresh token: live → marked used and `newHash` stored in its family; already
    /// used → the family is revoked (a stolen token was replayed).
    func refresh(hash: String, newHash: String, expiresAt: Date, now: Date) async throws -> RefreshOutcome
    /// Revokes the family of a refresh token; returns the family, or `nil` for an unknown token.
    func revokeFamily(ofToken hash: String, now: Date) async throws -> ResourceID?
    /// Deletes refresh tokens that expired before `date` (they can no longer be used or
    /// replayed); returns how many.
    func pruneRefreshTokens(expiredBefore date: Date) async throws -> Int
}

struct SQLUserRepository: UserRepository {
    let backend: any DatabaseBackend

    func create(_ user: User, tenant: Tenant?, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            if let tenant {
                try await database.raw("""
                    INSERT INTO tenants (id, name, status, partner_id, settings, created_at, updated_at)
                    VALUES (\(bind: tenant.id.rawValue), \(bind: tenant.name), \(bind: tenant.status.rawValue), NULL,
                        \(bind: SQLColumn.json(tenant.settings)), \(bind: SQLColumn.millis(tenant.createdAt)),
                        \(bind: SQLColumn.millis(tenant.updatedAt)))
                    """).run()
                try await SQLChangeFeed.publish(.tenant, tenant.id.rawValue, on: database, engine: backend.engine)
            }
            try await database.raw("""
                INSERT INTO users (id, tenant_id, email, name, password_hash, roles, created_at, updated_at)
                VALUES (\(bind: user.id.rawValue), \(bind: user.tenantID.rawValue), \(bind: user.email), \(bind: user.name),
                    \(bind: user.passwordHash), \(bind: SQLColumn.json(user.roles)), \(bind: SQLColumn.millis(user.createdAt)),
                    \(bind: SQLColumn.millis(user.updatedAt)))
                """).run()
            try await SQLChangeFeed.publish(.user, user.id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> User? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM users WHERE id = \(bind: id.rawValue)").first().map(Self.user)
        }
    }

    func find(email: String) async throws -> User? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM users WHERE email = \(bind: email)").first().map(Self.user)
        }
    }

    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<User> {
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("users", where: " WHERE tenant_id = \(bind: tenant.rawValue)", on: database, decode: Self.user, id: \.id.rawValue)
        }
    }

    func update(_ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout User) throws -> Void) async throws -> User? {
        try await backend.transaction { database in
            guard
                var user = try await database.raw(
                    "SELECT * FROM users WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first().map(Self.user)
            else { return nil }
            try change(&user)
            try await database.raw("""
                UPDATE users SET name = \(bind: user.name), password_hash = \(bind: user.passwordHash),
                    roles = \(bind: SQLColumn.json(user.roles)), updated_at = \(bind: SQLColumn.millis(user.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLChangeFeed.publish(.user, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return user
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard try await database.raw("SELECT id FROM users WHERE id = \(bind: id.rawValue)").first() != nil else { return false }
            try await database.raw("DELETE FROM refresh_tokens WHERE user_id = \(bind: id.rawValue)").run()
            try await database.raw("DELETE FROM users WHERE id = \(bind: id.rawValue)").run()
            try await SQLChangeFeed.publish(.user, id.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func all() async throws -> [User] {
        try await backend.read { database in try await database.raw("SELECT * FROM users").all().map(Self.user) }
    }

    func roles(tenant: ResourceID) async throws -> [Role] {
        try await backend.read { database in
            try await database.raw("SELECT * FROM roles WHERE tenant_id = \(bind: tenant.rawValue) ORDER BY name").all().map { row in
                Role(name: try row.string("name"), scopes: try row.json("scopes", as: [String].self),
                     description: try row.string("description"))
            }
        }
    }

    func allRoles() async throws -> [ResourceID: [Role]] {
        try await backend.read { database in
            var roles: [ResourceID: [Role]] = [:]
            for row in try await database.raw("SELECT * FROM roles ORDER BY tenant_id, name").all() {
                roles[try row.id("tenant_id", .tenant), default: []].append(
                    Role(name: try row.string("name"), scopes: try row.json("scopes", as: [String].self),
                         description: try row.string("description")))
            }
            return roles
        }
    }

    func saveRole(_ role: Role, tenant: ResourceID, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO roles (tenant_id, name, scopes, description)
                VALUES (\(bind: tenant.rawValue), \(bind: role.name), \(bind: SQLColumn.json(role.scopes)), \(bind: role.description))
                ON CONFLICT (tenant_id, name) DO UPDATE SET scopes = excluded.scopes, description = excluded.description
                """).run()
            // Every user of the tenant may have changed scopes.
            try await SQLChangeFeed.publish(.tenant, tenant.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func deleteRole(_ name: String, tenant: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            guard
                try await database.raw(
                    "SELECT name FROM roles WHERE tenant_id = \(bind: tenant.rawValue) AND name = \(bind: name)"
                ).first() != nil
            else { return false }
            try await database.raw("DELETE FROM roles WHERE tenant_id = \(bind: tenant.rawValue) AND name = \(bind: name)").run()
            try await SQLChangeFeed.publish(.tenant, tenant.rawValue, on: database, engine: backend.engine)
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func storeRefreshToken(hash: String, family: ResourceID, user: ResourceID, tenant: ResourceID, expiresAt: Date) async throws {
        try await backend.transaction { database in
            try await Self.insertRefresh(hash: hash, family: family, user: user, tenant: tenant, expiresAt: expiresAt, on: database)
        }
    }

    static func insertRefresh(
        hash: String, family: ResourceID, user: ResourceID, tenant: ResourceID, expiresAt: Date, on database: any SQLDatabase
    ) async throws {
        try await database.raw("""
            INSERT INTO refresh_tokens (hash, family_id, user_id, tenant_id, created_at, expires_at)
            VALUES (\(bind: hash), \(bind: family.rawValue), \(bind: user.rawValue), \(bind: tenant.rawValue),
                \(bind: Timestamp.nowMilliseconds), \(bind: SQLColumn.millis(expiresAt)))
            """).run()
    }

    func refresh(hash: String, newHash: String, expiresAt: Date, now: Date) async throws -> RefreshOutcome {
        try await backend.transaction { database in
            guard
                let row = try await database.raw(
                    "SELECT * FROM refresh_tokens WHERE hash = \(bind: hash)\(unsafeRaw: backend.forUpdate)"
                ).first()
            else { return .invalid }
            let family = try row.id("family_id", .event)
            if try row.optionalDate("used_at") != nil {
                try await database.raw("""
                    UPDATE refresh_tokens SET revoked_at = \(bind: SQLColumn.millis(now))
                    WHERE family_id = \(bind: family.rawValue) AND revoked_at IS NULL
                    """).run()
                return .reused(familyID: family)
            }
            guard try row.optionalDate("revoked_at") == nil, try row.date("expires_at") > now else { return .invalid }
            let user = try row.id("user_id", .user)
            let tenant = try row.id("tenant_id", .tenant)
            try await database.raw("UPDATE refresh_tokens SET used_at = \(bind: SQLColumn.millis(now)) WHERE hash = \(bind: hash)").run()
            try await Self.insertRefresh(hash: newHash, family: family, user: user, tenant: tenant, expiresAt: expiresAt, on: database)
            return .rotated(userID: user, tenantID: tenant, familyID: family)
        }
    }

    func revokeFamily(ofToken hash: String, now: Date) async throws -> ResourceID? {
        try await backend.transaction { database in
            guard let row = try await database.raw("SELECT family_id FROM refresh_tokens WHERE hash = \(bind: hash)").first()
            else { return nil }
            let family = try row.id("family_id", .event)
            try await database.raw("""
                UPDATE refresh_tokens SET revoked_at = \(bind: SQLColumn.millis(now))
                WHERE family_id = \(bind: family.rawValue) AND revoked_at IS NULL
                """).run()
            return family
        }
    }

    static func user(_ row: any SQLRow) throws -> User {
        User(
            id: try row.id("id", .user), tenantID: try row.id("tenant_id", .tenant), email: try row.string("email"),
            name: try row.string("name"), passwordHash: try row.optionalString("password_hash"),
            roles: try row.json("roles", as: [String].self), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}

extension SQLUserRepository {
    func pruneRefreshTokens(expiredBefore date: Date) async throws -> Int {
        try await backend.transaction { database in
            try await database.raw(
                "DELETE FROM refresh_tokens WHERE expires_at < \(bind: SQLColumn.millis(date)) RETURNING hash"
            ).all().count
        }
    }
}
