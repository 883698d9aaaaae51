import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/iam/tenants/{tenantId}/oauth-clients` (seed 004): clients of the client
/// credentials grant. The secret is shown once, on create and on rotation.
struct OAuthClientRoutes {
    let environment: ServerEnvironment
    var clients: any OAuthClientRepository { environment.store.oauthClients }
    static let secretPrefix = "gcs"

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/iam/tenants/{tenantId}/oauth-clients")
        group.post(use: create)
        group.get(use: list)
        group.get("{clientId}", use: get)
        group.patch("{clientId}", use: update)
        group.delete("{clientId}", use: delete)
        group.post("{clientId}/rotate-secret", use: rotateSecret)
    }

    struct CreateBody: Decodable {
        let name: String
        let scopes: [String]?
    }

    struct UpdateBody: Decodable {
        let name: String?
        let scopes: [String]?
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: environment.options.maxBodyBytes)
        let principal = try context.requirePrincipal()
        let tenantID = try context.requireTenant()
        guard try await environment.store.tenants.get(tenantID) != nil else {
            throw GatehouseError.notFound("No tenant has this id.")
        }
        let secret = APIKeyFormat.generate(prefix: Self.secretPrefix)
        let now = Timestamp.now
        let client = OAuthClient(
            id: .generate(.client, now: now), tenantID: tenantID, name: try DisplayName.validate(body.name),
            secretHash: APIKeyFormat.hash(secret), secretStart: APIKeyFormat.start(of: secret),
            scopes: try KeyFields.scopes(body.scopes ?? [], grantedBy: principal), createdBy: principal.id,
            createdAt: now, updatedAt: now)
        try await clients.create(client, audit: context.auditEvent("oauth_client.create", target: client.id.rawValue))
        environment.oauth.update(client: client.id, with: client)  // read-your-writes on this node
        return try JSONResponse.make(OAuthClientView(client, secret: secret), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let list = "iam.oauth-clients.\(tenantID)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await clients.list(tenant: tenantID, page: page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: list, codec: environment.cursors) { OAuthClientView($0) })
    }

    func client(in context: GatehouseContext) async throws -> OAuthClient {
        let id = try context.pathID("clientId", .client)
        guard let client = try await clients.get(id), client.tenantID == context.tenantID else {
            throw GatehouseError.notFound("This tenant has no OAuth client with this id.")
        }
        return client
    }

    /// Changing a client needs authority over its scopes, as for keys.
    func requireAuthority(over client: OAuthClient, _ context: GatehouseContext) throws {
        let principal = try context.requirePrincipal()
        if let broader = client.scopes.compactMap({ try? Scope(parsing: $0) }).first(where: { !$0.isCovered(by: principal.scopes) }) {
            throw GatehouseError.permissionDenied(
                "The client may request '\(broader)', which this credential does not hold.", required: [broader.description])
        }
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        try JSONResponse.make(OAuthClientView(try await client(in: context)))
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: environment.options.maxBodyBytes)
        let existing = try await client(in: context)
        try requireAuthority(over: existing, context)
        let name = try body.name.map { try DisplayName.validate($0) }
        let scopes = try body.scopes.map { try KeyFields.scopes($0, grantedBy: try context.requirePrincipal()) }
        let updated = try await clients.update(
            existing.id, audit: context.auditEvent("oauth_client.update", target: existing.id.rawValue)
        ) { client in
            if let name { client.name = name }
            if let scopes { client.scopes = scopes }
            client.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no OAuth client with this id.") }
        environment.oauth.update(client: updated.id, with: updated)
        return try JSONResponse.make(OAuthClientView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await client(in: context)
        try requireAuthority(over: existing, context)
        _ = try await clients.delete(existing.id, audit: context.auditEvent("oauth_client.delete", target: existing.id.rawValue))
        environment.oauth.update(client: existing.id, with: nil)
        return JSONResponse.noContent()
    }

    struct RotateBody: Decodable {
        let graceSeconds: Int?
        enum CodingKeys: String, CodingKey { case graceSeconds = "grace_seconds" }
    }

    /// A new secret; the previous one keeps working for the grace period (default 24 h).
    @Sendable func rotateSecret(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.bodyOrEmpty(as: RotateBody.self, limit: environment.options.maxBodyBytes)
        let grace = body?.graceSeconds ?? 86_400
        guard (0...APIKeyRoutes.maximumGrace).contains(grace) else {
            throw GatehouseError.invalid("grace_seconds", "must be between 0 and \(APIKeyRoutes.maximumGrace)")
        }
        let existing = try await client(in: context)
        try requireAuthority(over: existing, context)
        let secret = APIKeyFormat.generate(prefix: Self.secretPrefix)
        let updated = try await clients.update(
            existing.id, audit: context.auditEvent("oauth_client.rotate_secret", target: existing.id.rawValue)
        ) { client in
            let now = Timestamp.now
            client.previousSecretHash = client.secretHash
            client.previousSecretExpiresAt = now.addingTimeInterval(TimeInterval(grace))
            client.secretHash = APIKeyFormat.hash(secret)
            client.secretStart = APIKeyFormat.start(of: secret)
            client.updatedAt = now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no OAuth client with this id.") }
        return try JSONResponse.make(OAuthClientView(updated, secret: secret))
    }
}

struct OAuthClientView: Encodable {
    let client: OAuthClient
    var secret: String?

    init(_ client: OAuthClient, secret: String? = nil) {
        self.client = client
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes
        case tenantID = "tenant_id"
        case clientID = "client_id"
        case secret = "client_secret"
        case secretStart = "secret_start"
        case previousSecretExpiresAt = "previous_secret_expires_at"
        case grantTypes = "grant_types"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(client.id, forKey: .id)
        try container.encode(client.id, forKey: .clientID)
        try container.encode(client.tenantID, forKey: .tenantID)
        try container.encode(client.name, forKey: .name)
        try container.encode(client.scopes, forKey: .scopes)
        try container.encode(["client_credentials"], forKey: .grantTypes)
        try container.encode(client.secretStart, forKey: .secretStart)
        try container.encode(client.previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
        try container.encode(client.createdBy, forKey: .createdBy)
        try container.encode(client.createdAt, forKey: .createdAt)
        try container.encode(client.updatedAt, forKey: .updatedAt)
        if let secret { try container.encode(secret, forKey: .secret) }
    }
}
