import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// `/api/v1/vault/tenants/{tenantId}/credentials` (SPEC §8, seed 004): third-party
/// credentials sealed under the tenant's data key. Only `GET /{integrationId}` returns
/// secrets; it needs `vault:credentials.reveal` (the authorization middleware derives the
/// verb), is audited before it answers, and is never cached.
struct VaultRoutes {
    let environment: ServerEnvironment
    var vault: any VaultRepository { environment.store.vault }
    var limit: Int { environment.options.maxBodyBytes }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/vault/tenants/{tenantId}/credentials")
        group.post(use: create)
        group.get(use: list)
        group.get("{integrationId}", use: reveal)
        group.get("{integrationId}/details", use: details)
        group.patch("{integrationId}/{credentialId}", use: update)
        group.delete("{integrationId}/{credentialId}", use: delete)
    }

    struct CreateBody: Decodable {
        let integrationID: String
        let name: String
        let authType: String
        let data: JSONValue
        let metadata: JSONValue?
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case name, data, metadata
            case integrationID = "integration_id"
            case authType = "auth_type"
            case expiresAt = "expires_at"
        }
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: limit)
        let tenantID = try await environment.existingTenant(of: context)
        let authType = try CredentialAuthType.parse(body.authType)
        try Self.validate(body.data, as: authType)
        let now = Timestamp.now
        let credential = VaultCredential(
            id: .generate(.credential, now: now), tenantID: tenantID,
            integrationID: try IntegrationID.validate(body.integrationID), name: try DisplayName.validate(body.name),
            authType: authType, metadata: try KeyFields.metadata(body.metadata ?? [:]),
            expiresAt: try body.expiresAt.map { try KeyFields.expiry($0) }, createdBy: context.principal?.id,
            createdAt: now, updatedAt: now)
        let stored = try await vault.create(
            [(credential, body.data)], keys: environment.dataKeys,
            audit: [context.auditEvent("vault.credential.create", target: credential.id.rawValue, details: Self.facts(credential))])
        return try JSONResponse.make(CredentialView(stored[0]), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let integrationID = try request.query("integration_id").map { try IntegrationID.validate($0) }
        let list = "vault.credentials.\(tenantID).\(integrationID ?? "")"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await vault.list(tenant: tenantID, integrationID: integrationID, page: page)
        return try JSONResponse.make(ListEnvelope(page: result, list: list, codec: environment.cursors) { CredentialView($0) })
    }

    /// Every live credential of the integration (or just `?credential_id=`), decrypted.
    /// Expired credentials are never revealed.
    @Sendable func reveal(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let integrationID = try integration(context)
        let only = try request.query("credential_id").map { raw throws(GatehouseError) in
            guard let id = ResourceID(raw, kind: .credential) else {
                throw .badRequest("credential_id is not a valid id; ids of this kind look like cred_….")
            }
            return id
        }
        let now = Date()
        let revealed = try await vault.reveal(
            tenant: tenantID, integrationID: integrationID, credentialID: only, keys: environment.dataKeys
        ).filter { !$0.credential.isExpired(at: now) }
        guard !revealed.isEmpty else { throw GatehouseError.notFound("This tenant has no live credential for this integration.") }
        // Audited before the secrets leave: a reveal that cannot be recorded does not happen.
        try await environment.store.audit.append(revealed.map {
            context.auditEvent("vault.credential.reveal", target: $0.credential.id.rawValue, details: Self.facts($0.credential))
        })
        var response = try JSONResponse.make(
            IntegrationView(integrationID: integrationID, data: revealed.map { CredentialView($0.credential, data: $0.data) }))
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Pragma")!] = "no-cache"
        return response
    }

    /// Metadata of every credential of the integration (expired ones included), no secrets.
    @Sendable func details(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let integrationID = try integration(context)
        let page = try await vault.list(tenant: tenantID, integrationID: integrationID, page: PageRequest(limit: 1000))
        guard !page.items.isEmpty else { throw GatehouseError.notFound("This tenant has no credential for this integration.") }
        return try JSONResponse.make(IntegrationView(integrationID: integrationID, data: page.items.map { CredentialView($0) }))
    }

    /// `null` clears `expires_at`; `metadata` replaces the whole object; `data` replaces the
    /// secret (sealed anew with the newest key) and is required to change `auth_type`.
    struct UpdateBody: Decodable {
        let name: String?
        let metadata: JSONValue?
        let expiresAt: Date??
        let authType: String?
        let data: JSONValue?

        enum CodingKeys: String, CodingKey {
            case name, metadata, data
            case expiresAt = "expires_at"
            case authType = "auth_type"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
            expiresAt = container.contains(.expiresAt) ? .some(try container.decodeIfPresent(Date.self, forKey: .expiresAt)) : nil
            authType = try container.decodeIfPresent(String.self, forKey: .authType)
            data = try container.decodeIfPresent(JSONValue.self, forKey: .data)
        }

        var changedFields: [String] {
            [
                name.map { _ in "name" }, metadata.map { _ in "metadata" }, expiresAt.map { _ in "expires_at" },
                authType.map { _ in "auth_type" }, data.map { _ in "data" },
            ].compactMap { $0 }
        }
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: limit)
        guard !body.changedFields.isEmpty else { throw GatehouseError.invalid("body", "must change at least one field") }
        let existing = try await credential(context)
        let authType = try body.authType.map { try CredentialAuthType.parse($0) }
        let data = body.data
        let name = try body.name.map { try DisplayName.validate($0) }
        let metadata = try body.metadata.map { try KeyFields.metadata($0) }
        let expiresAt = try body.expiresAt.map { date in try date.map { try KeyFields.expiry($0) } }
        var audit = context.auditEvent("vault.credential.update", target: existing.id.rawValue, details: Self.facts(existing))
        audit.details["fields"] = body.changedFields.joined(separator: ",")
        let updated = try await vault.update(existing.id, data: data, keys: environment.dataKeys, audit: audit) { credential in
            // Checked against the locked row: a concurrent PATCH cannot leave a ciphertext
            // bound to one auth type on a row that claims another.
            if let authType, authType != credential.authType, data == nil {
                throw GatehouseError.invalid("data", "is required to change auth_type")
            }
            if let data { try Self.validate(data, as: authType ?? credential.authType) }
            if let name { credential.name = name }
            if let metadata { credential.metadata = metadata }
            if let expiresAt { credential.expiresAt = expiresAt }
            if let authType { credential.authType = authType }
            credential.updatedAt = Timestamp.now
        }
        guard let updated else { throw Self.missing }
        return try JSONResponse.make(CredentialView(updated))
    }

    @Sendable func delete(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await credential(context)
        let deleted = try await vault.delete(
            existing.id,
            audit: context.auditEvent("vault.credential.delete", target: existing.id.rawValue, details: Self.facts(existing)))
        guard deleted else { throw Self.missing }
        return JSONResponse.noContent()
    }

    static let missing = GatehouseError.notFound("This tenant has no such credential for this integration.")

    func integration(_ context: GatehouseContext) throws(GatehouseError) -> String {
        do {
            return try IntegrationID.validate(context.parameters.get("integrationId") ?? "")
        } catch {
            throw .badRequest("integrationId must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-'.")
        }
    }

    /// The credential named by the path, if it belongs to the tenant and integration.
    func credential(_ context: GatehouseContext) async throws -> VaultCredential {
        let tenantID = try context.requireTenant()
        let integrationID = try integration(context)
        let id = try context.pathID("credentialId", .credential)
        guard let credential = try await vault.get(id), credential.tenantID == tenantID,
            credential.integrationID == integrationID
        else { throw Self.missing }
        return credential
    }

    static func validate(_ data: JSONValue, as authType: CredentialAuthType) throws(GatehouseError) {
        let size = (try? JSONEncoder().encode(data).count) ?? Int.max
        try authType.validate(data, encodedSize: size)
    }

    /// What an audit event may say about a credential: never its secret fields.
    static func facts(_ credential: VaultCredential) -> [String: String] {
        ["integration_id": credential.integrationID, "auth_type": credential.authType.rawValue]
    }
}

