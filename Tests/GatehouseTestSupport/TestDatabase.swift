import GatehouseCore
import Foundation
import GatehouseStorage
import Logging
import PostgresNIO

/// The backend the tests run on: SQLite in a temporary file by default, PostgreSQL when
/// `GATEHOUSE_TEST_POSTGRES_URL` names a server (scripts/test starts one). Every test gets a
/// database of its own, so tests run in parallel without seeing each other.
public enum TestDatabase {
    public static let postgresURL: String? = {
        let value = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }()

    public static var engineName: String { postgresURL == nil ? "sqlite" : "postgres" }

    public static let logger: Logger = {
        var logger = Logger(label: "gatehouse-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a migrated store on a fresh database, then drops it.
    public static func withStore<T: Sendable>(
        migrate: Bool = true, _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        // An empty database: these tests watch the migrations run.
        try await withDatabaseURL(migrated: false) { url in
            try await withRunning(try await url.openBackend(logger: logger)) { backend in
                let store = Store(backend: backend)
                if migrate { try await store.migrator.migrate(logger: logger) }
                return try await body(store)
            }
        }
    }

    /// A fresh database; `body` may open more backends on the same URL (several nodes).
    public static func withBackend<T: Sendable>(
        _ body: @Sendable (any DatabaseBackend) async throws -> T
    ) async throws -> T {
        try await withDatabaseURL { url in
            try await withRunning(try await url.openBackend(logger: logger), body)
        }
    }

    /// Runs a backend's background work around `body`.
    public static func withRunning<T: Sendable>(
        _ backend: any DatabaseBackend, _ body: @Sendable (any DatabaseBackend) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await backend.run() }
            defer { group.cancelAll() }
            // Connections are closed whether or not the body throws: a SQLite connection
            // released open trips sqlite-nio's assertion and takes the whole test run down.
            let result = await Result(catching: { try await body(backend) })
            group.cancelAll()
            await backend.shutdown()
            return try result.get()
        }
    }

    /// The URL of a fresh, empty database for one test.
    /// `migrated`: copied from a template with every migration applied (PostgreSQL).
    public static func withDatabaseURL<T: Sendable>(
        migrated: Bool = true, _ body: @Sendable (DatabaseURL) async throws -> T
    ) async throws -> T {
        let name = "gh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        guard let postgresURL else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-tests")
            let path = directory.appendingPathComponent("\(name).sqlite").path
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            return try await body(.sqlite(path: path))
        }
        let admin = try DatabaseURL(parsing: postgresURL)
        guard case .postgres(let host, let port, let user, let password, _, _) = admin else {
            fatalError("GATEHOUSE_TEST_POSTGRES_URL must be a postgres:// URL")
        }
        let template = migrated ? try await migratedTemplate.value : "template0"
        try await adminQuery(admin, "CREATE DATABASE \(name) TEMPLATE \(template) STRATEGY FILE_COPY")
        do {
            let result = try await body(
                .postgres(host: host, port: port, username: user, password: password, database: name, requireTLS: false))
            try? await adminQuery(admin, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await adminQuery(admin, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// A database with every migration applied, copied for each test: creating tables for
    /// hundreds of tests loads the cluster far more than copying files does. Its name
    /// carries a digest of the migrations, so a changed schema gets a fresh template.
    static let migratedTemplate = Task<String, any Error> {
        guard let postgresURL, case .postgres(let host, let port, let user, let password, _, _) = try DatabaseURL(parsing: postgresURL)
        else { return "template1" }
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across processes, unlike Hasher
        for byte in Schema.migrations.flatMap({ [$0.name] + $0.statements }).joined(separator: "\u{0}").utf8 {
            digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let name = "gh_template_\(String(digest, radix: 16))"
        let admin = try DatabaseURL(parsing: postgresURL)
        guard try await !databaseExists(admin, name) else { return name }
        let building = name + "_building_" + UUID().uuidString.prefix(8).lowercased()
        try await adminQuery(admin, "CREATE DATABASE \(building)")
        let url = DatabaseURL.postgres(host: host, port: port, username: user, password: password, database: building, requireTLS: false)
        try await withRunning(try await url.openBackend(logger: logger)) { backend in
            _ = try await Store(backend: backend).migrator.migrate(logger: logger)
        }
        try await adminQuery(admin, "ALTER DATABASE \(building) RENAME TO \(name)")
        return name
    }

    static func databaseExists(_ url: DatabaseURL, _ name: String) async throws -> Bool {
        guard let backend = try await url.openBackend(logger: logger) as? PostgresBackend else { return false }
        return try await withRunning(backend) { _ in
            let rows = try await backend.client.query(
                "SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    static func adminQuery(_ url: DatabaseURL, _ sql: String) async throws {
        guard let backend = try await url.openBackend(logger: logger) as? PostgresBackend else { return }
        try await withRunning(backend) { _ in
            try await backend.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }
}
