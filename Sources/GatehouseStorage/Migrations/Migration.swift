/// One versioned schema change. Statements are written once; `{id}` and `{serial}` are
/// spelled per engine (PostgreSQL ids use the "C" collation so they sort bytewise, as
/// keyset pagination expects).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    func sql(for engine: SQLEngine) -> [String] {
        statements.map { statement in
            switch engine {
            case .sqlite:
                statement
                    .replacingOccurrences(of: "{id}", with: "TEXT")
                    .replacingOccurrences(of: "{serial}", with: "INTEGER PRIMARY KEY AUTOINCREMENT")
            case .postgres:
                statement
                    .replacingOccurrences(of: "{id}", with: "TEXT COLLATE \"C\"")
                    .replacingOccurrences(of: "{serial}", with: "BIGSERIAL PRIMARY KEY")
            }
        }
    }
}
