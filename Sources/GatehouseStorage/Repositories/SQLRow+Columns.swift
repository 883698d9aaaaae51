import Foundation
import GatehouseCore
import SQLKit

/// Column codecs shared by the SQL repositories: times are epoch milliseconds, JSON is text.
extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }

    func date(_ column: String) throws -> Date {
        Timestamp.date(milliseconds: try decode(column: column, as: Int64.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try decode(column: column, as: Int64?.self).map(Timestamp.date(milliseconds:))
    }

    func id(_ column: String, _ kind: IDKind) throws -> ResourceID {
        let raw = try string(column)
        guard let id = ResourceID(raw, kind: kind) else { throw StorageError.corrupt("\(column)=\(raw)") }
        return id
    }

    func optionalID(_ column: String, _ kind: IDKind) throws -> ResourceID? {
        try optionalString(column).flatMap { ResourceID($0, kind: kind) }
    }

    func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(try string(column).utf8))
    }

    func optionalJSON<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
        guard let text = try optionalString(column) else { return nil }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

enum SQLColumn {
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func millis(_ date: Date) -> Int64 { Timestamp.milliseconds(date) }
    static func millis(_ date: Date?) -> Int64? { date.map(Timestamp.milliseconds) }
}

public enum StorageError: Error, CustomStringConvertible {
    case corrupt(String)
    public var description: String {
        switch self {
        case .corrupt(let detail): "Stored data does not decode: \(detail)"
        }
    }
}

/// Keyset or offset paging over rows ordered by `id`, shared by every list.
struct PagedQuery {
    let page: PageRequest
    /// The id column (qualified when the query joins).
    var column = "id"

    /// `AND id > ?` for keyset pages.
    var keysetClause: SQLQueryString {
        if case .after(let after) = page.position { return " AND \(unsafeRaw: column) > \(bind: after)" }
        return ""
    }

    /// `ORDER BY id LIMIT n+1 [OFFSET k]`: one extra row tells whether another page follows.
    var tail: SQLQueryString {
        var sql: SQLQueryString = " ORDER BY \(unsafeRaw: column) LIMIT \(literal: page.limit + 1)"
        if case .offset(let offset) = page.position { sql = sql + " OFFSET \(literal: offset)" }
        return sql
    }

    /// Counts the rows of `table` matching `condition` (which starts with ` WHERE`) and
    /// fetches this page of them.
    func run<Item: Sendable>(
        _ table: String, where condition: SQLQueryString, on database: any SQLDatabase,
        decode: (any SQLRow) throws -> Item, id: (Item) -> String
    ) async throws -> Page<Item> {
        let total = try await database.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)" + condition).first()?.int("n") ?? 0
        let rows = try await database.raw("SELECT * FROM \(unsafeRaw: table)" + condition + keysetClause + tail).all()
            .map(decode)
        return makePage(rows, total: total, id: id)
    }

    func makePage<Item>(_ rows: [Item], total: Int, id: (Item) -> String) -> Page<Item> {
        let more = rows.count > page.limit
        let items = Array(rows.prefix(page.limit))
        return Page(items: items, total: total, nextAfter: more ? items.last.map(id) : nil)
    }
}
