import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// Platform-level credentials: `POST /api/v1/admin/service-account/create` (seed 004) and
/// partner keys, `POST /api/v1/admin/partners/{partnerId}/api-keys`.
struct AdminServiceAccountRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.post("/api/v1/admin/service-account/create", use: createPlatformServiceAccount)
        router.post("/api/v1/admin/partners/{partnerId}/api-keys", use: createPartnerKey)
    }

    struct CreateBody: Decodable {
        let name: String
        let description: String?
        let scopes: [String]?
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case name, description, scopes
            case expiresAt = "expires_at"
        }
    }

    struct CreatedAccount: Encodable {
        let serviceAccount: ServiceAccountView
        let apiKey: APIKeyView

        enum CodingKeys: String, CodingKey {
            case serviceAccount = "service_account"
            case apiKey = "api_key"
        }
    }

    /// A platform service account with its first key. Its scopes decide which admin
    /// routes it reaches (`admin:tenants.read`, `admin:*`).
    @Sendable func createPlatformServiceAccount(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let principal = try context.requirePrincipal()
        let scopes = try KeyFields.scopes(body.scopes ?? [], grantedBy: principal)
        let expiresAt = try KeyFields.expiry(body.expiresAt, grantedBy: principal)
        let account = try ServiceAccountFields.make(
            name: body.name, description: body.description, tenantID: nil, createdBy: principal.id)
        try await environment.store.serviceAccounts.create(
            account, audit: context.auditEvent("service_account.create", target: account.id.rawValue, tenant: .some(nil)))
        let issued = try await KeyIssuer(store: environment.store).issue(
            .init(
                name: account.name, tenantID: nil, owner: .platformServiceAccount, ownerID: account.id.rawValue,
                scopes: scopes, expiresAt: expiresAt, prefix: PlatformAdmin.keyPrefix, createdBy: principal.id),
            audit: context.auditEvent("api_key.create", target: nil, tenant: .some(nil)))
        return try JSONResponse.make(
            CreatedAccount(serviceAccount: ServiceAccountView(account), apiKey: APIKeyView(record: issued.record, secret: issued.secret)),
            status: .created)
    }

    /// A key that acts on every tenant of the partner, within its scopes.
    @Sendable func createPartnerKey(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let principal = try context.requirePrincipal()
        let partnerID = try context.pathID("partnerId", .partner)
        guard try await environment.store.partners.get(partnerID) != nil else {
            throw GatehouseError.notFound("No partner has this id.")
        }
        if body.description != nil { throw GatehouseError.invalid("description", "unknown field") }
        let issued = try await KeyIssuer(store: environment.store).issue(.init(
            name: try DisplayName.validate(body.name), tenantID: nil, owner: .partner, ownerID: partnerID.rawValue,
            scopes: try KeyFields.scopes(body.scopes ?? [], grantedBy: principal),
            expiresAt: try KeyFields.expiry(body.expiresAt, grantedBy: principal), prefix: "gkp", createdBy: principal.id),
            audit: context.auditEvent("api_key.create", target: nil, tenant: .some(nil), details: ["partner_id": partnerID.rawValue]))
        return try JSONResponse.make(APIKeyView(record: issued.record, secret: issued.secret), status: .created)
    }
}
