import Foundation
import GatehouseCore
import Hummingbird

/// The `auth` api: `GET /api/v1/auth/whoami` answers any valid credential with its
/// principal, from memory — no database round trip.
struct AuthRoutes {
    let environment: ServerEnvironment

    func register(on router: Router<GatehouseContext>) {
        router.get("/api/v1/auth/whoami", use: whoami)
    }

    struct Whoami: Encodable {
        let type: String
        let id: String
        let tenantID: String?
        let partnerID: String?
        let scopes: [String]
        let permissions: [String]
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case type, id, scopes, permissions
            case tenantID = "tenant_id"
            case partnerID = "partner_id"
            case expiresAt = "expires_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(id, forKey: .id)
            try container.encode(tenantID, forKey: .tenantID)
            try container.encode(partnerID, forKey: .partnerID)
            try container.encode(scopes, forKey: .scopes)
            try container.encode(permissions, forKey: .permissions)
            try container.encode(expiresAt, forKey: .expiresAt)
        }
    }

    @Sendable func whoami(request: Request, context: GatehouseContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        // The answer depends on the credential alone: encode it once per credential.
        if let cached = context.credentialCache?.value {
            return JSONResponse.make(encoded: cached)
        }
        let body = try JSONResponse.encode(Whoami(
            type: principal.kind.rawValue, id: principal.id, tenantID: principal.tenantID?.rawValue,
            partnerID: principal.partnerID?.rawValue, scopes: principal.scopes.map(\.description),
            permissions: principal.permissions, expiresAt: principal.expiresAt))
        context.credentialCache?.value = body
        return JSONResponse.make(encoded: body)
    }
}
