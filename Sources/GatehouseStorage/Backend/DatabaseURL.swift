import Foundation
import Logging
import PostgresNIO

/// Where the data lives: `sqlite:PATH` (the embedded default) or `postgres://user:pass@host:port/db`.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(host: String, port: Int, username: String, password: String?, database: String, requireTLS: Bool)

    public static let defaultSQLite = DatabaseURL.sqlite(path: "./gatehouse-data/gatehouse.sqlite")

    public enum ParseError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self {
            case .unsupported(let reason): "Unsupported database URL: \(reason)"
            }
        }
    }

    public init(parsing string: String) throws {
        if string.hasPrefix("sqlite:") {
            var path = String(string.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ParseError.unsupported("sqlite: needs a file path") }
            self = .sqlite(path: path)
            return
        }
        guard let components = URLComponents(string: string),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw ParseError.unsupported("use sqlite:PATH or postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value
        self = .postgres(
            host: host,
            port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? "postgres" : database,
            requireTLS: sslMode == "require" || sslMode == "verify-full")
    }

    /// The URL with any password masked, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let host, let port, let username, _, let database, _):
            "postgres://\(username):***@\(host):\(port)/\(database)"
        }
    }

    /// Opens the backend this URL names.
    public func openBackend(logger: Logger) async throws -> any DatabaseBackend {
        switch self {
        case .sqlite(let path):
            return try await SQLiteBackend.open(path: path, logger: logger)
        case .postgres(let host, let port, let username, let password, let database, let requireTLS):
            var configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database,
                tls: requireTLS ? .require(.makeClientConfiguration()) : .disable)
            configuration.options.maximumConnections = 20
            return PostgresBackend(configuration: configuration, logger: logger)
        }
    }
}
