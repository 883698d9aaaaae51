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
    func create(_ tenant: Tenant) async throws
    func get(_ id: ResourceID) async throws -> Tenant?
    func list(_ page: PageRequest, filter: TenantFilter) async throws -> Page<Tenant>
    /// Applies `change` to the stored tenant in one transaction; `nil` when it does not exist.
    func update(_ id: ResourceID, _ change: @Sendable (inout Tenant) throws -> Void) async throws -> Tenant?
    /// Deletes the tenant and everything it owns in one transaction.
    func delete(_ id: ResourceID) async throws -> Bool
    func stats(_ id: ResourceID) async throws -> TenantStats?
}

public protocol PartnerRepository: Sendable {
    func create(_ partner: Partner) async throws
    func get(_ id: ResourceID) async throws -> Partner?
    func list(_ page: PageRequest) async throws -> Page<Partner>
    func update(_ id: ResourceID, _ change: @Sendable (inout Partner) throws -> Void) async throws -> Partner?
    /// Deletes a partner that has no tenants left; `conflict` otherwise.
    func delete(_ id: ResourceID) async throws -> Bool
    func tenantCount(_ id: ResourceID) async throws -> Int
}

public protocol APIKeyRepository: Sendable {
    func insert(_ key: APIKeyRecord, secretHash: String) async throws
    func get(_ id: ResourceID) async throws -> APIKeyRecord?
    /// Every key that is not revoked, with its unexpired secrets: what the in-memory index holds.
    func liveKeys(now: Date) async throws -> [(key: APIKeyRecord, secrets: [APIKeySecretRecord])]
    /// One key and its unexpired secrets, if it is not revoked.
    func liveKey(_ id: ResourceID, now: Date) async throws -> (key: APIKeyRecord, secrets: [APIKeySecretRecord])?
    /// Revokes every live key of `owner`; returns how many.
    func revokeAll(owner: APIKeyRecord.Owner, at: Date) async throws -> Int
    func countLive(owner: APIKeyRecord.Owner) async throws -> Int
}

/// A change another node must learn about (a key revoked, a tenant suspended).
public struct ChangeEvent: Sendable, Equatable {
    public enum Topic: String, Sendable {
        case tenant
        case partner
        case apiKey = "api_key"
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
