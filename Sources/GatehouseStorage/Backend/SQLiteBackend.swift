import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// The embedded backend: one SQLite file in WAL mode.
///
/// Writes go through a single writer connection, one transaction at a time (SQLite allows
/// one writer anyway); reads use a small set of reader connections, which WAL lets run
/// beside the writer and see every committed transaction.
///
/// The backend has its own thread pool, a thread per connection: SQLite's calls block
/// (a writer waiting for another process's lock sleeps in the busy handler), and on a
/// shared pool one waiting connection could starve every other database in the process.
public final class SQLiteBackend: DatabaseBackend {
    public let engine = SQLEngine.sqlite
    public let path: String
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let threads: NIOThreadPool
    private let writeLock = AsyncLock()
    private let nextReader = Atomic<Int>(0)

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], threads: NIOThreadPool) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.threads = threads
    }

    /// Opens (creating when missing) the database file at `path`.
    public static func open(path: String, readers: Int = 2, logger: Logger) async throws -> SQLiteBackend {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let threads = NIOThreadPool(numberOfThreads: max(1, readers) + 1)
        threads.start()
        func connect() async throws -> SQLiteConnection {
            try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threads, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        }
        var opened: [SQLiteConnection] = []
        do {
            let writer = try await connect()
            opened.append(writer)
            try await configure(writer, walMode: true)
            for _ in 0..<max(1, readers) {
                let reader = try await connect()
                opened.append(reader)
                try await configure(reader, walMode: false)
            }
            return SQLiteBackend(path: path, writer: writer, readers: Array(opened.dropFirst()), threads: threads)
        } catch {
            for connection in opened { try? await connection.close() }
            try? await threads.shutdownGracefully()
            throw error
        }
    }

    private static func configure(_ connection: SQLiteConnection, walMode: Bool) async throws {
        if walMode {
            _ = try await connection.query("PRAGMA journal_mode=WAL")
        }
        _ = try await connection.query("PRAGMA busy_timeout=5000")
        _ = try await connection.query("PRAGMA synchronous=NORMAL")
        _ = try await connection.query("PRAGMA foreign_keys=ON")
    }

    public func run() async {
        // Nothing runs in the background; wait for cancellation like every service.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    public func read<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.add(1, ordering: .relaxed).oldValue % readers.count
        return try await body(readers[index].sql(queryLogLevel: nil))
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            let database = writer.sql(queryLogLevel: nil)
            do {
                try await database.raw("BEGIN IMMEDIATE").run()
            } catch {
                // A transaction left open (its rollback refused) must not wedge the writer.
                await rollBack()
                try await database.raw("BEGIN IMMEDIATE").run()
            }
            do {
                let result = try await body(database)
                try await database.raw("COMMIT").run()
                return result
            } catch {
                await rollBack()
                throw error
            }
        }
    }

    /// Rolls back from a fresh task: the thread pool refuses work from a cancelled task,
    /// and a failed write is often a cancelled one.
    private func rollBack() async {
        let writer = self.writer
        await Task { _ = try? await writer.query("ROLLBACK") }.value
    }

    public func isUniqueViolation(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
            || (error.reason == .constraint && error.message.contains("UNIQUE"))
    }

    public func shutdown() async {
        // Closing goes through the thread pool, which refuses work from a cancelled task;
        // shutdown usually runs in one, so close from a fresh task.
        let connections = readers + [writer]
        let threads = self.threads
        await Task {
            for connection in connections {
                try? await connection.close()
            }
            try? await threads.shutdownGracefully()
        }.value
    }
}
