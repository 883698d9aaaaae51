import GatehouseCore
import GatehouseStorage
import Synchronization

/// What the hot path needs to know of every tenant — status, partner, budgets — held in
/// memory and kept current by ``ChangeFollower``, like the credential index.
public final class TenantDirectory: Sendable {
    public struct Entry: Sendable, Equatable {
        public var status: TenantStatus
        public var partnerID: ResourceID?
        /// The budget of each credential without one of its own.
        public var defaultRateLimit: RateLimit?
        /// The budget of the whole tenant.
        public var rateLimit: RateLimit?

        init(_ tenant: Tenant) {
            status = tenant.status
            partnerID = tenant.partnerID
            defaultRateLimit = tenant.settings.defaultRateLimit
            rateLimit = tenant.settings.rateLimit
        }
    }

    private let entries = Mutex<[ResourceID: Entry]>([:])

    public init() {}

    public func entry(_ id: ResourceID) -> Entry? {
        entries.withLock { $0[id] }
    }

    public func replaceAll(with tenants: [Tenant]) {
        var fresh: [ResourceID: Entry] = [:]
        for tenant in tenants { fresh[tenant.id] = Entry(tenant) }
        entries.withLock { $0 = fresh }
    }

    func update(_ id: ResourceID, with tenant: Tenant?) {
        entries.withLock { $0[id] = tenant.map(Entry.init) }
    }
}
