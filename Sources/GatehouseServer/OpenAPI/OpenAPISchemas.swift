import GatehouseCore

/// The component schemas of the OpenAPI document.
enum OpenAPISchemas {
    static func object(
        _ properties: [String: JSONValue], required: [String] = [], closed: Bool = true
    ) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }

    static let string: JSONValue = .object(["type": "string"])
    static let timestamp: JSONValue = .object(["type": "string", "format": "date-time"])
    static let integer: JSONValue = .object(["type": "integer"])
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func nullable(_ type: String) -> JSONValue { .object(["type": .array([.string(type), "null"])]) }

    static func list(of item: String) -> JSONValue {
        object([
            "total": integer,
            "cursor": object(["next": nullable("string")], required: ["next"]),
            "data": .object(["type": "array", "items": ref(item)]),
        ], required: ["total", "cursor", "data"])
    }

    static let rateLimit = object(
        ["limit": .object(["type": "integer", "minimum": 1]), "window_seconds": .object(["type": "integer", "minimum": 1, "maximum": 86400])],
        required: ["limit", "window_seconds"])

    static let all: [String: JSONValue] = [
        "Error": object([
            "error": object([
                "code": string, "message": string, "request_id": string,
                "details": .object(["type": "object"]),
            ], required: ["code", "message", "request_id"]),
        ], required: ["error"]),
        "Health": object(["status": .object(["type": "string", "enum": ["ok"]])], required: ["status"]),
        "AdminHealth": object([:], closed: false),
        "RateLimit": rateLimit,
        "TenantSettings": object([
            "key_prefix": .object(["type": "string", "pattern": "^[a-z][a-z0-9]{1,11}$"]),
            "default_rate_limit": .object(["oneOf": [ref("RateLimit"), .object(["type": "null"])]]),
            "rate_limit": .object(["oneOf": [ref("RateLimit"), .object(["type": "null"])]]),
        ]),
        "Tenant": object([
            "id": string, "name": string,
            "status": .object(["type": "string", "enum": ["active", "suspended"]]),
            "partner_id": nullable("string"), "settings": ref("TenantSettings"),
            "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "name", "status", "partner_id", "settings", "created_at", "updated_at"]),
        "CreateTenant": object([
            "name": .object(["type": "string", "minLength": 1, "maxLength": 200]),
            "partner_id": string,
            "settings": ref("TenantSettings"),
        ], required: ["name"]),
        "UpdateTenant": object([
            "name": .object(["type": "string", "minLength": 1, "maxLength": 200]),
            "status": .object(["type": "string", "enum": ["active", "suspended"]]),
            "partner_id": nullable("string"),
            "settings": .object(["type": "object", "description": "RFC 7396 merge patch of the settings"]),
        ]),
        "TenantList": list(of: "Tenant"),
        "TenantStats": object([
            "tenant_id": string,
            "api_keys": object(["active": integer, "revoked": integer], required: ["active", "revoked"]),
        ], required: ["tenant_id", "api_keys"]),
        "Partner": object(
            ["id": string, "name": string, "created_at": timestamp, "updated_at": timestamp],
            required: ["id", "name", "created_at", "updated_at"]),
        "CreatePartner": object(["name": .object(["type": "string", "minLength": 1, "maxLength": 200])], required: ["name"]),
        "UpdatePartner": object(["name": .object(["type": "string", "minLength": 1, "maxLength": 200])]),
        "PartnerList": list(of: "Partner"),
        "PartnerStats": object(["partner_id": string, "tenants": integer], required: ["partner_id", "tenants"]),
        "APIKey": object(apiKeyProperties, required: ["id", "name", "start", "scopes", "permissions", "status"]),
        "APIKeyWithSecret": object(
            apiKeyProperties.merging(["key": string, "previous_secret_expires_at": timestamp]) { $1 },
            required: ["id", "key", "start", "scopes"]),
        "APIKeyList": list(of: "APIKey"),
        "CreateAPIKey": object([
            "name": string, "scopes": strings, "permissions": strings, "expires_at": timestamp,
            "metadata": .object(["type": "object"]), "rate_limit": ref("RateLimit"), "service_account_id": string,
        ]),
        "UpdateAPIKey": object([
            "name": string, "scopes": strings, "permissions": strings, "expires_at": nullable("string"),
            "metadata": .object(["type": "object"]), "rate_limit": .object(["oneOf": [ref("RateLimit"), .object(["type": "null"])]]),
        ]),
        "ValidateAPIKey": object(["key": string], required: ["key"]),
        "RotateAPIKey": object(["grace_seconds": .object(["type": "integer", "minimum": 0, "maximum": 2_592_000])]),
        "VerifyAPIKey": object(["key": string, "scopes": strings, "permission": string], required: ["key"]),
        "KeyVerification": object([
            "valid": .object(["type": "boolean"]),
            "code": .object(["type": "string", "enum": ["VALID", "NOT_FOUND", "EXPIRED", "REVOKED", "INSUFFICIENT_SCOPE",
                                                        "RATE_LIMITED", "TENANT_SUSPENDED"]]),
            "key_id": nullable("string"), "tenant_id": nullable("string"),
            "scopes": .object(["type": ["array", "null"]]), "permissions": .object(["type": ["array", "null"]]),
            "expires_at": nullable("string"), "ratelimit": .object(["oneOf": [ref("RateLimit"), .object(["type": "null"])]]),
        ], required: ["valid", "code"]),
        "ServiceAccount": object([
            "id": string, "tenant_id": nullable("string"), "name": string, "description": nullable("string"),
            "created_by": nullable("string"), "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "name", "created_at"]),
        "ServiceAccountList": list(of: "ServiceAccount"),
        "CreateServiceAccount": object(["name": string, "description": string], required: ["name"]),
        "CreatePlatformCredential": object(
            ["name": string, "description": string, "scopes": strings, "expires_at": timestamp], required: ["name"]),
        "PlatformServiceAccount": object(
            ["service_account": ref("ServiceAccount"), "api_key": ref("APIKeyWithSecret")],
            required: ["service_account", "api_key"]),
        "Whoami": object([
            "type": string, "id": string, "tenant_id": nullable("string"), "partner_id": nullable("string"),
            "scopes": strings, "permissions": strings, "expires_at": nullable("string"),
        ], required: ["type", "id", "scopes", "permissions"]),
        "Document": object([:], closed: false),
        "Register": object(["email": string, "password": string, "name": string, "tenant_name": string],
                           required: ["email", "password", "name"]),
        "Login": object(["email": string, "password": string], required: ["email", "password"]),
        "RefreshToken": object(["refresh_token": string], required: ["refresh_token"]),
        "Session": object([
            "access_token": string, "refresh_token": string, "token_type": string, "expires_in": integer,
            "user_id": string, "tenant_id": string,
        ], required: ["access_token", "refresh_token", "token_type", "expires_in"]),
        "User": object([
            "id": string, "tenant_id": string, "email": string, "name": string, "roles": strings,
            "has_password": .object(["type": "boolean"]), "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "email", "roles"]),
        "UserList": list(of: "User"),
        "CreateUser": object(["email": string, "name": string, "roles": strings, "password": string], required: ["email", "name"]),
        "UpdateUser": object(["name": string, "roles": strings]),
        "SaveRole": object(["name": string, "scopes": strings, "description": string], required: ["name", "scopes"]),
        "OAuthClient": object([
            "id": string, "client_id": string, "tenant_id": string, "name": string, "scopes": strings,
            "grant_types": strings, "secret_start": string, "previous_secret_expires_at": nullable("string"),
            "created_by": nullable("string"), "created_at": timestamp, "updated_at": timestamp, "client_secret": string,
        ], required: ["id", "client_id", "name", "scopes"]),
        "OAuthClientList": list(of: "OAuthClient"),
        "CreateOAuthClient": object(["name": string, "scopes": strings], required: ["name"]),
        "UpdateOAuthClient": object(["name": string, "scopes": strings]),
        "TokenRequest": object([
            "scopes": strings, "ttl_seconds": .object(["type": "integer", "minimum": 1, "maximum": 3600]), "audience": string,
        ]),
        "TokenResponse": object(
            ["access_token": string, "token_type": string, "expires_in": integer, "scope": string],
            required: ["access_token", "token_type", "expires_in", "scope"]),
        "AuditEvent": object([
            "id": string, "tenant_id": nullable("string"), "occurred_at": timestamp,
            "actor": object(["type": string, "id": nullable("string")], required: ["type", "id"]),
            "action": string, "target": nullable("string"),
            "outcome": .object(["type": "string", "enum": ["success", "failure", "denied"]]),
            "request_id": nullable("string"), "ip": nullable("string"), "user_agent": nullable("string"),
            "details": .object(["type": "object", "additionalProperties": .object(["type": "string"])]),
        ], required: ["id", "occurred_at", "actor", "action", "outcome"]),
        "AuditEventList": list(of: "AuditEvent"),
        "ChainVerification": object(
            ["valid": .object(["type": "boolean"]), "events_checked": integer, "first_invalid": string],
            required: ["valid", "events_checked"]),
        "RequestLogEntry": object([
            "id": string, "time": timestamp, "method": string, "route": string, "status": integer,
            "latency_ms": .object(["type": "number"]), "key_id": nullable("string"),
        ], required: ["id", "time", "method", "route", "status", "latency_ms"]),
        "RequestLogList": list(of: "RequestLogEntry"),
        "UsageRow": object(
            ["meter": string, "key_id": string, "period_start": timestamp, "quantity": integer],
            required: ["meter", "key_id", "period_start", "quantity"]),
        "UsageList": list(of: "UsageRow"),
    ]

    static let strings: JSONValue = .object(["type": "array", "items": .object(["type": "string"])])

    static let apiKeyProperties: [String: JSONValue] = [
        "id": string, "tenant_id": nullable("string"), "owner_type": string, "service_account_id": nullable("string"),
        "name": string, "start": string, "scopes": strings, "permissions": strings,
        "metadata": .object(["type": "object"]), "rate_limit": .object(["oneOf": [ref("RateLimit"), .object(["type": "null"])]]),
        "expires_at": nullable("string"), "last_used_at": nullable("string"), "created_by": nullable("string"),
        "created_at": timestamp, "updated_at": timestamp, "revoked_at": nullable("string"),
        "status": .object(["type": "string", "enum": ["active", "expired", "revoked"]]),
    ]
}