struct CredentialView: Encodable {
    let credential: VaultCredential
    var data: JSONValue?

    init(_ credential: VaultCredential, data: JSONValue? = nil) {
        self.credential = credential
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, name, metadata, data, status
        case tenantID = "tenant_id"
        case integrationID = "integration_id"
        case authType = "auth_type"
        case expiresAt = "expires_at"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case dekVersion = "key_version"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(credential.id, forKey: .id)
        try container.encode(credential.tenantID, forKey: .tenantID)
        try container.encode(credential.integrationID, forKey: .integrationID)
        try container.encode(credential.name, forKey: .name)
        try container.encode(credential.authType.rawValue, forKey: .authType)
        try container.encode(credential.metadata, forKey: .metadata)
        try container.encode(credential.isExpired(at: Date()) ? "expired" : "active", forKey: .status)
        try container.encode(credential.expiresAt, forKey: .expiresAt)
        try container.encode(credential.dekVersion, forKey: .dekVersion)
        try container.encode(credential.createdBy, forKey: .createdBy)
        try container.encode(credential.createdAt, forKey: .createdAt)
        try container.encode(credential.updatedAt, forKey: .updatedAt)
        if let data { try container.encode(data, forKey: .data) }
    }
}

/// `{integration_id, data: [credentials]}`: one integration's credentials.
struct IntegrationView: Encodable {
    let integrationID: String
    let data: [CredentialView]

    enum CodingKeys: String, CodingKey {
        case data
        case integrationID = "integration_id"
    }
}
