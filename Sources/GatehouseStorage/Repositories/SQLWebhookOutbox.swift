import Foundation
import GatehouseCore
import SQLKit

/// The durable outbox: an audited change that raises a webhook event writes the event
/// and a delivery per matching enabled subscription in the change's own transaction, so
/// a change that commits is always delivered (even if the node dies right after) and a
/// change that rolls back never is.
enum SQLWebhookOutbox {
    static func enqueue(for audit: AuditEvent, on database: any SQLDatabase) async throws {
        guard let (type, tenant) = WebhookEventType.raised(by: audit) else { return }
        var data: [String: JSONValue] = [
            "tenant_id": .string(tenant.rawValue),
            "actor": ["type": .string(audit.actorType), "id": audit.actorID.map(JSONValue.string) ?? .null],
            "details": .object(audit.details.mapValues(JSONValue.string)),
            "request_id": audit.requestID.map(JSONValue.string) ?? .null,
        ]
        if let target = audit.target { data["id"] = .string(target) }
        try await enqueue(type: type, tenant: tenant, data: .object(data), at: audit.occurredAt, only: nil, on: database)
    }

    /// Writes the event and its deliveries; `only` restricts them to one subscription (tests).
    @discardableResult
    static func enqueue(
        type: String, tenant: ResourceID, data: JSONValue, at date: Date, only: ResourceID?, on database: any SQLDatabase
    ) async throws -> [ResourceID] {
        var condition: SQLQueryString = "tenant_id = \(bind: tenant.rawValue) AND enabled = 1"
        if let only { condition = condition + " AND id = \(bind: only.rawValue)" }
        let subscriptions = try await database.raw("SELECT id, event_types FROM webhook_subscriptions WHERE " + condition).all()
            .filter { row in try only != nil || WebhookEventType.matches(row.json("event_types", as: [String].self), type) }
        guard !subscriptions.isEmpty else { return [] }
        let eventID = ResourceID.generate(.message, now: date)
        let payload: JSONValue = ["type": .string(type), "timestamp": .string(Timestamp.format(date)), "data": data]
        try await database.raw("""
            INSERT INTO webhook_events (id, tenant_id, type, payload, created_at)
            VALUES (\(bind: eventID.rawValue), \(bind: tenant.rawValue), \(bind: type), \(bind: SQLColumn.json(payload)),
                \(bind: SQLColumn.millis(date)))
            """).run()
        var deliveries: [ResourceID] = []
        for row in subscriptions {
            let id = ResourceID.generate(.delivery, now: date)
            try await database.raw("""
                INSERT INTO webhook_deliveries (id, event_id, subscription_id, tenant_id, state, attempts, next_attempt_at, created_at)
                VALUES (\(bind: id.rawValue), \(bind: eventID.rawValue), \(bind: try row.string("id")), \(bind: tenant.rawValue),
                    'pending', 0, \(bind: SQLColumn.millis(date)), \(bind: SQLColumn.millis(date)))
                """).run()
            deliveries.append(id)
        }
        return deliveries
    }
}
