import GatehouseCore
import GatehouseStorage
import Synchronization

/// What the hot path needs to know of every tenant — its status and its partner — held in
/// memory and kept current by ``ChangeFollower``, like the credential index.
public final class TenantDirectory: Sendable {
    public struct Entry: Sendable, Equatable {
        public var status: TenantStatus
        public var partnerID: ResourceID?
    }

    private let entries = Mutex<[ResourceID: Entry]>([:])

    public init() {}

    public func entry(_ id: ResourceID) -> Entry? {
        entries.withLock { $0[id] }
    }

    public func replaceAll(with tenants: [Tenant]) {
        var fresh: [ResourceID: Entry] = [:]
        for tenant in tenants { fresh[tenant.id] = Entry(status: tenant.status, partnerID: tenant.partnerID) }
        entries.withLock { $0 = fresh }
    }

    func update(_ id: ResourceID, with tenant: Tenant?) {
        entries.withLock { $0[id] = tenant.map { Entry(status: $0.status, partnerID: $0.partnerID) } }
    }
}
