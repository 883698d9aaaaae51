import Foundation
import GatehouseCore
import SQLKit

/// Rate-limit state shared by every node (cluster mode): one GCRA arrival time per bucket.
/// Nodes lease cells from it — a lease moves the shared arrival time forward atomically,
/// so together the nodes never spend more than the budget.
public protocol RateLimitBuckets: Sendable {
    /// Spends up to `cells` of `bucket` at `now` (nanoseconds): all of them if the budget
    /// allows, else one, else none. Returns how many were granted and the bucket's
    /// arrival time afterwards.
    func lease(bucket: String, limit: GCRA, cells: Int, now: Int64) async throws -> (granted: Int, tat: Int64)
    /// The bucket's arrival time, `nil` when it was never used.
    func arrivalTime(bucket: String) async throws -> Int64?
    /// Deletes buckets that are full again at `now` (a full bucket and no row are the same).
    func prune(now: Int64) async throws -> Int
}

struct SQLRateLimitBuckets: RateLimitBuckets {
    let backend: any DatabaseBackend

    func lease(bucket: String, limit: GCRA, cells: Int, now: Int64) async throws -> (granted: Int, tat: Int64) {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO rate_limit_buckets (bucket, tat) VALUES (\(bind: bucket), \(bind: now))
                ON CONFLICT (bucket) DO NOTHING
                """).run()
            for request in Set([cells, 1]).sorted(by: >) {
                let cost = limit.interval * Int64(request)
                // One statement: the row lock makes the check and the spend atomic across nodes.
                let row = try await database.raw("""
                    UPDATE rate_limit_buckets
                    SET tat = (CASE WHEN tat > \(bind: now) THEN tat ELSE \(bind: now) END) + \(bind: cost)
                    WHERE bucket = \(bind: bucket)
                        AND (CASE WHEN tat > \(bind: now) THEN tat ELSE \(bind: now) END) + \(bind: cost) - \(bind: limit.windowNanos)
                            <= \(bind: now)
                    RETURNING tat
                    """).first()
                if let row { return (request, try row.decode(column: "tat", as: Int64.self)) }
            }
            let tat = try await database.raw("SELECT tat FROM rate_limit_buckets WHERE bucket = \(bind: bucket)")
                .first()?.decode(column: "tat", as: Int64.self) ?? now
            return (0, tat)
        }
    }

    func prune(now: Int64) async throws -> Int {
        try await backend.transaction { database in
            try await database.raw("DELETE FROM rate_limit_buckets WHERE tat <= \(bind: now) RETURNING bucket").all().count
        }
    }

    func arrivalTime(bucket: String) async throws -> Int64? {
        try await backend.read { database in
            try await database.raw("SELECT tat FROM rate_limit_buckets WHERE bucket = \(bind: bucket)")
                .first()?.decode(column: "tat", as: Int64.self)
        }
    }
}
