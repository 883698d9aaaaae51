import Foundation
import GatehouseCore

struct SubscriptionView: Encodable {
    let subscription: WebhookSubscription
    var secret: String?

    init(_ subscription: WebhookSubscription, secret: String? = nil) {
        self.subscription = subscription
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, url, description, enabled, secret
        case tenantID = "tenant_id"
        case eventTypes = "event_types"
        case previousSecretExpiresAt = "previous_secret_expires_at"
        case failingSince = "failing_since"
        case disabledReason = "disabled_reason"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subscription.id, forKey: .id)
        try container.encode(subscription.tenantID, forKey: .tenantID)
        try container.encode(subscription.url, forKey: .url)
        try container.encode(subscription.eventTypes, forKey: .eventTypes)
        try container.encode(subscription.description, forKey: .description)
        try container.encode(subscription.enabled, forKey: .enabled)
        try container.encode(subscription.previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
        try container.encode(subscription.failingSince, forKey: .failingSince)
        try container.encode(subscription.disabledReason, forKey: .disabledReason)
        try container.encode(subscription.createdAt, forKey: .createdAt)
        try container.encode(subscription.updatedAt, forKey: .updatedAt)
        if let secret { try container.encode(secret, forKey: .secret) }
    }
}

struct DeliveryView: Encodable {
    let delivery: WebhookDelivery
    var attempts: [WebhookAttempt]?

    init(_ delivery: WebhookDelivery, attempts: [WebhookAttempt]? = nil) {
        self.delivery = delivery
        self.attempts = attempts
    }

    struct AttemptView: Encodable {
        let attempt: Int
        let status_code: Int?
        let latency_ms: Int64
        let error: String?
        let at: Date
    }

    enum CodingKeys: String, CodingKey {
        case id, type, state, attempts
        case eventID = "event_id"
        case attemptCount = "attempt_count"
        case nextAttemptAt = "next_attempt_at"
        case lastStatus = "last_status"
        case lastError = "last_error"
        case createdAt = "created_at"
        case deliveredAt = "delivered_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(delivery.id, forKey: .id)
        try container.encode(delivery.eventID, forKey: .eventID)
        try container.encode(delivery.type, forKey: .type)
        try container.encode(delivery.state.rawValue, forKey: .state)
        try container.encode(delivery.attempts, forKey: .attemptCount)
        try container.encode(delivery.nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(delivery.lastStatus, forKey: .lastStatus)
        try container.encode(delivery.lastError, forKey: .lastError)
        try container.encode(delivery.createdAt, forKey: .createdAt)
        try container.encode(delivery.deliveredAt, forKey: .deliveredAt)
        if let attempts {
            try container.encode(
                attempts.map {
                    AttemptView(attempt: $0.attempt, status_code: $0.statusCode, latency_ms: $0.latencyMilliseconds, error: $0.error, at: $0.at)
                }, forKey: .attempts)
        }
    }
}
