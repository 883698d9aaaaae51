import Foundation

/// A non-human principal that owns API keys: of a tenant, or of the platform
/// (`tenantID == nil`, created by `/admin/service-account/create`).
public struct ServiceAccount: Sendable, Equatable {
    public var id: ResourceID
    public var tenantID: ResourceID?
    public var name: String
    public var description: String?
    public var createdBy: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, tenantID: ResourceID?, name: String, description: String?, createdBy: String?,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.description = description
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
