import Foundation
import GatehouseCore
import SQLKit

/// One row of the per-request log.
public struct RequestLogEntry: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID?
    public var keyID: String?
    public var occurredAt: Date
    public var method: String
    public var route: String
    public var status: Int
    public var latencyMicroseconds: Int64

    public init(
        id: ResourceID = .generate(.request), tenantID: ResourceID?, keyID: String?, occurredAt: Date, method: String,
        route: String, status: Int, latencyMicroseconds: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.keyID = keyID
        self.occurredAt = occurredAt
        self.method = method
        self.route = route
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
    }
}

/// Where a usage count lands: one meter of one key in one hour.
public struct UsageBucket: Sendable, Hashable {
    public var tenantID: ResourceID
    public var keyID: String
    public var meter: String
    /// The start of the hour, epoch milliseconds.
    public var periodStart: Int64

    public init(tenantID: ResourceID, keyID: String, meter: String, hourOf date: Date) {
        self.tenantID = tenantID
        self.keyID = keyID
        self.meter = meter
        let millis = Timestamp.milliseconds(date)
        self.periodStart = millis - millis % 3_600_000
    }
}

/// One aggregated usage row of `GET /reporting/tenants/{t}/usage`.
public struct UsageRow: Sendable, Equatable {
    public var meter: String
    public var keyID: String
    public var periodStart: Date
    public var quantity: Int64
}

public enum UsageGranularity: String, Sendable {
    case hour
    case day

    var milliseconds: Int64 { self == .hour ? 3_600_000 : 86_400_000 }
}

/// The read-mostly data behind reporting, written in batches off the request path.
public protocol ReportingRepository: Sendable {
    /// Writes buffered request-log rows, usage counts and audit events in one transaction.
    func flush(requests: [RequestLogEntry], usage: [UsageBucket: Int64], audit: [AuditEvent]) async throws
    func requests(tenant: ResourceID, from: Date?, to: Date?, page: PageRequest) async throws -> Page<RequestLogEntry>
    func usage(
        tenant: ResourceID, meter: String?, keyID: String?, from: Date?, to: Date?, granularity: UsageGranularity
    ) async throws -> [UsageRow]
}

struct SQLReporting: ReportingRepository {
    let backend: any DatabaseBackend

    func flush(requests: [RequestLogEntry], usage: [UsageBucket: Int64], audit: [AuditEvent]) async throws {
        guard !requests.isEmpty || !usage.isEmpty || !audit.isEmpty else { return }
        try await backend.transaction { database in
            for entry in requests {
                try await database.raw("""
                    INSERT INTO request_log (id, tenant_id, key_id, occurred_at, method, route, status, latency_us)
                    VALUES (\(bind: entry.id.rawValue), \(bind: entry.tenantID?.rawValue), \(bind: entry.keyID),
                        \(bind: SQLColumn.millis(entry.occurredAt)), \(bind: entry.method), \(bind: entry.route),
                        \(bind: entry.status), \(bind: entry.latencyMicroseconds))
                    """).run()
            }
            // Sorted, so concurrent flushes on several nodes lock rows in one order.
            let ordered = usage.sorted { ($0.key.tenantID, $0.key.meter, $0.key.keyID, $0.key.periodStart) < ($1.key.tenantID, $1.key.meter, $1.key.keyID, $1.key.periodStart) }
            for (bucket, quantity) in ordered {
                try await database.raw("""
                    INSERT INTO usage_hourly (tenant_id, key_id, meter, period_start, quantity)
                    VALUES (\(bind: bucket.tenantID.rawValue), \(bind: bucket.keyID), \(bind: bucket.meter),
                        \(bind: bucket.periodStart), \(bind: quantity))
                    ON CONFLICT (tenant_id, meter, key_id, period_start)
                    DO UPDATE SET quantity = usage_hourly.quantity + excluded.quantity
                    """).run()
            }
            // Grouped by chain (stable within a chain), so chain locks are taken in one order.
            let byChain = audit.enumerated().sorted { ($0.element.chain, $0.offset) < ($1.element.chain, $1.offset) }.map(\.element)
            try await SQLAuditLog.append(byChain, on: database, engine: backend.engine)
        }
    }

    func requests(tenant: ResourceID, from: Date?, to: Date?, page: PageRequest) async throws -> Page<RequestLogEntry> {
        var condition: SQLQueryString = " WHERE tenant_id = \(bind: tenant.rawValue)"
        if let from { condition = condition + " AND occurred_at >= \(bind: SQLColumn.millis(from))" }
        if let to { condition = condition + " AND occurred_at < \(bind: SQLColumn.millis(to))" }
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run("request_log", where: condition, on: database, decode: Self.entry, id: \.id.rawValue)
        }
    }

    func usage(
        tenant: ResourceID, meter: String?, keyID: String?, from: Date?, to: Date?, granularity: UsageGranularity
    ) async throws -> [UsageRow] {
        var condition: SQLQueryString = " WHERE tenant_id = \(bind: tenant.rawValue)"
        if let meter { condition = condition + " AND meter = \(bind: meter)" }
        if let keyID { condition = condition + " AND key_id = \(bind: keyID)" }
        if let from { condition = condition + " AND period_start >= \(bind: SQLColumn.millis(from))" }
        if let to { condition = condition + " AND period_start < \(bind: SQLColumn.millis(to))" }
        let width = granularity.milliseconds
        return try await backend.read { database in
            try await database.raw("""
                SELECT meter, key_id, (period_start / \(literal: width)) * \(literal: width) AS period,
                    CAST(SUM(quantity) AS BIGINT) AS quantity FROM usage_hourly
                """ + condition + " GROUP BY meter, key_id, period ORDER BY period, meter, key_id LIMIT 10000").all()
                .map { row in
                    UsageRow(
                        meter: try row.string("meter"), keyID: try row.string("key_id"),
                        periodStart: Timestamp.date(milliseconds: try row.decode(column: "period", as: Int64.self)),
                        quantity: try row.decode(column: "quantity", as: Int64.self))
                }
        }
    }

    static func entry(_ row: any SQLRow) throws -> RequestLogEntry {
        RequestLogEntry(
            id: try row.id("id", .request), tenantID: try row.optionalID("tenant_id", .tenant),
            keyID: try row.optionalString("key_id"), occurredAt: try row.date("occurred_at"),
            method: try row.string("method"), route: try row.string("route"), status: try row.int("status"),
            latencyMicroseconds: try row.decode(column: "latency_us", as: Int64.self))
    }
}
