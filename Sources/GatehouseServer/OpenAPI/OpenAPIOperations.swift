/// One documented operation. The table below is written by hand, separately from route
/// registration, and a test compares the two so neither can drift from the other.
struct OpenAPIOperation {
    enum Access {
        case open
        /// Platform principals (partners for their own tenants' records).
        case admin
        /// Any credential whose scopes allow the derived (api, resource, action).
        case scoped
    }

    let method: String
    let path: String
    let summary: String
    let tag: String
    let access: Access
    var requestSchema: String? = nil
    var success: (status: Int, schema: String?) = (200, nil)
    var isList = false
}

extension OpenAPIDocument {
    static let operations: [OpenAPIOperation] = [
        .init(method: "GET", path: "/health", summary: "Liveness and database reachability", tag: "health",
              access: .open, success: (200, "Health")),
        .init(method: "GET", path: "/api/v1/health", summary: "Liveness and database reachability", tag: "health",
              access: .open, success: (200, "Health")),
        .init(method: "GET", path: "/metrics", summary: "Prometheus metrics", tag: "operations", access: .open),
        .init(method: "GET", path: "/openapi.json", summary: "This document", tag: "operations", access: .open),
        .init(method: "GET", path: "/api/v1/admin/health", summary: "Detailed health for the platform admin",
              tag: "admin", access: .admin, success: (200, "AdminHealth")),

        .init(method: "POST", path: "/api/v1/admin/tenants", summary: "Create a tenant", tag: "admin",
              access: .admin, requestSchema: "CreateTenant", success: (201, "Tenant")),
        .init(method: "GET", path: "/api/v1/admin/tenants", summary: "List tenants", tag: "admin",
              access: .admin, success: (200, "TenantList"), isList: true),
        .init(method: "GET", path: "/api/v1/admin/tenants/{tenantId}", summary: "Get a tenant", tag: "admin",
              access: .admin, success: (200, "Tenant")),
        .init(method: "PATCH", path: "/api/v1/admin/tenants/{tenantId}",
              summary: "Update a tenant (name, status, partner, settings as a merge patch)", tag: "admin",
              access: .admin, requestSchema: "UpdateTenant", success: (200, "Tenant")),
        .init(method: "DELETE", path: "/api/v1/admin/tenants/{tenantId}",
              summary: "Delete a tenant and all of its data", tag: "admin", access: .admin, success: (204, nil)),
        .init(method: "GET", path: "/api/v1/admin/tenants/{tenantId}/stats", summary: "Tenant statistics",
              tag: "admin", access: .admin, success: (200, "TenantStats")),

        .init(method: "POST", path: "/api/v1/admin/partners", summary: "Create a partner", tag: "admin",
              access: .admin, requestSchema: "CreatePartner", success: (201, "Partner")),
        .init(method: "GET", path: "/api/v1/admin/partners", summary: "List partners", tag: "admin",
              access: .admin, success: (200, "PartnerList"), isList: true),
        .init(method: "GET", path: "/api/v1/admin/partners/{partnerId}", summary: "Get a partner", tag: "admin",
              access: .admin, success: (200, "Partner")),
        .init(method: "PATCH", path: "/api/v1/admin/partners/{partnerId}", summary: "Rename a partner",
              tag: "admin", access: .admin, requestSchema: "UpdatePartner", success: (200, "Partner")),
        .init(method: "DELETE", path: "/api/v1/admin/partners/{partnerId}",
              summary: "Delete a partner that has no tenants", tag: "admin", access: .admin, success: (204, nil)),
        .init(method: "GET", path: "/api/v1/admin/partners/{partnerId}/stats", summary: "Partner statistics",
              tag: "admin", access: .admin, success: (200, "PartnerStats")),
        .init(method: "POST", path: "/api/v1/admin/partners/{partnerId}/api-keys",
              summary: "Create a partner key (acts on the partner's tenants); the secret is shown once", tag: "admin",
              access: .admin, requestSchema: "CreatePlatformCredential", success: (201, "APIKeyWithSecret")),
        .init(method: "POST", path: "/api/v1/admin/service-account/create",
              summary: "Create a platform service account with its first key", tag: "admin", access: .admin,
              requestSchema: "CreatePlatformCredential", success: (201, "PlatformServiceAccount")),

        .init(method: "GET", path: "/api/v1/auth/whoami", summary: "The principal behind the presented credential",
              tag: "auth", access: .scoped, success: (200, "Whoami")),
        .init(method: "POST", path: "/api/v1/auth/token",
              summary: "Mint a short-lived JWT from an API key (scopes narrowed, TTL ≤ 3600 s); bearer tokens cannot mint",
              tag: "auth", access: .scoped, requestSchema: "TokenRequest", success: (200, "TokenResponse")),
        .init(method: "GET", path: "/api/v1/auth/config", summary: "Issuer, JWKS URI, accepted credential kinds",
              tag: "auth", access: .open, success: (200, "Document")),
        .init(method: "GET", path: "/.well-known/jwks.json", summary: "Public signing keys (retired ones until their tokens expire)",
              tag: "auth", access: .open, success: (200, "Document")),
        .init(method: "GET", path: "/.well-known/openid-configuration", summary: "Discovery document",
              tag: "auth", access: .open, success: (200, "Document")),
        .init(method: "GET", path: "/.well-known/oauth-authorization-server", summary: "RFC 8414 metadata",
              tag: "auth", access: .open, success: (200, "Document")),
        .init(method: "POST", path: "/api/v1/admin/signing-keys/rotate",
              summary: "Create a new signing key; the old one stays published until its tokens expire", tag: "admin",
              access: .admin, requestSchema: "Document", success: (200, "Document")),

        .init(method: "POST", path: "/api/v1/iam/tenants/{tenantId}/api-keys",
              summary: "Create an API key; the secret is shown once, as `key`", tag: "iam", access: .scoped,
              requestSchema: "CreateAPIKey", success: (201, "APIKeyWithSecret")),
        .init(method: "GET", path: "/api/v1/iam/tenants/{tenantId}/api-keys", summary: "List API keys", tag: "iam",
              access: .scoped, success: (200, "APIKeyList"), isList: true),
        .init(method: "GET", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}", summary: "Get an API key",
              tag: "iam", access: .scoped, success: (200, "APIKey")),
        .init(method: "PATCH", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}",
              summary: "Change name, scopes, permissions, expiry, metadata or rate limit", tag: "iam", access: .scoped,
              requestSchema: "UpdateAPIKey", success: (200, "APIKey")),
        .init(method: "DELETE", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}",
              summary: "Revoke an API key (every node within a second)", tag: "iam", access: .scoped, success: (204, nil)),
        .init(method: "POST", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}/validate",
              summary: "Whether a secret is this key's and live", tag: "iam", access: .scoped,
              requestSchema: "ValidateAPIKey", success: (200, "KeyVerification")),
        .init(method: "POST", path: "/api/v1/iam/tenants/{tenantId}/api-keys/{keyId}/rotate",
              summary: "Issue a new secret; the old one works until the grace period ends", tag: "iam",
              access: .scoped, requestSchema: "RotateAPIKey", success: (200, "APIKeyWithSecret")),
        .init(method: "POST", path: "/api/v1/iam/keys/verify",
              summary: "Verify a key for another service (needs iam:keys.write)", tag: "iam", access: .scoped,
              requestSchema: "VerifyAPIKey", success: (200, "KeyVerification")),

        .init(method: "POST", path: "/api/v1/iam/tenants/{tenantId}/service-accounts",
              summary: "Create a service account", tag: "iam", access: .scoped,
              requestSchema: "CreateServiceAccount", success: (201, "ServiceAccount")),
        .init(method: "GET", path: "/api/v1/iam/tenants/{tenantId}/service-accounts",
              summary: "List service accounts", tag: "iam", access: .scoped, success: (200, "ServiceAccountList"),
              isList: true),
        .init(method: "GET", path: "/api/v1/iam/tenants/{tenantId}/service-accounts/{serviceAccountId}",
              summary: "Get a service account", tag: "iam", access: .scoped, success: (200, "ServiceAccount")),
        .init(method: "DELETE", path: "/api/v1/iam/tenants/{tenantId}/service-accounts/{serviceAccountId}",
              summary: "Delete a service account and revoke its keys", tag: "iam", access: .scoped, success: (204, nil)),

        .init(method: "GET", path: "/api/v1/provisioning/tenants/{tenantId}/{path}",
              summary: "Read a document (its JSON, with ETag), a collection ([{id, data}], next cursor in X-Next-Cursor) or a document's _revisions",
              tag: "provisioning", access: .scoped, success: (200, "Document"), isList: true),
        .init(method: "POST", path: "/api/v1/provisioning/tenants/{tenantId}/{path}",
              summary: "Create (201) or replace (200) a document; If-Match honoured", tag: "provisioning",
              access: .scoped, requestSchema: "Document", success: (200, "Document")),
        .init(method: "PUT", path: "/api/v1/provisioning/tenants/{tenantId}/{path}",
              summary: "Merge into a document (RFC 7396); 404 when missing; If-Match honoured", tag: "provisioning",
              access: .scoped, requestSchema: "Document", success: (200, "Document")),
        .init(method: "DELETE", path: "/api/v1/provisioning/tenants/{tenantId}/{path}",
              summary: "Delete a document and everything below it", tag: "provisioning", access: .scoped,
              success: (204, nil)),

        .init(method: "GET", path: "/api/v1/audit/tenants/{tenantId}/events",
              summary: "The tenant's audit events (filters from, to, actor, action, outcome)", tag: "audit",
              access: .scoped, success: (200, "AuditEventList"), isList: true),
        .init(method: "GET", path: "/api/v1/audit/tenants/{tenantId}/verify",
              summary: "Recompute the tenant's audit hash chain", tag: "audit", access: .scoped,
              success: (200, "ChainVerification")),
        .init(method: "GET", path: "/api/v1/admin/audit-logs", summary: "Every audit event (platform view)",
              tag: "admin", access: .admin, success: (200, "AuditEventList"), isList: true),

        .init(method: "GET", path: "/api/v1/reporting/tenants/{tenantId}/audit-events", summary: "Audit events",
              tag: "reporting", access: .scoped, success: (200, "AuditEventList"), isList: true),
        .init(method: "GET", path: "/api/v1/reporting/tenants/{tenantId}/requests",
              summary: "The per-request log (from, to)", tag: "reporting", access: .scoped,
              success: (200, "RequestLogList"), isList: true),
        .init(method: "GET", path: "/api/v1/reporting/tenants/{tenantId}/usage",
              summary: "Usage per meter and key per hour or day (meter, key_id, from, to, granularity)",
              tag: "reporting", access: .scoped, success: (200, "UsageList")),
        .init(method: "GET", path: "/api/v1/reporting/tenants/{tenantId}/keys",
              summary: "Key inventory with last use", tag: "reporting", access: .scoped, success: (200, "APIKeyList"),
              isList: true),
    ]
}
