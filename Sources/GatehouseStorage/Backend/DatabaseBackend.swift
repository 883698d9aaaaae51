import SQLKit

/// Which SQL engine a backend runs; repositories use it only for the few statements
/// whose spelling differs (row locks, column types in migrations).
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A database the repositories can run SQL on: SQLite embedded, or PostgreSQL shared by nodes.
///
/// Repositories are written once against sql-kit's `SQLDatabase`; a backend supplies
/// connections, transactions and the engine-specific details.
public protocol DatabaseBackend: Sendable {
    var engine: SQLEngine { get }

    /// Runs the backend's background work (a connection pool) until the task is cancelled.
    func run() async

    /// Runs `body` on a connection outside any explicit transaction (single statements, reads).
    func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T

    /// Whether `error` is a violation of a unique constraint.
    func isUniqueViolation(_ error: any Error) -> Bool

    /// Closes every connection.
    func shutdown() async
}

extension DatabaseBackend {
    /// The row-lock clause for a `SELECT` inside a transaction. SQLite has no row locks: its
    /// transactions are begun `IMMEDIATE`, which already excludes other writers.
    var forUpdate: String { engine == .postgres ? " FOR UPDATE" : "" }
    /// A shared row lock on PostgreSQL (blocks `FOR UPDATE`, not other readers).
    var forShare: String { engine == .postgres ? " FOR SHARE" : "" }
    /// Claims rows no other transaction holds (job queues); SQLite's single writer needs none.
    var forUpdateSkipLocked: String { engine == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }
}
