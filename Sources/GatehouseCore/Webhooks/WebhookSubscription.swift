import Foundation

/// Where a tenant wants events delivered (SPEC §10). The signing secret is stored sealed;
/// after a rotation the previous one keeps signing (alongside) until it expires.
public struct WebhookSubscription: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID
    public var url: String
    public var eventTypes: [String]
    public var description: String
    public var enabled: Bool
    public var secretSealed: String
    public var previousSecretSealed: String?
    public var previousSecretExpiresAt: Date?
    /// Since when every delivery has failed (cleared by a success); past the configured
    /// time the subscription is disabled.
    public var failingSince: Date?
    /// Why it was disabled automatically (`410 Gone`, failing too long).
    public var disabledReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, tenantID: ResourceID, url: String, eventTypes: [String], description: String, enabled: Bool,
        secretSealed: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenantID = tenantID
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.enabled = enabled
        self.secretSealed = secretSealed
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One event on its way to one subscription.
public struct WebhookDelivery: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending
        case delivering
        case succeeded
        /// Out of attempts, or its subscription was disabled.
        case failed
    }

    public var id: ResourceID
    public var eventID: ResourceID
    public var subscriptionID: ResourceID
    public var tenantID: ResourceID
    public var type: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(
        id: ResourceID, eventID: ResourceID, subscriptionID: ResourceID, tenantID: ResourceID, type: String, state: State,
        attempts: Int, nextAttemptAt: Date, lastStatus: Int?, lastError: String?, createdAt: Date, deliveredAt: Date?
    ) {
        self.id = id
        self.eventID = eventID
        self.subscriptionID = subscriptionID
        self.tenantID = tenantID
        self.type = type
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// One HTTP attempt of a delivery, for the delivery log.
public struct WebhookAttempt: Sendable, Equatable {
    public var attempt: Int
    public var statusCode: Int?
    public var latencyMilliseconds: Int64
    public var error: String?
    public var at: Date

    public init(attempt: Int, statusCode: Int?, latencyMilliseconds: Int64, error: String?, at: Date) {
        self.attempt = attempt
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
        self.at = at
    }
}
