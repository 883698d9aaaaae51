/// One documented operation. The table below is written by hand, separately from route
/// registration, and a test compares the two so neither can drift from the other.
struct OpenAPIOperation {
    enum Access {
        case open
        case admin
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
    ]
}
