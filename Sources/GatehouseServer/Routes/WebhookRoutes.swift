import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/webhooks/tenants/{tenantId}/subscriptions` (SPEC §10): where a tenant's events
/// go. The signing secret (`whsec_…`) is shown once, on create and on rotation, and stored
/// sealed under the master key.
struct WebhookRoutes {
    let environment: ServerEnvironment
    var webhooks: any WebhookRepository { environment.store.webhooks }
    var limit: Int { environment.options.maxBodyBytes }
    var sealer: SecretSealer { SecretSealer(masterKey: environment.masterKey, purpose: SealPurpose.webhookSecrets) }
    var target: WebhookTarget { WebhookTarget(allowPrivate: environment.options.webhookAllowPrivateTargets) }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/webhooks/tenants/{tenantId}/subscriptions")
        group.post(use: create)
        group.get(use: list)
        group.get("{subscriptionId}", use: get)
        group.patch("{subscriptionId}", use: update)
        group.delete("{subscriptionId}", use: delete)
        group.post("{subscriptionId}/rotate-secret", use: rotateSecret)
        group.post("{subscriptionId}/test", use: test)
        group.get("{subscriptionId}/deliveries", use: deliveries)
        group.get("{subscriptionId}/deliveries/{deliveryId}", use: delivery)
        group.post("{subscriptionId}/deliveries/{deliveryId}/redeliver", use: redeliver)
    }

    struct CreateBody: Decodable {
        let url: String
        let eventTypes: [String]?
        let description: String?
        let enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case url, description, enabled
            case eventTypes = "event_types"
        }
    }

    func checkedURL(_ url: String) async throws -> String {
        do {
            try await target.check(url)
        } catch {
            throw GatehouseError.invalid("url", error.description)
        }
        return url
    }

    static func eventTypes(_ types: [String]) throws(GatehouseError) -> [String] {
        guard (1...50).contains(types.count) else { throw .invalid("event_types", "must list 1 to 50 event types") }
        for (index, type) in types.enumerated() where !WebhookEventType.isValidFilter(type) {
            throw .invalid("event_types[\(index)]", "must be *, a prefix such as key.*, or one of " + WebhookEventType.all.joined(separator: ", "))
        }
        return types
    }

    static func description(_ text: String?) throws(GatehouseError) -> String {
        guard let text, !text.isEmpty else { return "" }
        return try DisplayName.validate(text, field: "description", maximum: 500)
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: limit)
        let tenantID = try await environment.existingTenant(of: context)
        let url = try await checkedURL(body.url)
        let now = Timestamp.now
        let id = ResourceID.generate(.webhook, now: now)
        let secret = WebhookSignature.generateSecret()
        let subscription = WebhookSubscription(
            id: id, tenantID: tenantID, url: url, eventTypes: try Self.eventTypes(body.eventTypes ?? ["*"]),
            description: try Self.description(body.description), enabled: body.enabled ?? true,
            secretSealed: try sealer.seal(Data(secret.utf8), binding: id.rawValue), createdAt: now, updatedAt: now)
        try await webhooks.create(subscription, audit: context.auditEvent("webhook.create", target: id.rawValue))
        return try JSONResponse.make(SubscriptionView(subscription, secret: secret), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let list = "webhooks.subscriptions.\(tenantID)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await webhooks.list(tenant: tenantID, page: page)
        return try JSONResponse.make(ListEnvelope(page: result, list: list, codec: environment.cursors) { SubscriptionView($0) })
    }

    func subscription(_ context: GatehouseContext) async throws -> WebhookSubscription {
        let id = try context.pathID("subscriptionId", .webhook)
        guard let subscription = try await webhooks.get(id), subscription.tenantID == context.tenantID else {
            throw GatehouseError.notFound("This tenant has no webhook subscription with this id.")
        }
        return subscription
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        try JSONResponse.make(SubscriptionView(try await subscription(context)))
    }

    struct UpdateBody: Decodable {
        let url: String?
        let eventTypes: [String]?
        let description: String?
        let enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case url, description, enabled
            case eventTypes = "event_types"
        }
    }

    /// Re-enabling clears the failure clock and the reason it was disabled.
    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: limit)
        let existing = try await subscription(context)
        let url = try await body.url.asyncMap { try await checkedURL($0) }
        let types = try body.eventTypes.map { try Self.eventTypes($0) }
        let description = try body.description.map { try Self.description($0) }
        let updated = try await webhooks.update(existing.id, audit: context.auditEvent("webhook.update", target: existing.id.rawValue)) {
            if let url { $0.url = url }
            if let types { $0.eventTypes = types }
            if let description { $0.description = description }
            if let enabled = body.enabled {
                if enabled, !$0.enabled {
                    $0.failingSince = nil
                    $0.disabledReason = nil
                }
                $0.enabled = enabled
            }
            $0.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no webhook subscription with this id.") }
        return try JSONResponse.make(SubscriptionView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await subscription(context)
        _ = try await webhooks.delete(existing.id, audit: context.auditEvent("webhook.delete", target: existing.id.rawValue))
        return JSONResponse.noContent()
    }

    struct RotateBody: Decodable {
        let graceSeconds: Int?
        enum CodingKeys: String, CodingKey { case graceSeconds = "grace_seconds" }
    }

    /// A new secret; deliveries are signed with both until the grace period (default 24 h) ends.
    @Sendable func rotateSecret(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.bodyOrEmpty(as: RotateBody.self, limit: limit)
        let grace = body?.graceSeconds ?? 86_400
        guard (0...APIKeyRoutes.maximumGrace).contains(grace) else {
            throw GatehouseError.invalid("grace_seconds", "must be between 0 and \(APIKeyRoutes.maximumGrace)")
        }
        let existing = try await subscription(context)
        let secret = WebhookSignature.generateSecret()
        let sealed = try sealer.seal(Data(secret.utf8), binding: existing.id.rawValue)
        let updated = try await webhooks.update(
            existing.id, audit: context.auditEvent("webhook.rotate_secret", target: existing.id.rawValue)
        ) {
            let now = Timestamp.now
            $0.previousSecretSealed = grace > 0 ? $0.secretSealed : nil
            $0.previousSecretExpiresAt = grace > 0 ? now.addingTimeInterval(TimeInterval(grace)) : nil
            $0.secretSealed = sealed
            $0.updatedAt = now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no webhook subscription with this id.") }
        return try JSONResponse.make(SubscriptionView(updated, secret: secret))
    }

    @Sendable func test(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await subscription(context)
        guard existing.enabled else { throw GatehouseError.conflict("The subscription is disabled; enable it first.") }
        guard let delivery = try await webhooks.sendTest(to: existing, at: Timestamp.now) else {
            throw GatehouseError.conflict("The subscription is disabled; enable it first.")
        }
        environment.webhookWakeup.wake()
        return try JSONResponse.make(["delivery_id": delivery.rawValue], status: .accepted)
    }

    @Sendable func deliveries(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await subscription(context)
        let list = "webhooks.deliveries.\(existing.id)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await webhooks.deliveries(subscription: existing.id, page: page)
        return try JSONResponse.make(ListEnvelope(page: result, list: list, codec: environment.cursors) { DeliveryView($0) })
    }

    /// One delivery with every attempt (status code, latency, error).
    @Sendable func delivery(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await subscription(context)
        let id = try context.pathID("deliveryId", .delivery)
        guard let delivery = try await webhooks.delivery(id, subscription: existing.id) else {
            throw GatehouseError.notFound("This subscription has no delivery with this id.")
        }
        return try JSONResponse.make(DeliveryView(delivery, attempts: try await webhooks.attempts(delivery: id)))
    }

    @Sendable func redeliver(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await subscription(context)
        let id = try context.pathID("deliveryId", .delivery)
        guard try await webhooks.delivery(id, subscription: existing.id) != nil,
            let fresh = try await webhooks.redeliver(id, audit: context.auditEvent("webhook.redeliver", target: id.rawValue))
        else { throw GatehouseError.notFound("This subscription has no delivery with this id.") }
        environment.webhookWakeup.wake()
        return try JSONResponse.make(["delivery_id": fresh.rawValue], status: .accepted)
    }
}

