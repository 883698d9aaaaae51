import Foundation
import GatehouseCore
import Logging
import SQLKit

/// Applies pending migrations, each in its own transaction. On PostgreSQL an advisory lock
/// makes nodes that start together apply each migration exactly once.
public struct Migrator: Sendable {
    let backend: any DatabaseBackend
    let migrations: [Migration]

    public init(backend: any DatabaseBackend, migrations: [Migration] = Schema.migrations) {
        self.backend = backend
        self.migrations = migrations
    }

    /// Applies what is missing; returns the versions applied.
    @discardableResult
    public func migrate(logger: Logger) async throws -> [Int] {
        try await backend.transaction { database in
            try await database.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """).run()
        }
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await backend.transaction { database in
                if backend.engine == .postgres {
                    try await database.raw("SELECT pg_advisory_xact_lock(7426001)").run()
                }
                let existing = try await database.raw(
                    "SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)"
                ).first()
                guard existing == nil else { return false }
                for statement in migration.sql(for: backend.engine) {
                    try await database.raw("\(unsafeRaw: statement)").run()
                }
                try await database.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Timestamp.nowMilliseconds))
                    """).run()
                return true
            }
            if didApply {
                logger.info("Applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// The highest applied version, 0 for an empty database.
    public func currentVersion() async throws -> Int {
        try await backend.read { database in
            let row = try await database.raw("SELECT MAX(version) AS version FROM schema_migrations").first()
            return try row?.decode(column: "version", as: Int?.self) ?? 0
        }
    }
}
