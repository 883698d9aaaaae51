import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// Read-only reports, SPEC §7, in seed 000's envelope `{total, cursor: {next}, data}`.
/// Only GET is registered, so any write answers 405.
struct ReportingRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/reporting/tenants/{tenantId}")
        group.get("audit-events", use: auditEvents)
        group.get("requests", use: requests)
        group.get("usage", use: usage)
        group.get("keys", use: keys)
    }

    @Sendable func auditEvents(request: Request, context: GatehouseContext) async throws -> Response {
        try await AuditRoutes(environment: environment).list(
            request: request, tenant: try context.requireTenant(), list: "reporting.audit.\(try context.requireTenant())")
    }

    @Sendable func requests(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let list = "reporting.requests.\(tenant)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let filter = try AuditFilter(request: request)
        let result = try await environment.store.reporting.requests(tenant: tenant, from: filter.from, to: filter.to, page: page)
        return try JSONResponse.make(ListEnvelope(page: result, list: list, codec: environment.cursors, render: RequestView.init))
    }

    /// Requests (meter `api.requests`) and other meters per key per hour or day.
    @Sendable func usage(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let filter = try AuditFilter(request: request)
        let granularity = try request.query("granularity").map { value throws(GatehouseError) in
            guard let parsed = UsageGranularity(rawValue: value) else { throw .badRequest("granularity must be hour or day.") }
            return parsed
        } ?? .hour
        let rows = try await environment.store.reporting.usage(
            tenant: tenant, meter: try request.query("meter"), keyID: try request.query("key_id"), from: filter.from, to: filter.to,
            granularity: granularity)
        return try JSONResponse.make(
            ListEnvelope(page: Page(items: rows, total: rows.count, nextAfter: nil), list: "", codec: environment.cursors,
                         render: UsageView.init))
    }

    /// The key inventory, with when each key was last used.
    @Sendable func keys(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let list = "reporting.keys.\(tenant)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await environment.store.apiKeys.list(tenant: tenant, page: page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: list, codec: environment.cursors) { APIKeyView(record: $0) })
    }
}

struct RequestView: Encodable {
    let id: String
    let time: Date
    let method: String
    let route: String
    let status: Int
    let latency_ms: Double
    let key_id: String?

    init(_ entry: RequestLogEntry) {
        id = entry.id.rawValue
        time = entry.occurredAt
        method = entry.method
        route = entry.route
        status = entry.status
        latency_ms = Double(entry.latencyMicroseconds) / 1000
        key_id = entry.keyID
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(time, forKey: .time)
        try container.encode(method, forKey: .method)
        try container.encode(route, forKey: .route)
        try container.encode(status, forKey: .status)
        try container.encode(latency_ms, forKey: .latency_ms)
        try container.encode(key_id, forKey: .key_id)
    }

    enum CodingKeys: String, CodingKey { case id, time, method, route, status, latency_ms, key_id }
}

struct UsageView: Encodable {
    let meter: String
    let key_id: String
    let period_start: Date
    let quantity: Int64

    init(_ row: UsageRow) {
        meter = row.meter
        key_id = row.keyID
        period_start = row.periodStart
        quantity = row.quantity
    }
}
