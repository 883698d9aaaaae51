import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/iam/tenants/{tenantId}/service-accounts`: non-human principals that own keys
/// (create a key for one with `service_account_id`).
struct ServiceAccountRoutes {
    let environment: ServerEnvironment
    var accounts: any ServiceAccountRepository { environment.store.serviceAccounts }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/iam/tenants/{tenantId}/service-accounts")
        group.post(use: create)
        group.get(use: list)
        group.get("{serviceAccountId}", use: get)
        group.delete("{serviceAccountId}", use: delete)
    }

    struct CreateBody: Decodable {
        let name: String
        let description: String?
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let tenantID = try context.requireTenant()
        guard try await environment.store.tenants.get(tenantID) != nil else {
            throw GatehouseError.notFound("No tenant has this id.")
        }
        let account = try ServiceAccountFields.make(
            name: body.name, description: body.description, tenantID: tenantID, createdBy: context.principal?.id)
        try await accounts.create(account, audit: context.auditEvent("service_account.create", target: account.id.rawValue))
        return try JSONResponse.make(ServiceAccountView(account), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let list = "iam.service-accounts.\(tenantID)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await accounts.list(tenant: tenantID, page: page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: list, codec: environment.cursors, render: ServiceAccountView.init))
    }

    func account(in context: GatehouseContext) async throws -> ServiceAccount {
        let id = try context.pathID("serviceAccountId", .serviceAccount)
        guard let account = try await accounts.get(id), account.tenantID == context.tenantID else {
            throw GatehouseError.notFound("This tenant has no service account with this id.")
        }
        return account
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        try JSONResponse.make(ServiceAccountView(try await account(in: context)))
    }

    /// Deleting a service account revokes every key it owns, in the same transaction.
    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let account = try await account(in: context)
        _ = try await accounts.delete(
            account.id, at: Timestamp.now, audit: context.auditEvent("service_account.delete", target: account.id.rawValue))
        return JSONResponse.noContent()
    }
}

enum ServiceAccountFields {
    static func make(name: String, description: String?, tenantID: ResourceID?, createdBy: String?) throws(GatehouseError)
        -> ServiceAccount
    {
        let now = Timestamp.now
        if let description, description.count > 1000 { throw .invalid("description", "at most 1000 characters") }
        if let description, description.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
            throw .invalid("description", "must not contain control characters")
        }
        return ServiceAccount(
            id: .generate(.serviceAccount, now: now), tenantID: tenantID, name: try DisplayName.validate(name),
            description: description, createdBy: createdBy, createdAt: now, updatedAt: now)
    }
}

struct ServiceAccountView: Encodable {
    let id: String
    let tenantID: String?
    let name: String
    let description: String?
    let createdBy: String?
    let createdAt: Date
    let updatedAt: Date

    init(_ account: ServiceAccount) {
        id = account.id.rawValue
        tenantID = account.tenantID?.rawValue
        name = account.name
        description = account.description
        createdBy = account.createdBy
        createdAt = account.createdAt
        updatedAt = account.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case tenantID = "tenant_id"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(tenantID, forKey: .tenantID)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
