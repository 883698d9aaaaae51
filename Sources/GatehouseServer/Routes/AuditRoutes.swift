import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// The audit log, SPEC §7: the tenant view, chain verification, and the platform view
/// `GET /api/v1/admin/audit-logs` (seed 004).
struct AuditRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.get("/api/v1/audit/tenants/{tenantId}/events", use: events)
        router.get("/api/v1/audit/tenants/{tenantId}/verify", use: verify)
        router.get("/api/v1/admin/audit-logs", use: platformEvents)
    }

    @Sendable func events(request: Request, context: GatehouseContext) async throws -> Response {
        let tenant = try context.requireTenant()
        return try await list(request: request, tenant: tenant, list: "audit.\(tenant)")
    }

    @Sendable func platformEvents(request: Request, context: GatehouseContext) async throws -> Response {
        try await list(request: request, tenant: nil, list: "admin.audit-logs")
    }

    func list(request: Request, tenant: ResourceID?, list: String) async throws -> Response {
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let filter = try AuditFilter(request: request)
        let result = try await environment.store.audit.list(tenant: tenant, filter: filter, page: page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: list, codec: environment.cursors, render: AuditEventView.init))
    }

    struct Verification: Encodable {
        let valid: Bool
        let events_checked: Int
        let first_invalid: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(events_checked, forKey: .events_checked)
            if let first_invalid { try container.encode(first_invalid, forKey: .first_invalid) }
        }

        enum CodingKeys: String, CodingKey { case valid, events_checked, first_invalid }
    }

    @Sendable func verify(request: Request, context: GatehouseContext) async throws -> Response {
        let result = try await environment.store.audit.verify(tenant: try context.requireTenant())
        return try JSONResponse.make(Verification(
            valid: result.valid, events_checked: result.eventsChecked, first_invalid: result.firstInvalid))
    }
}

extension AuditFilter {
    /// `from`, `to` (RFC 3339), `actor`, `action`, `outcome` from the query string.
    init(request: Request) throws(GatehouseError) {
        self.init(
            from: try Self.time(try request.query("from"), "from"), to: try Self.time(try request.query("to"), "to"),
            actor: try request.query("actor"), action: try request.query("action"))
        if let outcome = try request.query("outcome") {
            guard let parsed = AuditEvent.Outcome(rawValue: outcome) else {
                throw .badRequest("outcome must be success, failure or denied.")
            }
            self.outcome = parsed
        }
    }

    static func time(_ value: String?, _ name: String) throws(GatehouseError) -> Date? {
        guard let value else { return nil }
        guard let date = Timestamp.parse(value) else { throw .badRequest("\(name) must be an RFC 3339 time.") }
        return date
    }
}

struct AuditEventView: Encodable {
    let event: AuditEvent

    init(_ event: AuditEvent) { self.event = event }

    enum CodingKeys: String, CodingKey {
        case id, action, target, outcome, ip, details, actor
        case tenantID = "tenant_id"
        case occurredAt = "occurred_at"
        case requestID = "request_id"
        case userAgent = "user_agent"
    }

    struct Actor: Encodable {
        let type: String
        let id: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(id, forKey: .id)
        }

        enum CodingKeys: String, CodingKey { case type, id }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.id, forKey: .id)
        try container.encode(event.tenantID, forKey: .tenantID)
        try container.encode(event.occurredAt, forKey: .occurredAt)
        try container.encode(Actor(type: event.actorType, id: event.actorID), forKey: .actor)
        try container.encode(event.action, forKey: .action)
        try container.encode(event.target, forKey: .target)
        try container.encode(event.outcome.rawValue, forKey: .outcome)
        try container.encode(event.requestID, forKey: .requestID)
        try container.encode(event.ip, forKey: .ip)
        try container.encode(event.userAgent, forKey: .userAgent)
        try container.encode(event.details, forKey: .details)
    }
}
