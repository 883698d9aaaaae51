import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v1/iam/tenants/{tenantId}/api-keys` and `POST /api/v1/iam/keys/verify` (SPEC §3).
struct APIKeyRoutes {
    let environment: ServerEnvironment
    var keys: any APIKeyRepository { environment.store.apiKeys }
    var limit: Int { environment.options.maxBodyBytes }

    func register(on router: Router<GatehouseContext>) {
        let group = router.group("/api/v1/iam/tenants/{tenantId}/api-keys")
        group.post(use: create)
        group.get(use: list)
        group.get("{keyId}", use: get)
        group.patch("{keyId}", use: update)
        group.delete("{keyId}", use: revoke)
        group.post("{keyId}/validate", use: validate)
        group.post("{keyId}/rotate", use: rotate)
        router.post("/api/v1/iam/keys/verify", use: verify)
    }

    struct CreateBody: Decodable {
        let name: String?
        let scopes: [String]?
        let permissions: [String]?
        let expiresAt: Date?
        let metadata: JSONValue?
        let rateLimit: RateLimit?
        let serviceAccountID: String?

        enum CodingKeys: String, CodingKey {
            case name, scopes, permissions, metadata
            case expiresAt = "expires_at"
            case rateLimit = "rate_limit"
            case serviceAccountID = "service_account_id"
        }
    }

    @Sendable func create(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: CreateBody.self, limit: limit)
        let principal = try context.requirePrincipal()
        let tenantID = try context.requireTenant()
        guard let tenant = try await environment.store.tenants.get(tenantID) else {
            throw GatehouseError.notFound("No tenant has this id.")
        }
        var owner = APIKeyRecord.Owner.tenant
        var ownerID: String?
        if let raw = body.serviceAccountID {
            guard let accountID = ResourceID(raw, kind: .serviceAccount),
                let account = try await environment.store.serviceAccounts.get(accountID), account.tenantID == tenantID
            else { throw GatehouseError.invalid("service_account_id", "no service account of this tenant has this id") }
            owner = .serviceAccount
            ownerID = account.id.rawValue
        }
        try body.rateLimit?.validate(field: "rate_limit")
        let issued = try await KeyIssuer(store: environment.store).issue(.init(
            name: try KeyFields.name(body.name), tenantID: tenantID, owner: owner, ownerID: ownerID,
            scopes: try KeyFields.scopes(body.scopes ?? [], grantedBy: principal),
            permissions: try KeyFields.permissions(body.permissions ?? principal.permissions, grantedBy: principal),
            metadata: try KeyFields.metadata(body.metadata ?? [:]), rateLimit: body.rateLimit,
            expiresAt: try KeyFields.expiry(body.expiresAt, grantedBy: principal), prefix: tenant.settings.keyPrefix,
            createdBy: principal.id),
            audit: context.auditEvent("api_key.create", target: nil))
        return try JSONResponse.make(APIKeyView(record: issued.record, secret: issued.secret), status: .created)
    }

    @Sendable func list(request: Request, context: GatehouseContext) async throws -> Response {
        let tenantID = try context.requireTenant()
        let list = "iam.api-keys.\(tenantID)"
        let page = try request.pageRequest(list: list, codec: environment.cursors)
        let result = try await keys.list(tenant: tenantID, page: page)
        return try JSONResponse.make(
            ListEnvelope(page: result, list: list, codec: environment.cursors) { APIKeyView(record: $0) })
    }

    /// The key named in the path, if it belongs to the request's tenant.
    func key(in context: GatehouseContext) async throws -> APIKeyRecord {
        let id = try context.pathID("keyId", .apiKey)
        guard let key = try await keys.get(id), key.tenantID == context.tenantID else {
            throw GatehouseError.notFound("This tenant has no API key with this id.")
        }
        return key
    }

    @Sendable func get(request: Request, context: GatehouseContext) async throws -> Response {
        try JSONResponse.make(APIKeyView(record: try await key(in: context)))
    }

    /// `null` clears `expires_at` and `rate_limit`; `metadata` replaces the whole object.
    struct UpdateBody: Decodable {
        let name: String?
        let scopes: [String]?
        let permissions: [String]?
        let expiresAt: Date??
        let metadata: JSONValue?
        let rateLimit: RateLimit??

        enum CodingKeys: String, CodingKey {
            case name, scopes, permissions, metadata
            case expiresAt = "expires_at"
            case rateLimit = "rate_limit"
        }

        /// The names of the fields this patch sets, for the audit trail.
        var changedFields: [String] {
            [
                name.map { _ in "name" }, scopes.map { _ in "scopes" }, permissions.map { _ in "permissions" },
                metadata.map { _ in "metadata" }, expiresAt.map { _ in "expires_at" }, rateLimit.map { _ in "rate_limit" },
            ].compactMap { $0 }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            scopes = try container.decodeIfPresent([String].self, forKey: .scopes)
            permissions = try container.decodeIfPresent([String].self, forKey: .permissions)
            metadata = try container.decodeIfPresent(JSONValue.self, forKey: .metadata)
            expiresAt = container.contains(.expiresAt) ? .some(try container.decodeIfPresent(Date.self, forKey: .expiresAt)) : nil
            rateLimit =
                container.contains(.rateLimit) ? .some(try container.decodeIfPresent(RateLimit.self, forKey: .rateLimit)) : nil
        }
    }

    @Sendable func update(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: limit)
        let principal = try context.requirePrincipal()
        let existing = try await key(in: context)
        try KeyFields.requireAuthority(over: existing, by: principal)
        let name = try body.name.map { try DisplayName.validate($0) }
        let scopes = try body.scopes.map { try KeyFields.scopes($0, grantedBy: principal) }
        let permissions = try body.permissions.map { try KeyFields.permissions($0, grantedBy: principal) }
        let metadata = try body.metadata.map { try KeyFields.metadata($0) }
        let expiresAt = try body.expiresAt.map { date in try KeyFields.expiry(date, grantedBy: principal) }
        try body.rateLimit??.validate(field: "rate_limit")
        if body.rateLimit != nil, existing.id.rawValue == principal.id, !principal.isPlatform {
            throw GatehouseError.permissionDenied("A key cannot change its own rate limit.")
        }
        let rateLimit = body.rateLimit
        let audit = context.auditEvent(
            "api_key.update", target: existing.id.rawValue, details: ["fields": body.changedFields.joined(separator: ",")])
        let updated = try await keys.update(existing.id, audit: audit) { key in
            guard key.revokedAt == nil else { throw GatehouseError.conflict("The key is revoked; it cannot be changed.") }
            if let name { key.name = name }
            if let scopes { key.scopes = scopes }
            if let permissions { key.permissions = permissions }
            if let metadata { key.metadata = metadata }
            if let expiresAt { key.expiresAt = expiresAt }
            if let rateLimit { key.rateLimit = rateLimit }
            key.updatedAt = Timestamp.now
        }
        guard let updated else { throw GatehouseError.notFound("This tenant has no API key with this id.") }
        return try JSONResponse.make(APIKeyView(record: updated))
    }

    @Sendable func revoke(request: Request, context: GatehouseContext) async throws -> Response {
        let existing = try await key(in: context)
        try KeyFields.requireAuthority(over: existing, by: try context.requirePrincipal())
        if existing.revokedAt == nil {
            _ = try await keys.update(existing.id, audit: context.auditEvent("api_key.revoke", target: existing.id.rawValue)) {
                key in
                key.revokedAt = Timestamp.now
                key.updatedAt = Timestamp.now
            }
        }
        return JSONResponse.noContent()
    }

    struct RotateBody: Decodable {
        let graceSeconds: Int?
        enum CodingKeys: String, CodingKey { case graceSeconds = "grace_seconds" }
    }

    static let maximumGrace = 30 * 24 * 3600

    @Sendable func rotate(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.bodyOrEmpty(as: RotateBody.self, limit: limit) ?? RotateBody(graceSeconds: nil)
        let grace = body.graceSeconds ?? 86_400
        guard (0...Self.maximumGrace).contains(grace) else {
            throw GatehouseError.invalid("grace_seconds", "must be between 0 and \(Self.maximumGrace)")
        }
        let existing = try await key(in: context)
        try KeyFields.requireAuthority(over: existing, by: try context.requirePrincipal())
        guard existing.revokedAt == nil else { throw GatehouseError.conflict("The key is revoked; it cannot be rotated.") }
        let prefix = String(existing.start.prefix(while: { $0 != "_" }))
        let secret = APIKeyFormat.generate(prefix: APIKeyFormat.isValidPrefix(prefix) ? prefix : TenantSettings.defaultKeyPrefix)
        let now = Timestamp.now
        let graceUntil = now.addingTimeInterval(TimeInterval(grace))
        guard
            let rotated = try await keys.rotate(
                existing.id, newHash: APIKeyFormat.hash(secret), newStart: APIKeyFormat.start(of: secret),
                graceUntil: graceUntil, now: now,
                audit: context.auditEvent(
                    "api_key.rotate", target: existing.id.rawValue, details: ["grace_seconds": String(grace)]))
        else { throw GatehouseError.notFound("This tenant has no API key with this id.") }
        return try JSONResponse.make(APIKeyView(record: rotated, secret: secret, previousSecretExpiresAt: graceUntil))
    }

    struct ValidateBody: Decodable {
        let key: String
    }

    /// Whether the presented secret is this key's, and live.
    @Sendable func validate(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: ValidateBody.self, limit: limit)
        let existing = try await key(in: context)
        let lookup = environment.authenticator.lookup(body.key, now: Date())
        guard let entry = lookup.entry, entry.key.id == existing.id else {
            return try JSONResponse.make(KeyVerification.notFound())
        }
        return try JSONResponse.make(KeyVerification(code: lookup.status.rawValue, key: entry.key))
    }

    struct VerifyBody: Decodable {
        let key: String
        let scopes: [String]?
        let permission: String?
    }

    /// Unkey-style verification for other services: always 200, the verdict in `code`.
    @Sendable func verify(request: Request, context: GatehouseContext) async throws -> Response {
        var request = request
        let body = try await request.decodeJSON(as: VerifyBody.self, limit: limit)
        let principal = try context.requirePrincipal()
        let wanted = try Scope.parseAll(body.scopes ?? [])
        let lookup = environment.authenticator.lookup(body.key, now: Date())
        guard let entry = lookup.entry, canSee(entry.key, principal: principal) else {
            return try JSONResponse.make(KeyVerification.notFound())
        }
        var code = lookup.status.rawValue
        if lookup.status == .valid {
            let missingScope = wanted.contains { !$0.isCovered(by: entry.principal.scopes) }
            let missingPermission = body.permission.map {
                !AuthorizationEngine.hasPermission($0, in: entry.key.permissions)
            } ?? false
            if missingScope || missingPermission { code = "INSUFFICIENT_SCOPE" }
        }
        return try JSONResponse.make(KeyVerification(code: code, key: entry.key))
    }

    /// A verifier sees keys of the tenants it can act on; a key elsewhere is "not found".
    func canSee(_ key: APIKeyRecord, principal: Principal) -> Bool {
        if principal.isPlatform { return true }
        guard let tenantID = key.tenantID else { return false }
        if principal.tenantID == tenantID { return true }
        return principal.kind == .partner && principal.partnerID != nil
            && environment.tenants.entry(tenantID)?.partnerID == principal.partnerID
    }
}

extension Request {
    /// Like ``decodeJSON(as:limit:)``, but an empty body (no content) means `nil`.
    mutating func bodyOrEmpty<T: Decodable>(as type: T.Type, limit: Int) async throws -> T? {
        let length = headers[.contentLength].flatMap(Int.init)
        if length == 0 || (length == nil && headers[.contentType] == nil) {
            let buffer = try await body.collect(upTo: limit)
            guard buffer.readableBytes > 0 else { return nil }
            throw GatehouseError.unsupportedMediaType("This route takes a JSON body: send Content-Type: application/json.")
        }
        return try await decodeJSON(as: type, limit: limit)
    }
}
