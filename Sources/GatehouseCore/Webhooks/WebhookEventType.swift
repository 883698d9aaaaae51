/// The events a webhook subscription can receive, and which audited change raises each.
/// Webhook events are derived from audit events inside the same transaction, so every
/// change that is recorded is also announced — and nothing else is.
public enum WebhookEventType {
    public static let all: [String] = [
        "key.created", "key.rotated", "key.revoked", "tenant.suspended", "credential.created", "credential.revealed",
        "credential.deleted", "user.created", "document.written", "document.deleted", "webhook.test",
    ]

    /// The webhook event an audit event raises, and the tenant it belongs to; `nil` when none.
    public static func raised(by event: AuditEvent) -> (type: String, tenantID: ResourceID)? {
        guard event.outcome == .success else { return nil }
        if event.action == "tenant.update", event.details["status"] == "suspended",
            let target = event.target, let tenant = ResourceID(target, kind: .tenant)
        {
            return ("tenant.suspended", tenant)
        }
        guard let tenant = event.tenantID else { return nil }
        let type: String? = switch event.action {
        case "api_key.create": "key.created"
        case "api_key.rotate": "key.rotated"
        case "api_key.revoke": "key.revoked"
        case "vault.credential.create": "credential.created"
        case "vault.credential.reveal": "credential.revealed"
        case "vault.credential.delete": "credential.deleted"
        case "user.create", "user.register": "user.created"
        case "document.write", "document.merge": "document.written"
        case "document.delete": "document.deleted"
        default: nil
        }
        return type.map { ($0, tenant) }
    }

    /// Whether a subscription's filter (`*`, exact types, or `prefix.*`) takes `type`.
    public static func matches(_ filter: [String], _ type: String) -> Bool {
        filter.contains { pattern in
            pattern == "*" || pattern == type || (pattern.hasSuffix(".*") && type.hasPrefix(String(pattern.dropLast())))
        }
    }

    /// Validates a filter entry.
    public static func isValidFilter(_ pattern: String) -> Bool {
        pattern == "*" || all.contains(pattern) || all.contains { $0.hasPrefix(pattern.dropLast()) && pattern.hasSuffix(".*") }
    }
}
