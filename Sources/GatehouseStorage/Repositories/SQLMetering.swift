import Foundation
import GatehouseCore
import SQLKit

/// Tenant-reported usage (seed 003). Each event is kept once per idempotency key; its
/// quantity joins the hourly usage in the same transaction, so a replay — concurrent,
/// or through another node — never counts twice.
public protocol MeteringRepository: Sendable {
    /// Records `events` of `tenant` (reported by `keyID`, or "" for other credentials);
    /// returns, per event, whether it was new (`true`) or a replay (`false`).
    func record(_ events: [MeterEvent], tenant: ResourceID, keyID: String, at: Date) async throws -> [Bool]
}

struct SQLMetering: MeteringRepository {
    let backend: any DatabaseBackend

    func record(_ events: [MeterEvent], tenant: ResourceID, keyID: String, at date: Date) async throws -> [Bool] {
        // Rows are touched in key order, so concurrent batches lock them in the same order
        // and cannot deadlock; totals are added once per hourly row.
        let order = events.indices.sorted { events[$0].idempotencyKey < events[$1].idempotencyKey }
        return try await backend.transaction { database in
            var fresh = [Bool](repeating: false, count: events.count)
            var totals: [UsageBucket: Int64] = [:]
            for index in order {
                let event = events[index]
                // The primary key decides: a concurrent insert of the same key waits for
                // the first to commit, then inserts nothing.
                let inserted = try await database.raw("""
                    INSERT INTO meter_events (tenant_id, idempotency_key, meter, quantity, occurred_at, dimensions, key_id, recorded_at)
                    VALUES (\(bind: tenant.rawValue), \(bind: event.idempotencyKey), \(bind: event.meter), \(bind: event.quantity),
                        \(bind: SQLColumn.millis(event.time)), \(bind: SQLColumn.json(event.dimensions)), \(bind: keyID),
                        \(bind: SQLColumn.millis(date)))
                    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                    RETURNING idempotency_key
                    """).all()
                guard !inserted.isEmpty, fresh[index] == false else { continue }
                fresh[index] = true
                totals[UsageBucket(tenantID: tenant, keyID: keyID, meter: event.meter, hourOf: event.time), default: 0] += event.quantity
            }
            for (bucket, quantity) in totals.sorted(by: { ($0.key.meter, $0.key.periodStart) < ($1.key.meter, $1.key.periodStart) }) {
                try await database.raw("""
                    INSERT INTO usage_hourly (tenant_id, key_id, meter, period_start, quantity)
                    VALUES (\(bind: tenant.rawValue), \(bind: keyID), \(bind: bucket.meter), \(bind: bucket.periodStart),
                        \(bind: quantity))
                    ON CONFLICT (tenant_id, meter, key_id, period_start)
                    DO UPDATE SET quantity = usage_hourly.quantity + excluded.quantity
                    """).run()
            }
            return fresh
        }
    }
}
