import Foundation
import GatehouseCore

/// Filters of the tenant list.
public struct TenantFilter: Sendable, Equatable {
    public var partnerID: ResourceID?
    public var status: TenantStatus?

    public init(partnerID: ResourceID? = nil, status: TenantStatus? = nil) {
        self.partnerID = partnerID
        self.status = status
    }
}

/// Counts shown by `GET /admin/tenants/{id}/stats`.
public struct TenantStats: Sendable, Equatable {
    public var activeKeys: Int
    public var revokedKeys: Int

    public init(activeKeys: Int, revokedKeys: Int) {
        self.activeKeys = activeKeys
        self.revokedKeys = revokedKeys
    }
}

public protocol TenantRepository: Sendable {
    /// Inserts `tenant`; fails with `validationFailed` when its partner does not exist.
    func create(_ tenant: Tenant, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> Tenant?
    func list(_ page: PageRequest, filter: TenantFilter) async throws -> Page<Tenant>
    /// Applies `change` to the stored tenant in one transaction; `nil` when it does not exist.
    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout Tenant) throws -> Void
    ) async throws -> Tenant?
    /// Deletes the tenant and everything it owns in one transaction.
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    func stats(_ id: ResourceID) async throws -> TenantStats?
    /// Every tenant, for the in-memory directory the hot path consults.
    func all() async throws -> [Tenant]
}

public protocol PartnerRepository: Sendable {
    func create(_ partner: Partner, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> Partner?
    func list(_ page: PageRequest) async throws -> Page<Partner>
    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout Partner) throws -> Void
    ) async throws -> Partner?
    /// Deletes a partner that has no tenants left; `conflict` otherwise.
    func delete(_ id: ResourceID, audit: AuditEvent?) async throws -> Bool
    func tenantCount(_ id: ResourceID) async throws -> Int
}

/// A key with the secrets the in-memory index holds for it.
public typealias IndexedKey = (key: APIKeyRecord, secrets: [APIKeySecretRecord])

public protocol APIKeyRepository: Sendable {
    func insert(_ key: APIKeyRecord, secretHash: String, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> APIKeyRecord?
    /// Keys of a tenant (or of no tenant), in id order.
    func list(tenant: ResourceID?, page: PageRequest) async throws -> Page<APIKeyRecord>
    /// Every key with its recent secrets (revoked keys included, so a denial can say
    /// "revoked"): what the in-memory index holds.
    func indexedKeys(now: Date) async throws -> [IndexedKey]
    func indexedKey(_ id: ResourceID, now: Date) async throws -> IndexedKey?
    /// Applies `change` in one transaction; `nil` when the key does not exist.
    func update(
        _ id: ResourceID, audit: AuditEvent?, _ change: @Sendable (inout APIKeyRecord) throws -> Void
    ) async throws -> APIKeyRecord?
    /// Adds `newHash` as the key's current secret; the previous current secret stays valid
    /// until `graceUntil`, and any older one ends now, so at most two secrets are live.
    func rotate(
        _ id: ResourceID, newHash: String, newStart: String, graceUntil: Date, now: Date, audit: AuditEvent?
    ) async throws -> APIKeyRecord?
    /// Revokes every live key of `owner` (with `ownerID`, when given); returns how many.
    func revokeAll(owner: APIKeyRecord.Owner, ownerID: String?, at: Date, audit: AuditEvent?) async throws -> Int
    func countLive(owner: APIKeyRecord.Owner) async throws -> Int
    /// Records when keys were last used, in one transaction.
    func recordUse(_ uses: [ResourceID: Date]) async throws
}

public protocol ServiceAccountRepository: Sendable {
    func create(_ account: ServiceAccount, audit: AuditEvent?) async throws
    func get(_ id: ResourceID) async throws -> ServiceAccount?
    func list(tenant: ResourceID?, page: PageRequest) async throws -> Page<ServiceAccount>
    /// Deletes the account and revokes its keys in one transaction.
    func delete(_ id: ResourceID, at: Date, audit: AuditEvent?) async throws -> Bool
}

/// A change another node must learn about (a key revoked, a tenant suspended).
public struct ChangeEvent: Sendable, Equatable {
    public enum Topic: String, Sendable {
        case tenant
        case partner
        case apiKey = "api_key"
        case signingKey = "signing_key"
        case oauthClient = "oauth_client"
        case revokedToken = "revoked_token"
        case user
    }

    public var sequence: Int64
    public var topic: Topic
    public var entityID: String
}

/// The ordered record of changes that caches on every node follow.
public protocol ChangeFeed: Sendable {
    /// Changes after `sequence`, oldest first.
    func changes(after sequence: Int64, limit: Int) async throws -> [ChangeEvent]
    func latestSequence() async throws -> Int64
    /// Removes entries older than `date`.
    func prune(before date: Date) async throws
}
