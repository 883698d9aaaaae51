import Foundation
import GatehouseCore
import SQLKit

/// A delivery claimed for sending: what to send and where.
public struct ClaimedDelivery: Sendable {
    public var delivery: WebhookDelivery
    public var subscription: WebhookSubscription
    public var payload: String
}

/// One finished attempt, to record.
public struct RecordedAttempt: Sendable {
    public var delivery: ResourceID
    public var attempt: WebhookAttempt
    public var outcome: DeliveryOutcome
    /// Why to disable the subscription (`410 Gone`), if so.
    public var disable: String?

    public init(delivery: ResourceID, attempt: WebhookAttempt, outcome: DeliveryOutcome, disable: String?) {
        self.delivery = delivery
        self.attempt = attempt
        self.outcome = outcome
        self.disable = disable
    }
}

/// What one attempt came to.
public enum DeliveryOutcome: Sendable {
    case delivered(status: Int)
    /// Try again at `retryAt`, or give up (`nil`).
    case failed(status: Int?, error: String?, retryAt: Date?)
}

public protocol WebhookRepository: Sendable {
    func create(_ subscription: WebhookSubscription, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> WebhookSubscription?
    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<WebhookSubscription>
    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout WebhookSubscription) throws -> Void
    ) async throws -> WebhookSubscription?
    /// Deletes the subscription, its deliveries and their attempts.
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    func deliveries(subscription: ResourceID, page: PageRequest) async throws -> Page<WebhookDelivery>
    func attempts(delivery: ResourceID) async throws -> [WebhookAttempt]
    /// One delivery of one subscription.
    func delivery(_ id: ResourceID, subscription: ResourceID) async throws -> WebhookDelivery?
    /// A new delivery of the same event to the same subscription, due now.
    func redeliver(_ delivery: ResourceID, audit: AuditEvent?) async throws -> ResourceID?
    /// A `webhook.test` event for one subscription; returns its delivery.
    func sendTest(to subscription: WebhookSubscription, at: Date) async throws -> ResourceID?
    /// Claims up to `limit` due deliveries of enabled subscriptions for `node`.
    func claim(node: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery]
    /// Records attempts' outcomes in one transaction (each unless its node lost the
    /// delivery), updating subscriptions' failure clocks and disabling where asked.
    func record(_ attempts: [RecordedAttempt], node: String, disableAfter: TimeInterval) async throws
}

struct SQLWebhookRepository: WebhookRepository {
    let backend: any DatabaseBackend

