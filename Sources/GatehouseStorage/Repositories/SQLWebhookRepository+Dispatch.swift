import Foundation
import GatehouseCore
import SQLKit

/// Claiming and recording deliveries. A node claims due deliveries under a lease
/// (PostgreSQL: `FOR UPDATE OF d SKIP LOCKED`, so nodes never send the same attempt
/// twice; SQLite: the single writer); a node that dies mid-delivery leaves a lapsing
/// lease, and the delivery is sent again (receivers deduplicate on `webhook-id`).
extension SQLWebhookRepository {
    func claim(node: String, now: Date, leaseUntil: Date, limit: Int) async throws -> [ClaimedDelivery] {
        let nowMillis = SQLColumn.millis(now)
        let due: SQLQueryString = """
            FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
            WHERE ((d.state = 'pending' AND d.next_attempt_at <= \(bind: nowMillis))
                OR (d.state = 'delivering' AND d.lease_until < \(bind: nowMillis))) AND s.enabled = 1
            """
        // Idle polling is a read; only due work opens a write transaction.
        guard try await backend.read({ database in
            try await database.raw("SELECT d.id " + due + " LIMIT 1").first() != nil
        }) else { return [] }
        return try await backend.transaction { database in
            let lock = backend.engine == .postgres ? " FOR UPDATE OF d SKIP LOCKED" : ""
            let ids = try await database.raw(
                "SELECT d.id " + due + " ORDER BY d.next_attempt_at LIMIT \(literal: limit)\(unsafeRaw: lock)"
            ).all().map { try $0.string("id") }
            guard !ids.isEmpty else { return [] }
            // Three statements for the whole batch, whatever its size.
            try await database.raw("""
                UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, locked_by = \(bind: node),
                    lease_until = \(bind: SQLColumn.millis(leaseUntil))
                WHERE id IN (\(binds: ids))
                """).run()
            let rows = try await database.raw("""
                SELECT d.*, e.type, e.payload FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
                WHERE d.id IN (\(binds: ids)) ORDER BY d.id
                """).all()
            let deliveries = try rows.map { (try Self.delivery($0), try $0.string("payload")) }
            let subscriptionIDs = Array(Set(deliveries.map(\.0.subscriptionID.rawValue)))
            var subscriptions: [ResourceID: WebhookSubscription] = [:]
            for row in try await database.raw(
                "SELECT * FROM webhook_subscriptions WHERE id IN (\(binds: subscriptionIDs))"
            ).all() {
                let subscription = try Self.subscription(row)
                subscriptions[subscription.id] = subscription
            }
            return deliveries.compactMap { delivery, payload in
                subscriptions[delivery.subscriptionID].map {
                    ClaimedDelivery(delivery: delivery, subscription: $0, payload: payload)
                }
            }
        }
    }

    func record(_ attempts: [RecordedAttempt], node: String, disableAfter: TimeInterval) async throws {
        guard !attempts.isEmpty else { return }
        try await backend.transaction { database in
            for recorded in attempts.sorted(by: { $0.delivery < $1.delivery }) {
                try await record(
                    recorded.delivery, node: node, attempt: recorded.attempt, outcome: recorded.outcome,
                    disable: recorded.disable, disableAfter: disableAfter, on: database)
            }
        }
    }

    private func record(
        _ delivery: ResourceID, node: String, attempt: WebhookAttempt, outcome: DeliveryOutcome, disable: String?,
        disableAfter: TimeInterval, on database: any SQLDatabase
    ) async throws {
        do {
            guard let row = try await database.raw("""
                SELECT subscription_id FROM webhook_deliveries
                WHERE id = \(bind: delivery.rawValue) AND locked_by = \(bind: node) AND state = 'delivering'
                """).first() else { return }  // the lease passed to another node
            let subscription = try row.string("subscription_id")
            let at = SQLColumn.millis(attempt.at)
            try await database.raw("""
                INSERT INTO webhook_attempts (delivery_id, attempt, subscription_id, status_code, latency_ms, error, attempted_at)
                VALUES (\(bind: delivery.rawValue), \(bind: attempt.attempt), \(bind: subscription), \(bind: attempt.statusCode),
                    \(bind: attempt.latencyMilliseconds), \(bind: attempt.error), \(bind: at))
                ON CONFLICT (delivery_id, attempt) DO NOTHING
                """).run()
            switch outcome {
            case .delivered(let status):
                try await database.raw("""
                    UPDATE webhook_deliveries SET state = 'succeeded', last_status = \(bind: status), last_error = NULL,
                        delivered_at = \(bind: at), locked_by = NULL, lease_until = NULL
                    WHERE id = \(bind: delivery.rawValue)
                    """).run()
                try await database.raw(
                    "UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = \(bind: subscription)").run()
            case .failed(let status, let error, let retryAt):
                try await database.raw("""
                    UPDATE webhook_deliveries SET state = \(bind: retryAt == nil ? "failed" : "pending"),
                        next_attempt_at = \(bind: SQLColumn.millis(retryAt ?? attempt.at)), last_status = \(bind: status),
                        last_error = \(bind: error), locked_by = NULL, lease_until = NULL
                    WHERE id = \(bind: delivery.rawValue)
                    """).run()
                try await database.raw("""
                    UPDATE webhook_subscriptions SET failing_since = \(bind: at) WHERE id = \(bind: subscription) AND failing_since IS NULL
                    """).run()
                let cutoff = at - Int64(disableAfter * 1000)
                try await database.raw("""
                    UPDATE webhook_subscriptions SET enabled = 0,
                        disabled_reason = 'every delivery failed for longer than the configured time'
                    WHERE id = \(bind: subscription) AND enabled = 1 AND failing_since <= \(bind: cutoff)
                    """).run()
            }
            if let disable {
                try await database.raw("""
                    UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = \(bind: disable) WHERE id = \(bind: subscription)
                    """).run()
            }
            // A subscription disabled for failing ends its queued deliveries (redeliver resends
            // any of them once it is fixed and enabled again).
            if case .delivered = outcome, disable == nil { return }
            try await database.raw("""
                UPDATE webhook_deliveries SET state = 'failed', last_error = 'the subscription was disabled'
                WHERE subscription_id = \(bind: subscription) AND state = 'pending'
                    AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = \(bind: subscription) AND s.enabled = 0
                        AND s.disabled_reason IS NOT NULL)
                """).run()
        }
    }
}
