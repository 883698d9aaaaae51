import Foundation
import GatehouseCore
import GatehouseStorage

/// Creating the platform admin credential (`gatehouse bootstrap`).
public enum PlatformAdmin {
    public static let keyPrefix = "gkadmin"

    public enum Outcome: Sendable, Equatable {
        /// A credential exists and `force` was not given.
        case refused(existing: Int)
        /// The new secret, and how many earlier credentials were revoked.
        case created(secret: String, revoked: Int)
    }

    public static func bootstrap(store: Store, force: Bool, now: Date = Timestamp.now) async throws -> Outcome {
        let existing = try await store.apiKeys.countLive(owner: .platformAdmin)
        if existing > 0 && !force { return .refused(existing: existing) }
        let revoked =
            existing > 0
            ? try await store.apiKeys.revokeAll(
                owner: .platformAdmin, ownerID: nil, at: now,
                audit: AuditEvent(tenantID: nil, actorType: "system", actorID: "bootstrap", action: "api_key.revoke", target: "platform_admin"))
            : 0
        let secret = APIKeyFormat.generate(prefix: keyPrefix)
        let key = APIKeyRecord(
            id: .generate(.apiKey, now: now), tenantID: nil, owner: .platformAdmin, ownerID: nil,
            name: "Platform admin", start: APIKeyFormat.start(of: secret), scopes: ["*"], permissions: ["*"],
            createdBy: "bootstrap", createdAt: now, updatedAt: now)
        try await store.apiKeys.insert(
            key, secretHash: APIKeyFormat.hash(secret),
            audit: AuditEvent(
                tenantID: nil, actorType: "system", actorID: "bootstrap", action: "api_key.create", target: key.id.rawValue))
        return .created(secret: secret, revoked: revoked)
    }
}