    func create(_ subscription: WebhookSubscription, audit: AuditEvent?) async throws {
        try await backend.transaction { database in
            try await database.raw("""
                INSERT INTO webhook_subscriptions (id, tenant_id, url, event_types, description, enabled, secret_sealed,
                    created_at, updated_at)
                VALUES (\(bind: subscription.id.rawValue), \(bind: subscription.tenantID.rawValue), \(bind: subscription.url),
                    \(bind: SQLColumn.json(subscription.eventTypes)), \(bind: subscription.description),
                    \(bind: subscription.enabled ? 1 : 0), \(bind: subscription.secretSealed),
                    \(bind: SQLColumn.millis(subscription.createdAt)), \(bind: SQLColumn.millis(subscription.updatedAt)))
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
        }
    }

    func get(_ id: ResourceID) async throws -> WebhookSubscription? {
        try await backend.read { database in
            try await database.raw("SELECT * FROM webhook_subscriptions WHERE id = \(bind: id.rawValue)").first()
                .map(Self.subscription)
        }
    }

    func list(tenant: ResourceID, page: PageRequest) async throws -> Page<WebhookSubscription> {
        let query = PagedQuery(page: page)
        return try await backend.read { database in
            try await query.run(
                "webhook_subscriptions", where: " WHERE tenant_id = \(bind: tenant.rawValue)", on: database,
                decode: Self.subscription, id: \.id.rawValue)
        }
    }

    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout WebhookSubscription) throws -> Void
    ) async throws -> WebhookSubscription? {
        try await backend.transaction { database in
            guard
                var subscription = try await database.raw(
                    "SELECT * FROM webhook_subscriptions WHERE id = \(bind: id.rawValue)\(unsafeRaw: backend.forUpdate)"
                ).first().map(Self.subscription)
            else { return nil }
            try change(&subscription)
            try await database.raw("""
                UPDATE webhook_subscriptions SET url = \(bind: subscription.url),
                    event_types = \(bind: SQLColumn.json(subscription.eventTypes)), description = \(bind: subscription.description),
                    enabled = \(bind: subscription.enabled ? 1 : 0), secret_sealed = \(bind: subscription.secretSealed),
                    previous_secret_sealed = \(bind: subscription.previousSecretSealed),
                    previous_secret_expires_at = \(bind: SQLColumn.millis(subscription.previousSecretExpiresAt)),
                    failing_since = \(bind: SQLColumn.millis(subscription.failingSince)),
                    disabled_reason = \(bind: subscription.disabledReason),
                    updated_at = \(bind: SQLColumn.millis(subscription.updatedAt))
                WHERE id = \(bind: id.rawValue)
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return subscription
        }
    }

    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool {
        try await backend.transaction { database in
            let deleted = try await database.raw(
                "DELETE FROM webhook_subscriptions WHERE id = \(bind: id.rawValue) RETURNING id").all()
            guard !deleted.isEmpty else { return false }
            try await database.raw("DELETE FROM webhook_attempts WHERE subscription_id = \(bind: id.rawValue)").run()
            try await database.raw("DELETE FROM webhook_deliveries WHERE subscription_id = \(bind: id.rawValue)").run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return true
        }
    }

    func deliveries(subscription: ResourceID, page: PageRequest) async throws -> Page<WebhookDelivery> {
        let query = PagedQuery(page: page, column: "d.id")
        return try await backend.read { database in
            let total = try await database.raw(
                "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE subscription_id = \(bind: subscription.rawValue)"
            ).first()?.int("n") ?? 0
            let rows = try await database.raw("""
                SELECT d.*, e.type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                WHERE d.subscription_id = \(bind: subscription.rawValue)
                """ + query.keysetClause + query.tail).all().map(Self.delivery)
            return query.makePage(rows, total: total, id: \.id.rawValue)
        }
    }

    func delivery(_ id: ResourceID, subscription: ResourceID) async throws -> WebhookDelivery? {
        try await backend.read { database in
            try await database.raw("""
                SELECT d.*, e.type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                WHERE d.id = \(bind: id.rawValue) AND d.subscription_id = \(bind: subscription.rawValue)
                """).first().map(Self.delivery)
        }
    }

    func attempts(delivery: ResourceID) async throws -> [WebhookAttempt] {
        try await backend.read { database in
            try await database.raw(
                "SELECT * FROM webhook_attempts WHERE delivery_id = \(bind: delivery.rawValue) ORDER BY attempt"
            ).all().map { row in
                WebhookAttempt(
                    attempt: try row.int("attempt"), statusCode: try row.decode(column: "status_code", as: Int?.self),
                    latencyMilliseconds: try row.decode(column: "latency_ms", as: Int64.self),
                    error: try row.optionalString("error"), at: try row.date("attempted_at"))
            }
        }
    }

    func redeliver(_ delivery: ResourceID, audit: AuditEvent?) async throws -> ResourceID? {
        try await backend.transaction { database in
            guard let row = try await database.raw(
                "SELECT event_id, subscription_id, tenant_id FROM webhook_deliveries WHERE id = \(bind: delivery.rawValue)"
            ).first() else { return nil }
            let now = Timestamp.now
            let id = ResourceID.generate(.delivery, now: now)
            try await database.raw("""
                INSERT INTO webhook_deliveries (id, event_id, subscription_id, tenant_id, state, attempts, next_attempt_at, created_at)
                VALUES (\(bind: id.rawValue), \(bind: try row.string("event_id")), \(bind: try row.string("subscription_id")),
                    \(bind: try row.string("tenant_id")), 'pending', 0, \(bind: SQLColumn.millis(now)), \(bind: SQLColumn.millis(now)))
                """).run()
            try await SQLAuditLog.record(audit, on: database, engine: backend.engine)
            return id
        }
    }

    func sendTest(to subscription: WebhookSubscription, at date: Date) async throws -> ResourceID? {
        try await backend.transaction { database in
            try await SQLWebhookOutbox.enqueue(
                type: "webhook.test", tenant: subscription.tenantID,
                data: ["subscription_id": .string(subscription.id.rawValue), "message": "This is a test event."], at: date,
                only: subscription.id, on: database
            ).first
        }
    }

    static func subscription(_ row: any SQLRow) throws -> WebhookSubscription {
        var subscription = WebhookSubscription(
            id: try row.id("id", .webhook), tenantID: try row.id("tenant_id", .tenant), url: try row.string("url"),
            eventTypes: try row.json("event_types", as: [String].self), description: try row.string("description"),
            enabled: try row.int("enabled") != 0, secretSealed: try row.string("secret_sealed"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
        subscription.previousSecretSealed = try row.optionalString("previous_secret_sealed")
        subscription.previousSecretExpiresAt = try row.optionalDate("previous_secret_expires_at")
        subscription.failingSince = try row.optionalDate("failing_since")
        subscription.disabledReason = try row.optionalString("disabled_reason")
        return subscription
    }

    static func delivery(_ row: any SQLRow) throws -> WebhookDelivery {
        guard let state = WebhookDelivery.State(rawValue: try row.string("state")) else {
            throw StorageError.corrupt("webhook_deliveries.state")
        }
        return WebhookDelivery(
            id: try row.id("id", .delivery), eventID: try row.id("event_id", .message),
            subscriptionID: try row.id("subscription_id", .webhook), tenantID: try row.id("tenant_id", .tenant),
            type: try row.string("type"), state: state, attempts: try row.int("attempts"),
            nextAttemptAt: try row.date("next_attempt_at"), lastStatus: try row.decode(column: "last_status", as: Int?.self),
            lastError: try row.optionalString("last_error"), createdAt: try row.date("created_at"),
            deliveredAt: try row.optionalDate("delivered_at"))
    }
}
