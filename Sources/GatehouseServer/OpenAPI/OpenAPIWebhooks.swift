import GatehouseCore

extension OpenAPIDocument {
    /// Webhook subscriptions and their delivery log (SPEC §10).
    static let webhookOperations: [OpenAPIOperation] = {
        let base = "/api/v1/webhooks/tenants/{tenantId}/subscriptions"
        let one = base + "/{subscriptionId}"
        return [
            .init(method: "POST", path: base, summary: "Subscribe a URL to event types; the whsec_ secret is shown once",
                  tag: "webhooks", access: .scoped, requestSchema: "CreateWebhook", success: (201, "Webhook")),
            .init(method: "GET", path: base, summary: "List subscriptions", tag: "webhooks", access: .scoped,
                  success: (200, "WebhookList"), isList: true),
            .init(method: "GET", path: one, summary: "Get a subscription", tag: "webhooks", access: .scoped,
                  success: (200, "Webhook")),
            .init(method: "PATCH", path: one, summary: "Change url, event types, description or enabled (re-enabling clears the failure clock)",
                  tag: "webhooks", access: .scoped, requestSchema: "UpdateWebhook", success: (200, "Webhook")),
            .init(method: "DELETE", path: one, summary: "Delete a subscription and its delivery log", tag: "webhooks",
                  access: .scoped, success: (204, nil)),
            .init(method: "POST", path: one + "/rotate-secret",
                  summary: "New secret (shown once); the previous one also signs for grace_seconds (default 86400)",
                  tag: "webhooks", access: .scoped, success: (200, "Webhook")),
            .init(method: "POST", path: one + "/test", summary: "Send a webhook.test event to this subscription",
                  tag: "webhooks", access: .scoped, success: (202, "DeliveryID")),
            .init(method: "GET", path: one + "/deliveries", summary: "The delivery log: state, attempts, last status",
                  tag: "webhooks", access: .scoped, success: (200, "DeliveryList"), isList: true),
            .init(method: "GET", path: one + "/deliveries/{deliveryId}",
                  summary: "One delivery with every attempt (status code, latency, error)", tag: "webhooks",
                  access: .scoped, success: (200, "Delivery")),
            .init(method: "POST", path: one + "/deliveries/{deliveryId}/redeliver", summary: "Send the same event again",
                  tag: "webhooks", access: .scoped, success: (202, "DeliveryID")),
        ]
    }()
}

extension OpenAPISchemas {
    static let eventTypes: JSONValue = .object(["type": "array", "items": string, "minItems": 1, "maxItems": 50])

    static let webhooks: [String: JSONValue] = [
        "CreateWebhook": object([
            "url": .object(["type": "string", "format": "uri"]), "event_types": eventTypes,
            "description": .object(["type": "string", "maxLength": 500]), "enabled": .object(["type": "boolean"]),
        ], required: ["url"]),
        "UpdateWebhook": object([
            "url": .object(["type": "string", "format": "uri"]), "event_types": eventTypes,
            "description": .object(["type": "string", "maxLength": 500]), "enabled": .object(["type": "boolean"]),
        ]),
        "Webhook": object([
            "id": string, "tenant_id": string, "url": string, "event_types": eventTypes, "description": string,
            "enabled": .object(["type": "boolean"]), "secret": .object(["type": "string", "description": "Only on create and rotation"]),
            "previous_secret_expires_at": nullable("string"), "failing_since": nullable("string"),
            "disabled_reason": nullable("string"), "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "tenant_id", "url", "event_types", "enabled"]),
        "WebhookList": list(of: "Webhook"),
        "Delivery": object([
            "id": string, "event_id": string, "type": string,
            "state": .object(["type": "string", "enum": ["pending", "delivering", "succeeded", "failed"]]),
            "attempt_count": integer, "next_attempt_at": timestamp, "last_status": nullable("integer"),
            "last_error": nullable("string"), "created_at": timestamp, "delivered_at": nullable("string"),
            "attempts": .object(["type": "array", "items": object([
                "attempt": integer, "status_code": nullable("integer"), "latency_ms": integer, "error": nullable("string"),
                "at": timestamp,
            ])]),
        ], required: ["id", "event_id", "type", "state", "attempt_count"]),
        "DeliveryList": list(of: "Delivery"),
        "DeliveryID": object(["delivery_id": string], required: ["delivery_id"]),
    ]
}
