import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/admin/tenants` — SPEC §2 Tenancy, §10 Admin.
struct AdminTenantRoutes {
    let environment: ServerEnvironment
    var tenants: any TenantRepository { environment.store.tenants }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/admin/tenants")
        group.post(use: create)
        group.get(use: list)
        group.get("{tenantId}", use: get)
        group.patch("{tenantId}", use: update)
        group.delete("{tenantId}", use: delete)
        group.get("{tenantId}/stats", use: stats)
    }

    struct CreateBody: Decodable {
        let name: String
        let partnerID: String?
        let settings: JSONValue?

        enum CodingKeys: String, CodingKey {
            case name, settings
            case partnerID = "partner_id"
        }
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let now = Timestamp.now
        let tenant = Tenant(
            id: .generate(.tenant, now: now),
            name: try DisplayName.validate(body.name),
            status: .active,
            partnerID: try body.partnerID.map { try PartnerIDField.parse($0) },
            settings: try TenantSettings().merging(body.settings ?? .object([:])),
            createdAt: now, updatedAt: now)
        try await tenants.create(tenant, audit: context.auditEvent("tenant.create", target: tenant.id.rawValue, tenant: .some(nil)))
        // Read-your-writes on this node; the change feed tells the others.
        environment.tenants.update(tenant.id, with: tenant)
        return try JSONResponse.make(TenantView(tenant), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let page = try request.pageRequest(list: "admin.tenants", codec: environment.cursors)
        var filter = TenantFilter()
        if let partner = try request.query("partner_id") { filter.partnerID = try PartnerIDField.parse(partner, in: "query") }
        if let status = try request.query("status") {
            guard let parsed = TenantStatus(rawValue: status) else {
                throw GatehouseError.badRequest("status must be active or suspended.")
            }
            filter.status = parsed
        }
        let result = try await tenants.list(page, filter: filter)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: "admin.tenants", codec: environment.cursors, render: TenantView.init))
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("tenantId", .tenant)
        guard let tenant = try await tenants.get(id) else { throw GatehouseError.notFound("No tenant has this id.") }
        return try JSONResponse.make(TenantView(tenant))
    }

    /// `null` for `partner_id` detaches the tenant; `settings` is an RFC 7396 merge patch.
    struct UpdateBody: Decodable {
        let name: String?
        let status: TenantStatus?
        let partnerID: String??
        let settings: JSONValue?

        enum CodingKeys: String, CodingKey {
            case name, status, settings
            case partnerID = "partner_id"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            status = try container.decodeIfPresent(TenantStatus.self, forKey: .status)
            settings = try container.decodeIfPresent(JSONValue.self, forKey: .settings)
            if container.contains(.partnerID) {
                partnerID = .some(try container.decodeIfPresent(String.self, forKey: .partnerID))
            } else {
                partnerID = nil
            }
        }
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("tenantId", .tenant)
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: environment.options.maxBodyBytes)
        if context.principal?.isPlatform != true, body.status != nil || body.partnerID != nil {
            throw GatehouseError.permissionDenied("Only the platform changes a tenant's status or partner.")
        }
        let name = try body.name.map { try DisplayName.validate($0) }
        let partner: ResourceID?? = try body.partnerID.map { raw in try raw.map { try PartnerIDField.parse($0) } }
        let settingsPatch = body.settings
        let status = body.status
        let audit = context.auditEvent(
            "tenant.update", target: id.rawValue, tenant: .some(nil),
            details: status.map { ["status": $0.rawValue] } ?? [:])
        let updated = try await tenants.update(id, audit: audit) { tenant in
            if let name { tenant.name = name }
            if let status { tenant.status = status }
            if let partner { tenant.partnerID = partner }
            if let settingsPatch { tenant.settings = try tenant.settings.merging(settingsPatch) }
            tenant.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("No tenant has this id.") }
        environment.tenants.update(id, with: updated)
        return try JSONResponse.make(TenantView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("tenantId", .tenant)
        guard try await tenants.delete(id, audit: context.auditEvent("tenant.delete", target: id.rawValue, tenant: .some(nil)))
        else { throw GatehouseError.notFound("No tenant has this id.") }
        environment.index.removeTenant(id)
        environment.tenants.update(id, with: nil)
        return JSONResponse.noContent()
    }

    @Sendable func stats(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("tenantId", .tenant)
        guard let stats = try await tenants.stats(id) else { throw GatehouseError.notFound("No tenant has this id.") }
        return try JSONResponse.make(TenantStatsView(tenantID: id, stats: stats))
    }
}

enum PartnerIDField {
    static func parse(_ raw: String, in location: String = "body") throws(GatehouseError) -> ResourceID {
        guard let id = ResourceID(raw, kind: .partner) else {
            if location == "query" { throw .badRequest("partner_id is not a valid partner id (ptn_…).") }
            throw .invalid("partner_id", "must be a partner id (ptn_…)")
        }
        return id
    }
}

struct TenantView: Encodable {
    let id: String
    let name: String
    let status: String
    let partnerID: String?
    let settings: TenantSettings
    let createdAt: Date
    let updatedAt: Date

    init(_ tenant: Tenant) {
        id = tenant.id.rawValue
        name = tenant.name
        status = tenant.status.rawValue
        partnerID = tenant.partnerID?.rawValue
        settings = tenant.settings
        createdAt = tenant.createdAt
        updatedAt = tenant.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, settings
        case partnerID = "partner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(partnerID, forKey: .partnerID)
        try container.encode(settings, forKey: .settings)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

struct TenantStatsView: Encodable {
    struct Keys: Encodable {
        let active: Int
        let revoked: Int
    }

    let tenantID: String
    let apiKeys: Keys

    init(tenantID: ResourceID, stats: TenantStats) {
        self.tenantID = tenantID.rawValue
        self.apiKeys = Keys(active: stats.activeKeys, revoked: stats.revokedKeys)
    }

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id"
        case apiKeys = "api_keys"
    }
}
