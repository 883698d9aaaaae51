import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// The multi-node backend: a PostgreSQL database shared by every Gatehouse node, reached
/// through postgres-nio's connection pool.
public final class PostgresBackend: DatabaseBackend {
    public let engine = SQLEngine.postgres
    public let client: PostgresClient
    private let logger: Logger

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    public func run() async {
        await client.run()
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let database = connection.sql(queryLogLevel: nil)
            try await database.raw("BEGIN").run()
            do {
                let result = try await body(database)
                try await database.raw("COMMIT").run()
                return result
            } catch {
                // From a fresh task: a cancelled task's query could be refused, and the
                // connection would go back to the pool inside the transaction.
                await Task { try? await connection.query("ROLLBACK", logger: self.logger) }.value
                throw error
            }
        }
    }

    public func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    public func shutdown() async {
        // The pool closes when the task running `run()` is cancelled.
    }
}
