import Foundation
import GatehouseCore
import SQLKit

/// The change feed on both engines: an append-only table with a sequence.
///
/// On PostgreSQL every publisher takes one transaction-scoped advisory lock, so sequence
/// order is commit order and a follower that reads `seq > last` never skips a change that
/// commits late; `pg_notify` then wakes followers at once.
struct SQLChangeFeed: ChangeFeed {
    static let channel = "gatehouse_changes"
    let backend: any DatabaseBackend

    /// Records a change inside the caller's transaction.
    static func publish(
        _ topic: ChangeEvent.Topic, _ entityID: String, on database: any SQLDatabase, engine: SQLEngine
    ) async throws {
        if engine == .postgres {
            try await database.raw("SELECT pg_advisory_xact_lock(7426002)").run()
        }
        try await database.raw("""
            INSERT INTO change_feed (topic, entity_id, created_at)
            VALUES (\(bind: topic.rawValue), \(bind: entityID), \(bind: Timestamp.nowMilliseconds))
            """).run()
        if engine == .postgres {
            try await database.raw("SELECT pg_notify(\(bind: channel), \(bind: topic.rawValue))").run()
        }
    }

    func changes(after sequence: Int64, limit: Int) async throws -> [ChangeEvent] {
        try await backend.read { database in
            try await database.raw("""
                SELECT seq, topic, entity_id FROM change_feed WHERE seq > \(bind: sequence)
                ORDER BY seq LIMIT \(literal: limit)
                """).all().compactMap { row in
                guard let topic = ChangeEvent.Topic(rawValue: try row.string("topic")) else { return nil }
                return ChangeEvent(
                    sequence: try row.decode(column: "seq", as: Int64.self), topic: topic,
                    entityID: try row.string("entity_id"))
            }
        }
    }

    func latestSequence() async throws -> Int64 {
        try await backend.read { database in
            try await database.raw("SELECT MAX(seq) AS seq FROM change_feed").first()?
                .decode(column: "seq", as: Int64?.self) ?? 0
        }
    }

    func prune(before date: Date) async throws {
        try await backend.transaction { database in
            try await database.raw("DELETE FROM change_feed WHERE created_at < \(bind: SQLColumn.millis(date))").run()
        }
    }
}
