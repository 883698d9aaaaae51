import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/admin/partners` — the same shape as tenants (seed 003 partners).
struct AdminPartnerRoutes {
    let environment: ServerEnvironment
    var partners: any PartnerRepository { environment.store.partners }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/admin/partners")
        group.post(use: create)
        group.get(use: list)
        group.get("{partnerId}", use: get)
        group.patch("{partnerId}", use: update)
        group.delete("{partnerId}", use: delete)
        group.get("{partnerId}/stats", use: stats)
    }

    struct Body: Decodable {
        let name: String
    }

    struct UpdateBody: Decodable {
        let name: String?
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: Body.self, limit: environment.options.maxBodyBytes)
        let now = Timestamp.now
        let partner = Partner(
            id: .generate(.partner, now: now), name: try DisplayName.validate(body.name), createdAt: now, updatedAt: now)
        try await partners.create(partner, audit: context.auditEvent("partner.create", target: partner.id.rawValue, tenant: .some(nil)))
        return try JSONResponse.make(PartnerView(partner), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let page = try request.pageRequest(list: "admin.partners", codec: environment.cursors)
        let result = try await partners.list(page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: "admin.partners", codec: environment.cursors, render: PartnerView.init))
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("partnerId", .partner)
        guard let partner = try await partners.get(id) else { throw GatehouseError.notFound("No partner has this id.") }
        return try JSONResponse.make(PartnerView(partner))
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("partnerId", .partner)
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: environment.options.maxBodyBytes)
        let name = try body.name.map { try DisplayName.validate($0) }
        let audit = context.auditEvent("partner.update", target: id.rawValue, tenant: .some(nil))
        let updated = try await partners.update(id, audit: audit) { partner in
            if let name { partner.name = name }
            partner.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("No partner has this id.") }
        return try JSONResponse.make(PartnerView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("partnerId", .partner)
        guard try await partners.delete(id, audit: context.auditEvent("partner.delete", target: id.rawValue, tenant: .some(nil)))
        else { throw GatehouseError.notFound("No partner has this id.") }
        return JSONResponse.noContent()
    }

    @Sendable func stats(request: Request, context: GatehouseContext) async throws -> Response {
        let id = try context.pathID("partnerId", .partner)
        guard try await partners.get(id) != nil else { throw GatehouseError.notFound("No partner has this id.") }
        struct Stats: Encodable {
            let partner_id: String
            let tenants: Int
        }
        return try JSONResponse.make(Stats(partner_id: id.rawValue, tenants: try await partners.tenantCount(id)))
    }
}

struct PartnerView: Encodable {
    let id: String
    let name: String
    let createdAt: Date
    let updatedAt: Date

    init(_ partner: Partner) {
        id = partner.id.rawValue
        name = partner.name
        createdAt = partner.createdAt
        updatedAt = partner.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
